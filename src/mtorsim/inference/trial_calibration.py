"""Calibration of the virtual-trial population parameters on the trials of the
calibration set: BOLERO-2 and trials that gave no mTOR inhibitor.

Free parameters and targets are the calibration set's (``data/calibration_set.yaml``):
tumour-population parameters (medians, class links, endocrine-trait factors and their
restoration by mTORC1 inhibition, setting growth factors and survival after progression;
:meth:`PopulationTumour.with_parameters`) against the published PFS and OS medians,
hazard ratios and rates of several designs::

    J(theta) = sum_medians,HR (log sim - log pub)^2 / (se_log^2 + se_sim^2)
             + sum_rates ((sim - pub) / se)^2,   se^2 = p (1 - p) (1/n_pub + 1/n_sim)

with ``se_log`` of an HR from its CI and the set's stated SE for medians, ``se_sim`` the
simulated trial's own sampling SE (log median: 1/sqrt(events); log HR: sqrt(1/d1 + 1/d2),
the large-sample forms), and a rate's SE binomial in both the published and the
simulated trial: simulation noise is counted, not ignored. The same seeded virtual
cohorts are re-used for every evaluation (common random numbers): only the tumour course
is recomputed on their cached drug effects (:class:`~mtorsim.trials.engine.Drive`). The
optimiser is pyPESTO's wrapper of scipy in the table's scale with a seeded multistart
(the set's start first).  Uncertainty is the Gauss-Newton (Laplace) covariance of the
standardised residuals at the fit, inflated by the Birge ratio when the fit is worse than
its errors (:func:`gauss_newton_ensemble`); seeded draws from it are kept in the record as
an ensemble that runs draw parameter sets from.
"""

from __future__ import annotations

import dataclasses
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.inference.calibration_set import (
    ParameterTable,
    Problem,
    calibration_set_path,
    check_calibration_set,
    load_calibration_set,
)
from mtorsim.inference.optimize import (
    file_hash,
    minimize,
    parameter_fits,
    pypesto_version,
    require_pypesto,
    start_records,
)
from mtorsim.inference.results import CalibrationResult, FitRow
from mtorsim.inference.uncertainty import gauss_newton_ensemble
from mtorsim.knowledge import names as N
from mtorsim.pathway.build import model_hash
from mtorsim.response.cells import CellResponseModel
from mtorsim.trials.analysis import arm_summary, compare, published_values
from mtorsim.trials.design import Design, load_design
from mtorsim.trials.engine import Drive, drive, effect_models, outcome
from mtorsim.trials.patients import VirtualPatient, sample_patient
from mtorsim.trials.results import PublishedValue
from mtorsim.tumour.model import (
    PATIENT_FIELD,
    PopulationTumour,
    TumourModel,
    load_tumour_population,
    rescaled,
)

#: parameter-id prefix of the tumour population parameters
TUMOUR_PREFIX = "tumour."
#: objective where the simulation gives no usable statistic
PENALTY = 1e6
#: rates are clipped to this range for their binomial SE (no SE of zero)
RATE_FLOOR = 0.02
#: endpoint -> (key in the published results, statistic kind)
_KIND = {
    "pfs_median": (N.PFS_MEDIAN, "log"),
    "os_median": (N.OS_MEDIAN, "log"),
    "hazard_ratio": (N.HAZARD_RATIO, "log"),
    "ORR": (N.ORR, "rate"),
    "CBR": (N.CBR, "rate"),
    "RESPONSE_AT": (N.RESPONSE_AT, "rate"),
}


@dataclass(frozen=True)
class ResolvedTarget:
    """A target with its published value: ``kind`` 'log' (median, HR: ``se`` on the
    log scale) or 'rate' (fraction 0-1, binomial in ``n`` published patients)."""

    name: str
    design: str
    endpoint: str
    where: str
    value: float
    kind: str
    se: float
    n: int | None
    source: str

    def residual(self, sim: float, n_sim: int, se_sim: float = 0.0) -> float:
        """Standardised residual of a simulated value (``n_sim`` simulated patients;
        ``se_sim`` the simulated log statistic's own SE)."""
        if self.kind == "log":
            return (math.log(sim) - math.log(self.value)) / math.hypot(self.se, se_sim)
        p = min(max(self.value, RATE_FLOOR), 1.0 - RATE_FLOOR)
        assert self.n is not None
        se = math.sqrt(p * (1 - p) * (1.0 / self.n + 1.0 / max(n_sim, 1)))
        return (sim - self.value) / se


