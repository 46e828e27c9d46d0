"""Run a virtual trial: sample patients, simulate them (fast path, in resumable chunks),
analyse, and put the published results beside the simulated ones."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.fileio import package_digest, write_atomic
from mtorsim.knowledge import names as N
from mtorsim.pathway.build import model_hash
from mtorsim.pathway.contexts import Context
from mtorsim.response.cells import CellResponseModel, Signals
from mtorsim.response.effect import DynamicEffect, EffectModel, SurfaceEffect
from mtorsim.response.surfaces import ResponseSurface
from mtorsim.trials.analysis import analyse
from mtorsim.trials.columnar import read_parquet_chunk, read_patient_table, write_parquet_chunk
from mtorsim.trials.design import Design, load_design
from mtorsim.trials.engine import PatientOutcome, arm_drugs, effect_models, simulate_patient
from mtorsim.trials.execution import Engine, SerialEngine
from mtorsim.trials.patients import sample_patient
from mtorsim.trials.results import (
    Curve,
    ExactCheck,
    ExactRow,
    Provenance,
    TrialResult,
    finite_or_none,
    patients_frame,
)
from mtorsim.tumour.model import PopulationTumour, TumourModel, load_tumour_population

DEFAULT_SEED = 20131
CHUNK = 100
#: patients whose tumour curves are kept for the spider plot
CURVES_KEPT = 40
#: environment variable that caps the number of virtual patients (CI, quick looks)
MAX_PATIENTS_ENV = "MTORSIM_MAX_PATIENTS"
#: the tumour medians that calibrations fit (reported in provenance)
TUMOUR_MEDIANS = ("growth_rate_per_day", "effect_scale", "resistance_rate_per_day")


def n_patients_for(design: Design, requested: int | None) -> tuple[int, str | None]:
    """N to simulate: requested, else the design's, capped by $MTORSIM_MAX_PATIENTS."""
    from mtorsim.knowledge.domains import check

    n = int(
        check(
            "patients", requested if requested is not None else design.n_patients, "run", "patients"
        )
    )
    cap = os.environ.get(MAX_PATIENTS_ENV)
    if cap:
        try:
            c = int(cap)
        except ValueError:
            raise MtorsimError(f"${MAX_PATIENTS_ENV} must be an integer, got {cap!r}") from None
        if c < 1:
            raise MtorsimError(f"${MAX_PATIENTS_ENV} must be at least 1, got {c}")
        if c < n:
            return c, f"capped at {c} patients by ${MAX_PATIENTS_ENV}"
    return n, None


def tumour_digest(t: PopulationTumour) -> str:
    return hashlib.sha256(t.model_dump_json().encode()).hexdigest()[:16]


def _chunk_record(o: PatientOutcome, keep_curve: bool) -> dict[str, Any]:
    rec: dict[str, Any] = {"row": {k: finite_or_none(v) for k, v in o.row().items()}}
    if keep_curve:
        rec["curve"] = {"day": o.tumour_days.tolist(), "sld_mm": o.tumour_mm.tolist()}
    return rec


