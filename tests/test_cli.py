"""The command line, through click's test runner: JSON parsed back, tables, errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mtorsim.cli import main
from mtorsim.knowledge import KnowledgeBase, find_trials


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_agents_json_roundtrip(kb: KnowledgeBase) -> None:
    code, out, _ = run("agents", "--class", "rapalog", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["count"] == 4
    assert {a["id"] for a in doc["agents"]} == {
        "sirolimus",
        "temsirolimus",
        "everolimus",
        "ridaforolimus",
    }
    eve = next(a for a in doc["agents"] if a["id"] == "everolimus")
    assert eve["targets"][0]["node"] == "MTORC1"
    assert eve["half_life_h"] == [30, 30]


def test_agent_by_synonym_detail() -> None:
    code, out, _ = run("agents", "AP23573")
    assert code == 0 and "ridaforolimus" in out and "49" in out


def test_trials_json_matches_api(kb: KnowledgeBase) -> None:
    code, out, _ = run("trials", "--drug", "everolimus", "--receptor", "HER2+", "--json")
    assert code == 0
    doc = json.loads(out)
    api = find_trials(kb, drugs=["everolimus"], receptor="HER2+")
    assert doc["count"] == len(api) and [t["id"] for t in doc["trials"]] == [t.id for t in api]
    assert all("everolimus" in t["agents"] for t in doc["trials"])


def test_trials_table_and_csv(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "t.csv"
    code, out, _ = run("trials", "--table", "7", "--csv", str(path))
    assert code == 0 and "NCT00699491" in out and "4 trials" in out
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 4 and rows[3]["nct"] == "NCT0111825"


def test_outcomes_json(kb: KnowledgeBase) -> None:
    code, out, _ = run("outcomes", "--trial", "TAMRAD", "--endpoint", "CBR", "--json")
    assert code == 0
    doc = json.loads(out)
    vals = sorted(o["value"] for o in doc["outcomes"])
    assert vals == [42.1, 61.1]
    code, out, _ = run("outcomes", "--trial", "bolero-2")
    assert code == 0 and "0.45" in out


def test_unknown_drug_is_a_clear_error() -> None:
    code, out, err = run("trials", "--drug", "everolimsu")
    assert code == 2
    assert "unknown agent 'everolimsu'" in err and "everolimus" in err
    assert "Traceback" not in err + out


def test_lint_json_and_exit_codes() -> None:
    code, out, _ = run("lint", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["n_errors"] == 0 and doc["n_warnings"] >= 3
    assert "nct-format" in doc["checks_run"]
    code, _, _ = run("lint", "--strict")
    assert code == 1


def test_lint_on_malformed_folder(tmp_path: Path) -> None:
    code, _, err = run("lint", str(tmp_path))
    assert code == 2 and "references.yaml" in err


def test_schema_export(tmp_path: Path) -> None:
    code, _, _ = run("schema", "--out", str(tmp_path))
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [
            "agents.schema.json",
            "claims.schema.json",
            "outcomes.schema.json",
            "references.schema.json",
            "trials.schema.json",
        ]
    )
    assert json.loads((tmp_path / "trials.schema.json").read_text())["title"] == "TrialsFile"


def test_pathway_simulate_json() -> None:
    code, out, _ = run(
        "pathway", "simulate", "--context", "MCF7", "--drug", "everolimus=10nM", "--json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["drugs_nM"] == {"everolimus": 10.0}
    assert doc["readouts"]["pS6K1_T389"] < 0.2
    assert doc["provenance"]["model_hash"]


def test_pathway_time_course_plot(tmp_path: Path) -> None:
    png = tmp_path / "tc.png"
    code, _, _ = run(
        "pathway",
        "simulate",
        "--context",
        "BT474",
        "--drug",
        "lapatinib=1uM",
        "--time",
        "2h",
        "--plot",
        str(png),
    )
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pathway_contexts_and_sbml(tmp_path: Path) -> None:
    code, out, _ = run("pathway", "contexts", "--json")
    names = {c["name"] for c in json.loads(out)}
    assert {
        "MCF7",
        "T47D",
        "BT474",
        "SKBR3",
        "MDAMB231",
        "MDAMB468",
        "BT474_TR",
        "MCF7_LTED",
    } <= names
    code, _, _ = run("pathway", "export-sbml", str(tmp_path / "m.xml"))
    assert code == 0 and "<sbml" in (tmp_path / "m.xml").read_text()[:500]


def test_pathway_check_cli() -> None:
    # exit 1 when any check fails; the JSON counts them (tests/pathway/test_pathway.py
    # lists which fail after the fit to measured readouts, and why)
    code, out, _ = run("pathway", "check", "--json")
    doc = json.loads(out)
    from tests.pathway.test_pathway import FAILING_AFTER_READOUT_FIT

    assert doc["n_checks"] == 12 and len(doc["checks"]) == 12
    assert doc["n_passed"] == 12 - len(FAILING_AFTER_READOUT_FIT) and code == 1
    failed = {c["id"] for c in doc["checks"] if not c["passed"]}
    assert failed == set(FAILING_AFTER_READOUT_FIT)


def test_pathway_unsupported_drug_message() -> None:
    code, _, err = run("pathway", "simulate", "--context", "MCF7", "--drug", "paclitaxel=5nM")
    assert code == 2 and "tumour layer" in err


def test_pk_cli_json_and_plot(tmp_path) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "pk.png"
    code, out, _ = run(
        "pk",
        "--drug",
        "everolimus",
        "--regimen",
        "10 mg daily",
        "--days",
        "28",
        "--json",
        "--plot",
        str(png),
    )
    doc = json.loads(out)
    assert code == 0 and png.stat().st_size > 0
    m = doc["metrics"]
    assert m["Css_avg_ng_mL"] == pytest.approx(1000 * 10 / (17.4 * 24), rel=1e-9)
    assert m["Cmin_ng_mL"] < m["Cavg_last_period_ng_mL"] < m["Cmax_ng_mL"]
    code, _, err = run("pk", "--drug", "everolimus", "--regimen", "10 mg dialy")
    assert code == 2 and "no schedule understood" in err


def test_combo_and_synergy_cli(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        "combo",
        "--context",
        "BT474",
        "--drugs",
        "everolimus,paclitaxel",
        "--doses1",
        "0,0.001,0.01,0.1",
        "--doses2",
        "0,1,3,10",
        "--json",
    )
    doc = json.loads(out)
    assert code == 0 and set(doc["scores"]) == {"zip", "bliss", "hsa", "loewe"}
    assert len(doc["matrix"]["inhibition_pct"]) == 4
    from mtorsim.response import DoseMatrix
    from mtorsim.response.synergy_io import write_synergyfinder_csv

    mx = doc["matrix"]
    m = DoseMatrix(mx["drug1"], mx["drug2"], mx["conc1"], mx["conc2"], mx["inhibition_pct"])
    path = write_synergyfinder_csv([m], tmp_path / "m.csv")
    code, out, _ = run("synergy", str(path), "--json")
    again = json.loads(out)["pairs"][0]["scores"]
    assert code == 0
    assert again["bliss"]["summary"] == pytest.approx(doc["scores"]["bliss"]["summary"], abs=1e-3)
    code, _, err = run("combo", "--context", "BT474", "--drugs", "everolimus")
    assert code == 2 and "exactly two agents" in err


@pytest.mark.parametrize(
    "args",
    [
        ["agents"],
        ["agents", "everolimus"],
        ["trials"],
        ["outcomes", "--trial", "bolero-2"],
        ["trial", "list"],
        ["pathway", "contexts"],
        ["pk", "--drug", "everolimus", "--regimen", "10 mg daily"],
    ],
)
def test_every_table_fits_80_columns(args: list[str]) -> None:
    out = CliRunner().invoke(main, args, env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    assert max(len(line) for line in out.output.splitlines()) <= 80


def test_main_job_table_reads_correctly_at_80_columns(tmp_path: Path) -> None:
    """The first command's table at 80 columns: one line per arm, with its id, N, events,
    median and CI, the published median and the rates with their published values
    beside, recomputed here from the run's own record."""
    from mtorsim.trials import TrialResult

    out = CliRunner().invoke(
        main,
        ["trial", "run", "bolero-2", "--patients", "60", "--out", str(tmp_path)],
        env={"COLUMNS": "80"},
    )
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    r = TrialResult.load(tmp_path)
    for arm in r.summary.arms:
        (row,) = [line for line in lines if line.startswith(f"│{arm.id} ")]
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert cells[1] == str(arm.n) and cells[2] == str(arm.events)
        assert cells[3].startswith(f"{arm.pfs.median:.1f} (")
        assert f"[{r.summary.published.arm(arm.id, 'ORR').value:g}]" in cells[5]
