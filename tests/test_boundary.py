"""Regression tests of issue 14's examples: every bad input is refused with the field, the
value, the allowed range and a fix, at the boundary and before any work; legal but suspect
inputs warn.  (The property-based suite that generates such inputs is test_fuzz.py.)"""

from __future__ import annotations

import copy
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from mtorsim.cli import main
from mtorsim.errors import MtorsimError
from mtorsim.knowledge.domains import DOMAINS, Domain, DomainError, SuspectInputWarning
from mtorsim.trials.design import DesignError, builtin_designs, load_design, parse_design


def _bolero(edit: Any) -> dict[str, Any]:
    raw = yaml.safe_load(builtin_designs()["bolero-2"].read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    edit(raw)
    return raw


def _refused(edit: Any, *fragments: str) -> str:
    with pytest.raises(DesignError) as exc:
        parse_design(_bolero(edit), "my.yaml")
    msg = str(exc.value)
    assert msg.startswith("my.yaml: "), msg
    for f in fragments:
        assert f in msg, (f, msg)
    return msg


# ------------------------------------------------------------------ the domain type
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "7", None, True])
def test_a_domain_never_admits_non_finite_or_non_numbers(value: Any) -> None:
    d = Domain("x", None, None)
    assert not d.contains(value)
    with pytest.raises(DomainError, match=r"x = .*: allowed a finite number"):
        d.check(value, "here")


def test_domain_bounds_open_closed_and_integer() -> None:
    d = Domain("n", 1, 10, integer=True)
    assert [d.contains(v) for v in (0, 1, 10, 11, 2.5, 3.0)] == [
        False,
        True,
        True,
        False,
        False,
        True,
    ]
    o = Domain("t", 0, 5, low_open=True)
    assert not o.contains(0) and o.contains(1e-12) and o.contains(5)
    assert o.describe() == "a finite number in (0, 5]"
    assert DOMAINS["patients"].describe() == "an integer in [1, 1,000,000]"


def test_every_declared_domain_says_why() -> None:
    for name, d in DOMAINS.items():
        assert d.why, name
        assert d.low is None or d.high is None or d.low < d.high, name


# ------------------------------------------------------------------ designs
def test_ten_years_of_weekly_visits_is_refused_at_load_with_the_fix() -> None:
    # was: ValueError: operands could not be broadcast together (engine.py, 400 visits)
    def edit(r: dict[str, Any]) -> None:
        r["assessment"]["interval_weeks"] = 1
        r["assessment"]["window_days"] = 3  # at most half the interval
        r["follow_up"]["cutoff_months"] = 120

    _refused(edit, "assessments", "= 522", "[1, 400]", "lengthen assessment.interval_weeks")


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_context_weights_are_refused(bad: float) -> None:
    def edit(r: dict[str, Any]) -> None:
        r["population"]["contexts"][0]["weight"]["value"] = bad

    with pytest.raises(DesignError, match=r"population.contexts.0.weight.value"):
        parse_design(_bolero(edit), "my.yaml")


@pytest.mark.parametrize("total", [1.8, 0.4])
def test_weights_that_do_not_sum_to_one_warn(total: float) -> None:
    def edit(r: dict[str, Any]) -> None:
        r["population"]["contexts"][0]["weight"]["value"] = total - 0.3

    with pytest.warns(SuspectInputWarning, match=rf"sum to {total:g}, not 1"):
        parse_design(_bolero(edit), "my.yaml")


def test_builtin_designs_load_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SuspectInputWarning)
        for name in builtin_designs():
            load_design(name)


@pytest.mark.parametrize("bad", [math.nan, -3.0, 1e300])
def test_genotype_multipliers_outside_their_domain_are_refused(bad: float) -> None:
    def edit(r: dict[str, Any]) -> None:
        r["population"]["genotypes"][1]["present"]["PTEN_level"] = bad

    with pytest.raises(DesignError) as exc:
        parse_design(_bolero(edit), "my.yaml")
    msg = str(exc.value)
    # NaN is refused by the schema (field path with dots), the others by the domain
    assert msg.startswith("my.yaml: ") and "PTEN_level" in msg
    assert ("finite number" in msg) if math.isnan(bad) else ("[0, 1,000]" in msg)


