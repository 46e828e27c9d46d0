"""Effects in patients that a cell culture does not show (``data/systemic.yaml``).

* **Aromatase inhibition is systemic.**  Aromatase sits in peripheral tissue, not in the
  cultured cells: in patients an aromatase inhibitor lowers the oestradiol the tumour
  sees.  The inhibitor's unbound concentration is scaled so that its standard dose gives
  the measured whole-body inhibition of aromatization at steady state (the signalling
  model's E2 = E2_0 x (1 - occupancy)); the scale is a ``calibrated`` constant with its
  source.
* **Prodrugs act through their active form** (capecitabine through 5-fluorouracil), at a
  stated molar exposure ratio.
"""

from __future__ import annotations

from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from mtorsim.errors import DataFileError
from mtorsim.knowledge.base import KnowledgeBase
from mtorsim.knowledge.documents import load_cached
from mtorsim.knowledge.names import HOURS_PER_DAY
from mtorsim.knowledge.sourced import Sourced
from mtorsim.knowledge.vocab import Node, Route
from mtorsim.pharmacology.drugpk import DrugPK
from mtorsim.pharmacology.pk import LinearPK
from mtorsim.pharmacology.regimen import Patient, RegimenText

SYSTEMIC_FORMAT = "1.0"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class AromataseInhibition(_Strict):
    regimen: RegimenText = Field(description="the standard regimen the inhibition was measured at")
    inhibition: Sourced = Field(description="fraction of whole-body aromatization inhibited")


class Prodrug(_Strict):
    active: str = Field(description="knowledge-base id of the active form")
    ratio: Sourced = Field(description="molar exposure of the active form per unbound parent")


class SystemicFile(_Strict):
    format_version: str
    aromatase_inhibition: dict[str, AromataseInhibition] = Field(default_factory=dict)
    prodrugs: dict[str, Prodrug] = Field(default_factory=dict)


def systemic_path() -> str:
    return str(resources.files("mtorsim.pharmacology") / "data" / "systemic.yaml")


def load_systemic() -> SystemicFile:
    return load_cached(systemic_path(), SystemicFile, SYSTEMIC_FORMAT)


def aromatase_scale(agent_id: str, record: DrugPK, kb: KnowledgeBase) -> tuple[float, str] | None:
    """Model-equivalent nM per unbound nM of an aromatase inhibitor in patients, with its
    source; ``None`` for an agent without a systemic aromatase record.

    With the steady-state unbound average :math:`C` of the standard regimen and the
    measured inhibition :math:`f`, the in-patient potency is :math:`K = C (1 - f) / f`
    (occupancy :math:`C / (C + K) = f`), and the scale is the agent's cellular potency at
    aromatase over :math:`K`.
    """
    ai = load_systemic().aromatase_inhibition.get(agent_id)
    if ai is None:
        return None
    where = f"{systemic_path()}: aromatase_inhibition.{agent_id}"
    f = ai.inhibition.value
    if not 0 < f < 1:
        raise DataFileError(where, [f"inhibition {f} must be between 0 and 1 (exclusive)"])
    ph = ai.regimen.phases[-1]
    if ph.period_days is None:
        raise DataFileError(where, [f"regimen {ai.regimen} must repeat (a steady state)"])
    dose = ph.amount_mg(Patient()) * len(ph.days) * ph.times_per_day
    css = LinearPK(record.parameters()).steady_state_average(
        dose, ph.period_days * HOURS_PER_DAY, ph.route is not Route.IV
    )
    k_vivo = record.unbound_nM(css) * (1.0 - f) / f
    k_agent = next(
        (
            t.potency_nM
            for t in kb.agent(agent_id).targets
            if t.node == Node.AROMATASE and t.potency_nM is not None
        ),
        None,
    )
    if k_agent is None:
        raise DataFileError(where, [f"{agent_id} has no potency at AROMATASE in agents.yaml"])
    return k_agent / k_vivo, (
        f"calibrated: in-patient potency {k_vivo:.3g} nM unbound so that {ai.regimen} gives "
        f"{f:.1%} aromatization inhibition ({ai.inhibition.source})"
    )


def prodrug(agent_id: str) -> Prodrug | None:
    """The active form and exposure ratio of a prodrug (``None`` if the agent is not one)."""
    return load_systemic().prodrugs.get(agent_id)


__all__ = ["AromataseInhibition", "Prodrug", "aromatase_scale", "load_systemic", "prodrug"]