def resolve_targets(problem: Problem) -> list[ResolvedTarget]:
    """The problem's targets with their published values (the designs' published
    results: knowledge base or design file)."""
    out = []
    for t in problem.targets:
        if t.design is None or t.endpoint is None:
            raise MtorsimError(f"{calibration_set_path()}: {problem.id}: {t.label} has no design")
        d = load_design(t.design)
        pub = published_values(d)
        key, kind = _KIND[t.endpoint]
        where = str(t.arm or t.comparison)
        pv: PublishedValue | None
        if t.value is not None:
            pv = PublishedValue(value=t.value.value, endpoint=t.endpoint, source=t.value.source)
        elif t.endpoint == "hazard_ratio":
            pv = pub.comparison(where)
        else:
            pv = pub.arm(where, key)
        if pv is None or not isinstance(pv.value, int | float) or pv.value <= 0:
            raise MtorsimError(
                f"{calibration_set_path()}: problem {problem.id}, target {t.label}: design "
                f"{d.id} publishes no positive {t.endpoint} for {where!r}; add it to the "
                "design's published results (with its citation)"
            )
        if kind == "rate":
            value, se, src = float(pv.value) / 100.0, math.nan, f"binomial, n = {t.n}"
        elif t.se_log is not None:
            value, se, src = float(pv.value), t.se_log.value, t.se_log.source
        elif pv.ci_low is not None and pv.ci_high is not None:
            value = float(pv.value)
            se = (math.log(pv.ci_high) - math.log(pv.ci_low)) / (2 * 1.959964)
            src = "from the published 95% CI"
        else:
            raise MtorsimError(f"target {t.label}: give se_log (the result has no CI)")
        out.append(
            ResolvedTarget(
                t.label, d.id, t.endpoint, where, value, kind, se, t.n, f"{pv.source} (SE {src})"
            )
        )
    return out


def tumour_parameters(values: dict[str, float]) -> dict[str, float]:
    """Tumour-population parameter ids (``tumour.<id>``) without their prefix."""
    out = {}
    base = load_tumour_population()
    for k, v in values.items():
        if not k.startswith(TUMOUR_PREFIX):
            raise MtorsimError(f"trial calibrations fit tumour parameters (tumour.<id>), not {k!r}")
        base.parameter(k[len(TUMOUR_PREFIX) :])  # the id exists
        out[k[len(TUMOUR_PREFIX) :]] = v
    return out


@dataclass
class Cohort:
    """One seeded virtual cohort of a design, its drug effects cached (common random
    numbers)."""

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
        tm = TumourModel(base)
        drives = [drive(design, p, effects[p.arm], tm, stop_at_progression=False) for p in pts]
        return Cohort(design, pts, drives, base)

    def frame(self, population: PopulationTumour) -> pd.DataFrame:
        """Per-patient results under another tumour population (the same random draws:
        :func:`~mtorsim.tumour.model.rescaled`)."""
        rows = []
        tm = TumourModel(population)
        for pt, drv in zip(self.patients, self.drives, strict=True):
            tp = rescaled(pt.tumour, self.base, population, self.design.setting)
            rows.append(outcome(self.design, dataclasses.replace(pt, tumour=tp), drv, tm).row())
        return pd.DataFrame(rows)


def design_seed(seed: int, design_id: str) -> int:
    """A cohort seed of its own for each design, so that patient ``i`` of two designs
    does not share a random stream (the targets' simulation errors stay independent)."""
    return seed * 100_003 + zlib.crc32(design_id.encode()) % 100_000