@pytest.mark.parametrize("bad", [-1.0, 1e9])
def test_overrides_outside_their_domain_are_refused(bad: float) -> None:
    def edit(r: dict[str, Any]) -> None:
        r["population"]["overrides"]["E2_0"]["value"] = bad

    _refused(edit, "population.overrides.E2_0.value", "allowed a finite number in [0,")


def test_a_dose_before_day_one_is_refused() -> None:
    # was: a dose at -24 h, read from the end of the grid (a false peak at the horizon)
    def edit(r: dict[str, Any]) -> None:
        r["arms"][0]["doses"][0]["regimen"] = "10 mg daily from day 0"

    with pytest.raises(DesignError, match=r"days count from 1"):
        parse_design(_bolero(edit), "my.yaml")


def test_the_same_drug_twice_in_an_arm_is_refused() -> None:
    # was: silently dropped once (by synonym too: RAD001 is everolimus)
    def edit(r: dict[str, Any]) -> None:
        r["arms"][0]["doses"].append({"drug": "RAD001", "regimen": "5 mg daily"})

    _refused(edit, "arms[0].doses[2].drug", "already given in arms[0].doses[0]")


def test_a_huge_randomisation_ratio_is_refused() -> None:
    # was: a hang
    def edit(r: dict[str, Any]) -> None:
        r["arms"][0]["ratio"] = 1_000_000_000

    _refused(edit, "arms[0].ratio", "[1, 100]")


def test_six_signalling_drugs_are_refused_before_any_surface_is_built() -> None:
    # was: a hang (surfaces grow as 10^k)
    from mtorsim.trials.engine import effect_models

    def edit(r: dict[str, Any]) -> None:
        r["arms"][0]["doses"] += [
            {"drug": d, "regimen": "1 mg daily"} for d in ("lapatinib", "letrozole", "tamoxifen")
        ]

    d = parse_design(_bolero(edit), "my.yaml")
    with pytest.raises(DomainError, match=r"arm eve-exe: signalling drugs .* = 5: allowed"):
        effect_models(d)


def test_design_names_get_suggestions() -> None:
    with pytest.raises(DesignError, match=r"did you mean bolero-2"):
        load_design("bolero2")


# ------------------------------------------------------------------ CLI options
@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--gfr", "-100"], "--gfr"),
        (["--weight", "-70"], "--weight"),
        (["--weight", "nan"], "--weight"),
        (["--days", "7300"], "--days"),
        (["--days", "1e9"], "--days"),
        (["--height", "inf"], "--height"),
    ],
)
def test_pk_options_outside_their_domain_are_refused(args: list[str], option: str) -> None:
    out = CliRunner().invoke(
        main, ["pk", "--drug", "everolimus", "--regimen", "10 mg daily", *args]
    )
    assert out.exit_code == 2
    assert f"Invalid value for '{option}'" in out.output and "allowed" in out.output
    assert "Traceback" not in out.output


def test_patient_is_checked_at_the_api_too() -> None:
    from mtorsim.pharmacology import Patient

    with pytest.raises(DomainError, match=r"weight_kg = -70: allowed a finite number in \[20"):
        Patient(weight_kg=-70.0)


@pytest.mark.parametrize("n", ["-5", "0", "100000000000", "nan", "2.5"])
def test_patients_outside_their_domain_are_refused(n: str) -> None:
    out = CliRunner().invoke(main, ["trial", "run", "bolero-2", "--patients", n])
    assert out.exit_code == 2 and "--patients" in out.output, out.output


def test_a_plot_into_a_missing_folder_is_made(tmp_path: Path) -> None:
    png = tmp_path / "no" / "such" / "dir" / "x.png"
    args = ["pk", "--drug", "everolimus", "--regimen", "10 mg daily", "--plot", str(png)]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pk_json_is_finite_json() -> None:
    import json

    out = CliRunner().invoke(
        main, ["pk", "--drug", "everolimus", "--regimen", "10 mg daily", "--json"]
    )
    assert out.exit_code == 0
    json.loads(out.output, parse_constant=lambda c: pytest.fail(f"non-finite {c} in JSON"))


