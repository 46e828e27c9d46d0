"""Queries over the knowledge base: the Python API that ``mtorsim agents``,
``mtorsim trials`` and ``mtorsim outcomes`` wrap.

Each query returns records (pydantic models); :func:`agent_row`,
:func:`trial_row` and :func:`outcome_row` flatten one record into the JSON
object the CLI prints (keys documented in the README).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mtorsim.errors import InvalidQueryError, UnknownNameError
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base, normalise_name
from mtorsim.knowledge.models import Agent, Outcome, Trial
from mtorsim.knowledge.vocab import (
    CLASS_GROUPS,
    SUBTYPE_ALIASES,
    SUBTYPE_IMPLIES,
    DrugClass,
    Endpoint,
    Node,
    Subtype,
)


def _kb(kb: KnowledgeBase | None) -> KnowledgeBase:
    return kb if kb is not None else load_knowledge_base()


def resolve_class(name: str) -> frozenset[DrugClass]:
    """A drug class or class group by name: ``"rapalog"``, ``"mTOR inhibitor"``, ``"endocrine"``.

    Raises
    ------
    UnknownNameError
        Listing the classes and groups.
    """
    key = re.sub(r"[\s\-/]+", "_", name.strip().lower())
    if key in CLASS_GROUPS:
        return CLASS_GROUPS[key]
    for dc in DrugClass:
        if key == dc.value:
            return frozenset({dc})
    if key.endswith("s") and key[:-1] in CLASS_GROUPS:  # "mtor_inhibitors"
        return CLASS_GROUPS[key[:-1]]
    known = [*CLASS_GROUPS, *(dc.value for dc in DrugClass)]
    raise UnknownNameError("drug class", name, known, hint="classes and groups are listed above")


def resolve_subtype(name: str) -> Subtype:
    """A receptor status as users type it: ``HER2+``, ``her2-positive``, ``TNBC``, ``HR+``."""
    key = name.strip().lower().replace(" ", "-")
    if key in SUBTYPE_ALIASES:
        return SUBTYPE_ALIASES[key]
    for st in Subtype:
        if key == st.value.lower():
            return st
    raise UnknownNameError("receptor status", name, [*SUBTYPE_ALIASES, *(s.value for s in Subtype)])


def resolve_node(name: str) -> Node:
    key = normalise_name(name)
    for node in Node:
        if key in (normalise_name(node.value), normalise_name(node.name)):
            return node
    raise UnknownNameError("target node", name, [n.value for n in Node])


def resolve_endpoint(name: str) -> Endpoint:
    key = normalise_name(name)
    aliases = {
        "ae": Endpoint.ADVERSE_EVENT,
        "aes": Endpoint.ADVERSE_EVENT,
        "bor": Endpoint.BEST_RESPONSE,
        "response": Endpoint.CLINICAL_RESPONSE,
    }
    if key in aliases:
        return aliases[key]
    for ep in Endpoint:
        if key in (normalise_name(ep.value), normalise_name(ep.name)):
            return ep
    raise UnknownNameError("endpoint", name, [e.value for e in Endpoint])


def parse_phase(text: str) -> set[int]:
    """``"2"`` -> {2}; ``"1/2"`` -> {1, 2}.  Raises InvalidQueryError otherwise."""
    m = re.fullmatch(r"\s*(?:phase\s*)?([1-4])(?:\s*/\s*([1-4]))?\s*", text, flags=re.I)
    if not m:
        raise InvalidQueryError(
            f"phase {text!r} is not a trial phase; use 1, 2, 3, 4 or a pair such as 1/2"
        )
    return {int(g) for g in m.groups() if g}


# --------------------------------------------------------------------------- queries


def find_agents(
    kb: KnowledgeBase | None = None,
    *,
    drug_class: str | None = None,
    target: str | None = None,
    name: str | None = None,
) -> list[Agent]:
    """Agents filtered by class (or class group), target node, or one name.

    Examples
    --------
    >>> [a.id for a in find_agents(drug_class="rapalog")]
    ['sirolimus', 'temsirolimus', 'everolimus', 'ridaforolimus']
    """
    kb = _kb(kb)
    agents = list(kb.agents)
    if name is not None:
        agents = [kb.agent(name)]
    if drug_class is not None:
        classes = resolve_class(drug_class)
        agents = [a for a in agents if a.drug_class in classes]
    if target is not None:
        node = resolve_node(target).value
        agents = [a for a in agents if node in a.target_nodes()]
    return agents


def find_trials(
    kb: KnowledgeBase | None = None,
    *,
    drugs: Sequence[str] = (),
    classes: Sequence[str] = (),
    receptor: str | None = None,
    phase: str | None = None,
    table: int | None = None,
) -> list[Trial]:
    """Trials that satisfy every filter given.

    Parameters
    ----------
    drugs
        Each named agent must be in the trial (any synonym or code).
    classes
        Each class or class group must be represented by one of the trial's agents.
    receptor
        Receptor/hormone status; ``HR+`` also matches ER+ trials and ``HER2-``
        matches triple-negative ones.
    phase
        ``"2"`` matches phase 2 and phase 1/2 trials; ``"1/2"`` matches only 1/2.
    table
        Review table number (2-7).

    Examples
    --------
    HER2-positive trials combining an mTOR inhibitor with trastuzumab:

    >>> ts = find_trials(drugs=["trastuzumab"], classes=["mtor_inhibitor"], receptor="HER2+")
    """
    kb = _kb(kb)
    want_agents = [kb.agent(d).id for d in drugs]
    want_classes = [resolve_class(c) for c in classes]
    want_subtype = resolve_subtype(receptor) if receptor else None
    want_phase = parse_phase(phase) if phase else None
    if table is not None and table not in range(2, 8):
        raise InvalidQueryError(f"table {table} is not a trial table; the review's are 2 to 7")

    out = []
    for t in kb.trials:
        agents = kb.trial_agents(t)
        ids = {a.id for a in agents}
        if any(a not in ids for a in want_agents):
            continue
        if any(not any(a.drug_class in cg for a in agents) for cg in want_classes):
            continue
        if want_subtype is not None:
            expanded = set(t.subtypes)
            for st in t.subtypes:
                expanded |= SUBTYPE_IMPLIES.get(st, frozenset())
            if want_subtype not in expanded:
                continue
        if want_phase is not None and not want_phase <= t.phases():
            continue
        if table is not None and t.table != table:
            continue
        out.append(t)
    return out


def find_outcomes(
    kb: KnowledgeBase | None = None,
    *,
    trial: str | None = None,
    endpoint: str | None = None,
    drug: str | None = None,
) -> list[Outcome]:
    """Reported results, filtered by trial (id, acronym or NCT ID), endpoint or agent."""
    kb = _kb(kb)
    outs = list(kb.outcomes)
    if trial is not None:
        tid = kb.trial(trial).id
        outs = [o for o in outs if o.trial == tid]
    if endpoint is not None:
        ep = resolve_endpoint(endpoint)
        outs = [o for o in outs if o.endpoint is ep]
    if drug is not None:
        aid = kb.agent(drug).id
        keep = {t.id for t in kb.trials if aid in {a.id for a in kb.trial_agents(t)}}
        outs = [o for o in outs if o.trial in keep]
    return outs


# --------------------------------------------------------------------------- rows


def agent_row(a: Agent) -> dict[str, Any]:
    """One agent as a flat JSON-ready mapping."""
    return {
        "id": a.id,
        "name": a.name,
        "synonyms": a.synonyms,
        "codes": a.codes,
        "class": a.drug_class.value,
        "site_of_action": a.site_of_action.value,
        "targets": [
            {"node": t.node, "action": t.action.value, "binding_site": t.binding_site.value}
            for t in a.targets
        ],
        "mechanism": a.mechanism,
        "stage": a.stage.value,
        "approvals": [{"year": p.year, "indication": p.indication} for p in a.approvals],
        "routes": [r.value for r in a.routes],
        "doses": [{"text": d.text, "context": d.context, "refs": d.refs} for d in a.doses],
        "half_life_h": (
            None
            if a.half_life is None
            else [a.half_life.low_h, a.half_life.high_h or a.half_life.low_h]
        ),
        "class_toxicities": a.class_toxicities,
        "refs": a.refs,
    }


def trial_row(t: Trial, kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """One trial as a flat JSON-ready mapping (``agents`` are resolved agent ids)."""
    kb = _kb(kb)
    return {
        "id": t.id,
        "nct": t.nct,
        "nct_in_text": t.nct_in_text,
        "acronym": t.acronym,
        "title": t.title,
        "table": t.table,
        "receptor_status": t.status_as_printed,
        "subtypes": [s.value for s in t.subtypes],
        "drugs": t.drugs_as_printed,
        "agents": [a.id for a in kb.trial_agents(t)],
        "phase": t.phase,
        "n_table": t.n_table,
        "n_text": t.n_text,
        "setting": t.setting.value,
        "arms": [{"id": a.id, "label": a.label, "n": a.n} for a in t.arms],
        "refs": t.refs,
    }


def outcome_row(o: Outcome) -> dict[str, Any]:
    """One reported result as a flat JSON-ready mapping."""
    return {
        "id": o.id,
        "trial": o.trial,
        "analysis": o.analysis,
        "arm": o.arm,
        "comparator": o.comparator,
        "subgroup": o.subgroup,
        "n": o.n,
        "endpoint": o.endpoint.value,
        "statistic": o.statistic.value,
        "value": o.value,
        "value_qualifier": o.value_qualifier,
        "unit": o.unit,
        "ci_low": o.ci_low,
        "ci_high": o.ci_high,
        "p_value": o.p_value,
        "p_qualifier": o.p_qualifier,
        "category": o.category.value if o.category else None,
        "ae_term": o.ae_term,
        "ae_grade": o.ae_grade,
        "finding": o.finding,
        "refs": o.refs,
    }