def summary_stats(design: Design, frame: pd.DataFrame) -> dict[str, tuple[float, int, float]]:
    """Every arm's median PFS and OS, ORR, CBR and response-at-visit (fractions) and every
    comparison's HR, keyed ``<endpoint>:<arm or comparison>``, each with its N and, for
    medians and HRs, the SE of its log (large-sample: 1/sqrt(events), sqrt(1/d1 + 1/d2)).
    A median that is not reached counts as the arm's longest follow-up (a lower bound), so
    the objective still says which way to go."""
    out: dict[str, tuple[float, int, float]] = {}
    nan = float("nan")
    events: dict[str, int] = {}
    for arm in design.arms:
        a = arm_summary(design, frame, arm.id)
        events[arm.id] = max(a.events or 0, 1)
        med = a.pfs.median if a.pfs is not None else None
        if med is None and a.n:  # not reached: at least the arm's longest follow-up
            med = float(frame.loc[frame[N.ARM] == arm.id, N.PFS_MONTHS].max())
        se = 1.0 / math.sqrt(events[arm.id])
        out[f"pfs_median:{arm.id}"] = (float(med) if med is not None else nan, a.n, se)
        if a.os is not None:
            om = a.os.median
            if om is None and a.n:  # not reached: at least the arm's longest follow-up
                om = float(frame.loc[frame[N.ARM] == arm.id, N.OS_MONTHS].max())
            se_os = 1.0 / math.sqrt(max(a.os.events, 1))
            out[f"os_median:{arm.id}"] = (float(om) if om is not None else nan, a.n, se_os)
        for ep in ("ORR", "CBR", "RESPONSE_AT"):
            r = a.rate(ep)
            pct = r.pct if r is not None else None
            out[f"{ep}:{arm.id}"] = (pct / 100.0 if pct is not None else nan, a.n, 0.0)
    for e, c in design.comparison_pairs():
        try:
            hr = compare(design, frame, e, c).hazard_ratio
        except ValueError:  # ConvergenceError: no usable HR at these values
            hr = None
        se = math.sqrt(1.0 / events[e] + 1.0 / events[c])
        out[f"hazard_ratio:{e} vs {c}"] = (float(hr) if hr is not None else nan, len(frame), se)
    return out


class TrialObjective:
    """J(theta) on the scaled parameter vector, over common-random-number cohorts of
    every design of the problem (built on first use and shared by every evaluation; with
    parallel starts they travel to the worker processes with the objective)."""

    def __init__(
        self,
        problem: Problem,
        n_patients: int,
        seeds: tuple[int, ...],
        targets: list[ResolvedTarget],
    ) -> None:
        self.problem = problem
        self.n_patients, self.seeds = n_patients, seeds
        self.targets = targets
        self.table = problem.table
        self._cohorts: dict[str, list[Cohort]] | None = None
        self.base = load_tumour_population()
        #: each log target's simulation SE, taken once at the set's start and then held
        #: fixed (were it recomputed at every theta, parameters giving fewer events would
        #: earn a larger SE and so a smaller objective)
        self._se_sim: dict[str, float] | None = None

    @property
    def cohorts(self) -> dict[str, list[Cohort]]:
        if self._cohorts is None:
            cells = CellResponseModel()
            self._cohorts = {}
            for name in self.problem.designs:
                d = load_design(name)
                n = min(self.n_patients, d.n_patients)
                self._cohorts[d.id] = [
                    Cohort.build(d, n, design_seed(s, d.id), self.base, cells) for s in self.seeds
                ]
        return self._cohorts

    def population(self, x: np.ndarray) -> PopulationTumour:
        return self.base.with_parameters(tumour_parameters(self.table.values(x)))

    def simulated(self, x: np.ndarray) -> dict[str, tuple[float, int, float]]:
        """Each target's simulated statistic (geometric mean over cohorts for medians and
        HRs, arithmetic for rates; NaN if unusable), the simulated N behind it and the SE
        of the (log) statistic's mean over cohorts."""
        pop = self.population(np.asarray(x, float))
        stats = {
            name: [summary_stats(c.design, c.frame(pop)) for c in cs]
            for name, cs in self.cohorts.items()
        }
        out = {}
        for t in self.targets:
            key = f"{t.endpoint}:{t.where}"
            vals = np.array([s[key][0] for s in stats[t.design]], float)
            n_sim = int(sum(s[key][1] for s in stats[t.design]))
            ses = np.array([s[key][2] for s in stats[t.design]], float)
            se_mean = float(np.sqrt(np.sum(ses**2)) / len(ses))
            if not np.all(np.isfinite(vals)):
                out[t.name] = (float("nan"), n_sim, se_mean)
            elif t.kind == "log":
                ok = bool(np.all(vals > 0))
                v = float(np.exp(np.mean(np.log(vals)))) if ok else float("nan")
                out[t.name] = (v, n_sim, se_mean)
            else:
                out[t.name] = (float(np.mean(vals)), n_sim, se_mean)
        return out

    @property
    def se_sim(self) -> dict[str, float]:
        if self._se_sim is None:
            sim = self.simulated(self.table.nominal_scaled())
            self._se_sim = {k: v[2] if math.isfinite(v[2]) else 0.0 for k, v in sim.items()}
        return self._se_sim

    def residuals(self, x: np.ndarray) -> np.ndarray | None:
        """Each target's standardised residual at ``x`` (None if a statistic is unusable)."""
        sim = self.simulated(np.asarray(x, float))
        se = self.se_sim
        out = []
        for t in self.targets:
            v, n_sim, _ = sim[t.name]
            if not math.isfinite(v):
                return None
            out.append(t.residual(v, n_sim, se[t.name]))
        return np.asarray(out)

    def __call__(self, x: np.ndarray) -> float:
        r = self.residuals(x)
        return PENALTY if r is None else float(np.sum(r**2))


