"""The seeded calibration of the checklist-constrained parameters, and the solver fallbacks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mtorsim.errors import MtorsimError
from mtorsim.pathway import PathwaySimulator
from mtorsim.pathway.build import model_source
from mtorsim.pathway.calibrate import (
    CalibrationSpec,
    calibrate,
    calibrated_parameters,
    load_record,
    record_matches_model,
    rewrite_model_values,
)
from mtorsim.pathway.checks import Criterion, run_checks
from mtorsim.pathway.simulate import SolverFailure


def test_shipped_model_is_the_calibrated_model() -> None:
    """The model's [calibrated] values are the record's, for this very model source."""
    assert record_matches_model() == []


def test_record_margins_are_what_the_model_gives() -> None:
    """Every criterion margin in the record is reproduced by the shipped model (to 1e-3)."""
    record = load_record()
    assert record is not None
    saved = {(r["check"], r["criterion"]): r for r in record["criteria"]}
    report = run_checks()
    assert len(saved) == len(report.criteria())
    for cid, c in report.criteria():
        row = saved[(cid, c.to_dict()["criterion"])]
        assert c.margin == pytest.approx(row["margin"], abs=1e-3)
        assert c.met == row["met"]
    assert record["result"]["all_checks_pass"] is True
    assert record["result"]["objective"] < record["result"]["objective_at_start"]


def test_every_free_parameter_is_within_its_bounds() -> None:
    record = load_record()
    assert record is not None
    for k, v in record["result"]["values"].items():
        lo, hi = record["spec"]["bounds"][k]
        assert lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9), k


def test_calibration_is_deterministic_and_improves_the_objective() -> None:
    """Same spec -> identical values; the optimiser never ends above its start."""
    spec = CalibrationSpec.default(n_starts=2, max_evals=8)
    a = calibrate(spec)
    b = calibrate(spec)
    assert a.values == b.values
    assert a.objective == b.objective
    assert a.objective <= a.objective_start + 1e-12
    assert [h["objective"] for h in a.history] == [h["objective"] for h in b.history]


def test_rewrite_model_values_round_trip() -> None:
    src = model_source()
    free = calibrated_parameters(src)
    assert "f_4ebp_res" in free and "K_er_sat" in free
    new = rewrite_model_values(src, {"f_4ebp_res": 0.5, "w_lig": 0.123})
    values = calibrated_parameters(new)
    assert values["f_4ebp_res"][0] == 0.5 and values["w_lig"][0] == 0.123
    assert {k: v for k, v in values.items() if k not in ("f_4ebp_res", "w_lig")} == {
        k: v for k, v in free.items() if k not in ("f_4ebp_res", "w_lig")
    }
    with pytest.raises(MtorsimError, match="no \\[calibrated\\] line"):
        rewrite_model_values(src, {"k_s6k": 1.0})


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
