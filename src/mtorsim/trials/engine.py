"""Virtual-patient simulation: PK -> signalling -> cell rates -> tumour -> RECIST.

Two paths give the same quantities:

* **fast path** (:class:`FastArmSimulator`): unbound concentrations on a regular grid by
  convolving each patient's dose train with the PK impulse response (exact at grid points
  when doses fall on the grid), signalling outputs from **response surfaces** precomputed
  per signalling context on a grid of concentrations (steady states, multilinear
  interpolation in log-concentration), tumour size by quadrature.  Signalling settles in
  hours while tumours change over weeks, which is what makes the surfaces valid.
* **exact path** (:func:`simulate_exact`): closed-form PK at every hour, the signalling
  ODEs integrated dynamically through the whole course
  (:meth:`PathwaySimulator.driven_course`, no surface, no quasi-steady state), the same
  tumour and RECIST rules.  It is slow and is run on a subsample to measure the fast
  path's error.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy.signal import fftconvolve

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base
from mtorsim.knowledge.vocab import Node, Route, SiteOfAction
from mtorsim.pathway.contexts import Context
from mtorsim.pathway.drugs import DrugDose
from mtorsim.pharmacology.drugpk import DrugPK, drug_pk
from mtorsim.pharmacology.pk import LinearPK, PKParameters
from mtorsim.pharmacology.regimen import DoseEvent, Patient, Regimen, parse_regimen
from mtorsim.response.cells import CellResponseModel, load_cytotoxics
from mtorsim.trials.design import Design
from mtorsim.trials.patients import DAYS_PER_MONTH, VirtualPatient
from mtorsim.tumour.model import PopulationTumour, log_size_course, new_lesion_day
from mtorsim.tumour.recist import RecistResult, assess

#: fast-path time step (h); daily, twice-daily and weekly doses fall on it
FAST_STEP_H = 2.0
#: exact-path segment length (h) over which drug levels are held
EXACT_STEP_H = 1.0
#: response-surface grid points per signalling agent
SURFACE_POINTS = 10


# ---------------------------------------------------------------------- systemic data
@functools.cache
def systemic_data() -> dict[str, Any]:
    path = Path(str(resources.files("mtorsim.trials") / "data" / "systemic.yaml"))
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class AgentPlan:
    """How one drug of an arm enters the cell layer."""

    agent: str  # knowledge-base id of the dosed drug
    regimen: Regimen
    record: DrugPK
    role: str  # "signalling" or "cytotoxic"
    cell_agent: str  # agent whose cell-level parameters apply (prodrug -> active form)
    scale: float  # model-equivalent nM per unbound nM
    scale_source: str


def _ai_scale(agent_id: str, rec: DrugPK, kb: KnowledgeBase) -> tuple[float, str] | None:
    ai = systemic_data()["aromatase_inhibition"].get(agent_id)
    if ai is None:
        return None
    f = float(ai["inhibition"]["value"])
    reg = parse_regimen(ai["regimen"])
    ph = reg.phases[-1]
    assert ph.period_days is not None
    p = rec.parameters()
    dose = ph.amount_mg(Patient()) * len(ph.days) * ph.times_per_day
    css_free = p.F * dose / (p.CL * ph.period_days * 24.0) * 1e6 / rec.molecular_weight.value
    css_free *= rec.fu.value
    k_vivo = css_free * (1.0 - f) / f
    k_agent = next(
        t.potency_nM
        for t in kb.agent(agent_id).targets
        if t.node == Node.AROMATASE and t.potency_nM is not None
    )
    return k_agent / k_vivo, (
        f"calibrated: in-patient potency {k_vivo:.3g} nM unbound so that {ai['regimen']} gives "
        f"{f:.1%} aromatization inhibition ({ai['inhibition']['source']})"
    )


def plan_arm(design: Design, arm_id: str, kb: KnowledgeBase | None = None) -> list[AgentPlan]:
    kb = kb if kb is not None else load_knowledge_base()
    plans = []
    cdata = load_cytotoxics()
    for dose in design.arm(arm_id).doses:
        agent_id, rec = drug_pk(dose.drug, kb)
        agent = kb.agent(agent_id)
        reg = parse_regimen(dose.regimen)
        if agent.site_of_action is SiteOfAction.SIGNALLING:
            ai = _ai_scale(agent_id, rec, kb)
            scale, src = ai if ai else (1.0, "unbound concentration (free-drug hypothesis)")
            plans.append(AgentPlan(agent_id, reg, rec, "signalling", agent_id, scale, src))
        elif agent.site_of_action is SiteOfAction.CYTOTOXIC:
            params = cdata.agents.get(agent_id)
            if params is not None and params.acts_as:
                pro = systemic_data()["prodrugs"].get(agent_id)
                if pro is None:
                    raise MtorsimError(f"{agent.name} is a prodrug with no exposure ratio")
                plans.append(
                    AgentPlan(
                        agent_id,
                        reg,
                        rec,
                        "cytotoxic",
                        str(pro["active"]),
                        float(pro["ratio"]["value"]),
                        str(pro["ratio"]["source"]),
                    )
                )
            else:
                plans.append(AgentPlan(agent_id, reg, rec, "cytotoxic", agent_id, 1.0, "unbound"))
        else:
            raise MtorsimError(
                f"{agent.name} acts on the microenvironment; virtual trials do not model it yet"
            )
    return plans


# ---------------------------------------------------------------------- PK on a grid
def _unit_kernel(p: PKParameters, t_h: np.ndarray, into: str, duration_h: float) -> np.ndarray:
    """Central concentration (mg/L) per mg given at t = 0 (bolus/depot or infusion)."""
    model = LinearPK(p)
    resp = model._response(into)
    lam, coef = resp.rates[None, :], resp.coef[None, :]
    tt = t_h[:, None]
    if duration_h > 0:
        t1 = np.minimum(tt, duration_h)
        terms = coef / lam * (1.0 - np.exp(-lam * t1)) * np.exp(-lam * (tt - t1)) / duration_h
    else:
        terms = coef * np.exp(-lam * tt)
    return np.asarray(terms.sum(axis=1) / p.V1)


def concentration_on_grid(
    p: PKParameters, events: list[DoseEvent], n: int, step_h: float
) -> np.ndarray:
    """mg/L at ``k * step_h``, k < n: dose trains convolved with unit responses; exact at
    grid points for doses given on the grid (other dose times are rounded to it)."""
    t = np.arange(n) * step_h
    out = np.zeros(n)
    groups: dict[tuple[str, float], np.ndarray] = {}
    for ev in events:
        k = round(ev.time_h / step_h)
        if k >= n:
            continue
        if ev.route is Route.IV:
            key, amount = ("central", ev.duration_h), ev.amount_mg
        else:
            if p.ka is None:
                raise MtorsimError("a non-IV dose needs an absorption rate")
            key, amount = ("depot", 0.0), ev.amount_mg * p.F
        groups.setdefault(key, np.zeros(n))[k] += amount
    for (into, dur), train in groups.items():
        out += fftconvolve(train, _unit_kernel(p, t, into, dur))[:n]
    return np.maximum(out, 0.0)


def unbound_nM(plan: AgentPlan, conc_mg_L: np.ndarray) -> np.ndarray:
    """Model-equivalent unbound nM for the cell layer."""
    return conc_mg_L * 1e6 / plan.record.molecular_weight.value * plan.record.fu.value * plan.scale


# ---------------------------------------------------------------------- surfaces
@dataclass
class Surface:
    """Signalling outputs on a grid of concentrations of an arm's signalling agents."""

    agents: tuple[str, ...]
    nodes_nM: list[np.ndarray]
    eps: list[float]
    proliferation: np.ndarray
    survival: np.ndarray

    @staticmethod
    def build(
        model: CellResponseModel,
        context: Context,
        agents: tuple[str, ...],
        ranges: list[tuple[float, float]],
        points: int = SURFACE_POINTS,
    ) -> Surface:
        nodes = [np.concatenate([[0.0], np.geomspace(lo, hi, points - 1)]) for lo, hi in ranges]
        shape = tuple(len(x) for x in nodes)
        prol, surv = np.empty(shape), np.empty(shape)
        for idx in itertools.product(*(range(s) for s in shape)):
            doses = {
                a: float(nodes[j][i]) for j, (a, i) in enumerate(zip(agents, idx, strict=True))
            }
            r = model.sim.steady_state(context, [DrugDose(a, c) for a, c in doses.items()])
            prol[idx], surv[idx] = r["proliferation"], r["survival"]
        return Surface(agents, nodes, [lo / 10.0 for lo, _ in ranges], prol, surv)

    def __call__(self, conc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Multilinear interpolation in log(C + eps); ``conc`` is (n_points, n_agents);
        concentrations above the grid are held at its top."""
        c = np.atleast_2d(conc)
        idx, w = [], []
        for j, nodes in enumerate(self.nodes_nM):
            u_nodes = np.log(nodes + self.eps[j])
            u = np.log(np.clip(c[:, j], 0.0, nodes[-1]) + self.eps[j])
            i = np.clip(np.searchsorted(u_nodes, u, side="right") - 1, 0, len(nodes) - 2)
            frac = (u - u_nodes[i]) / (u_nodes[i + 1] - u_nodes[i])
            idx.append(i)
            w.append(np.clip(frac, 0.0, 1.0))
        p = np.zeros(len(c))
        s = np.zeros(len(c))
        for corner in itertools.product((0, 1), repeat=len(self.agents)):
            weight = np.ones(len(c))
            sel = []
            for j, bit in enumerate(corner):
                weight = weight * (w[j] if bit else 1.0 - w[j])
                sel.append(idx[j] + bit)
            p += weight * self.proliferation[tuple(sel)]
            s += weight * self.survival[tuple(sel)]
        return p, s


# ---------------------------------------------------------------------- outcomes
@dataclass
class PatientOutcome:
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

    @property
    def index(self) -> int:
        return self.patient.index

    @property
    def arm(self) -> str:
        return self.patient.arm

    def row(self) -> dict[str, Any]:
        pt = self.patient
        r: dict[str, Any] = {
            "patient": pt.index,
            "arm": pt.arm,
            "context": pt.base_context,
            "context_full": pt.context.name,
        }
        r.update({f"genotype:{k}": v for k, v in pt.genotype.items()})
        r.update({f"stratum:{k}": v for k, v in pt.strata.items()})
        r.update({f"exposure_unbound_nM:{k}": v for k, v in self.exposure_nM.items()})
        r.update({f"dose_intensity_mg_day:{k}": v for k, v in self.dose_intensity_mg_day.items()})
        r.update(
            {
                f"dose_modified:{k}": bool(v)
                for k, v in pt.modifications.items()
                if k in self.dose_intensity_mg_day
            }
        )
        r.update(
            {
                "baseline_sld_mm": pt.tumour.sld0_mm,
                "best_response": self.recist.best_response,
                "best_change_pct": self.recist.best_change_pct,
                "clinical_benefit": self.recist.cbr,
                "response_at": self.response_at,
                "pfs_months": self.pfs_day / DAYS_PER_MONTH,
                "event": self.event,
                "new_lesion_day": self.new_lesion_day,
                "assessments": len(self.recist.visit_days),
            }
        )
        return r


def visit_days(design: Design, horizon_day: float, jitter: np.ndarray | None = None) -> np.ndarray:
    """Scheduled assessments up to ``horizon_day``, each moved by the patient's window draw
    (the response-at visit of neoadjuvant designs is fixed)."""
    step = design.assessment.interval_weeks * 7.0
    n = math.floor(horizon_day / step + 1e-9) + 1
    days = step * np.arange(1, n + 1)
    if jitter is not None:
        days = days + jitter[: len(days)]
    days = days[(days > 0) & (days <= horizon_day)]
    if design.assessment.response_at_weeks is not None:
        extra = design.assessment.response_at_weeks * 7.0
        if extra <= horizon_day:
            days = np.unique(np.append(days, extra))
    return days


def _outcome(
    design: Design,
    pt: VirtualPatient,
    t_days: np.ndarray,
    log_size: np.ndarray,
    exposure: dict[str, float],
    cr_mm: float,
    doses: dict[str, list[DoseEvent]],
) -> PatientOutcome:
    tp = pt.tumour
    vd = visit_days(design, min(pt.horizon_day, float(t_days[-1])), pt.visit_jitter_days)
    sld_v = tp.sld0_mm * np.exp(np.interp(vd, t_days, log_size))
    nl = new_lesion_day(t_days, log_size, tp)
    rec = assess(
        vd,
        sld_v,
        tp.sld0_mm,
        new_lesion_day=nl,
        cr_threshold_mm=cr_mm,
        confirm=design.assessment.confirm_response,
    )
    event = rec.progression_day is not None
    pfs = rec.progression_day if rec.progression_day is not None else rec.last_assessment_day
    response_at = None
    if design.assessment.response_at_weeks is not None:
        day = design.assessment.response_at_weeks * 7.0
        if day in rec.visit_days:
            response_at = rec.categories[rec.visit_days.index(day)]
        elif event:
            response_at = "PD"
        else:
            response_at = "NE"
    on_study = float(pfs)
    intensity = {
        a: sum(e.amount_mg for e in ev if e.time_h < on_study * 24.0) / on_study
        if on_study > 0
        else None
        for a, ev in doses.items()
    }
    keep = t_days <= (rec.progression_day or pt.horizon_day) + 1e-9
    every = max(1, round(7.0 / max(t_days[1] - t_days[0], 1e-9)))  # weekly samples
    return PatientOutcome(
        pt,
        rec,
        float(pfs),
        event,
        nl,
        exposure,
        t_days[keep][::every],
        (tp.sld0_mm * np.exp(log_size[keep]))[::every],
        response_at,
        intensity,
    )


# ---------------------------------------------------------------------- fast path
@dataclass
class Drive:
    """Change of the culture net growth rate (1/day) on the patient's time grid."""

    t_days: np.ndarray
    dk_per_day: np.ndarray
    exposure: dict[str, float]
    doses: dict[str, list[DoseEvent]]


class FastArmSimulator:
    """Fast path for one arm: surfaces are built once per signalling context and reused."""

    def __init__(
        self,
        design: Design,
        arm_id: str,
        tumour: PopulationTumour,
        model: CellResponseModel | None = None,
        step_h: float = FAST_STEP_H,
    ) -> None:
        self.design, self.arm_id, self.tumour = design, arm_id, tumour
        self.model = model if model is not None else CellResponseModel()
        self.plans = plan_arm(design, arm_id, self.model.kb)
        self.step_h = step_h
        self.signalling = tuple(p for p in self.plans if p.role == "signalling")
        self.cytotoxic = tuple(p for p in self.plans if p.role == "cytotoxic")
        self.ranges = [self._range(p) for p in self.signalling]
        self.surfaces: dict[str, Surface] = {}

    def _range(self, plan: AgentPlan) -> tuple[float, float]:
        """Concentration range of a typical patient over 4 weeks, widened 20-fold each way
        for between-patient variability."""
        n = int(28 * 24 / self.step_h)
        c = unbound_nM(
            plan,
            concentration_on_grid(
                plan.record.parameters(), plan.regimen.events(28, Patient()), n, self.step_h
            ),
        )
        pos = c[c > 0]
        if pos.size == 0:
            raise MtorsimError(f"{plan.agent}: regimen gives no exposure in 4 weeks")
        # lowest level after the first week (the build-up is below any steady trough)
        lo = float(pos[len(pos) // 4 :].min()) / 20.0
        return lo, float(pos.max()) * 20.0

    def surface(self, ctx: Context) -> Surface | None:
        if not self.signalling:
            return None
        if ctx.name not in self.surfaces:
            self.surfaces[ctx.name] = Surface.build(
                self.model, ctx, tuple(p.agent for p in self.signalling), self.ranges
            )
        return self.surfaces[ctx.name]

    def concentrations(
        self, pt: VirtualPatient, n: int
    ) -> tuple[dict[str, np.ndarray], dict[str, list[DoseEvent]]]:
        """Unbound model-equivalent nM on the grid, and the dose events, per agent."""
        out, events = {}, {}
        days = n * self.step_h / 24.0 + 1.0
        for plan in self.plans:
            ev = pt.regimen(plan.agent, plan.regimen).events(days, pt.body)
            events[plan.agent] = ev
            out[plan.agent] = unbound_nM(
                plan, concentration_on_grid(pt.pk[plan.agent], ev, n, self.step_h)
            )
        return out, events

    def drive(self, pt: VirtualPatient) -> Drive:
        """The patient's drug effect over time: everything that does not depend on the
        tumour parameters (so calibration can reuse it)."""
        if pt.arm != self.arm_id:
            raise MtorsimError(f"patient {pt.index} is in arm {pt.arm}, not {self.arm_id}")
        horizon_h = max(pt.horizon_day, 0.0) * 24.0
        n = math.ceil(horizon_h / self.step_h) + 1
        t_days = np.arange(n) * self.step_h / 24.0
        conc, events = self.concentrations(pt, n)
        surf = self.surface(pt.context)
        if surf is not None:
            cm = np.column_stack([conc[p.agent] for p in self.signalling])
            prol, surv = surf(cm)
        else:
            p0, s0 = self.model._signals(pt.context, {})
            prol, surv = np.full(n, p0), np.full(n, s0)
        cyto = {p.cell_agent: conc[p.agent] for p in self.cytotoxic}
        net = self.model.net_rate(pt.context, prol, surv, cyto)
        dk = (net - self.model.untreated_net(pt.context)) * 24.0
        first = t_days <= 28.0
        exposure = {a: float(np.mean(c[first])) for a, c in conc.items()}
        return Drive(t_days, dk, exposure, events)

    def outcome(
        self, pt: VirtualPatient, drv: Drive, tumour: PopulationTumour | None = None
    ) -> PatientOutcome:
        """Tumour course and RECIST for a patient whose drive is known."""
        log_size = log_size_course(drv.t_days, drv.dk_per_day, pt.tumour)
        cr = (tumour or self.tumour).cr_threshold_mm.value
        return _outcome(self.design, pt, drv.t_days, log_size, drv.exposure, cr, drv.doses)

    def simulate(self, pt: VirtualPatient) -> PatientOutcome:
        return self.outcome(pt, self.drive(pt))


# ---------------------------------------------------------------------- exact path
def simulate_exact(
    design: Design,
    pt: VirtualPatient,
    tumour: PopulationTumour,
    model: CellResponseModel | None = None,
    step_h: float = EXACT_STEP_H,
) -> PatientOutcome:
    """The coupled model for one patient: exact PK, dynamic signalling, tumour, RECIST;
    integrates visit by visit and stops at progression."""
    model = model if model is not None else CellResponseModel()
    plans = plan_arm(design, pt.arm, model.kb)
    sig = [p for p in plans if p.role == "signalling"]
    cyt = [p for p in plans if p.role == "cytotoxic"]
    horizon = max(pt.horizon_day, 0.0)
    events = {p.agent: pt.regimen(p.agent, p.regimen).events(horizon + 1.0, pt.body) for p in plans}
    pk = {p.agent: LinearPK(pt.pk[p.agent]) for p in plans}
    g0 = model.untreated_net(pt.context)
    vd = visit_days(design, horizon, pt.visit_jitter_days)
    t_all = [0.0]
    logs = [0.0]
    exposure_acc: dict[str, list[float]] = {p.agent: [] for p in plans}
    started = False
    prev_rate: float | None = None
    cr = tumour.cr_threshold_mm.value
    stops = list(vd) + ([horizon] if not len(vd) or vd[-1] < horizon else [])
    t0 = 0.0
    for stop in stops:
        n_seg = max(1, math.ceil((stop - t0) * 24.0 / step_h))
        t_edges = np.linspace(t0, stop, n_seg + 1)  # days
        mids_h = (t_edges[:-1] + t_edges[1:]) / 2.0 * 24.0
        ends_h = t_edges * 24.0
        conc_mid = {
            p.agent: unbound_nM(p, pk[p.agent].concentration(mids_h, events[p.agent]))
            for p in plans
        }
        conc_end = {
            p.agent: unbound_nM(p, pk[p.agent].concentration(ends_h, events[p.agent]))
            for p in plans
        }
        for p in plans:
            exposure_acc[p.agent].extend(conc_mid[p.agent][t_edges[:-1] < 28.0].tolist())
        if sig:
            held = np.column_stack([conc_mid[p.agent] for p in sig])
            held = np.vstack([held, held[-1:]])  # the last row only closes the grid
            out = model.sim.driven_course(
                pt.context,
                [p.agent for p in sig],
                t_edges * 1440.0,
                held,
                resume=started,
            )
            started = True
            prol, surv = out["proliferation"], out["survival"]
        else:
            p0, s0 = model._signals(pt.context, {})
            prol, surv = np.full(len(t_edges), p0), np.full(len(t_edges), s0)
        cyto = {p.cell_agent: conc_end[p.agent] for p in cyt}
        net = model.net_rate(pt.context, prol, surv, cyto)
        dk = (net - g0) * 24.0
        tp = pt.tumour
        rate = tp.growth_per_day + tp.effect_scale * np.exp(-tp.resistance_per_day * t_edges) * dk
        if prev_rate is not None:
            rate[0] = prev_rate
        inc = np.cumsum(np.diff(t_edges) * (rate[1:] + rate[:-1]) / 2.0)
        t_all.extend(t_edges[1:].tolist())
        logs.extend((logs[-1] + inc).tolist())
        prev_rate = float(rate[-1])
        t0 = stop
        # stop once progression is certain
        ta, la = np.asarray(t_all), np.asarray(logs)
        done = vd[vd <= stop + 1e-9]
        rec = assess(
            done,
            tp.sld0_mm * np.exp(np.interp(done, ta, la)),
            tp.sld0_mm,
            new_lesion_day=new_lesion_day(ta, la, tp),
            cr_threshold_mm=cr,
            confirm=design.assessment.confirm_response,
        )
        if rec.progression_day is not None:
            break
    ta, la = np.asarray(t_all), np.asarray(logs)
    exposure = {a: float(np.mean(v)) if v else 0.0 for a, v in exposure_acc.items()}
    return _outcome(design, pt, ta, la, exposure, cr, events)
