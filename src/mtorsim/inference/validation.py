"""Validation: designs that are not calibration data, run with the calibrated parameters
and no refitting, each endpoint beside its published value.

Each design is run as ``replicates`` independent virtual trials of its own size (seeds
``seed, seed + 1, ...``); the simulated value is the median over replicates and the
simulation interval their 2.5-97.5 percentiles.  With an ensemble of calibrated parameter
sets (draws of the trial calibration's Gauss-Newton covariance), replicate ``r`` uses member
``r mod M``, so the interval covers parameter as well as sampling uncertainty.
Published values come from the knowledge base and from the design itself: reported
medians, rates and hazard ratios, rates derived from best-response counts, and
qualitative findings (the first-line temsirolimus trial's "no benefit" is consistent when
the simulated HR interval contains 1).  With ``ida`` the report adds the
independent-drug-action baseline for two-drug combination arms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.inference.calibration_set import calibration_trials
from mtorsim.inference.ida import ida_comparison
from mtorsim.inference.results import IDAComparison, ValidationReport, ValidationRow
from mtorsim.knowledge import names as N
from mtorsim.knowledge.base import load_knowledge_base
from mtorsim.knowledge.vocab import Endpoint
from mtorsim.pathway.build import model_hash
from mtorsim.response.cells import CellResponseModel
from mtorsim.response.effect import EffectModel
from mtorsim.trials.analysis import published_values
from mtorsim.trials.design import Design, builtin_designs, load_design
from mtorsim.trials.engine import effect_models
from mtorsim.trials.execution import Engine, SerialEngine
from mtorsim.trials.results import PublishedValue, TrialSummary
from mtorsim.trials.run import (
    DEFAULT_SEED,
    TUMOUR_MEDIANS,
    n_patients_for,
    prepare_surfaces,
    run_trial,
)
from mtorsim.tumour.model import PopulationTumour, load_tumour_population


def count_rates(trial_id: str) -> dict[str, dict[str, PublishedValue]]:
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
    out: dict[str, dict[str, PublishedValue]] = {}
    for arm, c in counts.items():
        n = sizes.get(arm)
        if not n:
            continue
        resp = sum(c.get(k, 0) for k in N.RESPONDERS)
        ctrl = sum(c.get(k, 0) for k in N.DISEASE_CONTROL)
        src = f"derived from best-response counts {c} of n = {n} ({trial_id})"
        out[arm] = {
            N.ORR: PublishedValue(value=100 * resp / n, endpoint="ORR", source=src),
            N.DCR: PublishedValue(value=100 * ctrl / n, endpoint="DCR", source=src),
        }
    return out


def _interval(values: Sequence[float | None]) -> tuple[float | None, float | None, float | None]:
    v = [x for x in values if x is not None and math.isfinite(x)]
    if not v:
        return None, None, None
    return float(np.median(v)), float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))


def _sim_value(summary: TrialSummary, arm: str, key: str) -> float | None:
    a = summary.arm(arm)
    if key == N.PFS_MEDIAN:
        return a.pfs.median if a.pfs else None
    if key == N.OS_MEDIAN:
        return a.os.median if a.os else None
    r = a.rate(key)
    return r.pct if r else None


def _qualitative(d: Design) -> PublishedValue | None:
    if d.published is None or d.published.trial is None:
        return None
    kb = load_knowledge_base()
    for o in kb.outcomes_of(kb.trial(d.published.trial).id):
        if o.endpoint == "efficacy" and o.statistic == "qualitative" and o.comparator:
            text = (o.finding or "").lower()
            if "failed" in text or "no " in text:
                return PublishedValue(
                    value="no benefit (qualitative)", endpoint="efficacy", source=o.id
                )
    return None


def _row(
    d: Design,
    endpoint: str,
    arm: str,
    vals: list[float | None],
    unit: str,
    p: PublishedValue | None,
) -> ValidationRow:
    med, lo, hi = _interval(vals)
    return ValidationRow(
        design=d.id,
        endpoint=endpoint,
        arm=arm,
        simulated=med,
        sim_low=lo,
        sim_high=hi,
        published=None if p is None else p.value,
        pub_low=None if p is None else p.ci_low,
        pub_high=None if p is None else p.ci_high,
        source="not reported" if p is None else p.source,
        unit=unit,
    )


#: fewer replicate trials than this give intervals that are mostly the extremes of a
#: handful of values (a 95% interval of 2 values is their range): warned, not refused
MIN_REPLICATES_FOR_INTERVAL = 10


def few_replicates(replicates: int) -> None:
    """Warn when an interval rests on too few replicate trials."""
    from mtorsim.knowledge.domains import suspect

    if replicates < MIN_REPLICATES_FOR_INTERVAL:
        suspect(
            f"{replicates} replicate trials: each 95% interval is the range of "
            f"{replicates} values, too few to mean much (with 1, a point); use at least "
            f"{MIN_REPLICATES_FOR_INTERVAL}"
        )


@dataclass(frozen=True)
class ReplicateJob:
    """What the replicate trials of one design share (sent to each worker once)."""

    design: Design
    n_patients: int | None
    seed: int
    tumour: PopulationTumour
    model: CellResponseModel
    effects: Mapping[str, EffectModel]
    ensemble: tuple[PopulationTumour, ...] = ()


def replicate_summary(job: ReplicateJob, r: int) -> TrialSummary:
    """Replicate ``r``: seed ``seed + r``, ensemble member ``r mod M`` if any."""
    return run_trial(
        job.design,
        job.n_patients,
        job.seed + r,
        tumour=job.ensemble[r % len(job.ensemble)] if job.ensemble else job.tumour,
        model=job.model,
        effects=job.effects,
    ).summary


def validate_design(
    d: Design,
    replicates: int,
    seed: int,
    tumour: PopulationTumour,
    model: CellResponseModel,
    n_patients: int | None = None,
    ensemble: Sequence[PopulationTumour] | None = None,
    done: Callable[[], None] | None = None,
    engine: Engine | None = None,
) -> list[ValidationRow]:
    """Replicate trials of one design, each endpoint beside its published value
    (replicate ``r`` with ensemble member ``r mod M`` if an ensemble is given), run on
    ``engine`` (default: this process); ``done`` is called after each replicate."""
    engine = engine if engine is not None else SerialEngine()
    effects = effect_models(d, model)
    if not isinstance(engine, SerialEngine):
        prepare_surfaces(d, effects)
    job = ReplicateJob(d, n_patients, seed, tumour, model, effects, tuple(ensemble or ()))
    summaries = []
    for summary in engine.map(replicate_summary, job, list(range(replicates))):
        summaries.append(summary)
        if done:
            done()
    pub = published_values(d)
    counts = count_rates(d.published.trial) if d.published and d.published.trial else {}
    wanted = set(d.endpoints) | ({"PFS"} if "TTP" in d.endpoints else set())
    rows: list[ValidationRow] = []
    endpoint_of = {N.PFS_MEDIAN: "PFS", N.OS_MEDIAN: "OS"}
    for arm in d.arms:
        for key, unit in N.ENDPOINT_UNITS.items():
            if key in (N.HAZARD_RATIO, N.OS_HAZARD_RATIO):
                continue
            if endpoint_of.get(key, key) not in wanted:
                continue
            vals = [_sim_value(s, arm.id, key) for s in summaries]
            p = pub.arm(arm.id, key) or counts.get(arm.id, {}).get(key)
            rows.append(_row(d, key, arm.id, vals, unit, p))
    for e, c in d.comparison_pairs():
        key = f"{e} vs {c}"
        hrs = [
            next((x.hazard_ratio for x in s.comparisons if x.key == key), None) for s in summaries
        ]
        p = pub.comparison(key) or (_qualitative(d) if (e, c) == d.comparison_pairs()[0] else None)
        rows.append(_row(d, N.HAZARD_RATIO, key, hrs, N.ENDPOINT_UNITS[N.HAZARD_RATIO], p))
        if "OS" in wanted:
            os_hrs = [
                next((x.os_hazard_ratio for x in s.comparisons if x.key == key), None)
                for s in summaries
            ]
            p = pub.comparison(key, N.OS_HAZARD_RATIO)
            rows.append(_row(d, N.OS_HAZARD_RATIO, key, os_hrs, "ratio", p))
    return rows


def validate(
    designs: Sequence[str | Path] | None = None,
    replicates: int = 10,
    seed: int = DEFAULT_SEED,
    n_patients: int | None = None,
    ida: bool = False,
    tumour: PopulationTumour | None = None,
    calibration: str | None = None,
    progress: Callable[[str], None] | None = None,
    model: CellResponseModel | None = None,
    ensemble: Sequence[PopulationTumour] | None = None,
    fitted_counts: tuple[int, int] | None = None,
    step: Callable[[int, int], None] | None = None,
    engine: Engine | None = None,
) -> ValidationReport:
    """The validation report.  No parameter is changed: every design runs with the
    tumour population given (default: the shipped, calibrated one), or with the members
    of ``ensemble`` in turn (parameter uncertainty).  Designs of the calibration set are
    refused (they are fitted, not predicted), except in the IDA comparison, where they
    are marked.  ``fitted_counts`` (parameters fitted, data fitted) goes in the report;
    ``step(done, total)`` is called after each replicate trial (progress bars); the
    replicates run on ``engine`` (default: this process; the report does not depend on it)."""
    if replicates < 1:
        raise MtorsimError(f"replicates must be at least 1, got {replicates}")
    few_replicates(replicates)
    say = progress or (lambda _m: None)
    tumour = tumour if tumour is not None else load_tumour_population()
    model = model if model is not None else CellResponseModel()
    fitted = calibration_trials()
    chosen = [load_design(x) for x in (designs or list(builtin_designs()))]
    if designs and all(d.id in fitted for d in chosen):
        raise MtorsimError(
            f"{', '.join(d.id for d in chosen)}: calibration data (fitted, in "
            "inference/data/calibration_set.yaml), not predictions; validate scores only "
            "designs outside the calibration set (`mtorsim trial run DESIGN --uncertainty 12` "
            "shows a fitted trial beside its published values)"
        )
    rows: list[ValidationRow] = []
    predicted = [d for d in chosen if d.id not in fitted]
    total, count = len(predicted) * replicates, 0

    def one_done() -> None:
        nonlocal count
        count += 1
        if step:
            step(count, total)

    for d in chosen:
        if d.id in fitted:
            say(f"{d.name}: calibration data, not predicted")
            continue
        n = n_patients_for(d, n_patients)[0]
        say(f"{d.name}: {replicates} x {n} patients")
        rows.extend(
            validate_design(d, replicates, seed, tumour, model, n, ensemble, one_done, engine)
        )
    comparisons: list[IDAComparison] = []
    if ida:
        for d in chosen:
            arm = d.arm(d.experimental) if d.experimental else d.arms[0]
            if len(arm.doses) == 2 and ({"PFS", "TTP"} & set(d.endpoints)):
                say(f"IDA baseline: {d.name}")
                comparisons.append(ida_comparison(d, n_patients, seed, tumour=tumour, model=model))
    return ValidationReport(
        rows=rows,
        replicates=replicates,
        seed=seed,
        calibration={
            "label": calibration or "shipped (tumour/data/tumour.yaml)",
            "calibration_trials": sorted(fitted),
            "ensemble_members": len(ensemble) if ensemble else 0,
            "parameters_fitted": None if fitted_counts is None else fitted_counts[0],
            "data_fitted": None if fitted_counts is None else fitted_counts[1],
            "tumour_medians": {k: getattr(tumour, k).median for k in TUMOUR_MEDIANS},
            "pathway_parameters": dict(model.sim.parameters),
        },
        ida=comparisons,
        provenance={"mtorsim_version": __version__, "model_hash": model_hash()},
    )


def ensemble_interval(
    design: str | Path | Design,
    replicates: int,
    seed: int = DEFAULT_SEED,
    n_patients: int | None = None,
    calibrations: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
    engine: Engine | None = None,
) -> ValidationReport:
    """Replicate trials of one design (calibration data or not), replicate ``r`` with the
    trial calibration's ensemble member ``r mod M``: each endpoint's median and 95%
    interval over parameter and sampling uncertainty, beside its published value."""
    from mtorsim.inference.records import (
        apply_calibrations,
        ensemble_populations,
        fitted_counts,
        trial_record,
    )

    if replicates < 2:
        raise MtorsimError(f"an interval needs at least 2 replicate trials, got {replicates}")
    few_replicates(replicates)
    d = design if isinstance(design, Design) else load_design(design)
    tumour, cells, label = apply_calibrations(tuple(calibrations))
    record = trial_record(tuple(calibrations))
    members = ensemble_populations(record)
    model = cells if cells is not None else CellResponseModel()
    n = n_patients_for(d, n_patients)[0]
    (progress or (lambda _m: None))(
        f"{d.name}: {replicates} x {n} patients over {len(members)} parameter sets"
    )
    rows = validate_design(
        d, replicates, seed, tumour or load_tumour_population(), model, n, members, None, engine
    )
    return ValidationReport(
        rows=rows,
        replicates=replicates,
        seed=seed,
        calibration={
            "label": label or f"shipped ({record.problem})",
            "calibration_trials": sorted(calibration_trials()),
            "ensemble_members": len(members),
            "parameters_fitted": fitted_counts(record)[0],
            "data_fitted": fitted_counts(record)[1],
        },
        provenance={"mtorsim_version": __version__, "model_hash": model_hash()},
    )


__all__ = ["count_rates", "ensemble_interval", "validate", "validate_design"]
