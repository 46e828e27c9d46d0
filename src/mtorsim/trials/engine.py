"""Virtual-patient simulation, orchestration only.

One path for every patient, each stage in its own layer::

    design (parsed regimens) -> pharmacology.Exposure -> response.EffectModel.blocks
        -> tumour.TumourModel.integrate -> tumour.assess (RECIST) -> PatientOutcome

The fast and the exact path differ only in the effect model passed in
(:class:`~mtorsim.response.effect.SurfaceEffect` or
:class:`~mtorsim.response.effect.DynamicEffect`).  Effect blocks are consumed in order and
the simulation stops once progression is certain, so a strategy that yields one block
per assessment interval (the exact path) does no work after progression.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mtorsim.errors import MtorsimError
from mtorsim.knowledge import names as N
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base
from mtorsim.pharmacology.exposure import DosedDrug, Exposure, dosed_drug
from mtorsim.response.cells import CellResponseModel
from mtorsim.response.effect import EffectModel, SurfaceEffect
from mtorsim.trials.design import Design
from mtorsim.trials.patients import VirtualPatient
from mtorsim.tumour.model import Effect, TumourModel, TumourParams
from mtorsim.tumour.recist import RecistResult, assess

#: time step (h) of the grid on which each patient's exposure is summarised
EXPOSURE_STEP_H = 2.0
#: days over which the reported mean unbound exposure is taken
EXPOSURE_SUMMARY_DAYS = 28.0
#: spacing (days) of the tumour-size samples kept per patient
CURVE_SPACING_DAYS = 7.0


def arm_drugs(design: Design, arm_id: str, kb: KnowledgeBase | None = None) -> list[DosedDrug]:
    """The arm's drugs as the pharmacology layer sees them (regimens parsed at load)."""
    kb = kb if kb is not None else load_knowledge_base()
    return [dosed_drug(d.drug, d.planned_regimen(), kb) for d in design.arm(arm_id).doses]


def effect_models(
    design: Design,
    cells: CellResponseModel | None = None,
    strategy: type[EffectModel] = SurfaceEffect,
) -> dict[str, EffectModel]:
    """One effect model per arm (surfaces, if any, are built lazily per context)."""
    from mtorsim.knowledge.domains import DomainError

    cells = cells if cells is not None else CellResponseModel()
    out: dict[str, EffectModel] = {}
    for a in design.arms:
        try:
            out[a.id] = strategy(arm_drugs(design, a.id, cells.kb), cells)
        except DomainError as exc:
            raise DomainError(
                f"design {design.id}, arm {a.id}", exc.field, exc.value, exc.allowed, exc.fix
            ) from None
    return out


# ---------------------------------------------------------------------- outcomes
@dataclass
class PatientOutcome:
    """What one virtual patient's course gives: RECIST, PFS, exposure, dose intensity."""

    patient: VirtualPatient
    recist: RecistResult
    pfs_day: float
    event: bool
    new_lesion_day: float
    exposure_nM: dict[str, float]
    tumour_days: np.ndarray = field(repr=False)
    tumour_mm: np.ndarray = field(repr=False)
    response_at: str | None = None
    dose_intensity_mg_day: dict[str, float | None] = field(default_factory=dict)
    #: overall survival (days) and whether death was observed (see :func:`overall_survival`)
    os_day: float = math.nan
    os_event: bool = False

    @property
    def index(self) -> int:
        return self.patient.index

    @property
    def arm(self) -> str:
        return self.patient.arm

    def row(self) -> dict[str, Any]:
        """One row of ``patients.csv`` (column names from :mod:`mtorsim.knowledge.names`)."""
        pt = self.patient
        r: dict[str, Any] = {
            N.PATIENT: pt.index,
            N.ARM: pt.arm,
            N.CONTEXT: pt.base_context,
            N.CONTEXT_FULL: pt.context.name,
        }
        r[N.ENDOCRINE_TRAIT] = pt.tumour.endocrine
        r.update({f"{N.GENOTYPE}{k}": v for k, v in pt.genotype.items()})
        r.update({f"{N.STRATUM}{k}": v for k, v in pt.strata.items()})
        r.update({f"{N.EXPOSURE}{k}": v for k, v in self.exposure_nM.items()})
        r.update({f"{N.DOSE_INTENSITY}{k}": v for k, v in self.dose_intensity_mg_day.items()})
        r.update(
            {
                f"{N.DOSE_MODIFIED}{k}": bool(v)
                for k, v in pt.modifications.items()
                if k in self.dose_intensity_mg_day
            }
        )
        r.update(
            {
                N.BASELINE_SLD: pt.tumour.sld0_mm,
                N.BEST_RESPONSE: self.recist.best_response,
                N.BEST_CHANGE: self.recist.best_change_pct,
                N.CLINICAL_BENEFIT: self.recist.cbr,
                N.RESPONSE_AT_VISIT: self.response_at,
                N.PFS_MONTHS: N.months(self.pfs_day),
                N.EVENT: self.event,
                N.OS_MONTHS: N.months(self.os_day),
                N.OS_EVENT: self.os_event,
                N.NEW_LESION_DAY: self.new_lesion_day
                if math.isfinite(self.new_lesion_day)
                else None,
                N.ASSESSMENTS: len(self.recist.visit_days),
            }
        )
        return r


