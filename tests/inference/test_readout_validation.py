"""The model's time courses against measured pathway readouts (Hill 2017 RPPA, MCF-7)."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from mtorsim.inference.readout_validation import READOUT_MAP, validate_readouts
from mtorsim.inference.reference import pathway_readouts
from mtorsim.pathway.simulate import PathwaySimulator


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return validate_readouts()


def test_every_usable_measured_readout_is_compared(result) -> None:  # type: ignore[no-untyped-def]
    usable = [
        r
        for r in pathway_readouts()
        if r["context"] == "MCF7"
        and r["readout"] in READOUT_MAP
        and r["id"].startswith("hill2017_mcf7_")
        and float(r["time_h"]) > 0
    ]
    # two inhibitors x 7 antibodies x 4 times
    assert len(usable) == 56
    assert {r.id for r in result.rows} == {r["id"] for r in usable}
    assert all(r.measured > 0 and math.isfinite(r.simulated) for r in result.rows)


def test_long_time_course_matches_the_steady_state_solver(result) -> None:  # type: ignore[no-untyped-def]
    # a second engine: the steady-state solver against 20 days of integration (the
    # slowest relaxations, IRS-1 turnover and RTK re-expression, have half-times of
    # hours to a day or two at the fit); 2% relative
    sim = PathwaySimulator()
    for agent, nM in {(r.agent, r.nM) for r in result.rows}:
        tc = sim.time_course("MCF7", {agent: nM}, t_end_min=20 * 1440.0, n_points=3)
        ss = sim.steady_state("MCF7", {agent: nM}).readouts
        for name in set(READOUT_MAP.values()):
            assert tc.readouts[name][-1] == pytest.approx(ss[name], rel=0.02, abs=1e-6)


def test_fold_is_read_through_the_fitted_compression(result) -> None:  # type: ignore[no-untyped-def]
    # simulated = (model / untreated) ** gamma, recomputed here from a fresh time course
    import numpy as np

    sim = PathwaySimulator()
    base = sim.steady_state("MCF7", {}).readouts
    # AZD8055 as PP242 (the knowledge base's potency: the ordinary drug path applies)
    r = next(r for r in result.rows if r.time_h == 24.0 and r.agent == "pp242")
    tc = sim.time_course("MCF7", {r.agent: r.nM}, t_end_min=24 * 60.0, n_points=25)
    fold = float(np.asarray(tc.readouts[r.model_readout])[-1]) / base[r.model_readout]
    assert r.simulated == pytest.approx(fold**r.gamma, rel=1e-6)
    assert 0.5 <= r.gamma <= 1.0


def test_published_magnitudes_are_measured_spans(result) -> None:  # type: ignore[no-untyped-def]
    """Each rapalog magnitude's span is recomputed here from the reference CSV with the csv
    module (a second reading), the model's value from fresh steady states, and 'inside'
    from the two; the pAkt S473 spans are the published ones (Korkut 2015 sheet 'Protein
    Data', Tm|0.3 and Tm|0.6: 2.399 and 3.187; Mukherjee 2022 'FC all', everolimus, six
    TNBC lines: 0.839 (MDA-MB-231) to 1.611 (HDQP-1))."""
    import csv

    from mtorsim.inference.readout_validation import PUBLISHED
    from mtorsim.inference.reference import reference_dir

    with open(reference_dir() / "pathway_readouts.csv", encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    sim = PathwaySimulator()
    by_name = {q.name: q for q in result.published}
    assert set(by_name) == set(PUBLISHED) and len(by_name) == 6
    for name, spec in PUBLISHED.items():
        dataset, readouts, left_out = spec["rows"]
        folds = [
            float(r["fold_change"])
            for r in table
            if r["id"].split("_")[0] == dataset
            and r["readout"] in readouts
            and r["cell_line"].split(" ")[0] not in left_out
        ]
        q = by_name[name]
        assert (q.low, q.high) == (min(folds), max(folds)), name
        ctx, drugs, readout = spec["model"]
        v = (
            sim.steady_state(ctx, drugs).readouts[readout]
            / sim.steady_state(ctx, {}).readouts[readout]
        )
        assert q.simulated == pytest.approx(v, rel=1e-6)
        assert q.inside == (min(folds) <= v <= max(folds))
    assert (by_name["pAkt S473 fold, MCF7 / melanoma"].low,) == (2.399,)
    assert by_name["pAkt S473 fold, MCF7 / melanoma"].high == 3.187
    assert (by_name["pAkt S473 fold, MDAMB231 / TNBC"].low,) == (0.839,)
    assert by_name["pAkt S473 fold, MDAMB231 / TNBC"].high == 1.611


def test_held_out_her3_is_read_from_the_rtk_expression(result) -> None:  # type: ignore[no-untyped-def]
    """Total HER3 (never fitted) beside the model's RTK expression: 2 drugs x 4 times, the
    fold over the untreated steady state recomputed here for AZD8055 at 48 h."""
    assert len(result.held_out) == 8
    assert {r.model_readout for r in result.held_out} == {"RTK_exp"}
    from mtorsim.inference import load_calibration

    fitted_ids = {row.source for row in load_calibration("pathway-readouts").fit}
    assert not fitted_ids & {r.id for r in result.held_out}
    r = next(r for r in result.held_out if r.agent == "pp242" and r.time_h == 48.0)
    sim = PathwaySimulator()
    tc = sim.time_course(
        "MCF7", {"pp242": r.nM}, t_end_min=48 * 60.0, n_points=3, extra=["RTK_exp"]
    )
    fold = tc.readouts["RTK_exp"][-1] / tc.readouts["RTK_exp"][0]
    assert r.simulated == pytest.approx(fold**r.gamma, rel=1e-6)


def test_validation_checks_are_in_no_objective(result) -> None:  # type: ignore[no-untyped-def]
    """The checks reported as validation are not among the criteria the shipped checklist
    record was fitted to, and the readout record is fitted to readouts only."""
    from mtorsim.inference import load_calibration

    fitted = {row.name.split(":")[0] for row in load_calibration("pathway-checklist").fit}
    assert fitted == set(result.fitted_checks) and len(fitted) == 4
    validation = {c["id"] for c in result.checklist["checks"]} - fitted
    assert len(validation) == 8
    readout_rows = load_calibration("pathway-readouts").fit
    assert all(row.source.startswith("hill2017_mcf7_") for row in readout_rows)


def test_cli_validate_readouts_json_and_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mtorsim.cli import main

    png = tmp_path / "r.png"
    out = CliRunner().invoke(main, ["pathway", "validate-readouts", "--json", "--plot", str(png)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert len(data["rows"]) == 56 and data["checklist"]["n_checks"] == 12
    assert png.stat().st_size > 10_000
    table = CliRunner().invoke(main, ["pathway", "validate-readouts"], env={"COLUMNS": "80"})
    assert table.exit_code == 0
    assert max(len(line) for line in table.output.splitlines()) <= 80
    assert "validation checks:" in table.output


def test_record_loads_back(result, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mtorsim.inference.readout_validation import ReadoutValidation

    path = result.save(tmp_path / "readouts.json")
    back = ReadoutValidation.load(path)
    assert back == result
    assert len(back.to_frame()) == len(result.rows)


def test_held_out_lines_are_predicted_never_fitted(result) -> None:  # type: ignore[no-untyped-def]
    """The experiment's other lines (UACC812, BT20, BT549) are in no objective: the readout
    objective holds only the fitted line's rows, and every held-out row is compared, 2
    drugs x 7 antibodies x 4 times per line."""
    from mtorsim.inference import load_calibration, load_calibration_set
    from mtorsim.inference.readout_calibration import ReadoutObjective

    problem = load_calibration_set().problem("pathway-readouts")
    assert problem.data is not None
    held = problem.data.held_out_contexts
    assert set(held) == {"UACC812", "BT20", "BT549"} and problem.data.contexts == ["MCF7"]
    j = ReadoutObjective(problem, 0.5, 1.0)
    assert {r["context"] for r, _ in j.rows} == {"MCF7"}
    fitted_ids = {row.source for row in load_calibration("pathway-readouts").fit}
    for line in held:
        rows = [r for r in result.predicted if r.context == line]
        usable = [
            r
            for r in pathway_readouts()
            if r["context"] == line and r["readout"] in READOUT_MAP and float(r["time_h"]) > 0
        ]
        assert len(rows) == len(usable) == 56
        assert not fitted_ids & {r.id for r in rows}


def test_a_held_out_prediction_is_simulated_in_its_own_context(result) -> None:  # type: ignore[no-untyped-def]
    """BT549 (PTEN-null) at 24 h, recomputed from fresh time courses in its own context
    with the experiment's parameters read from the shipped readout record (not from the
    row): AZD8055 as PP242 at its fitted dose, and dactolisib at its fitted dose with the
    experiment's fitted p110alpha potency (slot = dose x K_slot / K_agent, the mTOR slot at
    the knowledge base's potency), each fold through the fitted compression.  The
    PTEN-null context gives another fold than MCF7's for the same row."""
    import numpy as np

    from mtorsim.inference import load_calibration
    from mtorsim.inference.readout_calibration import BEZ_PI3K, DRUGS, GAMMA
    from mtorsim.knowledge.base import load_knowledge_base
    from mtorsim.pathway.drugs import agent_slots, slot_reference_nM

    fitted = load_calibration("pathway-readouts").values
    gamma = fitted[GAMMA]
    sim = PathwaySimulator()
    ref = slot_reference_nM()
    bez = agent_slots(load_knowledge_base().agent("nvp-bez235"))
    for first, readout in (("azd8055", "pAkt S473"), ("dactolisib", "pS6K1 T389")):
        agent, dose_id = DRUGS[first]
        nM = fitted[dose_id]
        r = next(
            r
            for r in result.predicted
            if r.context == "BT549"
            and r.agent == agent
            and r.time_h == 24.0
            and r.readout == readout
        )
        if agent == "pp242":
            kw: dict = {"drugs": {agent: nM}}
        else:
            slots = {k: nM * ref[k] / v for k, v in bez.items()}
            slots["C_pi3k_atp"] = nM * ref["C_pi3k_atp"] / fitted[BEZ_PI3K]
            kw = {"slots": slots}
        base = sim.steady_state("BT549", {}).readouts[r.model_readout]
        tc = sim.time_course("BT549", t_end_min=24 * 60.0, n_points=25, **kw)
        fold = float(np.asarray(tc.readouts[r.model_readout])[-1]) / base
        assert r.simulated == pytest.approx(fold**gamma, rel=1e-6), first
        mcf7 = next(
            m for m in result.rows if (m.drug, m.readout, m.time_h) == (r.drug, r.readout, 24.0)
        )
        assert abs(math.log(mcf7.simulated / r.simulated)) > 0.01, first


