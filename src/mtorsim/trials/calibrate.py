"""Calibration of the virtual-trial population parameters on BOLERO-2 only.

Free parameters: the population medians of the tumour growth rate ``g``, the
culture-to-patient effect scale ``lambda`` and the acquired-resistance rate ``rho``
(``mtorsim/tumour/data/tumour.yaml``); their CVs and everything else keep their sources.
Targets: BOLERO-2's 18-month analysis (knowledge base), median PFS of both arms (7.82 and
3.19 months) and the hazard ratio (0.45, 95% CI 0.38-0.54)::

    J(theta) = sum_k ((log sim_k(theta) - log pub_k) / se_k)^2

with ``se`` of the HR from its CI and an assumed relative SE for the medians.  Simulation
noise is handled with common random numbers: the same virtual cohorts (one per seed, the
design's 724 patients each) are re-used for every evaluation, and only the tumour
parameters are recomputed on their cached drug effects (the drive).  The optimiser is
scipy's Nelder-Mead in log10 space from the tumour file's values; uncertainty comes from
a parametric bootstrap: the targets are redrawn from their sampling distributions and the
fit repeated.  The record (``trials/data/calibration.yaml``) holds the specification, the
fitted values with bootstrap SDs, the objective, the seeds and hashes; every trial run
uses it by default (:func:`calibrated_tumour`).

``mtorsim calibrate bolero-2`` reproduces it; ``--quick`` is a small setting for CI.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.fileio import write_atomic
from mtorsim.knowledge.base import load_knowledge_base
from mtorsim.pathway.build import model_hash
from mtorsim.response.cells import CellResponseModel
from mtorsim.response.effect import EffectModel
from mtorsim.trials.design import Design, load_design
from mtorsim.trials.engine import Drive, drive, effect_models, outcome
from mtorsim.trials.patients import VirtualPatient, sample_patient
from mtorsim.trials.stats import cox_hazard_ratio, km_summary
from mtorsim.tumour.model import PopulationTumour, load_tumour_population

CALIBRATION_FORMAT = "1.0"
FREE = ("growth_rate_per_day", "effect_scale", "resistance_rate_per_day")
#: field of TumourParams scaled by each free median
_FIELD = {
    "growth_rate_per_day": "growth_per_day",
    "effect_scale": "effect_scale",
    "resistance_rate_per_day": "resistance_per_day",
}
#: search bounds (assumed: wide plausible ranges; growth 1e-4-0.05 /day is a doubling time of
#: about 2 weeks to 19 years; the others span the starting values by more than a decade)
BOUNDS = {
    "growth_rate_per_day": (1e-4, 0.05),
    "effect_scale": (1e-3, 1.0),
    "resistance_rate_per_day": (1e-5, 0.1),
}
#: assumed relative standard error of a published median PFS (arms of 240-485 patients)
MEDIAN_REL_SE = 0.08
TARGET_OUTCOMES = {
    "median_pfs:eve-exe": "bolero-2.18-month.pfs.eve-exe",
    "median_pfs:pbo-exe": "bolero-2.18-month.pfs.pbo-exe",
    "hazard_ratio": "bolero-2.18-month.pfs.hr",
}


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    se_log: float
    outcome_id: str
    se_source: str


def targets() -> list[Target]:
    """BOLERO-2 targets from the knowledge base, with their log-scale SEs."""
    kb = load_knowledge_base()
    by_id = {o.id: o for o in kb.outcomes}
    out = []
    for name, oid in TARGET_OUTCOMES.items():
        o = by_id[oid]
        assert o.value is not None
        if o.ci_low is not None and o.ci_high is not None:
            se = (math.log(o.ci_high) - math.log(o.ci_low)) / (2 * 1.959964)
            src = "from the published 95% CI"
        else:
            se, src = MEDIAN_REL_SE, "assumed: relative SE of a median PFS in arms of 240-485"
        out.append(Target(name, float(o.value), se, oid, src))
    return out


@dataclass
class Settings:
    design: str = "bolero-2"
    n_patients: int = 724
    seeds: tuple[int, ...] = (20131, 20132)
    max_evals: int = 80
    bootstrap: int = 8
    bootstrap_evals: int = 40
    bootstrap_seed: int = 2013

    @staticmethod
    def quick() -> Settings:
        return Settings(
            n_patients=150, seeds=(20131,), max_evals=20, bootstrap=2, bootstrap_evals=8
        )


@dataclass
class Cohort:
    """One seeded virtual BOLERO-2 cohort with its drug effects cached."""

    design: Design
    patients: list[VirtualPatient]
    drives: list[Drive]
    sims: dict[str, EffectModel]
    base: PopulationTumour

    @staticmethod
    def build(
        design: Design, n: int, seed: int, base: PopulationTumour, model: CellResponseModel
    ) -> Cohort:
        sims = effect_models(design, model)
        pts = [sample_patient(design, i, seed, base) for i in range(n)]
        cr = base.cr_threshold_mm.value
        drives = [drive(design, p, sims[p.arm], cr, stop_at_progression=False) for p in pts]
        return Cohort(design, pts, drives, sims, base)

    def frame(self, medians: dict[str, float]) -> pd.DataFrame:
        """Per-patient results with the free medians replaced (same random draws)."""
        rows = []
        for pt, drv in zip(self.patients, self.drives, strict=True):
            upd = {
                _FIELD[k]: getattr(pt.tumour, _FIELD[k]) * v / getattr(self.base, k).median
                for k, v in medians.items()
            }
            p2 = dataclasses.replace(pt, tumour=dataclasses.replace(pt.tumour, **upd))
            rows.append(outcome(self.design, p2, drv, self.base.cr_threshold_mm.value).row())
        return pd.DataFrame(rows)


def summary_stats(design: Design, frame: pd.DataFrame) -> dict[str, float]:
    out = {}
    for arm in design.arms:
        sub = frame[frame["arm"] == arm.id]
        med = km_summary(sub["pfs_months"].to_numpy(), sub["event"].to_numpy())["median"]
        out[f"median_pfs:{arm.id}"] = float(med) if med is not None else float("nan")
    if design.experimental and design.control:
        strata = [f"stratum:{f.name}" for f in design.stratification]
        out["hazard_ratio"] = cox_hazard_ratio(frame, design.experimental, design.control, strata)[
            "hazard_ratio"
        ]
    return out


def objective_fn(
    cohorts: list[Cohort], tgts: list[Target], values: dict[str, float] | None = None
) -> Callable[[np.ndarray], float]:
    want = values or {t.name: t.value for t in tgts}

    def j(theta: np.ndarray) -> float:
        med = {k: 10.0 ** float(x) for k, x in zip(FREE, theta, strict=True)}
        for k, v in med.items():
            lo, hi = BOUNDS[k]
            if not lo <= v <= hi:
                return 1e6
        sims = [summary_stats(c.design, c.frame(med)) for c in cohorts]
        total = 0.0
        for t in tgts:
            vals = [s[t.name] for s in sims]
            if not all(np.isfinite(vals)) or min(vals) <= 0:
                return 1e6
            logsim = float(np.mean(np.log(vals)))
            total += ((logsim - math.log(want[t.name])) / t.se_log) ** 2
        return total

    return j


def _fit(
    j: Callable[[np.ndarray], float], x0: np.ndarray, max_evals: int
) -> tuple[np.ndarray, float, int]:
    from scipy.optimize import minimize

    res = minimize(
        j,
        x0,
        method="Nelder-Mead",
        options={
            "maxfev": max_evals,
            "xatol": 0.005,
            "fatol": 0.01,
            "initial_simplex": _simplex(x0),
        },
    )
    return np.asarray(res.x), float(res.fun), int(res.nfev)


def _simplex(x0: np.ndarray, step: float = 0.15) -> np.ndarray:
    """Initial simplex: each log10 parameter moved by ``step`` decades."""
    pts = [x0]
    for i in range(len(x0)):
        x = x0.copy()
        x[i] += step
        pts.append(x)
    return np.asarray(pts)


def calibrate(
    settings: Settings | None = None, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Fit the free medians to BOLERO-2; returns the record (see module docstring)."""
    st = settings or Settings()
    if st.n_patients < 20 or not st.seeds or st.max_evals < 1 or st.bootstrap < 0:
        raise MtorsimError(
            "calibration needs at least 20 patients per cohort, one seed, one optimiser "
            f"evaluation and a bootstrap count >= 0 (got {st.n_patients} patients, seeds "
            f"{list(st.seeds)}, {st.max_evals} evaluations, bootstrap {st.bootstrap})"
        )
    t_start = time.perf_counter()
    say = progress or (lambda _m: None)
    design = load_design(st.design)
    base = load_tumour_population()
    model = CellResponseModel()
    say(f"building {len(st.seeds)} cohort(s) of {st.n_patients} patients")
    cohorts = [Cohort.build(design, st.n_patients, s, base, model) for s in st.seeds]
    tgts = targets()
    x0 = np.array([math.log10(getattr(base, k).median) for k in FREE])
    j = objective_fn(cohorts, tgts)
    j0 = j(x0)
    say(f"fitting (objective at start {j0:.3g})")
    x, fun, nfev = _fit(j, x0, st.max_evals)
    fitted = {k: 10.0 ** float(v) for k, v in zip(FREE, x, strict=True)}
    sim = [summary_stats(design, c.frame(fitted)) for c in cohorts]
    rng = np.random.default_rng(st.bootstrap_seed)
    boot = []
    for b in range(st.bootstrap):
        say(f"bootstrap {b + 1}/{st.bootstrap}")
        drawn = {t.name: t.value * math.exp(t.se_log * rng.standard_normal()) for t in tgts}
        xb, _, _ = _fit(objective_fn(cohorts, tgts, drawn), x.copy(), st.bootstrap_evals)
        boot.append(xb)
    sd = np.std(np.asarray(boot), axis=0, ddof=1) if len(boot) > 1 else np.full(len(FREE), np.nan)
    return {
        "format_version": CALIBRATION_FORMAT,
        "trial": design.id,
        "method": "scipy.optimize.minimize Nelder-Mead in log10 space; common random numbers; "
        "parametric bootstrap of the targets for uncertainty",
        "targets": [dataclasses.asdict(t) for t in tgts],
        "settings": dataclasses.asdict(st) | {"seeds": list(st.seeds)},
        "parameters": {
            k: {
                "value": float(fitted[k]),
                "start": float(getattr(base, k).median),
                "bounds": list(BOUNDS[k]),
                "bootstrap_sd_log10": None if math.isnan(float(s)) else float(s),
            }
            for k, s in zip(FREE, sd, strict=True)
        },
        "objective": {"start": float(j0), "fitted": fun, "evaluations": nfev},
        "simulated": {k: float(np.mean([s[k] for s in sim])) for k in sim[0]},
        "provenance": {
            "mtorsim_version": __version__,
            "model_hash": model_hash(),
            "design_hash": design.digest(),
            "tumour_file_values": {
                k: {"median": getattr(base, k).median, "cv": getattr(base, k).cv}
                for k in (
                    "growth_rate_per_day",
                    "effect_scale",
                    "resistance_rate_per_day",
                    "new_lesion_hazard_per_day",
                )
            },
        },
        "runtime_s": round(time.perf_counter() - t_start, 1),
    }