def visit_days(design: Design, horizon_day: float, jitter: np.ndarray | None = None) -> np.ndarray:
    """Scheduled assessments up to ``horizon_day``, each moved by the patient's window draw
    (the response-at visit of neoadjuvant designs is fixed)."""
    step = design.assessment.interval_weeks * N.DAYS_PER_WEEK
    n = math.floor(horizon_day / step + 1e-9) + 1
    days = step * np.arange(1, n + 1)
    if jitter is not None:
        if len(jitter) < len(days):
            raise MtorsimError(
                f"{design.id}: {len(days)} assessments before day {horizon_day:.0f} but only "
                f"{len(jitter)} visit-window draws; lengthen assessment.interval_weeks"
            )
        days = days + jitter[: len(days)]
    days = days[(days > 0) & (days <= horizon_day)]
    if design.assessment.response_at_weeks is not None:
        extra = design.assessment.response_at_weeks * N.DAYS_PER_WEEK
        if extra <= horizon_day:
            days = np.unique(np.append(days, extra))
    return days


@dataclass
class Drive:
    """A patient's drug effect over time, one share per drug class (1/day): everything
    that does not depend on the tumour parameters (so a calibration can reuse it)."""

    t_days: np.ndarray
    shares: dict[str, np.ndarray]
    #: fraction of the cells' untreated mTORC1 output the drugs remove, on ``t_days``
    mtorc1_inhibition: np.ndarray
    exposure: Exposure
    #: mean unbound exposure over the first weeks (kept: outcomes are recomputed often)
    exposure_nM: dict[str, float]


def patient_exposure(pt: VirtualPatient, effect: EffectModel) -> Exposure:
    """The patient's exposure to the arm's drugs (their own PK and dose modifications)."""
    regimens = {d.agent: pt.regimen(d.agent, d.regimen) for d in effect.drugs}
    return Exposure(effect.drugs, pt.pk, pt.body, max(pt.horizon_day, 0.0), regimens)


def _exposure_summary(exposure: Exposure, horizon_day: float) -> dict[str, float]:
    """Mean unbound exposure over the first weeks (or the whole course if shorter), on
    a grid only that long: the grid's early values do not depend on later doses."""
    n = math.ceil(max(horizon_day, 0.0) * N.HOURS_PER_DAY / EXPOSURE_STEP_H) + 1
    n = min(n, math.floor(EXPOSURE_SUMMARY_DAYS * N.HOURS_PER_DAY / EXPOSURE_STEP_H + 1e-9) + 1)
    return {a: float(np.mean(c)) for a, c in exposure.on_grid(n, EXPOSURE_STEP_H).items()}


def drive(
    design: Design,
    pt: VirtualPatient,
    effect: EffectModel,
    tumour: TumourModel,
    stop_at_progression: bool = True,
) -> Drive:
    """Run the effect model over the patient's course, block by block; with
    ``stop_at_progression`` stop after the block in which RECIST progression is found."""
    horizon = max(pt.horizon_day, 0.0)
    exposure = patient_exposure(pt, effect)
    visits = visit_days(design, horizon, pt.visit_jitter_days)
    ts: list[np.ndarray] = []
    parts: dict[str, list[np.ndarray]] = {}
    inhibition: list[np.ndarray] = []

    def joined() -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        return (
            np.concatenate(ts),
            {c: np.concatenate(v) for c, v in parts.items()},
            np.concatenate(inhibition),
        )

    blocks = effect.blocks(exposure, pt.context, horizon, visits)
    for block in blocks:
        skip = 1 if ts else 0  # a block starts where the previous one ended
        ts.append(block.t_days[skip:])
        for c, v in block.shares.items():
            parts.setdefault(c, []).append(v[skip:])
        inh = block.mtorc1_inhibition
        inhibition.append((np.zeros(len(block.t_days)) if inh is None else inh)[skip:])
        end = float(block.t_days[-1])
        if stop_at_progression and end < horizon:
            t, shares, inh_all = joined()
            done = visits[visits <= end + 1e-9]
            rec = assess_course(design, pt, t, shares, done, tumour, inh_all)[2]
            if rec.progression_day is not None:
                break
    t, shares, inh_all = joined()
    return Drive(t, shares, inh_all, exposure, _exposure_summary(exposure, horizon))


