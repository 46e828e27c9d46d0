"""Pydantic records of the knowledge base.

Each YAML file under ``knowledge/data`` holds one *document* (``AgentsFile``,
``TrialsFile``, ...) with a ``format_version`` and a list of records.  Every
record carries its sources: the review's reference numbers (``refs``) and
where in the review the fact is printed (``location``).  Facts that are *not*
printed in the review but come from a primary paper the review cites say so in
``note`` and keep that paper's reference number.

Review: Yardley DA. Combining mTOR inhibitors with chemotherapy and other
targeted therapies in advanced breast cancer. Breast Cancer: Basic and Clinical
Research 2013;7:7-22. doi:10.4137/BCBCR.S10071
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mtorsim.knowledge.vocab import (
    FORMAT_VERSION,
    Action,
    BindingSite,
    DrugClass,
    Endpoint,
    ResponseCategory,
    Route,
    Setting,
    SiteOfAction,
    Stage,
    Statistic,
    Subtype,
)

#: Highest reference number in the review's bibliography.
N_REFERENCES = 87

RefNumber = Annotated[int, Field(ge=1, le=N_REFERENCES, description="review reference number")]
Slug = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9_.+-]*$", description="lower-case identifier")
]

NCT_PATTERN = re.compile(r"^NCT\d{8}$")


class Record(BaseModel):
    """Base of every record: unknown fields are errors, values are validated on assignment."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_enum_values=False, allow_inf_nan=False
    )


class Cited(Record):
    """Base of the review's records: the reference numbers, where it prints the fact, notes."""

    refs: list[RefNumber] = Field(
        default_factory=list, description="the review's reference numbers supporting this record"
    )
    location: str = Field(
        "", description="where the review prints it, e.g. 'Table 1' or 'text: Clinical studies'"
    )
    note: str = Field("", description="caveats, and any fact not printed in the review")


# --------------------------------------------------------------------------- references


class Reference(Record):
    number: RefNumber
    citation: str = Field(description="the reference as the review prints it (abridged)")
    doi: str | None = Field(None, description="DOI when known; never guessed")


# --------------------------------------------------------------------------- agents


class Target(Record):
    """One molecular action of an agent."""

    node: str = Field(description="node identifier shared with the signalling model (vocab.Node)")
    action: Action
    binding_site: BindingSite = BindingSite.UNKNOWN
    refs: list[RefNumber] = Field(default_factory=list)
    potency_nM: float | None = Field(
        None, gt=0, description="IC50 or Kd at this target, nM (drives the signalling model)"
    )
    potency_source: str = Field(
        "", description="where potency_nM comes from: a citation or 'assumed: <why>'"
    )

    @model_validator(mode="after")
    def _potency_sourced(self) -> Target:
        if self.potency_nM is not None and not self.potency_source:
            raise ValueError("potency_nM needs a potency_source (a citation or 'assumed: ...')")
        return self

    @field_validator("node")
    @classmethod
    def _known_node(cls, v: str) -> str:
        from mtorsim.knowledge.vocab import Node

        allowed = {n.value for n in Node}
        if v not in allowed:
            raise ValueError(f"unknown node {v!r}; expected one of {sorted(allowed)}")
        return v


class Approval(Cited):
    year: int = Field(ge=1950, le=2100)
    agency: str = "FDA"
    indication: str


class Dose(Cited):
    """A dose and schedule the review (or a paper it cites) gives for an agent."""

    text: str = Field(description="dose as printed, e.g. '10 mg/day'")
    amount: float | None = Field(None, gt=0, description="numeric dose, in `unit`")
    amount_high: float | None = Field(None, gt=0, description="upper end when a range is given")
    unit: Literal["mg", "mg/m2", "mg/kg", "mg/day"] | None = None
    schedule: str = Field("", description="e.g. 'daily', 'weekly', '5 days/week'")
    route: Route | None = None
    context: str = Field("", description="indication, trial or combination the dose applies to")


class HalfLife(Cited):
    low_h: float = Field(gt=0, description="half-life, hours (lower end or point value)")
    high_h: float | None = Field(None, gt=0, description="upper end of a range, hours")
    moiety: str = Field("", description="what the half-life is of, e.g. the active metabolite")

    @model_validator(mode="after")
    def _ordered(self) -> HalfLife:
        if self.high_h is not None and self.high_h < self.low_h:
            raise ValueError("high_h must be >= low_h")
        return self