def test_prediction_summary_recomputed_by_hand(result) -> None:  # type: ignore[no-untyped-def]
    """Every number of the held-out summary, for each line and for all together,
    recomputed here: the baselines from the reference table itself ('MCF7 data': MCF7's
    measured fold for the same drug, antibody and time; 'no change': fold 1), the model's
    error and the model-in-MCF7 baseline from the compared rows, and the direction
    agreement with its own rule (a fold within 10% of 1 is 'no change')."""
    import numpy as np

    table = [r for r in pathway_readouts() if r["readout"] in READOUT_MAP and r["fold_change"]]

    def key(drug: str, readout: str, t: float) -> tuple[str, str, float]:
        return drug, readout, float(t)

    mcf7 = {
        key(r["drug"], r["readout"], r["time_h"]): float(r["fold_change"])
        for r in table
        if r["context"] == "MCF7"
    }
    model_mcf7 = {key(m.drug, m.readout, m.time_h): m.simulated for m in result.rows}
    by_id = {r["id"]: float(r["fold_change"]) for r in table}

    def direction(v: float) -> int:
        return 0 if 1 / 1.1 < v < 1.1 else (1 if v > 1 else -1)

    summary = {s["context"]: s for s in result.prediction_summary()}
    lines = sorted({r.context for r in result.predicted})
    assert set(summary) == {*lines, "all"}
    for name in [*lines, "all"]:
        rows = [r for r in result.predicted if name in ("all", r.context)]
        measured = [r.measured for r in rows]
        keys = [key(r.drug, r.readout, r.time_h) for r in rows]
        # the measured folds the summary used are the table's own
        assert measured == [by_id[r.id] for r in rows]
        want = {
            "n": len(rows),
            "median_abs_log2_error": np.median(
                [abs(math.log2(r.simulated / r.measured)) for r in rows]
            ),
            "no_change": np.median([abs(math.log2(v)) for v in measured]),
            "measured_fitted_line": np.median(
                [abs(math.log2(mcf7[k] / v)) for k, v in zip(keys, measured, strict=True)]
            ),
            "model_fitted_line": np.median(
                [abs(math.log2(model_mcf7[k] / v)) for k, v in zip(keys, measured, strict=True)]
            ),
            "direction_agreement": np.mean(
                [direction(r.simulated) == direction(r.measured) for r in rows]
            ),
        }
        for field, value in want.items():
            assert summary[name][field] == pytest.approx(value, rel=1e-12), (name, field)
    assert summary["all"]["n"] == 168