# ------------------------------------------------------------------ synergy inputs
def _csv(
    path: Path,
    resp: Any,
    doses: tuple[float, ...] = (0, 1, 10, 100),
    unit: str = "nM",
    encoding: str = "utf-8",
) -> Path:
    lines = ["PairIndex,Response,Drug1,Drug2,Conc1,Conc2,ConcUnit"]
    for a in doses:
        for b in doses:
            lines.append(f"1,{resp(a, b)},everolimus,paclitaxel,{a},{b},{unit}")
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_three_by_three_matrix_is_scored(tmp_path: Path) -> None:
    # was: TypeError: number of func parameters=4 must not exceed data points=3
    from mtorsim.response import read_synergyfinder_csv, score

    f = _csv(tmp_path / "m.csv", lambda a, b: 20 * (a > 0) + 30 * (b > 0), doses=(0, 1, 10))
    (m,) = read_synergyfinder_csv(f)
    results = score(m)
    for r in results.values():
        assert np.all(np.isfinite(r.scores)) and r.scores.shape == (3, 3)
    # Bliss in closed form: 20 + 30 - 20*30/100 = 44 expected; observed 50 -> +6
    assert results["bliss"].scores[1, 1] == pytest.approx(6.0)


def test_excel_cp1252_csv_is_read_with_a_warning(tmp_path: Path) -> None:
    from mtorsim.response import read_synergyfinder_csv

    f = _csv(tmp_path / "x.csv", lambda a, b: 10 * (a > 0), unit="µM", encoding="cp1252")
    with pytest.warns(SuspectInputWarning, match="Windows-1252"):
        (m,) = read_synergyfinder_csv(f)
    assert m.unit == "µM"


def test_short_row_names_the_row(tmp_path: Path) -> None:
    from mtorsim.response import SynergyInputError, read_synergyfinder_csv

    f = _csv(tmp_path / "x.csv", lambda a, b: 0)
    lines = f.read_text().splitlines()
    lines[6] = "1,30,everolimus"
    f.write_text("\n".join(lines))
    with pytest.raises(SynergyInputError, match=r"row 7: 3 fields, the header has 7"):
        read_synergyfinder_csv(f)


@pytest.mark.parametrize("bad", [-300, 250])
def test_responses_outside_their_domain_are_refused(tmp_path: Path, bad: float) -> None:
    from mtorsim.response import SynergyInputError, read_synergyfinder_csv

    f = _csv(tmp_path / "x.csv", lambda a, b: bad if a else 0)
    with pytest.raises(SynergyInputError, match=r"column Response: .*allowed"):
        read_synergyfinder_csv(f)


def test_a_response_of_150_is_scored_finite(tmp_path: Path) -> None:
    # was: OverflowError
    from mtorsim.response import read_synergyfinder_csv, score

    f = _csv(tmp_path / "x.csv", lambda a, b: 150 if a * b else 10 * (a > 0) + 20 * (b > 0))
    (m,) = read_synergyfinder_csv(f)
    for r in score(m).values():
        assert np.all(np.isfinite(r.scores)) and np.all(np.isfinite(r.expected))


def test_combo_refuses_a_huge_matrix_before_simulating() -> None:
    doses = ",".join(str(i) for i in range(40))
    args = ["combo", "--context", "MCF7", "--drugs", "everolimus,paclitaxel", "--doses1", doses]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 2 and "= 40: allowed an integer in [3, 30]" in out.output


def test_concentrations_outside_their_domain_are_refused() -> None:
    from mtorsim.pathway.drugs import parse_concentration

    with pytest.raises(MtorsimError, match=r"allowed a finite number in \[0, 10,000,000\] nM"):
        parse_concentration("1e30nM")


# ------------------------------------------------------------------ statistics and figures
def test_few_replicates_warn_before_any_trial_runs() -> None:
    from mtorsim.inference.validation import validate

    with (
        pytest.warns(SuspectInputWarning, match=r"2 replicate trials: each 95% interval"),
        pytest.raises(MtorsimError),
    ):
        validate(designs=["no-such-design"], replicates=2)


def test_too_many_strata_fall_back_to_an_unstratified_hr_with_a_note() -> None:
    """Ten stratification factors over 30 patients: the stratified Cox model cannot be fitted
    (the coefficient runs off); the HR is the unstratified one, which equals a direct
    lifelines fit without strata, and the note says so."""
    from lifelines import CoxPHFitter

    from mtorsim.knowledge import names as N
    from mtorsim.trials.run import run_trial

    def edit(r: dict[str, Any]) -> None:
        r["stratification"] = [
            {"name": f"f{i}", "prevalence": {"value": 0.5, "source": "assumed: test"}}
            for i in range(10)
        ]

    d = parse_design(_bolero(edit), "strata.yaml")
    res = run_trial(d, n_patients=30, seed=2)
    c = res.comparison
    assert c is not None and c.note is not None and "unstratified" in c.note
    assert c.stratified_by == []
    f = res.patients
    data = pd.DataFrame(
        {
            "T": f[N.PFS_MONTHS].astype(float),
            "E": f[N.EVENT].astype(bool),
            "treat": (f[N.ARM] == "eve-exe").astype(float),
        }
    )
    # lifelines at a tight precision (its default, 1e-7 on the step, leaves 1e-5 here)
    direct = CoxPHFitter().fit(data, "T", "E", fit_options={"precision": 1e-10})
    assert c.hazard_ratio == pytest.approx(float(np.exp(direct.params_["treat"])), rel=1e-9)


