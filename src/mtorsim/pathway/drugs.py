"""From agents and concentrations to the model's drug-mechanism slots.

The mapping is read from the knowledge base: each agent's targets (node,
action, binding site) choose the slot, and the target's ``potency_nM`` scales
the concentration to the slot's reference agent,

.. math::  C_{slot} = \\sum_i C_i \\, K_{slot} / K_i ,

which gives the agent its own occupancy :math:`C_i/(C_i + K_i)` at Hill
coefficient 1 and adds agents of one mechanism as competitive ligands
(Loewe additivity).  Agents that act outside the cell's signalling
(cytotoxics, anti-angiogenics) are refused with an error that says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mtorsim.errors import InvalidQueryError, MtorsimError
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base
from mtorsim.knowledge.models import Agent, Target
from mtorsim.knowledge.vocab import Action, BindingSite, Node, SiteOfAction
from mtorsim.pathway.build import parameter_default

#: slot parameter -> reference potency parameter in the model
SLOTS: dict[str, str] = {
    "C_rapalog": "K_fkbp",
    "C_mtor_atp": "K_mtor_atp",
    "C_pi3k_atp": "K_pi3k_atp",
    "C_her2_ab": "K_her2_ab",
    "C_erbb_tki": "K_erbb_tki",
    "C_igf1r_ab": "K_igf1r_ab",
    "C_mek": "K_mek",
    "C_ai": "K_ai",
    "C_serm": "K_serm",
    "C_serd": "K_serd",
}


def slot_reference_nM() -> dict[str, float]:
    """slot -> reference potency (nM), read from the model source's ``K_*`` lines."""
    return {slot: parameter_default(kparam) for slot, kparam in SLOTS.items()}


class UnsupportedMechanismError(MtorsimError):
    """An agent whose mechanism the signalling model does not represent."""


_UNITS_TO_NM = {"pm": 1e-3, "nm": 1.0, "um": 1e3, "µm": 1e3, "μm": 1e3, "mm": 1e6, "m": 1e9}


@dataclass(frozen=True)
class DrugDose:
    """An agent at a concentration (nM)."""

    agent: str
    nM: float

    def __str__(self) -> str:
        return f"{self.agent}={self.nM:g}nM"


def parse_concentration(text: str) -> float:
    """``"10nM"``, ``"0.5 uM"``, ``"250pM"`` -> nM.  A bare number is rejected (say the unit)."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Zµμ]+)\s*", text)
    if not m:
        raise InvalidQueryError(
            f"cannot read concentration {text!r}: write a number and a molar unit, e.g. 10nM, "
            "0.5uM or 250pM"
        )
    value, unit = float(m.group(1)), m.group(2).lower()
    if unit not in _UNITS_TO_NM:
        raise InvalidQueryError(
            f"unknown concentration unit {m.group(2)!r} in {text!r}: use pM, nM, uM or mM "
            "(mass units need a molecular weight; convert first)"
        )
    from mtorsim.knowledge.domains import DOMAINS

    nM = value * _UNITS_TO_NM[unit]
    domain = DOMAINS["concentration nM"]
    if not domain.contains(nM):
        raise InvalidQueryError(
            f"concentration {text!r} = {nM:g} nM: allowed {domain.describe()}; {domain.fix}"
        )
    return nM


def parse_dose(text: str, kb: KnowledgeBase | None = None) -> DrugDose:
    """``"everolimus=10nM"`` -> DrugDose('everolimus', 10.0); the name may be any synonym."""
    if "=" not in text:
        raise InvalidQueryError(
            f"cannot read drug {text!r}: write NAME=CONCENTRATION, e.g. everolimus=10nM"
        )
    name, conc = text.split("=", 1)
    kb = kb if kb is not None else load_knowledge_base()
    agent = kb.agent(name.strip())
    nm = parse_concentration(conc)
    if nm < 0:
        raise InvalidQueryError(f"negative concentration in {text!r}")
    return DrugDose(agent.id, nm)


#: (node, binding site or None for any, action or None for any) -> slot; first match wins
SLOT_RULES: tuple[tuple[Node, BindingSite | None, Action | None, str], ...] = (
    (Node.MTORC1, BindingSite.FKBP12_FRB, None, "C_rapalog"),
    (Node.MTORC1, None, None, "C_mtor_atp"),
    (Node.MTORC2, None, None, "C_mtor_atp"),
    (Node.PI3K, None, None, "C_pi3k_atp"),
    (Node.HER2, BindingSite.EXTRACELLULAR_DOMAIN, None, "C_her2_ab"),
    (Node.HER2, None, None, "C_erbb_tki"),
    (Node.EGFR, None, None, "C_erbb_tki"),
    (Node.IGF1R, None, None, "C_igf1r_ab"),
    (Node.MEK, None, None, "C_mek"),
    (Node.AROMATASE, None, None, "C_ai"),
    (Node.ER, None, Action.DEGRADE, "C_serd"),
    (Node.ER, None, None, "C_serm"),
)


def target_slot(target: Target) -> str | None:
    """The model slot a target maps to (:data:`SLOT_RULES`), or None if there is none."""
    node = Node(target.node)
    for rule_node, site, action, slot in SLOT_RULES:
        if (
            node is rule_node
            and (site is None or target.binding_site is site)
            and (action is None or target.action is action)
        ):
            return slot
    return None


def agent_slots(agent: Agent) -> dict[str, float]:
    """slot -> potency (nM) of one agent; one potency per slot (the most potent target)."""
    if agent.site_of_action is not SiteOfAction.SIGNALLING:
        raise UnsupportedMechanismError(
            f"{agent.name} acts outside the cell's signalling ({agent.site_of_action.value}: "
            f"{agent.mechanism.strip()[:80]}...); the signalling model does not represent it. "
            "It is handled by the tumour layer."
        )
    slots: dict[str, float] = {}
    for t in agent.targets:
        slot = target_slot(t)
        if slot is None:
            continue
        if t.potency_nM is None:
            raise UnsupportedMechanismError(
                f"{agent.name} has no potency_nM for target {t.node} in agents.yaml; add one "
                "(with its source) to simulate it"
            )
        slots[slot] = min(slots.get(slot, float("inf")), t.potency_nM)
    if not slots:
        raise UnsupportedMechanismError(
            f"none of {agent.name}'s targets ({', '.join(sorted(agent.target_nodes()))}) is a "
            "mechanism of the signalling model"
        )
    return slots


def slot_concentrations(
    doses: Iterable[DrugDose] | Mapping[str, float], kb: KnowledgeBase | None = None
) -> dict[str, float]:
    """Slot-equivalent concentrations (nM) for a set of agents at concentrations (nM)."""
    kb = kb if kb is not None else load_knowledge_base()
    items = (
        [DrugDose(k, v) for k, v in doses.items()] if isinstance(doses, Mapping) else list(doses)
    )
    out = dict.fromkeys(SLOTS, 0.0)
    for d in items:
        if d.nM < 0:
            raise InvalidQueryError(f"negative concentration for {d.agent}: {d.nM} nM")
        agent = kb.agent(d.agent)
        for slot, k in agent_slots(agent).items():
            out[slot] += d.nM * slot_reference_nM()[slot] / k
    return out