def _chunk_digest(key: str, start: int, records: list[dict[str, Any]]) -> str:
    text = json.dumps([key, start, records], sort_keys=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _write_chunk(path: Path, key: str, start: int, records: list[dict[str, Any]]) -> None:
    doc = {
        "kind": "trial-chunk",
        "key": key,
        "start": start,
        "n": len(records),
        "sha256": _chunk_digest(key, start, records),
        "records": records,
    }
    write_atomic(path, json.dumps(doc, allow_nan=False))


def _read_chunk(path: Path, key: str, start: int, n: int) -> list[dict[str, Any]] | None:
    """A checkpointed chunk, verified, or None (then it is redone): missing, unreadable,
    of another run (key), or changed since it was written (hash) — never reused."""
    from mtorsim.knowledge.domains import suspect

    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        ok = (
            isinstance(doc, dict)
            and doc.get("kind") == "trial-chunk"
            and doc.get("key") == key
            and doc.get("start") == start
            and isinstance(doc.get("records"), list)
            and len(doc["records"]) == n
            and doc.get("sha256") == _chunk_digest(key, start, doc["records"])
        )
    except (OSError, ValueError, TypeError):
        ok = False
    if not ok:
        suspect(f"{path}: damaged, changed or of another run; its patients are recomputed")
        return None
    return list(doc["records"])


@dataclass(frozen=True)
class ChunkJob:
    """What every chunk of a run shares (sent to each worker once)."""

    design: Design
    seed: int
    tumour: PopulationTumour
    effects: Mapping[str, EffectModel]
    key: str
    #: where a columnar run's worker writes its chunk's Parquet file (None: returned)
    parquet_dir: Path | None = None


def simulate_chunk(job: ChunkJob, span: tuple[int, int]) -> list[dict[str, Any]]:
    """Patients ``span[0]`` to ``span[1] - 1`` of the run, as chunk records; a columnar
    run writes their rows to Parquet here and returns only the kept curves."""
    tm = TumourModel(job.tumour)
    d = job.design
    outs = [
        simulate_patient(d, pt, job.effects[pt.arm], tm)
        for pt in (sample_patient(d, i, job.seed, job.tumour) for i in range(*span))
    ]
    records = [_chunk_record(o, o.index < CURVES_KEPT) for o in outs]
    if job.parquet_dir is None:
        return records
    kept = [r for r in records if "curve" in r]
    write_parquet_chunk(job.parquet_dir, job.key, span[0], [r["row"] for r in records], kept)
    return kept


def contexts_digest(design: Design) -> str:
    """SHA-256 of the name and parameter values of every context the design's patients
    can have."""
    from mtorsim.pathway.contexts import context_key
    from mtorsim.trials.patients import population_contexts

    keys = [context_key(c) for c in population_contexts(design)]
    return hashlib.sha256(json.dumps(keys, default=repr).encode()).hexdigest()[:16]


def prepare_surfaces(
    design: Design, effects: Mapping[str, EffectModel], engine: Engine | None = None
) -> None:
    """Every response surface the design's patients can need, one per arm and context,
    before the effect models go to other processes: read from the on-disk cache, and
    those not there built as tasks of their own on ``engine`` (each worker builds its own
    simulator and sends back plain arrays; they are cached for the next run)."""
    from mtorsim.pathway.contexts import context_key
    from mtorsim.trials.patients import population_contexts

    contexts = population_contexts(design)
    missing = []
    for arm, e in effects.items():
        if isinstance(e, SurfaceEffect) and e.signalling:
            for ctx in contexts:
                if context_key(ctx) in e.surfaces:
                    continue
                if e.cached_surface(ctx):
                    e.cells.signals(ctx)  # the untreated state came with it
                else:
                    missing.append((arm, ctx))
    engine = engine if engine is not None else SerialEngine()
    for (arm, ctx), (surf, untreated) in zip(
        missing, engine.map(surface_task, dict(effects), missing), strict=True
    ):
        e = effects[arm]
        assert isinstance(e, SurfaceEffect)
        e.surfaces[context_key(ctx)] = surf
        e.cells.remember_signals(ctx, untreated)


def surface_task(
    effects: Mapping[str, EffectModel], task: tuple[str, Context]
) -> tuple[ResponseSurface, Signals]:
    """Build one arm's surface in one context (and cache it); with its untreated state."""
    arm, ctx = task
    e = effects[arm]
    assert isinstance(e, SurfaceEffect)
    surf = e.surface(ctx)
    assert surf is not None
    return surf, e.cells.signals(ctx)


def run_trial(
    design: Design | str | Path,
    n_patients: int | None = None,
    seed: int = DEFAULT_SEED,
    checkpoint_dir: Path | None = None,
    exact_subsample: int = 0,
    tumour: PopulationTumour | None = None,
    model: CellResponseModel | None = None,
    progress: Callable[[int, int], None] | None = None,
    effects: Mapping[str, EffectModel] | None = None,
    calibration: str | None = None,
    engine: Engine | None = None,
    columnar: bool = False,
) -> TrialResult:
    """Simulate and analyse a trial.

    Parameters
    ----------
    design
        A :class:`Design`, a built-in design id or a design YAML file.
    n_patients
        Virtual patients (default: the design's N), capped by ``$MTORSIM_MAX_PATIENTS``.
    seed
        Patient ``i`` of the run draws from its own stream ``[seed, 1, i]``.
    checkpoint_dir
        Each chunk of patients is written there atomically as it finishes and reused by a
        later call with the same design, seed, N, model and version, so an interrupted run
        resumes; results do not depend on chunking.
    exact_subsample
        Also simulate the first patients on the exact coupled path and report the
        difference (:class:`ExactCheck`).
    tumour
        The tumour population (default: the shipped, calibrated ``tumour/data/tumour.yaml``).
    effects
        Arm id -> effect model of this design (lets replicate runs share their surfaces).
    calibration
        A label of where ``tumour`` came from, for provenance.
    engine
        Where the chunks run (:mod:`mtorsim.trials.execution`; default: this process).
        Results do not depend on it.
    columnar
        Each chunk's patients are written by the worker that simulated them as a Parquet
        file under ``checkpoint_dir`` (needs pyarrow: ``mtorsim[scale]``) and the table is
        read back from them without the per-drug exposure columns: for runs too large to
        hold one Python record per patient.
    """
    d = design if isinstance(design, Design) else load_design(design)
    if columnar and checkpoint_dir is None:
        raise MtorsimError("a columnar run writes its patients to checkpoint_dir; give one")
    tumour = tumour if tumour is not None else load_tumour_population()
    model = model if model is not None else CellResponseModel()
    n, cap_note = n_patients_for(d, n_patients)
    effects = effects if effects is not None else effect_models(d, model)
    strategy = {e.name for e in effects.values()}
    provenance = Provenance(
        mtorsim_version=__version__,
        design=d.id,
        design_hash=d.digest(),
        model_hash=model_hash(),
        pathway_parameters=dict(model.sim.parameters),
        tumour_parameters_hash=tumour_digest(tumour),
        tumour_medians={k: getattr(tumour, k).median for k in TUMOUR_MEDIANS},
        effects={arm: e.settings() for arm, e in effects.items()},
        exposure_scales={
            x.agent: f"x{x.scale:.4g} -> {x.active_agent}: {x.scale_source}"
            for e in effects.values()
            for x in e.drugs
        },
        seed=seed,
        n_patients=n,
        n_design=d.n_patients,
        path=", ".join(sorted(strategy)) or SurfaceEffect.name,
        calibration=calibration,
        note=cap_note,
        code=package_digest(),
        contexts_hash=contexts_digest(d),
    )
    key = hashlib.sha256(provenance.model_dump_json().encode()).hexdigest()[:16]
    # absolute: workers (other processes, other machines) resolve it the same way
    folder = Path(checkpoint_dir).resolve() / key if checkpoint_dir is not None else None
    spans = [(start, min(n, start + CHUNK)) for start in range(0, n, CHUNK)]
    done: dict[int, list[dict[str, Any]]] = {}
    for a, b in spans:
        if folder is not None and not columnar:
            chunk = _read_chunk(folder / f"chunk-{a:06d}.json", key, a, b - a)
            if chunk is not None:
                done[a] = chunk
        elif folder is not None:
            chunk = read_parquet_chunk(folder, key, a, b - a)
            if chunk is not None:
                done[a] = chunk
    todo = [(a, b) for a, b in spans if a not in done]
    engine = engine if engine is not None else SerialEngine()
    if todo and not isinstance(engine, SerialEngine):
        prepare_surfaces(d, effects, engine)  # workers receive arrays, not simulators
    shared = ChunkJob(d, seed, tumour, effects, key, folder if columnar else None)
    count = sum(b - a for a, b in spans if a in done)
    if progress and count:
        progress(count, n)
    for (a, b), chunk in zip(todo, engine.map(simulate_chunk, shared, todo), strict=True):
        if folder is not None and not columnar:
            _write_chunk(folder / f"chunk-{a:06d}.json", key, a, chunk)
        done[a] = chunk
        count += b - a
        if progress:
            progress(count, n)
    records = [r for a, _ in spans for r in done[a]]
    if columnar:
        assert folder is not None
        frame = read_patient_table(folder, key, spans)
    else:
        frame = patients_frame([r["row"] for r in records])
    curves = {
        int(r["row"][N.PATIENT]): Curve.model_validate(r["curve"]) for r in records if "curve" in r
    }
    summary = analyse(d, frame, provenance)
    if exact_subsample > 0:
        summary.exact_check = exact_check(d, frame, exact_subsample, seed, tumour, model)
    return TrialResult(d, summary, frame, curves)


def exact_check(
    design: Design,
    frame: pd.DataFrame,
    k: int,
    seed: int,
    tumour: PopulationTumour,
    model: CellResponseModel,
) -> ExactCheck:
    """Re-simulate the first ``k`` patients on the exact path; compare with the fast
    path."""
    k = min(k, len(frame))
    fast = frame.set_index(N.PATIENT).loc[range(k)]
    exact = {a.id: DynamicEffect(arm_drugs(design, a.id, model.kb), model) for a in design.arms}
    tm = TumourModel(tumour)
    rows = []
    for i in range(k):
        pt = sample_patient(design, i, seed, tumour)
        o = simulate_patient(design, pt, exact[pt.arm], tm)
        rows.append(
            ExactRow(
                patient=i,
                arm=o.arm,
                pfs_fast=float(fast.loc[i, N.PFS_MONTHS]),
                pfs_exact=N.months(o.pfs_day),
                event_fast=bool(fast.loc[i, N.EVENT]),
                event_exact=o.event,
                best_change_fast=float(fast.loc[i, N.BEST_CHANGE]),
                best_change_exact=o.recist.best_change_pct,
            )
        )
    pf = np.array([r.pfs_fast for r in rows])
    pe = np.array([r.pfs_exact for r in rows])
    med_f, med_e = float(np.median(pf)), float(np.median(pe))
    change = np.array([abs(r.best_change_fast - r.best_change_exact) for r in rows])
    return ExactCheck(
        patients=k,
        median_pfs_fast=med_f,
        median_pfs_exact=med_e,
        median_pfs_rel_diff=abs(med_f - med_e) / med_e if med_e > 0 else 0.0,
        pfs_identical=int((np.abs(pf - pe) < 1e-9).sum()),
        max_best_change_diff_pct_points=float(change.max()),
        rows=rows,
    )


__all__ = [
    "DEFAULT_SEED",
    "MAX_PATIENTS_ENV",
    "ChunkJob",
    "exact_check",
    "n_patients_for",
    "prepare_surfaces",
    "run_trial",
    "simulate_chunk",
    "surface_task",
]
