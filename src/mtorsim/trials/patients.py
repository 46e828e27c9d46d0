"""Virtual patients: seeded, each drawn independently of the others.

Patient ``i`` of a trial run with seed ``s`` uses its own random stream
``numpy.random.default_rng([s, PATIENT_STREAM, i])`` and its arm comes from permuted
blocks with their own streams, so a patient's draw does not depend on how many patients
came before it (patient A then B gives B exactly as B alone) and a run can resume in
chunks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.domains import DOMAINS
from mtorsim.knowledge.names import DAYS_PER_MONTH, DAYS_PER_YEAR
from mtorsim.knowledge.sourced import Sourced
from mtorsim.pathway.build import parameter_default
from mtorsim.pathway.contexts import Context, load_context
from mtorsim.pharmacology.drugpk import DrugPK, drug_pk
from mtorsim.pharmacology.pk import PKParameters
from mtorsim.pharmacology.regimen import Modification, Patient, Regimen
from mtorsim.trials.design import Design
from mtorsim.trials.toxicity import load_toxicity
from mtorsim.tumour.model import (
    ENDOCRINE_TRAITS,
    PATIENT_FIELD,
    EndocrineTrait,
    PopulationTumour,
    TumourParams,
)

PATIENT_STREAM = 1
BLOCK_STREAM = 2
#: survival after progression has a stream of its own, so adding it left every earlier
#: draw (and so every PFS and response) as it was
SURVIVAL_STREAM = 3
#: visit-window draws kept per patient (more visits than any trial schedules)
MAX_VISITS = int(DOMAINS["visits"].high or 0)  # the declared "visits" domain


@dataclass
class VirtualPatient:
    index: int
    arm: str
    base_context: str
    context: Context
    genotype: dict[str, bool]
    strata: dict[str, bool]
    body: Patient
    pk: dict[str, PKParameters]
    tumour: TumourParams
    accrual_day: float
    dropout_day: float
    extras: dict[str, float] = field(default_factory=dict)
    visit_jitter_days: np.ndarray = field(default_factory=lambda: np.zeros(MAX_VISITS))
    modifications: dict[str, tuple[Modification, ...]] = field(default_factory=dict)

    def regimen(self, agent: str, planned: Regimen) -> Regimen:
        """The planned regimen with this patient's toxicity interruptions and reductions."""
        mods = self.modifications.get(agent, ())
        return replace(planned, modifications=(*planned.modifications, *mods)) if mods else planned

    @property
    def horizon_day(self) -> float:
        """Last day this patient can be observed (dropout or data cut-off)."""
        return self.extras["horizon_day"]


def arm_of(design: Design, index: int, seed: int) -> str:
    """Permuted-block randomisation (blocks of twice the ratio sum), seeded per block."""
    unit = [a.id for a in design.arms for _ in range(a.ratio)]
    block = unit * 2
    b, pos = divmod(index, len(block))
    rng = np.random.default_rng([seed, BLOCK_STREAM, b])
    return str(np.asarray(block)[rng.permutation(len(block))][pos])


#: contexts already built, by (design object, base, genotype); the design object is kept
#: and compared, so an id reused by another design never matches.  Cleared when it
#: holds this many (a bound on memory: a run needs 2^genotypes x base contexts)
_CONTEXTS: dict[tuple[int, str, tuple[tuple[str, bool], ...]], tuple[Design, Context]] = {}
_CONTEXTS_MAX = 4096


_PK: dict[int, tuple[Design, list[tuple[str, DrugPK]]]] = {}


def _pk_records(design: Design) -> list[tuple[str, DrugPK]]:
    """(agent id, PK record) of every drug of every arm, in the fixed draw order (by
    the name in the design), memoised per design object (a name lookup costs ~0.5 ms)."""
    hit = _PK.get(id(design))
    if hit is not None and hit[0] is design:
        return hit[1]
    if len(_PK) > _CONTEXTS_MAX:
        _PK.clear()
    records = [drug_pk(name) for name in sorted({d.drug for a in design.arms for d in a.doses})]
    _PK[id(design)] = (design, records)
    return records


def _context_for(design: Design, base: str, genotype: dict[str, bool]) -> Context:
    """The patient's context (memoised: ~1 ms to build, the same for every patient of a
    design with the same base and genotype)."""
    key = (id(design), base, tuple(sorted(genotype.items())))
    hit = _CONTEXTS.get(key)
    if hit is not None and hit[0] is design:
        return hit[1]
    if len(_CONTEXTS) > _CONTEXTS_MAX:
        _CONTEXTS.clear()
    ctx = _build_context(design, base, genotype)
    _CONTEXTS[key] = (design, ctx)
    return ctx


def _build_context(design: Design, base: str, genotype: dict[str, bool]) -> Context:
    ctx = load_context(base)
    values = ctx.values()
    params = dict(ctx.parameters)
    pop = design.population
    for name, pv in pop.overrides.items():
        params[name] = pv
        values[name] = pv.value
    tags = []
    for g in pop.genotypes:
        present = genotype[g.name]
        tags.append(f"{g.name}{'+' if present else '-'}")
        for k, mult in (g.present if present else g.absent).items():
            v = values.get(k, parameter_default(k)) * mult
            values[k] = v
            params[k] = Sourced(
                value=v, source=f"{g.name} {'present' if present else 'absent'}: x{mult:g}"
            )
    name = base + ("|" + ",".join(tags) if tags else "") + "|" + design.population.menopausal_status
    return ctx.model_copy(update={"name": name, "parameters": params})


