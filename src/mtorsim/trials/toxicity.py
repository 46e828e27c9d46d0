"""Dose-limiting toxicity: per-patient dose interruptions and reductions
(``data/toxicity.yaml``; incidences from the knowledge base)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from mtorsim.errors import DataFileError
from mtorsim.knowledge.base import load_knowledge_base
from mtorsim.knowledge.documents import load_cached
from mtorsim.knowledge.sourced import Sourced
from mtorsim.pharmacology.regimen import Modification


@dataclass(frozen=True)
class Toxicity:
    agent: str
    incidence: float  # probability of a dose-limiting event
    incidence_source: str
    onset_mean_days: float
    interruption_days: float
    reduced_fraction: float

    def modifications(self, u_occurs: float, e_onset: float) -> tuple[Modification, ...]:
        """Interruption then reduction for a patient whose uniform draw ``u_occurs`` falls
        below the incidence, starting at ``e_onset`` (an Exp(1) draw) x the mean onset."""
        if u_occurs >= self.incidence:
            return ()
        start = e_onset * self.onset_mean_days
        stop = start + self.interruption_days
        return (
            Modification(start, stop, 0.0),
            Modification(stop, math.inf, self.reduced_fraction),
        )


class AgentToxicity(BaseModel):
    """One agent's dose-limiting events in ``data/toxicity.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    incidence_outcomes: list[str] = Field(min_length=1, description="knowledge-base outcome ids")
    incidence_note: str = Field(min_length=3)
    onset_mean_days: Sourced
    interruption_days: Sourced
    reduced_fraction: Sourced


class ToxicityFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    format_version: str
    agents: dict[str, AgentToxicity]


def toxicity_path() -> str:
    return str(resources.files("mtorsim.trials") / "data" / "toxicity.yaml")


@functools.cache
def load_toxicity() -> dict[str, Toxicity]:
    """Each agent's dose-limiting toxicity, with its incidence from the knowledge base."""
    path = toxicity_path()
    doc = load_cached(path, ToxicityFile, "1.0")
    kb = load_knowledge_base()
    by_id = {o.id: o for o in kb.outcomes}
    out = {}
    for agent, rec in doc.agents.items():
        missing = [i for i in rec.incidence_outcomes if i not in by_id]
        if missing:
            raise DataFileError(path, [f"agents.{agent}: unknown outcomes {missing}"])
        rates = [float(by_id[i].value or 0.0) / 100.0 for i in rec.incidence_outcomes]
        incidence = 1.0 - math.prod(1.0 - r for r in rates)
        out[agent] = Toxicity(
            agent,
            incidence,
            f"1 - prod(1 - rate) over {', '.join(rec.incidence_outcomes)}; " + rec.incidence_note,
            rec.onset_mean_days.value,
            rec.interruption_days.value,
            rec.reduced_fraction.value,
        )
    return out