@pytest.fixture(scope="module")
def bolero200() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from mtorsim.trials.run import run_trial

    return run_trial("bolero-2", n_patients=200, seed=5)


def test_km_at_risk_row_counts_every_patient_at_each_tick(bolero200: Any) -> None:
    """The numbers at risk under the KM plot are the patients whose PFS is at or beyond
    each tick, counted here from the patient table; at 0 that is every patient of the
    arm, including those censored at time 0 (withdrawn before any assessment)."""
    from mtorsim.knowledge import names as N

    res = bolero200
    f = res.patients
    zero = int(((f[N.PFS_MONTHS] <= 0) & ~f[N.EVENT].astype(bool)).sum())
    assert zero > 0  # seed 5 has some: the case is tested, not skipped
    ax = res.plot()
    ticks = list(ax.get_xticks())
    texts = ax.texts
    for arm in res.design.arms:
        t = f.loc[f[N.ARM] == arm.id, N.PFS_MONTHS].to_numpy(float)
        colour = next(x.get_color() for x in texts if x.get_text() == arm.label)
        row = [
            int(x.get_text()) for x in texts if x.get_color() == colour and x.get_text().isdigit()
        ]
        assert row == [int((t >= x).sum()) for x in ticks]
        assert row[0] == len(t)


def test_forest_plot_has_headers_and_favours_labels(bolero200: Any) -> None:
    from mtorsim.trials.subgroups import subgroups

    table = subgroups(bolero200)
    assert table is not None
    texts = {t.get_text() for t in table.plot().texts}
    assert {"subgroup", "<- favours eve-exe", "favours pbo-exe ->"} <= texts
    assert any(t.startswith("HR (95% CI)") for t in texts)


def test_experimental_equal_to_control_is_refused() -> None:
    # was: lifelines ConvergenceError
    def edit(r: dict[str, Any]) -> None:
        r["control"] = "eve-exe"

    with pytest.raises(DesignError, match=r"experimental and control must be different arms"):
        parse_design(_bolero(edit), "my.yaml")


