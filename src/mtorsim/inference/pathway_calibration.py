"""Seeded calibration of the signalling model's remaining free parameters to the checks no
measured data speak to.

The network kinetics that measured readouts inform are fitted to them
(:mod:`mtorsim.inference.readout_calibration`, problem ``pathway-readouts``).  What is left
is the calibration set's ``pathway-checklist`` table: parameters of the HER2-amplification,
oestrogen-deprivation, AMPK and rapalog-4E-BP1 behaviour (checks 1, 7, 10, 11, the
problem's ``checks`` setting), for which the reference tables hold no quantitative
readout.  Every other check is validation.  The objective asks every criterion of those
checks (:mod:`mtorsim.pathway.checks`) to hold with a relative margin of at least
``target_margin`` and keeps the parameters near their starts (a ridge in log10 space), so
that a criterion is met by the smallest change rather than by pushing one parameter to a
bound::

    J(theta) = sum_i max(0, target_margin - margin_i(theta))^2
               + ridge * sum_j (log10 theta_j - log10 start_j)^2

Optimisation is pyPESTO's multistart of scipy's bounded Powell method in log10 space, from
the starts and seeded offsets around them.  The result is a record
(:class:`~mtorsim.inference.results.CalibrationResult`) written where the user asks;
nothing in the package is changed.  The Antimony source stays the one human-edited model:
to adopt new values, edit their lines (``mtorsim pathway calibrate`` prints them), and the
tests check that the shipped record and the source agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.inference.calibration_set import Problem, calibration_set_path, load_calibration_set
from mtorsim.inference.optimize import (
    file_hash,
    minimize,
    parameter_fits,
    pypesto_version,
    require_pypesto,
    start_records,
)
from mtorsim.inference.results import CalibrationResult, FitRow
from mtorsim.pathway.build import model_hash, parameter_values
from mtorsim.pathway.checks import CheckReport, run_checks
from mtorsim.pathway.simulate import PathwaySimulator, SolverFailure

#: objective where the model has no steady state in some check
PENALTY = 1e3
#: significant figures of the values reported (and written into the model source)
SIGNIFICANT = 4


class ChecklistObjective:
    """J(theta) of the module docstring on the log10 parameter vector (picklable: the
    simulator is made on first use in each process)."""

    def __init__(
        self,
        problem: Problem,
        target_margin: float,
        ridge: float,
        checks: list[str] | None = None,
    ) -> None:
        self.table = problem.table
        self.log_start = self.table.nominal_scaled()
        self.target_margin, self.ridge = target_margin, ridge
        self.checks = set(checks) if checks is not None else None
        self._sim: PathwaySimulator | None = None

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__ | {"_sim": None}

    @property
    def sim(self) -> PathwaySimulator:
        if self._sim is None:
            self._sim = PathwaySimulator()
        return self._sim

    def report(self, values: dict[str, float]) -> CheckReport | None:
        self.sim.parameters = dict(values)
        try:
            return run_checks(self.sim)
        except SolverFailure:
            return None

    def value(self, report: CheckReport | None, x: np.ndarray) -> float:
        if report is None:
            return PENALTY
        shortfall = sum(
            max(0.0, self.target_margin - c.margin) ** 2 for _, c in self.criteria(report)
        )
        return float(shortfall + self.ridge * float(np.sum((x - self.log_start) ** 2)))

    def __call__(self, x: np.ndarray) -> float:
        x = np.asarray(x, float)
        return self.value(self.report(self.table.values(x)), x)

    def criteria(self, report: CheckReport) -> list[tuple[str, Any]]:
        """The criteria in the objective (those of the problem's checks)."""
        return [(cid, c) for cid, c in report.criteria() if self.in_objective(cid)]

    def in_objective(self, check_id: str) -> bool:
        return self.checks is None or check_id in self.checks


def rounded(values: dict[str, float]) -> dict[str, float]:
    """Values to SIGNIFICANT figures (as they are written into the sources)."""
    return {k: float(f"{v:.{SIGNIFICANT}g}") for k, v in values.items()}


def calibrate_pathway(
    problem_id: str = "pathway-checklist",
    quick: bool = False,
    overrides: dict[str, Any] | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Fit the checklist problem of the calibration set (deterministic for its settings).

    ``overrides`` replace settings (``seed``, ``n_starts``, ``max_evals``, ...); ``quick``
    uses the problem's small setting; ``workers > 1`` runs starts in parallel processes.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    problem = load_calibration_set().problem(problem_id)
    if problem.kind != "pathway":
        raise MtorsimError(f"{problem_id} is a {problem.kind} problem, not a pathway problem")
    require_pypesto()
    st = problem.settings_for(quick, overrides)
    if int(st["n_starts"]) < 1 or int(st["max_evals"]) < 1:
        raise MtorsimError(
            f"calibration needs at least one start and one evaluation (got {st['n_starts']} "
            f"starts, {st['max_evals']} evaluations)"
        )
    unknown = set(problem.table.ids) - set(parameter_values())
    if unknown:
        raise MtorsimError(
            f"{calibration_set_path()}: {problem_id} names parameters the model lacks: "
            f"{sorted(unknown)}"
        )
    checks = st.get("checks")
    if checks is not None:
        from mtorsim.pathway.checks import CHECKS

        bad = sorted(set(checks) - {c.id for c in CHECKS})
        if bad:
            raise MtorsimError(f"{calibration_set_path()}: {problem_id} names no such checks {bad}")
    j = ChecklistObjective(problem, float(st["target_margin"]), float(st["ridge"]), checks)
    x_start = problem.table.nominal_scaled()
    report_start = j.report(problem.table.values(x_start))
    if report_start is None:
        raise MtorsimError("the starting parameters give no steady state in the checklist")
    f_start = j.value(report_start, x_start)
    say(f"fitting: {st['n_starts']} start(s), objective at the start {f_start:.4g}")
    options = dict(st.get("options", {})) | {"maxfev": int(st["max_evals"])}
    starts = minimize(
        j,
        problem.table,
        str(st["optimizer"]),
        options,
        int(st["n_starts"]),
        int(st["seed"]),
        float(st["start_spread_log10"]),
        workers,
    )
    for s in sorted(starts, key=lambda s: s.index):
        say(f"start {s.index + 1}/{len(starts)}: objective {s.fval:.4g} ({s.n_evals} evals)")
    # the record reports the rounded values that go into the model source
    best_x = starts[0].x if starts[0].fval < f_start else x_start
    values = rounded(problem.table.values(best_x))
    x_values = problem.table.scaled(values)
    report = j.report(values)
    if report is None:
        raise MtorsimError(
            f"the fitted values rounded to {SIGNIFICANT} figures give no steady state in the "
            "checklist; rerun with more evaluations or another seed"
        )
    before = {(cid, c.label): c for cid, c in report_start.criteria()}
    return CalibrationResult(
        problem=problem.id,
        problem_kind="pathway",
        method=f"pyPESTO {pypesto_version()} multistart of scipy {st['optimizer']} (bounded) "
        "in log10 space; objective = sum of squared shortfalls of each criterion's margin "
        "below target_margin + ridge * squared log10 distance from the start",
        parameters=parameter_fits(problem.table, values),
        objective_start=f_start,
        objective=j.value(report, x_values),
        evaluations=1 + sum(s.n_evals for s in starts) + 1,
        starts=start_records(starts),
        fit=[
            FitRow(
                name=f"{cid}: {c.label} {c.op} {c.bound:.3g}",
                target=f"{c.op} {c.bound:.3g}",
                start_value=before[(cid, c.label)].value,
                fitted_value=c.value,
                margin_start=before[(cid, c.label)].margin,
                margin=c.margin,
                met=c.met,
            )
            for cid, c in j.criteria(report)
        ],
        settings=st,
        provenance={
            "mtorsim_version": __version__,
            "model_hash": model_hash(),
            "calibration_set_hash": file_hash(calibration_set_path()),
        },
        seconds=round(time.perf_counter() - t0, 1),
    )


def model_differences(result: CalibrationResult) -> list[str]:
    """Lines of the model source whose values differ from the record (empty: in step)."""
    in_model = parameter_values()
    return [
        f"{k} = {v:.{SIGNIFICANT}g};  (the model source has {in_model.get(k)})"
        for k, v in result.values.items()
        if in_model.get(k) != v
    ]


__all__ = ["ChecklistObjective", "calibrate_pathway", "model_differences", "rounded"]