def population_contexts(design: Design) -> list[Context]:
    """Every context a patient of the design can have: each base context with each
    combination of the population's genotypes."""
    import itertools

    names = [g.name for g in design.population.genotypes]
    return [
        _context_for(design, c.context, dict(zip(names, combo, strict=True)))
        for c in design.population.contexts
        for combo in itertools.product((False, True), repeat=len(names))
    ]


def _prognostic(design: Design, strata: dict[str, bool], tp: TumourParams) -> TumourParams:
    """The tumour with the prognostic effects of the patient's strata (no random draws)."""
    for f in design.stratification:
        if f.prognostic is not None and strata[f.name]:
            upd = {
                PATIENT_FIELD[k]: getattr(tp, PATIENT_FIELD[k]) * m
                for k, m in f.prognostic.multipliers.items()
            }
            tp = replace(tp, **upd)
    return tp


def endocrine_trait(
    design: Design, tumour: PopulationTumour, strata: dict[str, bool], u: float
) -> EndocrineTrait:
    """The patient's endocrine trait from the setting's mix (``u`` uniform on [0, 1));
    a stratification factor with ``endocrine_traits`` restricts the draw to its traits
    for patients in the stratum and to the others for the rest."""
    mix = tumour.settings[design.setting].endocrine
    allowed: tuple[EndocrineTrait, ...] = ENDOCRINE_TRAITS
    where = ""
    for f in design.stratification:  # at most one such factor (the design checks)
        if f.endocrine_traits is not None:
            inside = strata[f.name]
            allowed = tuple(t for t in ENDOCRINE_TRAITS if (t in f.endocrine_traits) == inside)
            where = (
                f" for patients {'in' if inside else 'outside'} stratum {f.name!r} "
                f"(endocrine_traits {f.endocrine_traits})"
            )
    w = np.array([mix.get(t, 0.0) for t in allowed], float)
    if not w.sum() > 0:
        raise MtorsimError(
            f"design {design.id}: setting {design.setting} has no patients with endocrine "
            f"traits {list(allowed)}{where}: its mix is {mix} (tumour/data/tumour.yaml); "
            "change the factor's endocrine_traits, its prevalence, or the setting"
        )
    cum = np.cumsum(w / w.sum())
    return allowed[min(int(np.searchsorted(cum, u, side="right")), len(allowed) - 1)]


def sample_patient(
    design: Design, index: int, seed: int, tumour: PopulationTumour, arm: str | None = None
) -> VirtualPatient:
    """Patient ``index`` of the run (its arm from the randomisation unless given)."""
    rng = np.random.default_rng([seed, PATIENT_STREAM, index])
    pop = design.population
    weights = np.array([c.weight.value for c in pop.contexts], float)
    base = pop.contexts[int(rng.choice(len(weights), p=weights / weights.sum()))].context
    genotype = {g.name: bool(rng.random() < g.prevalence.value) for g in pop.genotypes}
    strata = {f.name: bool(rng.random() < f.prevalence.value) for f in design.stratification}
    trait = endocrine_trait(design, tumour, strata, float(rng.random()))
    body = Patient(weight_kg=pop.weight_kg.value, height_cm=pop.height_cm.value)
    arm_id = arm if arm is not None else arm_of(design, index, seed)
    pk: dict[str, PKParameters] = {}
    # every patient draws PK for every drug of every arm in a fixed order, so the stream
    # (and hence the tumour draws below) does not depend on the arm
    for agent_id, rec in _pk_records(design):
        pk[agent_id] = rec.sample(rng, 1)[0]
    sld0 = pop.baseline_sld_mm.sample(rng)
    tp = TumourParams(
        sld0_mm=sld0,
        growth_per_day=tumour.growth_rate_per_day.sample(rng)
        * tumour.settings[design.setting].growth.value,
        effect_scale=tumour.effect_scale.sample(rng),
        resistance_per_day=tumour.resistance_rate_per_day.sample(rng),
        new_lesion_per_day=tumour.new_lesion_hazard_per_day.sample(rng),
        new_lesion_draw=float(rng.exponential()),
        endocrine=trait,
        post_progression_days=float(
            np.random.default_rng([seed, SURVIVAL_STREAM, index]).exponential()
            * tumour.post_progression_months(design.setting)
            * DAYS_PER_MONTH
            / math.log(2.0)
        ),
    )
    tp = _prognostic(design, strata, tp)
    fu = design.follow_up
    accrual = float(rng.uniform(0.0, fu.accrual_months * DAYS_PER_MONTH))
    rate = fu.dropout_per_year / DAYS_PER_YEAR
    dropout = float(rng.exponential(1.0 / rate)) if rate > 0 else math.inf
    jitter = rng.uniform(-1.0, 1.0, size=MAX_VISITS) * design.assessment.window_days
    # dose-limiting toxicity: two draws per drug that has a record, in a fixed order
    tox = load_toxicity()
    mods: dict[str, tuple[Modification, ...]] = {}
    for agent_id in sorted(pk):
        if agent_id in tox:
            u, e = float(rng.random()), float(rng.exponential())
            mods[agent_id] = tox[agent_id].modifications(u, e)
    horizon = min(dropout, fu.cutoff_months * DAYS_PER_MONTH - accrual)
    if fu.max_treatment_months is not None:
        horizon = min(horizon, fu.max_treatment_months * DAYS_PER_MONTH)
    return VirtualPatient(
        index,
        arm_id,
        base,
        _context_for(design, base, genotype),
        genotype,
        strata,
        body,
        pk,
        tp,
        accrual,
        dropout,
        {"horizon_day": horizon},
        jitter,
        mods,
    )