def clamped(table: ParameterTable, values: dict[str, float]) -> dict[str, float]:
    """Linear values held inside their bounds (a draw clipped in log10 can round to just
    outside them)."""
    rows = {r.id: r for r in table.free}
    return {k: min(max(v, rows[k].lower), rows[k].upper) for k, v in values.items()}


def _settings(problem: Problem, quick: bool, overrides: dict[str, Any] | None) -> dict[str, Any]:
    st = problem.settings_for(quick, overrides)
    n, seeds = int(st["n_patients"]), tuple(int(s) for s in st["cohort_seeds"])
    if n < 20 or not seeds or int(st["max_evals"]) < 1 or int(st["ensemble_size"]) < 0:
        raise MtorsimError(
            "calibration needs at least 20 patients per cohort, one seed, one optimiser "
            f"evaluation and an ensemble size >= 0 (got {n} patients, seeds {list(seeds)}, "
            f"{st['max_evals']} evaluations, ensemble {st['ensemble_size']})"
        )
    if int(st["n_starts"]) < 1:
        raise MtorsimError(f"calibration needs at least one start, got {st['n_starts']}")
    return st


def calibrate_trial(
    problem_id: str = "clinical",
    quick: bool = False,
    overrides: dict[str, Any] | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Fit a trial problem of the calibration set (deterministic for given settings).

    ``overrides`` replace settings (``n_patients``, ``cohort_seeds``, ``n_starts``,
    ``max_evals``, ``ensemble_size``, ...); ``quick`` uses the problem's small setting;
    ``workers > 1`` runs the starts in parallel processes (same result).
    """
    t_start = time.perf_counter()
    say = progress or (lambda _m: None)
    require_pypesto()
    problem = load_calibration_set().problem(problem_id)
    if problem.kind != "trial":
        raise MtorsimError(f"{problem_id} is a {problem.kind} problem, not a trial problem")
    check_calibration_set()
    st = _settings(problem, quick, overrides)
    targets = resolve_targets(problem)
    seeds = tuple(int(s) for s in st["cohort_seeds"])
    j = TrialObjective(problem, int(st["n_patients"]), seeds, targets)
    say(
        f"building {len(seeds)} cohort(s) of up to {st['n_patients']} patients for each of "
        f"{len(problem.designs)} designs"
    )
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
    size, step = int(st["ensemble_size"]), float(st["jacobian_step_log10"])
    evaluations = 2 + sum(s.n_evals for s in starts)
    draws, sd, birge, how = np.empty((0, len(best.x))), None, 1.0, "no draws"
    if size > 0:
        say(f"best objective {best.fval:.4g}; Gauss-Newton uncertainty ({2 * len(best.x)} runs)")
        evaluations += 2 * len(best.x) + 1 + 4 * size
        draws, sd_scaled, birge, how = gauss_newton_ensemble(
            j, best.x, step, size, int(st["ensemble_seed"])
        )
        sd = [float(v) if np.isfinite(v) else None for v in sd_scaled]
    sim_fit = j.simulated(best.x)
    fitted = problem.table.values(best.x)
    designs = [load_design(name) for name in problem.designs]
    tumour = load_tumour_population()
    return CalibrationResult(
        problem=problem.id,
        problem_kind="trial",
        method=f"pyPESTO {pypesto_version()} multistart of scipy {method} in the table's "
        "scale (log10); common random numbers; Gauss-Newton covariance of the standardised "
        f"residuals (central differences of {step:g}), times the Birge ratio squared "
        f"({birge:.3g}^2); the ensemble runs draw from: {size} parameter sets ({how})",
        parameters=parameter_fits(problem.table, fitted, sd),
        objective_start=float(j_start),
        objective=best.fval,
        evaluations=evaluations,
        starts=start_records(starts),
        fit=[
            FitRow(
                name=t.name,
                target=t.value,
                start_value=sim_start[t.name][0],
                fitted_value=sim_fit[t.name][0],
                se_log=t.se if t.kind == "log" else None,
                source=t.source,
            )
            for t in targets
        ],
        settings=st,
        ensemble=[clamped(problem.table, problem.table.values(x)) for x in draws],
        n_data=len(targets),
        provenance={
            "mtorsim_version": __version__,
            "model_hash": model_hash(),
            "designs": {d.id: d.digest() for d in designs},
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
    "tumour_parameters",
]
