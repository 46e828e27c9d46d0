"""Trial designs: a versioned YAML schema (pydantic), built-in designs and loading.

A design names its arms (regimens in the pharmacology layer's text form), randomisation,
population (signalling contexts, genotype prevalences, baseline tumour burden), assessment
schedule, follow-up and endpoints.  ``mtorsim trial schema`` exports the JSON Schema.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mtorsim.errors import DataFileError, MtorsimError
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base
from mtorsim.knowledge.documents import read_mapping, validation_problems
from mtorsim.knowledge.domains import Domain, DomainError, check, suspect
from mtorsim.knowledge.names import DAYS_PER_MONTH, DAYS_PER_WEEK, ENDPOINT_UNITS
from mtorsim.knowledge.sourced import Sourced
from mtorsim.pathway.build import parameter_values
from mtorsim.pathway.contexts import load_context
from mtorsim.pharmacology.drugpk import drug_pk
from mtorsim.pharmacology.regimen import Regimen, RegimenText
from mtorsim.tumour.model import SETTINGS, EndocrineTrait, LogNormal, Setting

DESIGN_FORMAT = "1.0"

Endpoint = Literal["PFS", "TTP", "OS", "ORR", "CBR", "DCR", "RESPONSE_AT"]


class DesignError(MtorsimError):
    """A trial design that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Dose(_Strict):
    drug: str = Field(description="agent name or synonym from the knowledge base")
    regimen: RegimenText = Field(description="pharmacology text form, e.g. '10 mg daily'")
    source: str | None = Field(
        default=None, min_length=3, description="where the dose and schedule come from"
    )
    treatment_months: float | None = Field(
        default=None,
        gt=0,
        description="this drug stops after so many months (e.g. 6 cycles of chemotherapy "
        "before maintenance); the patient stays on study",
    )

    def planned_regimen(self) -> Regimen:
        """The regimen as planned, with the drug's own treatment duration applied."""
        if self.treatment_months is None:
            return self.regimen
        return self.regimen.interrupted(self.treatment_months * DAYS_PER_MONTH, math.inf)


class Arm(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="arm id (matches the KB)")
    label: str
    ratio: int = Field(default=1, ge=1, description="randomisation weight")
    placebo: bool = Field(default=False, description="the arm includes a placebo")
    doses: list[Dose] = Field(min_length=1)


class ContextWeight(_Strict):
    context: str = Field(description="a built-in signalling context (mtorsim pathway contexts)")
    weight: Sourced


class Genotype(_Strict):
    name: str
    prevalence: Sourced
    present: dict[str, float] = Field(
        default_factory=dict, description="context-parameter multipliers when present"
    )
    absent: dict[str, float] = Field(
        default_factory=dict, description="context-parameter multipliers when absent"
    )


#: tumour parameters a stratification factor may change when present
TumourParameter = Literal[
    "growth_rate_per_day", "effect_scale", "resistance_rate_per_day", "new_lesion_hazard_per_day"
]


class Prognostic(_Strict):
    """What a stratification factor does to a patient's tumour when present."""

    multipliers: dict[TumourParameter, float] = Field(
        description="tumour-parameter multipliers (> 0) for patients with the factor"
    )
    source: str = Field(min_length=3, description="citation, 'calibrated: ...' or 'assumed: ...'")

    @field_validator("multipliers")
    @classmethod
    def _positive(cls, m: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in m.items() if not (math.isfinite(v) and v > 0)}
        if bad:
            raise ValueError(f"multipliers must be finite and > 0, got {bad}")
        return m


class Factor(_Strict):
    name: str
    prevalence: Sourced
    prognostic: Prognostic | None = Field(
        default=None, description="the factor's prognostic effect (none: stratum label only)"
    )
    endocrine_traits: list[EndocrineTrait] | None = Field(
        default=None,
        description="the endocrine traits of patients in this stratum: the stratum is the "
        "patient's trait (e.g. 'sensitive to prior endocrine therapy' = [acquired]), and the "
        "others have the setting's other traits",
    )


