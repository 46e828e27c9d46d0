"""Calibration of the virtual-trial population parameters on a trial of the calibration
set (BOLERO-2 only, today).

Free parameters and targets are the calibration set's (``data/calibration_set.yaml``):
the population medians of the tumour growth rate ``g``, the culture-to-patient effect
scale ``lambda`` and the acquired-resistance rate ``rho`` against both arms' median PFS
and the hazard ratio of BOLERO-2's 18-month analysis::

    J(theta) = sum_k ((log sim_k(theta) - log pub_k) / se_k)^2

with ``se`` of the HR from its CI and the set's stated SE for the medians.  Simulation
noise is handled with common random numbers: the same seeded virtual cohorts are re-used
for every evaluation, and only the tumour course is recomputed on their cached drug
effects (:class:`~mtorsim.trials.engine.Drive`).  The optimiser is pyPESTO's wrapper of
scipy's Nelder-Mead in log10 space with a seeded multistart (the set's start first);
uncertainty comes from a parametric bootstrap: the targets are redrawn from their
sampling distributions and the fit repeated from the optimum.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

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
from mtorsim.knowledge import names as N
from mtorsim.knowledge.base import load_knowledge_base
from mtorsim.pathway.build import model_hash
from mtorsim.response.cells import CellResponseModel
from mtorsim.trials.design import Design, load_design
from mtorsim.trials.engine import Drive, drive, effect_models, outcome
from mtorsim.trials.patients import VirtualPatient, sample_patient
from mtorsim.trials.stats import cox_hazard_ratio, km_summary
from mtorsim.tumour.model import PATIENT_FIELD, PopulationTumour, load_tumour_population

#: parameter-id prefix of the tumour population medians
TUMOUR_PREFIX = "tumour."
#: objective where the simulation gives no usable statistic
PENALTY = 1e6


@dataclass(frozen=True)
class ResolvedTarget:
    name: str
    value: float
    se_log: float
    outcome_id: str
    se_source: str


def resolve_targets(problem: Problem) -> list[ResolvedTarget]:
    """The problem's targets with their published values from the knowledge base."""
    kb = load_knowledge_base()
    by_id = {o.id: o for o in kb.outcomes}
    out = []
    for t in problem.targets:
        if t.outcome is None or t.outcome not in by_id:
            raise MtorsimError(
                f"{calibration_set_path()}: problem {problem.id}, target {t.name}: unknown "
                f"knowledge-base outcome {t.outcome!r}"
            )
        o = by_id[t.outcome]
        if o.value is None or o.value <= 0:
            raise MtorsimError(f"outcome {o.id} has no positive value to calibrate to")
        if t.se_log is not None:
            se, src = t.se_log.value, t.se_log.source
        elif o.ci_low is not None and o.ci_high is not None:
            se = (math.log(o.ci_high) - math.log(o.ci_low)) / (2 * 1.959964)
            src = "from the published 95% CI"
        else:
            raise MtorsimError(f"target {t.name}: give se_log (outcome {o.id} has no CI)")
        out.append(ResolvedTarget(t.name, float(o.value), se, o.id, src))
    return out


def tumour_medians(values: dict[str, float]) -> dict[str, float]:
    """Tumour population medians from calibration parameter ids (``tumour.<name>``)."""
    out = {}
    for k, v in values.items():
        if not k.startswith(TUMOUR_PREFIX) or k[len(TUMOUR_PREFIX) :] not in PATIENT_FIELD:
            allowed = ", ".join(TUMOUR_PREFIX + f for f in PATIENT_FIELD)
            raise MtorsimError(f"trial calibrations fit tumour medians ({allowed}), not {k!r}")
        out[k[len(TUMOUR_PREFIX) :]] = v
    return out


