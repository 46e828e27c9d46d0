"""Run a virtual trial: sample patients, simulate them (fast path, in resumable chunks),
analyse, compare with the published results."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.fileio import write_atomic
from mtorsim.knowledge.base import load_knowledge_base
from mtorsim.pathway.build import model_hash
from mtorsim.response.cells import CellResponseModel
from mtorsim.response.effect import DynamicEffect, EffectModel
from mtorsim.trials.calibrate import calibrated_tumour
from mtorsim.trials.design import Design, load_design
from mtorsim.trials.engine import PatientOutcome, effect_models, simulate_patient, simulate_patients
from mtorsim.trials.patients import sample_patient
from mtorsim.trials.stats import cox_hazard_ratio, km_summary, rate_ci
from mtorsim.tumour.model import PopulationTumour

DEFAULT_SEED = 20131
CHUNK = 100
#: patients whose tumour curves are kept for the spider plot
CURVES_KEPT = 40
#: environment variable that caps the number of virtual patients (CI, quick looks)
MAX_PATIENTS_ENV = "MTORSIM_MAX_PATIENTS"


@dataclass
class TrialResult:
    design: Design
    patients: pd.DataFrame
    summary: dict[str, Any]
    curves: dict[int, dict[str, list[float]]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.summary, indent=2, default=_json_default)


def _json_default(x: object) -> object:
    if isinstance(x, np.integer | np.floating | np.bool_):
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x)}")


def n_patients_for(design: Design, requested: int | None) -> tuple[int, str | None]:
    """N to simulate: requested, else the design's, capped by $MTORSIM_MAX_PATIENTS."""
    n = requested if requested is not None else design.n_patients
    if n <= 0:
        raise MtorsimError(f"--patients must be positive, got {n}")
    cap = os.environ.get(MAX_PATIENTS_ENV)
    if cap:
        try:
            c = int(cap)
        except ValueError:
            raise MtorsimError(f"${MAX_PATIENTS_ENV} must be an integer, got {cap!r}") from None
        if c < n:
            return c, f"capped at {c} patients by ${MAX_PATIENTS_ENV}"
    return n, None


def _tumour_digest(t: PopulationTumour) -> str:
    return hashlib.sha256(t.model_dump_json().encode()).hexdigest()[:16]


def _outcome_record(o: PatientOutcome, keep_curve: bool) -> dict[str, Any]:
    rec: dict[str, Any] = {"row": o.row()}
    if keep_curve:
        rec["curve"] = {"day": o.tumour_days.tolist(), "sld_mm": o.tumour_mm.tolist()}
    return rec


def run_trial(
    design: Design | str | Path,
    n_patients: int | None = None,
    seed: int = DEFAULT_SEED,
    checkpoint_dir: Path | None = None,
    exact_subsample: int = 0,
    tumour: PopulationTumour | None = None,
    model: CellResponseModel | None = None,
    progress: Callable[[int, int], None] | None = None,
    simulators: dict[str, EffectModel] | None = None,
) -> TrialResult:
    """Simulate and analyse a trial.

    With ``checkpoint_dir`` each chunk of patients is written there atomically as it
    finishes and reused by a later call with the same design, seed, N, model and version,
    so an interrupted run resumes; results do not depend on chunking.  The tumour
    parameters default to the calibrated ones (:func:`calibrated_tumour`).  ``simulators``
    (arm id -> :class:`FastArmSimulator` of this design) lets replicate runs share their
    response surfaces.
    """
    d = design if isinstance(design, Design) else load_design(design)
    tumour = tumour if tumour is not None else calibrated_tumour()
    model = model if model is not None else CellResponseModel()
    n, cap_note = n_patients_for(d, n_patients)
    provenance = {
        "mtorsim_version": __version__,
        "design": d.id,
        "design_hash": d.digest(),
        "model_hash": model_hash(),
        "tumour_parameters_hash": _tumour_digest(tumour),
        "tumour_medians": {
            k: getattr(tumour, k).median
            for k in ("growth_rate_per_day", "effect_scale", "resistance_rate_per_day")
        },
        "seed": seed,
        "n_patients": n,
        "n_design": d.n_patients,
        "path": "fast (response surfaces)",
    }
    if cap_note:
        provenance["note"] = cap_note
    key = hashlib.sha256(json.dumps(provenance, sort_keys=True).encode()).hexdigest()[:16]
    sims = simulators or effect_models(d, model)
    records: list[dict[str, Any]] = []
    done = 0
    for start in range(0, n, CHUNK):
        idx = range(start, min(n, start + CHUNK))
        path = checkpoint_dir / key / f"chunk-{start:06d}.json" if checkpoint_dir else None
        if path is not None and path.is_file():
            chunk = json.loads(path.read_text(encoding="utf-8"))
        else:
            pts = [sample_patient(d, i, seed, tumour) for i in idx]
            outs = simulate_patients(d, pts, sims, tumour.cr_threshold_mm.value)
            chunk = [_outcome_record(o, o.index < CURVES_KEPT) for o in outs]
            if path is not None:
                write_atomic(path, json.dumps(chunk, default=_json_default))
        records.extend(chunk)
        done += len(idx)
        if progress:
            progress(done, n)
    frame = pd.DataFrame([r["row"] for r in records])
    curves = {int(r["row"]["patient"]): r["curve"] for r in records if "curve" in r}
    summary = analyse(d, frame)
    summary["provenance"] = provenance
    if exact_subsample > 0:
        summary["exact_check"] = exact_check(d, frame, exact_subsample, seed, tumour, model)
    return TrialResult(d, frame, summary, curves)