class Population(_Strict):
    description: str
    menopausal_status: Literal["pre", "post", "any"] = "any"
    contexts: list[ContextWeight] = Field(min_length=1)
    genotypes: list[Genotype] = Field(default_factory=list)
    overrides: dict[str, Sourced] = Field(
        default_factory=dict, description="signalling-model parameters set for every patient"
    )
    baseline_sld_mm: LogNormal
    weight_kg: Sourced = Sourced(value=70.0, source="assumed: adult reference body weight")
    height_cm: Sourced = Sourced(value=165.0, source="assumed: reference adult woman")


class Assessment(_Strict):
    interval_weeks: float = Field(gt=0)
    window_days: float = Field(
        default=0.0, ge=0, description="visits fall uniformly within +/- this many days"
    )
    confirm_response: bool = False
    response_at_weeks: float | None = Field(default=None, gt=0)


class FollowUp(_Strict):
    accrual_months: float = Field(ge=0)
    cutoff_months: float = Field(gt=0, description="data cut-off, months after first patient")
    dropout_per_year: float = Field(default=0.0, ge=0)
    max_treatment_months: float | None = Field(default=None, gt=0)


class PublishedResult(_Strict):
    """A published result written into the design (a trial the knowledge base lacks)."""

    endpoint: Literal[
        "pfs_median",
        "hazard_ratio",
        "os_median",
        "os_hazard_ratio",
        "ORR",
        "CBR",
        "DCR",
        "RESPONSE_AT",
    ] = Field(
        description="pfs_median (months; TTP too), hazard_ratio, os_median (months), "
        "os_hazard_ratio, or a rate in %"
    )
    arm: str | None = Field(
        default=None, description="arm id (every endpoint but the hazard ratios)"
    )
    comparison: str | None = Field(
        default=None, description="'EXPERIMENTAL vs CONTROL' (hazard ratios only)"
    )
    value: float = Field(allow_inf_nan=False)
    ci_low: float | None = Field(default=None, allow_inf_nan=False)
    ci_high: float | None = Field(default=None, allow_inf_nan=False)
    source: str = Field(min_length=3, description="citation: a DOI, PMID, NCT ID or reference")

    @property
    def key(self) -> str:
        return self.endpoint

    @property
    def unit(self) -> str:
        return ENDPOINT_UNITS[self.endpoint]

    @model_validator(mode="after")
    def _where(self) -> PublishedResult:
        if self.endpoint in ("hazard_ratio", "os_hazard_ratio"):
            if self.comparison is None or self.arm is not None:
                raise ValueError(f"a {self.endpoint} gives comparison: 'EXPERIMENTAL vs CONTROL'")
        elif self.arm is None or self.comparison is not None:
            raise ValueError(f"a {self.endpoint} result gives the arm it belongs to")
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError("give both ci_low and ci_high, or neither")
        return self


class Published(_Strict):
    trial: str | None = Field(default=None, description="knowledge-base trial id")
    analysis: str | None = Field(default=None, description="knowledge-base analysis label")
    results: list[PublishedResult] = Field(
        default_factory=list,
        description="published results given here (beside, or instead of, the knowledge base's)",
    )


class ComparisonSpec(_Strict):
    experimental: str = Field(description="arm id")
    control: str = Field(description="arm id")