class Agent(Cited):
    """A therapy the review names."""

    id: Slug
    name: str = Field(description="generic name used for display")
    synonyms: list[str] = Field(default_factory=list, description="other names, brand names")
    codes: list[str] = Field(default_factory=list, description="development codes, e.g. RAD001")
    drug_class: DrugClass
    class_as_printed: str = Field("", description="the class column of Table 1, if listed there")
    modality: Literal["small molecule", "antibody", "albumin-bound nanoparticle"]
    site_of_action: SiteOfAction
    targets: list[Target] = Field(min_length=1)
    mechanism: str = Field(description="mechanism of action in words")
    stage: Stage
    stage_as_printed: str = ""
    approvals: list[Approval] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    doses: list[Dose] = Field(default_factory=list)
    half_life: HalfLife | None = None
    prodrug_of: str | None = Field(None, description="agent id of the active moiety")
    class_toxicities: list[str] = Field(default_factory=list)
    toxicity_refs: list[RefNumber] = Field(default_factory=list)
    in_table1: bool = False

    def names(self) -> list[str]:
        """Every name this agent answers to: id, name, synonyms and codes."""
        return [self.id, self.name, *self.synonyms, *self.codes]

    def target_nodes(self) -> set[str]:
        return {t.node for t in self.targets}


# --------------------------------------------------------------------------- trials


class Arm(Record):
    id: Slug
    label: str
    treatments: list[str] = Field(min_length=1, description="agent names (or 'placebo')")
    n: int | None = Field(None, ge=1, description="patients randomised or evaluable in this arm")
    n_source: str = Field("", description="where n comes from")


class Trial(Cited):
    """A registered or published trial: a row of Tables 2-7, or a trial named in the text."""

    id: Slug
    nct: str | None = Field(None, description="NCT ID exactly as the review's table prints it")
    nct_in_text: list[str] = Field(
        default_factory=list, description="NCT IDs the running text uses for this trial"
    )
    acronym: str | None = None
    title: str = Field(description="title as printed in the table, or a description")
    table: Literal[2, 3, 4, 5, 6, 7] | None = Field(None, description="review table, if any")
    status_as_printed: str = Field("", description="receptor or hormone status column")
    subtypes: list[Subtype] = Field(default_factory=list)
    drugs_as_printed: list[str] = Field(
        default_factory=list, description="drug treatments column (or the drugs the text names)"
    )
    phase: str | None = Field(None, pattern=r"^[1-4](/[1-4])?[ab]?$")
    n_table: int | None = Field(None, ge=1, description="N column (actual or anticipated)")
    n_text: int | None = Field(None, ge=1, description="N the running text gives")
    setting: Setting = Setting.NOT_SPECIFIED
    design: str = ""
    arms: list[Arm] = Field(default_factory=list)
    same_as_text_study_ref: list[RefNumber] = Field(
        default_factory=list,
        description="reference numbers of text-reported results that belong to this trial",
    )
    erratum: str = Field(
        "", description="acknowledged misprint in the review; lint reports it as a warning"
    )

    def phases(self) -> set[int]:
        if self.phase is None:
            return set()
        return {int(p[0]) for p in self.phase.split("/")}

    def nct_ids(self) -> list[str]:
        ids = [self.nct] if self.nct else []
        return ids + [n for n in self.nct_in_text if n not in ids]


# --------------------------------------------------------------------------- outcomes