@dataclass
class Cohort:
    """One seeded virtual cohort with its drug effects cached (common random numbers)."""

    design: Design
    patients: list[VirtualPatient]
    drives: list[Drive]
    base: PopulationTumour

    @staticmethod
    def build(
        design: Design, n: int, seed: int, base: PopulationTumour, cells: CellResponseModel
    ) -> Cohort:
        effects = effect_models(design, cells)
        pts = [sample_patient(design, i, seed, base) for i in range(n)]
        cr = base.cr_threshold_mm.value
        drives = [drive(design, p, effects[p.arm], cr, stop_at_progression=False) for p in pts]
        return Cohort(design, pts, drives, base)

    def frame(self, medians: dict[str, float]) -> pd.DataFrame:
        """Per-patient results with the population medians replaced (same random draws)."""
        rows = []
        cr = self.base.cr_threshold_mm.value
        for pt, drv in zip(self.patients, self.drives, strict=True):
            upd = {
                PATIENT_FIELD[k]: getattr(pt.tumour, PATIENT_FIELD[k])
                * v
                / getattr(self.base, k).median
                for k, v in medians.items()
            }
            p2 = dataclasses.replace(pt, tumour=dataclasses.replace(pt.tumour, **upd))
            rows.append(outcome(self.design, p2, drv, cr).row())
        return pd.DataFrame(rows)


def summary_stats(design: Design, frame: pd.DataFrame) -> dict[str, float]:
    """Each arm's KM median PFS (``median_pfs:<arm>``) and the primary HR."""
    out = {}
    for arm in design.arms:
        sub = frame[frame[N.ARM] == arm.id]
        med = km_summary(sub[N.PFS_MONTHS].to_numpy(), sub[N.EVENT].to_numpy())["median"]
        out[f"median_pfs:{arm.id}"] = float(med) if med is not None else float("nan")
    if design.experimental and design.control:
        strata = [f"{N.STRATUM}{f.name}" for f in design.stratification]
        try:
            hr = cox_hazard_ratio(frame, design.experimental, design.control, strata)
            out[N.HAZARD_RATIO] = hr["hazard_ratio"]
        except ValueError:  # lifelines' ConvergenceError: no usable HR at these values
            out[N.HAZARD_RATIO] = float("nan")
    return out


class TrialObjective:
    """J(theta) on the scaled parameter vector, over common-random-number cohorts.

    Cohorts are built on first use and shared by every evaluation; with parallel starts
    they travel to the worker processes with the objective.
    """

    def __init__(
        self,
        problem: Problem,
        n_patients: int,
        seeds: tuple[int, ...],
        targets: list[ResolvedTarget],
        values: dict[str, float] | None = None,
    ) -> None:
        self.problem = problem
        self.n_patients, self.seeds = n_patients, seeds
        self.targets = targets
        self.values = values or {t.name: t.value for t in targets}
        self.table = problem.table
        self._cohorts: list[Cohort] | None = None

    def with_values(self, values: dict[str, float]) -> TrialObjective:
        """The same objective (and cohorts) against other target values (bootstrap)."""
        other = TrialObjective(self.problem, self.n_patients, self.seeds, self.targets, values)
        other._cohorts = self.cohorts
        return other

    @property
    def cohorts(self) -> list[Cohort]:
        if self._cohorts is None:
            assert self.problem.design is not None
            design = load_design(self.problem.design)
            base, cells = load_tumour_population(), CellResponseModel()
            self._cohorts = [
                Cohort.build(design, self.n_patients, s, base, cells) for s in self.seeds
            ]
        return self._cohorts

    def simulated(self, x: np.ndarray) -> dict[str, float]:
        """Mean over cohorts of each target statistic (geometric mean; NaN if unusable)."""
        med = tumour_medians(self.table.values(x))
        sims = [summary_stats(c.design, c.frame(med)) for c in self.cohorts]
        out = {}
        for t in self.targets:
            vals = np.array([s[t.name] for s in sims], float)
            ok = bool(np.all(np.isfinite(vals)) and np.all(vals > 0))
            out[t.name] = float(np.exp(np.mean(np.log(vals)))) if ok else float("nan")
        return out

    def __call__(self, x: np.ndarray) -> float:
        sim = self.simulated(np.asarray(x, float))
        total = 0.0
        for t in self.targets:
            if not math.isfinite(sim[t.name]):
                return PENALTY
            total += ((math.log(sim[t.name]) - math.log(self.values[t.name])) / t.se_log) ** 2
        return total


def _settings(problem: Problem, quick: bool, overrides: dict[str, Any] | None) -> dict[str, Any]:
    st = problem.settings_for(quick, overrides)
    n, seeds = int(st["n_patients"]), tuple(int(s) for s in st["cohort_seeds"])
    if n < 20 or not seeds or int(st["max_evals"]) < 1 or int(st["bootstrap"]) < 0:
        raise MtorsimError(
            "calibration needs at least 20 patients per cohort, one seed, one optimiser "
            f"evaluation and a bootstrap count >= 0 (got {n} patients, seeds {list(seeds)}, "
            f"{st['max_evals']} evaluations, bootstrap {st['bootstrap']})"
        )
    if int(st["n_starts"]) < 1:
        raise MtorsimError(f"calibration needs at least one start, got {st['n_starts']}")
    return st