def assess_course(
    design: Design,
    pt: VirtualPatient,
    t_days: np.ndarray,
    effect: Effect,
    visits: np.ndarray,
    tumour: TumourModel,
    mtorc1_inhibition: np.ndarray | None = None,
) -> tuple[np.ndarray, float, RecistResult]:
    """The tumour course under the drug effect (class shares, and the cells' mTORC1
    inhibition that restores acquired endocrine sensitivity), its new-lesion day and
    RECIST at the given visits: (ln SLD/SLD0 on ``t_days``, new-lesion day, RECIST)."""
    tp = pt.tumour
    log_size = tumour.integrate(t_days, effect, tp, mtorc1_inhibition)
    nl = tumour.new_lesion_day(t_days, log_size, tp)
    rec = assess(
        visits,
        tp.sld0_mm * np.exp(np.interp(visits, t_days, log_size)),
        tp.sld0_mm,
        new_lesion_day=nl,
        cr_threshold_mm=tumour.cr_threshold_mm,
        confirm=design.assessment.confirm_response,
    )
    return log_size, nl, rec


def overall_survival(
    pfs_day: float, progressed: bool, tp: TumourParams, cutoff_day: float
) -> tuple[float, bool]:
    """Overall survival (days, death observed): progression day plus the patient's survival
    after progression (Broglio & Berry 2009 J Natl Cancer Inst 101:1642: OS = PFS +
    survival post-progression, the latter independent of the arm), censored at the data
    cut-off (``cutoff_day`` after her randomisation).  Deaths before progression are not
    modelled; a patient whose PFS is censored is censored for OS at the same day (assumed:
    nothing is known of her later course), and one who progressed is followed to death or
    the cut-off (assumed: vital status is complete in the OS analyses, no dropout)."""
    if not progressed or not math.isfinite(tp.post_progression_days):
        return pfs_day, False
    death = pfs_day + tp.post_progression_days
    if death <= cutoff_day:
        return death, True
    return max(cutoff_day, pfs_day), False


def outcome(design: Design, pt: VirtualPatient, drv: Drive, tumour: TumourModel) -> PatientOutcome:
    """Tumour course, RECIST, PFS and dose intensity of a patient whose drive is known."""
    tp = pt.tumour
    t_days = drv.t_days
    vd = visit_days(design, min(pt.horizon_day, float(t_days[-1])), pt.visit_jitter_days)
    log_size, nl, rec = assess_course(
        design, pt, t_days, drv.shares, vd, tumour, drv.mtorc1_inhibition
    )
    event = rec.progression_day is not None
    pfs = rec.progression_day if rec.progression_day is not None else rec.last_assessment_day
    # a new lesion is reported as observed: up to the PFS day (progression or the last
    # assessment); after it the course is not followed (and where it stops depends on the
    # path), so a later one is not reported
    nl = nl if nl <= pfs else math.inf
    response_at = None
    if design.assessment.response_at_weeks is not None:
        day = design.assessment.response_at_weeks * N.DAYS_PER_WEEK
        if day in rec.visit_days:
            response_at = rec.categories[rec.visit_days.index(day)]
        else:
            response_at = N.PD if event else N.NE
    keep = t_days <= (rec.progression_day or pt.horizon_day) + 1e-9
    step = t_days[1] - t_days[0] if len(t_days) > 1 else 1.0
    every = max(1, round(CURVE_SPACING_DAYS / max(step, 1e-9)))
    cutoff = design.follow_up.cutoff_months * N.DAYS_PER_MONTH - pt.accrual_day
    os_day, os_event = overall_survival(float(pfs), event, tp, cutoff)
    return PatientOutcome(
        pt,
        rec,
        float(pfs),
        event,
        nl,
        drv.exposure_nM,
        t_days[keep][::every],
        (tp.sld0_mm * np.exp(log_size[keep]))[::every],
        response_at,
        drv.exposure.dose_intensity(float(pfs)),
        os_day,
        os_event,
    )


def simulate_patient(
    design: Design, pt: VirtualPatient, effect: EffectModel, tumour: TumourModel
) -> PatientOutcome:
    """One patient through every stage (stopping the effect model at progression)."""
    return outcome(design, pt, drive(design, pt, effect, tumour), tumour)


__all__ = [
    "Drive",
    "PatientOutcome",
    "arm_drugs",
    "assess_course",
    "drive",
    "effect_models",
    "outcome",
    "patient_exposure",
    "simulate_patient",
    "visit_days",
]
