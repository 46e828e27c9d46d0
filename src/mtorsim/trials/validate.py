"""Validation: every built-in design except the calibration trial, run with the calibrated
parameters and no retuning, each endpoint beside its published value.

Each design is run as ``replicates`` independent virtual trials of its own size (seeds
``seed, seed + 1, ...``); the simulated value is the median over replicates and the
simulation interval their 2.5-97.5 percentiles.  Published values come from the knowledge
base: reported medians, rates and hazard ratios, rates derived from best-response counts,
and qualitative findings (the first-line temsirolimus trial's "no benefit" is consistent
when the simulated HR interval contains 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mtorsim.knowledge.base import load_knowledge_base
from mtorsim.knowledge.vocab import Endpoint
from mtorsim.response.cells import CellResponseModel
from mtorsim.trials.calibrate import calibrated_tumour, load_record
from mtorsim.trials.design import Design, builtin_designs, load_design
from mtorsim.trials.engine import effect_models
from mtorsim.trials.run import DEFAULT_SEED, n_patients_for, published_values, run_trial
from mtorsim.tumour.model import PopulationTumour

CALIBRATION_TRIAL = "bolero-2"

#: published value, CI low, CI high, source
_Ref = tuple[float | str | None, float | None, float | None, str]


@dataclass
class ValidationRow:
    design: str
    endpoint: str
    arm: str
    simulated: float | None
    sim_low: float | None
    sim_high: float | None
    published: float | str | None
    pub_low: float | None
    pub_high: float | None
    source: str
    unit: str

    @property
    def error(self) -> float | None:
        if self.simulated is None or not isinstance(self.published, int | float):
            return None
        return self.simulated - float(self.published)

    @property
    def inside(self) -> bool | None:
        """Published value inside the simulated interval (qualitative: HR interval has 1)."""
        if self.sim_low is None or self.sim_high is None:
            return None
        if isinstance(self.published, str):
            return self.sim_low <= 1.0 <= self.sim_high if self.endpoint == "hazard_ratio" else None
        if self.published is None:
            return None
        return self.sim_low <= float(self.published) <= self.sim_high

    def to_dict(self) -> dict[str, Any]:
        return {
            "design": self.design,
            "endpoint": self.endpoint,
            "arm": self.arm,
            "simulated": self.simulated,
            "simulation_interval": [self.sim_low, self.sim_high],
            "published": self.published,
            "published_ci": [self.pub_low, self.pub_high],
            "error": self.error,
            "published_inside_simulated_interval": self.inside,
            "unit": self.unit,
            "published_source": self.source,
        }


def _count_rates(trial_id: str) -> dict[str, dict[str, Any]]:
    """ORR and DCR (%) derived from best-overall-response counts, per arm."""
    kb = load_knowledge_base()
    trial = kb.trial(trial_id)
    sizes = {a.id: a.n for a in trial.arms}
    counts: dict[str, dict[str, float]] = {}
    for o in kb.outcomes_of(trial.id):
        if o.endpoint == Endpoint.BEST_RESPONSE and o.category is not None and o.arm:
            counts.setdefault(o.arm, {})[o.category.value] = float(o.value or 0)
            if o.n:  # evaluable patients the counts refer to (the record's own n first)
                sizes[o.arm] = o.n
    out: dict[str, dict[str, Any]] = {}
    for arm, c in counts.items():
        n = sizes.get(arm)
        if not n:
            continue
        resp = c.get("CR", 0) + c.get("PR", 0)
        ctrl = resp + c.get("SD", 0)
        src = f"derived from best-response counts {c} of n = {n} ({trial_id})"
        out[arm] = {
            "ORR": {"value": 100 * resp / n, "source": src},
            "DCR": {"value": 100 * ctrl / n, "source": src},
        }
    return out


def _interval(values: list[float]) -> tuple[float | None, float | None, float | None]:
    v = [x for x in values if x is not None and math.isfinite(x)]
    if not v:
        return None, None, None
    return float(np.median(v)), float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))


def _sim_value(summary: dict[str, Any], arm: str, key: str) -> float | None:
    a = summary["arms"].get(arm, {})
    if key == "pfs_median":
        return (a.get("pfs_months") or {}).get("median")
    return (a.get(key) or {}).get("pct")


def validate_design(
    d: Design,
    replicates: int,
    seed: int,
    tumour: PopulationTumour,
    model: CellResponseModel,
    n_patients: int | None = None,
) -> list[ValidationRow]:
    sims = effect_models(d, model)
    summaries = [
        run_trial(d, n_patients, seed + r, tumour=tumour, model=model, simulators=sims).summary
        for r in range(replicates)
    ]
    pub = published_values(d)
    counts = _count_rates(d.published.trial) if d.published else {}
    rows: list[ValidationRow] = []
    endpoints = {"pfs_median": "months", "ORR": "%", "CBR": "%", "DCR": "%", "RESPONSE_AT": "%"}
    wanted = set(d.endpoints) | ({"PFS"} if "TTP" in d.endpoints else set())
    for arm in d.arms:
        for key, unit in endpoints.items():
            ep = "PFS" if key == "pfs_median" else key
            if ep not in wanted and not (ep == "PFS" and "TTP" in wanted):
                continue
            vals = [_sim_value(s, arm.id, key) for s in summaries]
            med, lo, hi = _interval([v for v in vals if v is not None])
            p = pub.get("arms", {}).get(arm.id, {}).get(key)
            c = counts.get(arm.id, {}).get(key)
            ref: _Ref = (
                (p["value"], p["ci_low"], p["ci_high"], p["outcome_id"])
                if p is not None
                else (c["value"], None, None, c["source"])
                if c is not None
                else (None, None, None, "not reported in the review")
            )
            rows.append(ValidationRow(d.id, key, arm.id, med, lo, hi, *ref, unit))
    if d.experimental and d.control:
        hrs = [s.get("comparison", {}).get("hazard_ratio") for s in summaries]
        med, lo, hi = _interval([h for h in hrs if h is not None])
        p = pub.get("comparison", {}).get("hazard_ratio")
        qual = _qualitative(d) if p is None else None
        hr_ref: _Ref = (
            (p["value"], p["ci_low"], p["ci_high"], p["outcome_id"])
            if p is not None
            else (qual[0], None, None, qual[1])
            if qual is not None
            else (None, None, None, "not reported in the review")
        )
        comparison = f"{d.experimental} vs {d.control}"
        rows.append(ValidationRow(d.id, "hazard_ratio", comparison, med, lo, hi, *hr_ref, "ratio"))
    return rows


def _qualitative(d: Design) -> tuple[str, str] | None:
    if d.published is None:
        return None
    kb = load_knowledge_base()
    for o in kb.outcomes_of(kb.trial(d.published.trial).id):
        if o.endpoint == "efficacy" and o.statistic == "qualitative" and o.comparator:
            text = (o.finding or "").lower()
            if "failed" in text or "no " in text:
                return "no benefit (qualitative)", o.id
    return None


def validate(
    designs: list[str] | None = None,
    replicates: int = 10,
    seed: int = DEFAULT_SEED,
    n_patients: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The validation table (no parameter is changed: the calibrated record is read once)."""
    tumour = calibrated_tumour()
    model = CellResponseModel()
    names = designs or [k for k in builtin_designs() if k != CALIBRATION_TRIAL]
    if CALIBRATION_TRIAL in names:
        names = [n for n in names if n != CALIBRATION_TRIAL]
    rows: list[ValidationRow] = []
    for name in names:
        d = load_design(name)
        n = n_patients_for(d, n_patients)[0]
        if progress:
            progress(f"{d.name}: {replicates} x {n} patients")
        rows.extend(validate_design(d, replicates, seed, tumour, model, n))
    rec = load_record()
    return {
        "rows": [r.to_dict() for r in rows],
        "replicates": replicates,
        "seed": seed,
        "calibration": None
        if rec is None
        else {
            "trial": rec["trial"],
            "parameters": {k: v["value"] for k, v in rec["parameters"].items()},
        },
        "tumour_medians": {
            k: getattr(tumour, k).median
            for k in ("growth_rate_per_day", "effect_scale", "resistance_rate_per_day")
        },
        "coverage": _coverage(rows),
    }


def _coverage(rows: list[ValidationRow]) -> dict[str, int]:
    judged = [r.inside for r in rows if r.inside is not None]
    return {"compared": len(judged), "inside": int(sum(judged))}