def exact_check(
    design: Design,
    frame: pd.DataFrame,
    k: int,
    seed: int,
    tumour: PopulationTumour,
    model: CellResponseModel,
) -> dict[str, Any]:
    """Re-simulate the first ``k`` patients on the exact path; compare with the fast path."""
    k = min(k, len(frame))
    fast = frame.set_index("patient").loc[range(k)]
    rows = []
    exact = effect_models(design, model, DynamicEffect)
    for i in range(k):
        pt = sample_patient(design, i, seed, tumour)
        o = simulate_patient(design, pt, exact[pt.arm], tumour.cr_threshold_mm.value)
        rows.append(
            {
                "patient": i,
                "arm": o.arm,
                "pfs_fast": float(fast.loc[i, "pfs_months"]),
                "pfs_exact": o.pfs_day / (365.25 / 12),
                "event_fast": bool(fast.loc[i, "event"]),
                "event_exact": o.event,
                "best_change_fast": float(fast.loc[i, "best_change_pct"]),
                "best_change_exact": o.recist.best_change_pct,
            }
        )
    df = pd.DataFrame(rows)
    med_f, med_e = float(df.pfs_fast.median()), float(df.pfs_exact.median())
    return {
        "patients": k,
        "median_pfs_fast": med_f,
        "median_pfs_exact": med_e,
        "median_pfs_rel_diff": abs(med_f - med_e) / med_e if med_e > 0 else 0.0,
        "pfs_identical": int((np.abs(df.pfs_fast - df.pfs_exact) < 1e-9).sum()),
        "max_best_change_diff_pct_points": float(
            np.max(np.abs(df.best_change_fast - df.best_change_exact))
        ),
        "rows": rows,
    }


# ---------------------------------------------------------------------- analysis
_RESP_ENDPOINTS = {"ORR": ("CR", "PR"), "DCR": ("CR", "PR", "SD")}


def analyse(d: Design, frame: pd.DataFrame) -> dict[str, Any]:
    arms: dict[str, Any] = {}
    for arm in d.arms:
        sub = frame[frame["arm"] == arm.id]
        a: dict[str, Any] = {"label": arm.label, "n": len(sub)}
        if len(sub):
            a["events"] = int(sub["event"].sum())
            a["pfs_months"] = km_summary(
                sub["pfs_months"].to_numpy(), sub["event"].to_numpy(), arm.id
            )
            for ep, cats in _RESP_ENDPOINTS.items():
                a[ep] = rate_ci(int(sub["best_response"].isin(cats).sum()), len(sub))
            a["CBR"] = rate_ci(int(sub["clinical_benefit"].sum()), len(sub))
            if d.assessment.response_at_weeks is not None:
                a["RESPONSE_AT"] = rate_ci(
                    int(sub["response_at"].isin(["CR", "PR"]).sum()), len(sub)
                )
            a["best_response_counts"] = {
                k: int(v) for k, v in sub["best_response"].value_counts().items()
            }
        arms[arm.id] = a
    out: dict[str, Any] = {"trial": d.id, "name": d.name, "endpoints": list(d.endpoints)}
    out["arms"] = arms
    if d.experimental and d.control:
        strata = [f"stratum:{f.name}" for f in d.stratification]
        ok = all(
            arms[x]["n"] > 0 and arms[x].get("events", 0) > 0 for x in (d.experimental, d.control)
        )
        out["comparison"] = (
            {"experimental": d.experimental, "control": d.control}
            | cox_hazard_ratio(frame, d.experimental, d.control, strata)
            if ok
            else {"experimental": d.experimental, "control": d.control, "note": "no events"}
        )
    out["published"] = published_values(d)
    return out


_EP_MAP = {
    ("PFS", "median"): "pfs_median",
    ("TTP", "median"): "pfs_median",
    ("PFS", "hazard ratio"): "hazard_ratio",
    ("TTP", "hazard ratio"): "hazard_ratio",
    ("CBR", "rate"): "CBR",
    ("ORR", "rate"): "ORR",
    ("DCR", "rate"): "DCR",
    ("clinical response", "rate"): "RESPONSE_AT",
}


def published_values(d: Design) -> dict[str, Any]:
    """The knowledge base's reported outcomes for this design, keyed like the summary."""
    if d.published is None:
        return {}
    kb = load_knowledge_base()
    out: dict[str, Any] = {"arms": {}, "comparison": {}}
    for o in kb.outcomes_of(kb.trial(d.published.trial).id):
        if d.published.analysis is not None and o.analysis != d.published.analysis:
            continue
        key = _EP_MAP.get((o.endpoint, o.statistic))
        if key is None or o.value is None:
            continue
        scale = 7.0 / (365.25 / 12) if o.unit == "weeks" else 1.0  # durations in months
        rec = {
            "value": o.value * scale,
            "ci_low": None if o.ci_low is None else o.ci_low * scale,
            "ci_high": None if o.ci_high is None else o.ci_high * scale,
            "unit_as_reported": o.unit,
            "endpoint": o.endpoint,
            "refs": list(o.refs),
            "outcome_id": o.id,
        }
        if key == "hazard_ratio":
            out["comparison"].setdefault(key, rec)
        elif o.arm:
            out["arms"].setdefault(o.arm, {}).setdefault(key, rec)
    return out