class Design(_Strict):
    format_version: Literal["1.0"]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    source: str = Field(min_length=3, description="where the design comes from")
    phase: str
    n_patients: int = Field(gt=0)
    arms: list[Arm] = Field(min_length=1)
    experimental: str | None = Field(
        default=None, description="arm id compared with control (the primary comparison)"
    )
    control: str | None = None
    comparisons: list[ComparisonSpec] = Field(
        default_factory=list,
        description="further comparisons (three-arm trials), after the primary one",
    )
    setting: Setting = Field(
        description="the clinical setting (tumour/data/tumour.yaml settings): growth and "
        "endocrine traits depend on it"
    )
    stratification: list[Factor] = Field(default_factory=list)
    population: Population
    assessment: Assessment
    follow_up: FollowUp
    endpoints: list[Endpoint] = Field(min_length=1)
    published: Published | None = None
    notes: str = ""

    @model_validator(mode="before")
    @classmethod
    def _needs_setting(cls, data: Any) -> Any:
        if isinstance(data, dict) and "setting" not in data:
            raise ValueError(
                "setting: give the clinical setting (it sets tumour growth and the patients' "
                f"endocrine traits), one of {', '.join(SETTINGS)}; see docs/trial-designs.md"
            )
        return data

    @field_validator("arms")
    @classmethod
    def _unique_arms(cls, arms: list[Arm]) -> list[Arm]:
        ids = [a.id for a in arms]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate arm ids {sorted(dup)}")
        return arms

    @model_validator(mode="after")
    def _comparison(self) -> Design:
        ids = {a.id for a in self.arms}
        for role in ("experimental", "control"):
            v = getattr(self, role)
            if v is not None and v not in ids:
                raise ValueError(f"{role} arm {v!r} is not one of the arms {sorted(ids)}")
        if (self.experimental is None) != (self.control is None):
            raise ValueError("give both experimental and control arms, or neither")
        for i, c in enumerate(self.comparisons):
            for role in ("experimental", "control"):
                v = getattr(c, role)
                if v not in ids:
                    raise ValueError(
                        f"comparisons[{i}].{role}: arm {v!r} is not one of the arms {sorted(ids)}"
                    )
            if c.experimental == c.control:
                raise ValueError(f"comparisons[{i}]: an arm cannot be compared with itself")
        if self.experimental is not None and self.experimental == self.control:
            raise ValueError("experimental and control must be different arms")
        if self.published is not None:
            keys = {f"{e} vs {c}" for e, c in self.comparison_pairs()}
            for i, r in enumerate(self.published.results):
                if r.arm is not None and r.arm not in ids:
                    raise ValueError(
                        f"published.results[{i}].arm: {r.arm!r} is not one of {sorted(ids)}"
                    )
                if r.comparison is not None and r.comparison not in keys:
                    raise ValueError(
                        f"published.results[{i}].comparison: {r.comparison!r} is not one of "
                        f"the design's comparisons {sorted(keys)}"
                    )
        if "RESPONSE_AT" in self.endpoints and self.assessment.response_at_weeks is None:
            raise ValueError("endpoint RESPONSE_AT needs assessment.response_at_weeks")
        if self.follow_up.accrual_months >= self.follow_up.cutoff_months:
            raise ValueError("follow_up.cutoff_months must come after accrual_months")
        return self

    def digest(self) -> str:
        """Hash of the design's content (provenance)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def comparison_pairs(self) -> list[tuple[str, str]]:
        """(experimental, control) of every comparison, the primary one first."""
        pairs = [(self.experimental, self.control)] if self.experimental and self.control else []
        pairs += [(c.experimental, c.control) for c in self.comparisons]
        return list(dict.fromkeys(pairs))

    def arm(self, arm_id: str) -> Arm:
        for a in self.arms:
            if a.id == arm_id:
                return a
        raise DesignError(f"{self.id}: no arm {arm_id!r}")


def _builtin_dir() -> Path:
    return Path(str(resources.files("mtorsim.trials") / "designs"))


def builtin_designs() -> dict[str, Path]:
    """id -> path of every built-in design."""
    return {p.stem: p for p in sorted(_builtin_dir().glob("*.yaml"))}


#: an override may set a model parameter to at most this multiple of its default
#: (assumed: three decades, beyond the calibrations' bounds of two)
OVERRIDE_SPAN = 1000.0


def _check_semantics(d: Design, where: str, kb: KnowledgeBase) -> None:
    """What the schema cannot check: drugs known, regimens readable, contexts present,
    every number inside its declared domain (:mod:`mtorsim.knowledge.domains`)."""
    check("patients", d.n_patients, where, "n_patients")
    for i, arm in enumerate(d.arms):
        check("ratio", arm.ratio, where, f"arms[{i}].ratio")
        seen: dict[str, int] = {}
        for j, dose in enumerate(arm.doses):
            field = f"arms[{i}].doses[{j}]"
            try:
                agent_id, _ = drug_pk(dose.drug, kb)
            except MtorsimError as exc:
                raise DesignError(f"{where}: {field}.drug: {exc}") from None
            if agent_id in seen:
                raise DesignError(
                    f"{where}: {field}.drug: {dose.drug!r} is {agent_id}, already given in "
                    f"arms[{i}].doses[{seen[agent_id]}]; give each drug once per arm (a "
                    "loading dose or a schedule change goes in one regimen, e.g. '4 mg/kg IV "
                    "once then 2 mg/kg IV weekly')"
                )
            seen[agent_id] = j
    weights = []
    for i, cw in enumerate(d.population.contexts):
        try:
            load_context(cw.context)
        except MtorsimError as exc:
            raise DesignError(f"{where}: population.contexts[{i}].context: {exc}") from None
        weights.append(check("weight", cw.weight.value, where, f"population.contexts[{i}].weight"))
    if len(weights) > 1 and abs(sum(weights) - 1.0) > 0.01:
        suspect(
            f"{where}: population.contexts: the weights sum to {sum(weights):.4g}, not 1; they "
            "are used as relative weights (each divided by the sum)"
        )
    for name in ("weight_kg", "height_cm"):
        check(name, getattr(d.population, name).value, where, f"population.{name}.value")
    fu, asm, pop = d.follow_up, d.assessment, d.population
    check("interval weeks", asm.interval_weeks, where, "assessment.interval_weeks")
    check("window days", asm.window_days, where, "assessment.window_days")
    if asm.window_days > asm.interval_weeks * 7.0 / 2:
        raise DesignError(
            f"{where}: assessment.window_days = {asm.window_days:g}: allowed at most half the "
            f"interval ({asm.interval_weeks * 3.5:g} days), so that visits keep their order"
        )
    if asm.response_at_weeks is not None:
        months = asm.response_at_weeks * DAYS_PER_WEEK / DAYS_PER_MONTH
        check("follow-up months", months, where, "assessment.response_at_weeks (in months)")
    for name in ("cutoff_months", "max_treatment_months"):
        if getattr(fu, name) is not None:
            check("follow-up months", getattr(fu, name), where, f"follow_up.{name}")
    check("accrual months", fu.accrual_months, where, "follow_up.accrual_months")
    check("dropout per year", fu.dropout_per_year, where, "follow_up.dropout_per_year")
    check("sld mm", pop.baseline_sld_mm.median, where, "population.baseline_sld_mm.median")
    check("cv", pop.baseline_sld_mm.cv, where, "population.baseline_sld_mm.cv")
    for i, arm in enumerate(d.arms):
        for j, dose in enumerate(arm.doses):
            if dose.treatment_months is not None:
                field = f"arms[{i}].doses[{j}].treatment_months"
                check("follow-up months", dose.treatment_months, where, field)
    for i, g in enumerate(d.population.genotypes):
        check("prevalence", g.prevalence.value, where, f"population.genotypes[{i}].prevalence")
    for i, f in enumerate(d.stratification):
        check("prevalence", f.prevalence.value, where, f"stratification[{i}].prevalence")
        for tk, mult in (f.prognostic.multipliers if f.prognostic else {}).items():
            field = f"stratification[{i}].prognostic.multipliers.{tk}"
            check("prognostic multiplier", mult, where, field)
    # every patient draws a fixed number of visit-window jitters (the seeded stream)
    horizon = d.follow_up.cutoff_months * DAYS_PER_MONTH
    if d.follow_up.max_treatment_months is not None:
        horizon = min(horizon, d.follow_up.max_treatment_months * DAYS_PER_MONTH)
    visits = math.floor(horizon / (d.assessment.interval_weeks * DAYS_PER_WEEK) + 1e-9) + 1
    check("visits", visits, where, "assessments (follow_up.cutoff_months / interval_weeks)")
    params = parameter_values()

    def known(name: str) -> str:
        close = difflib.get_close_matches(name, list(params), n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        return f"({hint}see mtorsim.pathway.build.parameter_values())"

    for i, g in enumerate(d.population.genotypes):
        for side in ("present", "absent"):
            for k, mult in getattr(g, side).items():
                field = f"population.genotypes[{i}].{side}.{k}"
                if k not in params:
                    raise DesignError(
                        f"{where}: {field}: {k!r} is not a model parameter {known(k)}"
                    )
                check("multiplier", mult, where, field)
    for k, v in d.population.overrides.items():
        field = f"population.overrides.{k}.value"
        if k not in params:
            raise DesignError(
                f"{where}: population.overrides.{k}: {k!r} is not a model parameter {known(k)}"
            )
        default = params[k]
        if default > 0:
            Domain(
                field,
                0.0,
                OVERRIDE_SPAN * default,
                why="a model parameter: a rate, level or constant, never negative",
                fix=f"give a value between 0 and {OVERRIDE_SPAN:g}x the model's {default:g}",
            ).check(v.value, where, field)
        else:
            check("override", v.value, where, field)
    if d.published is not None and d.published.trial is not None:
        try:
            kb.trial(d.published.trial)
        except MtorsimError as exc:
            raise DesignError(f"{where}: published.trial: {exc}") from None


def parse_design(raw: object, where: str = "<design>", kb: KnowledgeBase | None = None) -> Design:
    """Validate a design mapping; errors name ``where`` and the field."""
    try:
        d = Design.model_validate(raw)
    except ValidationError as exc:
        raise DesignError(f"{where}: {'; '.join(validation_problems(exc, raw))}") from None
    try:
        _check_semantics(d, where, kb if kb is not None else load_knowledge_base())
    except DomainError as exc:
        raise DesignError(str(exc)) from None
    return d


def load_design(name_or_path: str | Path, kb: KnowledgeBase | None = None) -> Design:
    """A built-in design by id (``bolero-2``) or a YAML file."""
    text = str(name_or_path)
    designs = builtin_designs()
    key = text.lower().replace("_", "-")
    if key in designs:
        path = designs[key]
    else:
        path = Path(text)
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            squeezed = {k.replace("-", ""): k for k in designs}
            close = difflib.get_close_matches(key, list(designs), n=3, cutoff=0.6)
            if key.replace("-", "") in squeezed:
                close = [squeezed[key.replace("-", "")], *close]
            hint = (
                f"did you mean {', '.join(dict.fromkeys(close))}? "
                if close
                else f"built-in designs: {', '.join(designs)} "
            )
            what = "YAML file" if path.suffix in (".yaml", ".yml") else "built-in design"
            raise DesignError(
                f"no {what} {text!r}; {hint}(mtorsim trial list; a file must end in .yaml)"
            )
    try:
        raw = read_mapping(path)
    except DataFileError as exc:
        raise DesignError(str(exc)) from None
    return parse_design(raw, str(path), kb)


def design_schema() -> dict[str, object]:
    """JSON Schema of the design format."""
    schema = Design.model_json_schema()
    schema["$id"] = f"urn:mtorsim:trial-design:{DESIGN_FORMAT}"
    schema["title"] = f"mtorsim trial design {DESIGN_FORMAT}"
    return schema