def calibrate_trial(
    problem_id: str = "bolero-2",
    quick: bool = False,
    overrides: dict[str, Any] | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Fit a trial problem of the calibration set (deterministic for given settings).

    ``overrides`` replace settings (``n_patients``, ``cohort_seeds``, ``n_starts``,
    ``max_evals``, ``bootstrap``, ...); ``quick`` uses the problem's small setting;
    ``workers > 1`` runs the starts in parallel processes (same result).
    """
    t_start = time.perf_counter()
    say = progress or (lambda _m: None)
    require_pypesto()
    problem = load_calibration_set().problem(problem_id)
    if problem.kind != "trial":
        raise MtorsimError(f"{problem_id} is a {problem.kind} problem, not a trial problem")
    st = _settings(problem, quick, overrides)
    targets = resolve_targets(problem)
    seeds = tuple(int(s) for s in st["cohort_seeds"])
    j = TrialObjective(problem, int(st["n_patients"]), seeds, targets)
    say(f"building {len(seeds)} cohort(s) of {st['n_patients']} patients")
    x_start = problem.table.nominal_scaled()
    j_start = j(x_start)
    sim_start = j.simulated(x_start)
    say(f"fitting: {st['n_starts']} start(s), objective at the set's start {j_start:.4g}")
    method = str(st["optimizer"])
    options = dict(st.get("options", {})) | {"maxfev": int(st["max_evals"])}
    starts = minimize(
        j,
        problem.table,
        method,
        options,
        int(st["n_starts"]),
        int(st["seed"]),
        float(st["start_spread_log10"]),
        workers,
    )
    best = starts[0]
    say(f"best objective {best.fval:.4g}; bootstrap of the targets ({st['bootstrap']} refits)")
    rng = np.random.default_rng(int(st["bootstrap_seed"]))
    boot = []
    evaluations = 2 + sum(s.n_evals for s in starts)  # + the start and the fit reported
    for b in range(int(st["bootstrap"])):
        drawn = {t.name: t.value * math.exp(t.se_log * rng.standard_normal()) for t in targets}
        refit = minimize(
            j.with_values(drawn),
            problem.table,
            method,
            dict(st.get("options", {})) | {"maxfev": int(st["bootstrap_evals"])},
            1,
            int(st["seed"]),
            0.0,
            guesses=[best.x],
        )
        boot.append(refit[0].x)
        evaluations += refit[0].n_evals
        say(f"bootstrap {b + 1}/{st['bootstrap']}")
    sd = list(np.std(np.asarray(boot), axis=0, ddof=1)) if len(boot) > 1 else None
    sim_fit = j.simulated(best.x)
    fitted = problem.table.values(best.x)
    design = load_design(str(problem.design))
    tumour = load_tumour_population()
    return CalibrationResult(
        problem=problem.id,
        problem_kind="trial",
        method=f"pyPESTO {pypesto_version()} multistart of scipy {method} in the table's "
        "scale (log10); common random numbers; parametric bootstrap of the targets",
        parameters=parameter_fits(problem.table, fitted, sd),
        objective_start=float(j_start),
        objective=best.fval,
        evaluations=evaluations,
        starts=start_records(starts),
        fit=[
            FitRow(
                name=t.name,
                target=t.value,
                start_value=sim_start[t.name],
                fitted_value=sim_fit[t.name],
                se_log=t.se_log,
                source=f"{t.outcome_id} (SE {t.se_source})",
            )
            for t in targets
        ],
        settings=st,
        provenance={
            "mtorsim_version": __version__,
            "model_hash": model_hash(),
            "design": design.id,
            "design_hash": design.digest(),
            "calibration_set_hash": file_hash(calibration_set_path()),
            "tumour_file_cvs": {k: getattr(tumour, k).cv for k in PATIENT_FIELD},
        },
        seconds=round(time.perf_counter() - t_start, 1),
    )


__all__ = [
    "Cohort",
    "ResolvedTarget",
    "TrialObjective",
    "calibrate_trial",
    "resolve_targets",
    "summary_stats",
    "tumour_medians",
]