def test_cell_line_contexts_follow_one_rule_per_alteration() -> None:
    """Every cell-line context (not the derived resistance states) sets its parameters from
    its genotype by the same rule, so a held-out line is not tuned: ERBB2 amplification ->
    HER2_level 8, EGFR amplification -> EGFR_level 8, PTEN loss / low -> PTEN_level 0 / 0.2,
    PIK3CA E545K / H1047R / K111N -> gain 2.0 / 2.5 / 1.3, ER-negative -> ER_level 0.

    The genotype labels are read from the cited sources as: 'PTEN loss' for a homozygous
    deletion or inactivation of both alleles (truncating, or phosphatase-dead with a
    truncation: CAMA1 D92H + F278fs), 'PTEN low' for one driver missense with reduced
    protein (ZR751 L108R, RPPA -1.26); a deletion call contradicted by detected protein is
    not followed (BT20).  This test checks the labels -> parameters step, not the reading."""
    from mtorsim.pathway import list_contexts

    derived = {"BT474_TR", "MCF7_LTED"}
    gain = {"PIK3CA E545K": 2.0, "PIK3CA H1047R": 2.5, "PIK3CA K111N": 1.3}
    for ctx in list_contexts():
        if ctx.name in derived:
            continue
        v, g = ctx.values(), set(ctx.genotype)
        assert v.get("HER2_level", 1.0) == (8.0 if "ERBB2 amplification" in g else 1.0), ctx.name
        assert (v.get("EGFR_level", 1.0) == 8.0) == ("EGFR amplification" in g), ctx.name
        pten = 0.0 if "PTEN loss" in g else 0.2 if "PTEN low" in g else 1.0
        assert v.get("PTEN_level", 1.0) == pten, ctx.name
        want = max([gain[m] for m in g if m in gain], default=1.0)
        assert v.get("PIK3CA_gain", 1.0) == want, ctx.name
        er_positive = "ER+" in [
            str(s.value) if hasattr(s, "value") else str(s) for s in ctx.subtype
        ]
        assert (v.get("ER_level", 1.0) > 0) == er_positive, ctx.name