def record_path() -> Path:
    return Path(str(resources.files("mtorsim.trials") / "data" / "calibration.yaml"))


def write_record(record: dict[str, Any], path: Path | None = None) -> Path:
    text = (
        "# Written by `mtorsim calibrate bolero-2 --write`; do not edit by hand.\n"
        + yaml.safe_dump(record, sort_keys=False, width=100)
    )
    out = write_atomic(path or record_path(), text)
    _record.cache_clear()
    return out


@functools.cache
def _record(path: str) -> dict[str, Any] | None:
    p = Path(path)
    if not p.is_file():
        return None
    rec = yaml.safe_load(p.read_text(encoding="utf-8"))
    if not isinstance(rec, dict) or rec.get("format_version") != CALIBRATION_FORMAT:
        raise MtorsimError(f"{p}: not a calibration record of format {CALIBRATION_FORMAT}")
    return rec


def load_record(path: Path | None = None) -> dict[str, Any] | None:
    return _record(str(path or record_path()))


def calibrated_tumour(path: Path | None = None) -> PopulationTumour:
    """The tumour population with the calibrated medians (the default of every trial run);
    the file's own values when no record exists."""
    base = load_tumour_population()
    rec = load_record(path)
    if rec is None:
        return base
    upd = {}
    for k, p in rec["parameters"].items():
        dist = getattr(base, k)
        upd[k] = dist.model_copy(
            update={
                "median": float(p["value"]),
                "source": f"calibrated: BOLERO-2 (trials/data/calibration.yaml, objective "
                f"{rec['objective']['fitted']:.3g}, seeds {rec['settings']['seeds']})",
            }
        )
    return base.model_copy(update=upd)
