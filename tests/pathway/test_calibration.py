"""The pathway calibration (pyPESTO, seeded multistart) and its shipped record, the
checklist margins, and the steady-state solver fallbacks."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from mtorsim.inference import calibrate_pathway, load_calibration, load_calibration_set
from mtorsim.inference.pathway_calibration import model_differences
from mtorsim.pathway import PathwaySimulator
from mtorsim.pathway.build import model_source, parameter_values
from mtorsim.pathway.checks import Criterion, run_checks
from mtorsim.pathway.simulate import SolverFailure


def test_shipped_model_holds_the_shipped_record_values() -> None:
    """The Antimony source (read through libsbml) holds exactly the values of the shipped
    pathway calibration record."""
    rec = load_calibration("pathway-checklist")
    assert model_differences(rec) == []
    values = parameter_values()
    for k, v in rec.values.items():
        assert values[k] == v


def test_every_calibrated_context_value_is_in_the_calibration_set() -> None:
    """A context parameter whose source says 'calibrated' is listed in the calibration set
    (as context.<context>.<parameter>), so the set names everything that is fitted."""
    from mtorsim.pathway import list_contexts

    listed = {r.id for p in load_calibration_set().problems for r in p.parameters}
    for ctx in list_contexts():
        for k, v in ctx.parameters.items():
            if v.source.startswith("calibrated"):
                assert f"context.{ctx.name}.{k}" in listed, (ctx.name, k)


def test_checklist_labels_are_the_checklist_problem() -> None:
    """Every parameter the model source labels [calibrated: check N] is a free parameter of
    the checklist problem, and nothing else is (the readout problem has its own test)."""
    labelled = set(re.findall(r"^\s*(\w+)\s*=.*\[calibrated: check", model_source(), re.MULTILINE))
    free = set(load_calibration_set().problem("pathway-checklist").table.ids)
    assert labelled == free and len(free) == 7


def test_record_margins_are_what_the_model_gives() -> None:
    """Every criterion margin in the record is reproduced by the shipped model (to 1e-9:
    the record was computed at the rounded values the model holds)."""
    rec = load_calibration("pathway-checklist")
    saved = {r.name: r for r in rec.fit}
    report = run_checks()
    fitted = [(cid, c) for cid, c in report.criteria() if cid in rec.settings["checks"]]
    assert len(saved) == len(fitted) and len(rec.settings["checks"]) == 4
    for cid, c in fitted:
        row = saved[f"{cid}: {c.label} {c.op} {c.bound:.3g}"]
        assert c.margin == pytest.approx(row.margin, abs=1e-9)
        assert c.met == row.met
    assert rec.passed and rec.objective < rec.objective_start


def test_every_free_parameter_is_within_its_bounds() -> None:
    rec = load_calibration("pathway-checklist")
    for p in rec.parameters:
        assert p.lower * (1 - 1e-9) <= p.fitted <= p.upper * (1 + 1e-9), p.id


def test_calibration_is_deterministic_and_improves_the_objective() -> None:
    """Same settings -> identical values and start histories (seeded starts); the best
    start never ends above the calibration set's start."""
    a = calibrate_pathway(overrides={"n_starts": 2, "max_evals": 8})
    b = calibrate_pathway(overrides={"n_starts": 2, "max_evals": 8})
    assert a.values == b.values
    assert a.objective == b.objective
    assert [s.objective for s in a.starts] == [s.objective for s in b.starts]
    assert [s.x0 for s in a.starts] == [s.x0 for s in b.starts]
    assert a.objective < a.objective_start  # 8 Powell evaluations improve on the start
    # the first start is the set's nominal start; the second a seeded offset within 0.3
    x0 = {s.start: np.array(s.x0) for s in a.starts}
    nominal = load_calibration_set().problem("pathway-checklist").table.nominal_scaled()
    assert np.allclose(x0[0], nominal) and 0 < np.max(np.abs(x0[1] - nominal)) <= 0.3


def test_criterion_margins() -> None:
    assert Criterion("x", 0.9, ">=", 0.8).margin == pytest.approx(0.125)
    assert Criterion("x", 0.02, "<", 0.05).margin == pytest.approx(0.3)  # scale floor 0.1
    assert not Criterion("x", 1.0, "<", 1.0).met
    assert Criterion("x", 1.0, "<=", 1.0).met


class _NoSolver:
    """A RoadRunner stand-in whose steady-state solver always fails."""

    def __init__(self, rr: Any) -> None:
        object.__setattr__(self, "_rr", rr)

    def steadyState(self) -> float:
        raise RuntimeError("solver failed (test)")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rr, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._rr, name, value)

    def __getitem__(self, key: str) -> Any:
        return self._rr[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._rr[key] = value


def test_steady_state_falls_back_to_long_simulation() -> None:
    """When the solver fails, a long simulation gives the same steady state (rtol 1e-5)."""
    ref = PathwaySimulator().steady_state("MCF7", {"everolimus": 10.0})
    sim = PathwaySimulator()
    sim._rr = _NoSolver(sim._rr)
    got = sim.steady_state("MCF7", {"everolimus": 10.0})
    assert got.provenance["method"] == "long simulation"
    np.testing.assert_allclose(
        [got[k] for k in ref.readouts], [ref[k] for k in ref.readouts], rtol=1e-5, atol=1e-9
    )


def test_steady_state_failure_is_a_typed_error() -> None:
    """No solver and too short a simulation: SolverFailure names the scenario and the rate."""
    sim = PathwaySimulator()
    sim._rr = _NoSolver(sim._rr)
    sim.pre_time_min, sim.fallback_time_min = 1.0, 2.0
    with pytest.raises(SolverFailure, match=r"no steady state for context MCF7 with everolimus"):
        sim.steady_state("MCF7", {"everolimus": 10.0})