class Outcome(Cited):
    """One reported result: an endpoint for one arm, or a comparison between two arms."""

    id: Slug
    trial: Slug = Field(description="trial id")
    analysis: str = Field("", description="e.g. 'interim', '18-month follow-up'")
    arm: str | None = Field(None, description="arm id (experimental arm for comparisons)")
    comparator: str | None = Field(None, description="arm id of the control, for comparisons")
    subgroup: str = ""
    n: int | None = Field(None, ge=1, description="patients the value is computed on")
    endpoint: Endpoint
    statistic: Statistic
    value: float | None = None
    value_qualifier: Literal["=", "<", ">", "~", "<="] = "="
    unit: Literal["months", "weeks", "%", "patients", "ratio", "mg/day", "mg"] | None = None
    range_low: float | None = Field(None, description="reported range (not a CI), e.g. dose range")
    range_high: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float = 0.95
    p_value: float | None = Field(None, gt=0, le=1)
    p_qualifier: Literal["=", "<"] = "="
    p_note: str = ""
    assessment: str = Field("", description="e.g. 'local', 'central', 'intent-to-treat'")
    category: ResponseCategory | None = Field(None, description="for best-response counts")
    ae_term: str | None = None
    ae_grade: str | None = Field(None, description="e.g. '3-4' or 'any'")
    finding: str = Field("", description="the result in words (required for qualitative)")
    quote: str = Field(description="the review's words that report this result, verbatim")

    @model_validator(mode="after")
    def _consistent(self) -> Outcome:
        if self.statistic is Statistic.QUALITATIVE:
            if self.value is not None:
                raise ValueError("a qualitative outcome has no value")
            if not self.finding:
                raise ValueError("a qualitative outcome needs a 'finding'")
        elif self.value is None:
            raise ValueError(f"statistic {self.statistic.value!r} needs a value")
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError("give both ci_low and ci_high, or neither")
        if self.ci_low is not None and self.ci_high is not None and self.ci_low > self.ci_high:
            raise ValueError("ci_low must be <= ci_high")
        if self.statistic in (Statistic.HAZARD_RATIO, Statistic.DIFFERENCE) and not (
            self.arm and self.comparator
        ):
            raise ValueError("a comparison needs both 'arm' and 'comparator'")
        if self.endpoint is Endpoint.ADVERSE_EVENT and not self.ae_term:
            raise ValueError("an adverse-event outcome needs 'ae_term'")
        if self.endpoint is Endpoint.BEST_RESPONSE and self.category is None:
            raise ValueError("a best-response count needs 'category' (CR, PR, SD or PD)")
        return self


# --------------------------------------------------------------------------- claims


class MechanismClaim(Cited):
    """A mechanistic claim the review makes; the signalling model's checklist tests these."""

    id: Slug
    claim: str
    evidence: Literal["preclinical", "clinical", "review"] = "preclinical"
    nodes: list[str] = Field(default_factory=list, description="vocab.Node identifiers involved")
    agents: list[str] = Field(default_factory=list, description="agent names involved")
    quote: str


class CountClaim(Cited):
    """A count the running text states about the tables, checked by `mtorsim lint`."""

    id: Slug
    claim: str
    quote: str
    count: int = Field(ge=0)
    tables: list[Literal[2, 3, 4, 5, 6, 7]]
    drug: str | None = Field(None, description="trials must include this agent")
    with_class_group: str | None = Field(
        None, description="trials must also include an agent of this class group"
    )
    subtype: Subtype | None = Field(None, description="trials must include this subtype")


# --------------------------------------------------------------------------- documents


class Document(Record):
    format_version: Literal["1.0"] = FORMAT_VERSION  # type: ignore[assignment]
    kind: str
    source: str = Field(
        "Yardley DA. Breast Cancer: Basic and Clinical Research 2013;7:7-22. "
        "doi:10.4137/BCBCR.S10071",
        description="the publication the records are taken from",
    )


class ReferencesFile(Document):
    kind: Literal["references"] = "references"
    references: list[Reference]


class AgentsFile(Document):
    kind: Literal["agents"] = "agents"
    agents: list[Agent]


class TrialsFile(Document):
    kind: Literal["trials"] = "trials"
    trials: list[Trial]


class OutcomesFile(Document):
    kind: Literal["outcomes"] = "outcomes"
    outcomes: list[Outcome]


class ClaimsFile(Document):
    kind: Literal["claims"] = "claims"
    mechanisms: list[MechanismClaim] = Field(default_factory=list)
    counts: list[CountClaim] = Field(default_factory=list)


#: file name -> document model, in load order.
DOCUMENTS: dict[str, type[Document]] = {
    "references.yaml": ReferencesFile,
    "agents.yaml": AgentsFile,
    "trials.yaml": TrialsFile,
    "outcomes.yaml": OutcomesFile,
    "claims.yaml": ClaimsFile,
}