def test_combo_scores_a_three_by_three_matrix() -> None:
    """A 3x3 matrix of an inactive pair (everolimus at femtomolar doses, lapatinib in
    MCF7): every score is a number (JSON null would be a non-finite one) and, the pair
    doing nothing together beyond what each does alone, every method's summary is within
    1 point of 0 (ZIP was +48 when one LL.4 start stuck at slope 0)."""
    import json

    args = ["combo", "--context", "MCF7", "--drugs", "everolimus,lapatinib"]
    args += ["--doses1", "0,1e-6,1e-5", "--doses2", "0,1,10", "--json"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert _no_nulls(doc)
    for method, s in doc["scores"].items():
        assert abs(s["summary"]) < 1.0, (method, s["summary"])


def _no_nulls(obj: Any) -> bool:
    if isinstance(obj, dict):
        return all(_no_nulls(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_no_nulls(v) for v in obj)
    return obj is not None


def test_a_single_arm_run_into_an_old_folder_leaves_no_stale_outputs(tmp_path: Path) -> None:
    """A randomised run then a single-arm run into the same folder: the forest plot and the
    subgroup table of the first are gone, and the manifest lists only the second's files."""
    from mtorsim.fileio import read_manifest, verify_run

    for design in ("bolero-2", "perez-weekly-paclitaxel"):
        args = ["trial", "run", design, "--patients", "40", "--out", str(tmp_path)]
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 0, out.output
    assert not (tmp_path / "forest.png").exists() and not (tmp_path / "subgroups.csv").exists()
    doc = read_manifest(tmp_path)
    assert doc is not None and doc["inputs"]["design"] == "perez-weekly-paclitaxel"
    assert "forest.png" not in doc["files"] and verify_run(tmp_path) == []


def test_subgroups_says_how_many_patients_it_runs(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["trial", "subgroups", "tamrad", "--patients", "40"])
    assert out.exit_code == 0, out.output
    assert "TAMRAD: 40 virtual patients ..." in out.output


def test_a_manifest_never_deletes_outside_its_folder(tmp_path: Path) -> None:
    """An old run.json that lists an absolute path, a '..' path or a path through a
    folder that leads out, or a file changed since, deletes none of them; files the old
    run wrote and nobody changed are removed."""
    import hashlib
    import json

    from mtorsim.fileio import MANIFEST, begin_run, write_atomic, write_manifest

    out, outside = tmp_path / "run", tmp_path / "outside"
    (out / "adir").mkdir(parents=True)
    outside.mkdir()
    victim = outside / "notes.txt"
    victim.write_text("keep")
    stale = write_atomic(out / "old.png", b"png")
    edited = write_atomic(out / "edited.csv", "1")

    def sha(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    files = {
        str(victim): {"sha256": sha(victim)},
        "../outside/notes.txt": {"sha256": sha(victim)},
        "adir/../../outside/notes.txt": {"sha256": sha(victim)},
        "old.png": {"sha256": sha(stale)},
        "edited.csv": {"sha256": "0" * 64},
        "weird": 3,
    }
    (out / MANIFEST).write_text(json.dumps({"files": files}))
    previous = begin_run(out, "second", {})
    write_manifest(out, {}, "second", {}, previous)
    assert victim.read_text() == "keep" and edited.exists() and not stale.exists()
    # a manifest of another shape is ignored, not a traceback
    (out / MANIFEST).write_text(json.dumps({"files": ["x", 3]}))
    write_manifest(out, {}, "third", {}, begin_run(out, "third", {}))


def test_subgroups_default_is_three_times_n_and_says_so(tmp_path: Path) -> None:
    def edit(r: dict[str, Any]) -> None:
        r["n_patients"] = 12

    design = tmp_path / "small.yaml"
    design.write_text(yaml.safe_dump(_bolero(edit)))
    out = CliRunner().invoke(main, ["trial", "subgroups", str(design), "--json"])
    assert out.exit_code == 0, out.output
    import json

    assert json.loads(out.output)["n_patients"] == 36
    out = CliRunner().invoke(main, ["trial", "subgroups", str(design)])
    assert "36 virtual patients (3 x the design's N = 12" in out.output


def test_report_and_manifest_say_when_and_how_the_run_was_made(tmp_path: Path) -> None:
    import datetime
    import json

    from mtorsim.fileio import MANIFEST

    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    args = ["trial", "run", "bolero-2", "--patients", "20", "--out", str(tmp_path)]
    assert CliRunner().invoke(main, args).exit_code == 0
    doc = json.loads((tmp_path / MANIFEST).read_text())
    stamp = datetime.datetime.fromisoformat(doc["finished_at"])
    assert before <= stamp <= datetime.datetime.now(datetime.UTC)
    report = (tmp_path / "report.html").read_text()
    assert f" on {doc['finished_at']} " in report
    assert doc["inputs"]["n_patients"] == "20" and doc["inputs"]["seed"] == "20131"


def test_calibrate_quick_says_its_sds_are_not_uncertainty(monkeypatch: Any) -> None:
    """The table of a --quick fit carries the caveat (the fit itself is replaced by the
    shipped record here: what is tested is the report, not the optimiser)."""
    import mtorsim.inference as inference
    from mtorsim.inference import load_calibration

    shipped = load_calibration("clinical")
    monkeypatch.setattr(inference, "calibrate_trial", lambda *a, **k: shipped)
    monkeypatch.setattr(
        "mtorsim.reports.write_calibration_outputs",
        lambda result, out: {"record": str(out), "figure": "f.png"},
    )
    out = CliRunner().invoke(main, ["calibrate", "clinical", "--quick"], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "--quick runs a few evaluations on small cohorts" in text
    assert "do not measure uncertainty" in text


def test_validate_reports_progress_per_replicate_trial() -> None:
    from mtorsim.inference.validation import validate

    seen: list[tuple[int, int]] = []
    with pytest.warns(SuspectInputWarning):  # 2 replicates: warned
        validate(["tamrad"], 2, n_patients=8, ida=False, step=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 2), (2, 2)]
