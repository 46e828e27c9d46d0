"""The cell-line problem: reference data, its PEtab form, the fit and its held-out test."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from mtorsim.inference.calibration_set import load_calibration_set
from mtorsim.inference.cell_lines import (
    ASSAY_HOURS,
    CellLineObjective,
    calibrate_cell_lines,
    rho50,
    signalling_points,
    split_data,
)
from mtorsim.inference.cell_validation import simulated_potency, synergy_fidelity
from mtorsim.inference.petab_export import build_petab
from mtorsim.inference.records import load_calibration
from mtorsim.inference.reference import dose_response_values, reference_dir, synergy_values
from mtorsim.pathway.contexts import load_context
from mtorsim.response.cells import CellResponseModel, load_cytotoxics

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def record():  # type: ignore[no-untyped-def]
    return load_calibration("cell-lines")


@pytest.fixture(scope="module")
def points():  # type: ignore[no-untyped-def]
    return signalling_points()


# ---------------------------------------------------------------------- reference data
def test_reference_tables_meet_the_issue_minimum() -> None:
    """At least 60 measured dose-response values from at least 4 publications or data
    sets, covering a rapalog, a dual PI3K/mTOR or TOR kinase inhibitor, a HER2 agent, an
    endocrine agent and a cytotoxic across at least 6 cell lines of different genotype;
    at least 10 measured synergy scores of mTOR-inhibitor pairs; every row cited."""
    values = [v for v in dose_response_values() if v.value_nM is not None]
    assert len(values) >= 60
    citations = {v.citation for v in dose_response_values()} | {
        s.citation for s in synergy_values()
    }
    pubs = {
        name
        for name in ("Heiser", "Garnett", "O'Neil", "Sabnis", "Preuer")
        if any(name in c for c in citations)
    }
    assert len(pubs) >= 4, pubs
    agents = {v.agent for v in values}
    assert {"everolimus", "nvp-bez235", "lapatinib", "tamoxifen", "paclitaxel"} <= agents
    lines = {v.context for v in values if v.context}
    assert len(lines) >= 6
    mtor = {"everolimus", "sirolimus", "temsirolimus", "ridaforolimus", "nvp-bez235"}
    scores = [
        s for s in synergy_values() if s.value is not None and ({s.agent_a, s.agent_b} & mtor)
    ]
    assert len(scores) >= 10
    for v in dose_response_values():
        assert v.citation and v.location, v.id


def test_reference_tables_are_what_the_builder_makes(tmp_path: Path) -> None:
    """The shipped tables are byte-identical to what scripts/build_reference_data.py makes
    from the cited research notes (so every value traces back to its note)."""
    script = ROOT / "scripts" / "build_reference_data.py"
    if not (ROOT / "docs" / "research").is_dir() or not script.is_file():
        pytest.skip("research notes or builder not in this checkout")
    spec = importlib.util.spec_from_file_location("build_reference_data", script)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_reference_data"] = mod
    spec.loader.exec_module(mod)
    assert mod.main(tmp_path) == 0
    for name in ("dose_response.csv", "pathway_readouts.csv", "combinations.csv"):
        assert (tmp_path / name).read_bytes() == (reference_dir() / name).read_bytes(), name


def test_held_out_publication_is_never_fitted() -> None:
    split = split_data()
    assert split.fitted and split.held_out
    assert {v.dataset for v in split.fitted} == {"icbp"}
    assert {v.dataset for v in split.held_out} == {"gdsc1"}
    tables = build_petab()
    assert set(tables.measurements["datasetId"]) == {"icbp"}
    assert len(tables.measurements) == len(split.fitted)


def test_held_out_lines_are_predicted_with_default_parameters() -> None:
    """The lines outside the fit (CAMA1, HCC1954, MDAMB453, ZR751) have values in both
    datasets, none of them fitted or in the PEtab measurements; their contexts carry no
    fitted per-line parameter (tau_tr and cytotoxic sensitivity stay at the model's
    defaults), so their potencies are predictions of genotype alone."""
    problem = load_calibration_set().problem("cell-lines")
    assert problem.data is not None
    lines = set(problem.data.held_out_contexts)
    assert lines == {"CAMA1", "HCC1954", "MDAMB453", "ZR751"}
    split = split_data()
    assert {v.context for v in split.held_out_lines} == lines
    assert {v.dataset for v in split.held_out_lines} == {"icbp", "gdsc1"}
    fitted_like = split.fitted + split.held_out + split.censored
    assert not {v.context for v in fitted_like} & lines
    tables = build_petab()
    assert not set(tables.measurements["replicateId"]) & {v.id for v in split.held_out_lines}
    for name in lines:
        ctx = load_context(name)
        assert "tau_tr" not in ctx.parameters and ctx.cytotoxic_sensitivity is None, name
        assert not any(v.source.startswith("calibrated") for v in ctx.parameters.values())
    table_ids = {r.id for r in problem.table.rows}
    assert not any(pid.split(".")[1] in lines for pid in table_ids if pid.startswith("context."))


# ---------------------------------------------------------------------- closed forms
def test_rho50_against_simulated_culture() -> None:
    """rho50 against a direct computation: a culture growing at rho * ln2/Td for 72 h
    grows half as much (over time zero) as the untreated one (scipy ODE, rtol 1e-10)."""
    from scipy.integrate import solve_ivp

    for td in (25.0, 40.0, 60.0):
        k0 = math.log(2) / td

        def grown(rate: float, k0: float = k0) -> float:
            sol = solve_ivp(lambda _t, n: rate * n, (0, ASSAY_HOURS), [1.0], rtol=1e-10)
            return float(sol.y[0, -1]) - 1.0

        assert grown(rho50(td) * k0) / grown(k0) == pytest.approx(0.5, rel=1e-7)


def test_simulated_potency_against_closed_form() -> None:
    """A cytotoxic alone leaves the signalling untouched, so r(c) = 1 - kill(c)/k0 and the
    GI50 is EC50/s * (f/(1-f))^(1/h), f = k0 (1 - rho50) / kmax: the bisection through
    the cell-response layer must give it to 1e-6."""
    model = CellResponseModel()
    for line in ("MCF7", "SKBR3"):
        ctx = load_context(line)
        p = load_cytotoxics().agents["paclitaxel"]
        assert p.ec50_nM and p.hill and p.kmax_per_h
        td = CellResponseModel.doubling_time_h(ctx)
        k0 = math.log(2) / td
        f = k0 * (1 - rho50(td)) / p.kmax_per_h.value
        want = (
            p.ec50_nM.value
            / CellResponseModel.cytotoxic_sensitivity(ctx)
            * (f / (1 - f)) ** (1 / p.hill.value)
        )
        got = simulated_potency(model, line, "paclitaxel", "GI50")
        assert got == pytest.approx(want, rel=1e-6)


def test_closed_form_objective_is_the_cell_response_layer(record, points) -> None:  # type: ignore[no-untyped-def]
    """At the shipped fit (which the context and cytotoxic files hold), the objective's
    growth rate at every datum equals net / k0 from CellResponseModel.rates (the layer
    the trials use), to 1e-8 (the steady-state solver's tolerance)."""
    problem = load_calibration_set().problem("cell-lines")
    j = CellLineObjective(problem, points, 0.05)
    r = j.growth(record.values)
    model = CellResponseModel()
    for p, ri in zip(points, r, strict=True):
        rates = model.rates(p.datum.context, {p.datum.agent: p.datum.value_nM})
        assert ri == pytest.approx(rates.net / rates.untreated_net, abs=1e-8), p.datum.id


# ---------------------------------------------------------------------- the fit
def test_shipped_files_hold_the_record(record) -> None:  # type: ignore[no-untyped-def]
    """Context files and cytotoxics.yaml hold the shipped record's values (derived states
    inherit their parent line's)."""
    link = load_cytotoxics()
    inherits = {"BT474": ["BT474_TR"], "MCF7": ["MCF7_LTED"]}
    for pid, v in record.values.items():
        kind, who, name = pid.split(".")
        if kind == "cytotoxic":
            ec50 = link.agents[who].ec50_nM
            assert ec50 is not None and ec50.value == v, pid
            continue
        for ctx_name in [who, *inherits.get(who, [])]:
            ctx = load_context(ctx_name)
            got = (
                ctx.values()["tau_tr"]
                if name == "tau_tr"
                else CellResponseModel.cytotoxic_sensitivity(ctx)
            )
            assert got == v, (ctx_name, pid)


def test_cell_line_calibration_reproduces_the_record(record) -> None:  # type: ignore[no-untyped-def]
    """Rerunning the calibration set's specification gives the shipped values and
    objective (seeded, deterministic), and improves on the start."""
    again = calibrate_cell_lines()
    assert again.values == record.values
    assert again.objective == pytest.approx(record.objective, rel=1e-9)
    assert record.objective < record.objective_start
    assert (
        record.provenance["model_hash"]
        == __import__("mtorsim.pathway.build", fromlist=["model_hash"]).model_hash()
    )


def test_petab_export_passes_the_petab_linter(tmp_path: Path, record) -> None:  # type: ignore[no-untyped-def]
    petab = pytest.importorskip("petab.v1")
    yaml_path = build_petab(values=record.values).write(tmp_path)
    problem = petab.Problem.from_yaml(yaml_path)
    assert not petab.lint_problem(problem)
    est = problem.parameter_df[problem.parameter_df["estimate"] == 1]
    assert sorted(est["parameterName"]) == sorted(record.values)
    assert len(problem.measurement_df) == record.n_data


@pytest.mark.slow
def test_exported_petab_objective_is_the_fitted_objective(tmp_path: Path, record) -> None:  # type: ignore[no-untyped-def]
    """A second engine: pyPESTO's RoadRunner objective on the exported files (SBML rules,
    pre-equilibration, 72-h simulation) gives the record's objective at its optimum, to
    1e-3 relative."""
    petab = pytest.importorskip("petab.v1")
    pypesto_petab = pytest.importorskip("pypesto.petab")
    yaml_path = build_petab(values=record.values).write(tmp_path)
    problem = petab.Problem.from_yaml(yaml_path)
    importer = pypesto_petab.PetabImporter(problem, simulator_type="roadrunner")
    objective = importer.create_problem().objective
    x = np.asarray(problem.x_nominal_free_scaled)
    assert objective(x) == pytest.approx(record.objective, rel=1e-3)


# ---------------------------------------------------------------------- synergy
def test_synergy_fidelity_compares_every_simulable_measured_pair() -> None:
    """One row per measured O'Neil pair the model can simulate; the agreement is the
    share of equal signs (computed here by hand as the oracle)."""
    f = synergy_fidelity(methods=("bliss",))
    expected = [
        s
        for s in synergy_values()
        if s.dataset == "oneil_deepsynergy" and s.agent_a and s.agent_b and s.context
    ]
    assert [r.id for r in f.rows] == [s.id for s in expected] and len(f.rows) >= 10
    simulated = [r.simulated["bliss"] for r in f.rows]
    assert all(v is not None and math.isfinite(v) for v in simulated)
    by_hand = np.mean([np.sign(r.measured) == np.sign(r.simulated["bliss"]) for r in f.rows])
    assert f.agreement("bliss")["sign_agreement"] == pytest.approx(by_hand)
    # each row's role follows the cell-lines problem's data selection, and the agreement
    # of a role is over its rows only
    sel = load_calibration_set().problem("cell-lines").data
    assert sel is not None
    for r in f.rows:
        assert (r.role == "held-out line") == (r.context in sel.held_out_contexts), r.id
        assert (r.role == "fitted line") == (r.context in sel.contexts), r.id
    for role in {r.role for r in f.rows}:
        rs = [r for r in f.rows if r.role == role]
        want = np.mean([np.sign(r.measured) == np.sign(r.simulated["bliss"]) for r in rs])
        got = f.agreement("bliss", role)
        assert got["n"] == len(rs) and got["sign_agreement"] == pytest.approx(want)


def test_context_sources_name_the_problem() -> None:
    """Every fitted context value says it is calibrated by the cell-lines problem."""
    for name in ("MCF7", "BT474", "MDAMB231", "SKBR3", "T47D", "MDAMB468"):
        src = load_context(name).parameters["tau_tr"].source
        assert re.match(r"calibrated: cell-lines problem", src), name


def test_validate_cells_reports_every_value_and_the_held_out_lines(tmp_path: Path) -> None:
    """Every value of the split is one row with its role; the held-out lines' rank
    agreement per drug is Spearman's rho recomputed here as the Pearson correlation of
    average ranks (pandas), with 'not reached' ranked at the top of the search range; the
    CLI prints all three roles within 80 columns."""
    import json

    import pandas as pd
    from click.testing import CliRunner

    from mtorsim.cli import main
    from mtorsim.inference.cell_validation import (
        HELD_OUT_LINE,
        POTENCY_RANGE_NM,
        validate_cell_lines,
    )

    v = validate_cell_lines()
    split = split_data()
    every = split.fitted + split.held_out + split.censored + split.held_out_lines
    assert sorted(r.id for r in v.rows) == sorted(x.id for x in every)
    lines = {x.id for x in split.held_out_lines}
    assert all((r.role == HELD_OUT_LINE) == (r.id in lines) for r in v.rows)
    checked = 0
    for a in v.agreement:
        if a.role != HELD_OUT_LINE or a.spearman is None:
            continue
        rs = [
            r
            for r in v.rows
            if (r.dataset, r.role, r.agent) == (a.dataset, a.role, a.agent) and not r.censored
        ]
        top = POTENCY_RANGE_NM[1]
        frame = pd.DataFrame(
            {
                "m": [r.measured_nM for r in rs],
                "s": [r.simulated_nM if r.simulated_nM is not None else top for r in rs],
            }
        ).rank()
        assert a.spearman == pytest.approx(frame["m"].corr(frame["s"]), abs=1e-12), a.agent
        checked += 1
    assert checked >= 2  # everolimus, sirolimus, BEZ235 have at least three lines
    out = CliRunner().invoke(main, ["pathway", "validate-cells", "--json"])
    assert out.exit_code == 0, out.output
    assert set(json.loads(out.output)["summary"]) == {"fitted", "held out", HELD_OUT_LINE}
    table = CliRunner().invoke(main, ["pathway", "validate-cells"], env={"COLUMNS": "80"})
    assert table.exit_code == 0 and f"{HELD_OUT_LINE}:" in table.output
    assert max(len(line) for line in table.output.splitlines()) <= 80
