"""Loading the knowledge base and resolving names.

>>> from mtorsim.knowledge import load_knowledge_base
>>> kb = load_knowledge_base()
>>> kb.agent("RAD001").id
'everolimus'
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from mtorsim.errors import DataFileError, UnknownAgentError, UnknownNameError
from mtorsim.knowledge.documents import load_document
from mtorsim.knowledge.models import (
    DOCUMENTS,
    Agent,
    AgentsFile,
    ClaimsFile,
    CountClaim,
    Document,
    MechanismClaim,
    Outcome,
    OutcomesFile,
    Reference,
    ReferencesFile,
    Trial,
    TrialsFile,
)
from mtorsim.knowledge.vocab import NON_AGENT_TREATMENTS

D = TypeVar("D", bound=BaseModel)


def normalise_name(name: str) -> str:
    """Key under which a drug name is looked up: lower case, letters and digits only.

    ``"NVP-BEZ235"``, ``"nvp bez235"`` and ``"NVPBEZ235"`` share one key.
    """
    return re.sub(r"[^a-z0-9]", "", name.lower())


def default_data_dir() -> Path:
    """The data folder shipped inside the package."""
    return Path(str(resources.files("mtorsim.knowledge") / "data"))


@dataclass(frozen=True)
class KnowledgeBase:
    """Every agent, trial, outcome and claim of the review, with name resolution.

    Build one with :func:`load_knowledge_base`.
    """

    references: tuple[Reference, ...]
    agents: tuple[Agent, ...]
    trials: tuple[Trial, ...]
    outcomes: tuple[Outcome, ...]
    mechanisms: tuple[MechanismClaim, ...]
    count_claims: tuple[CountClaim, ...]
    source_dir: Path
    digest: str = ""
    _agent_index: dict[str, Agent] = field(default_factory=dict, repr=False, compare=False)
    name_collisions: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Agent] = {}
        collisions: dict[str, list[str]] = {}
        for agent in self.agents:
            for name in agent.names():
                key = normalise_name(name)
                if not key:
                    continue
                if key in index and index[key].id != agent.id:
                    collisions.setdefault(key, [index[key].id]).append(agent.id)
                    continue
                index[key] = agent
        # frozen dataclass: fill the caches in place
        self._agent_index.update(index)
        self.name_collisions.update(collisions)

    # ------------------------------------------------------------------ agents
    def agent(self, name: str) -> Agent:
        """Resolve any name, synonym or code, case- and punctuation-insensitively.

        ``"Cixutumumab (IMC-A12)"`` resolves through either part.

        Raises
        ------
        UnknownAgentError
            With the closest known names as suggestions.
        """
        found = self.find_agent(name)
        if found is None:
            raise UnknownAgentError(name, self.agent_names())
        return found

    def find_agent(self, name: str) -> Agent | None:
        """Like :meth:`agent` but returns ``None`` for an unknown name."""
        key = normalise_name(name)
        if key in self._agent_index:
            return self._agent_index[key]
        # "Neratinib (HKI-272)": try the part outside and inside the brackets
        m = re.match(r"^\s*(.+?)\s*\((.+)\)\s*$", name)
        if m:
            for part in m.groups():
                hit = self._agent_index.get(normalise_name(part))
                if hit is not None:
                    return hit
        return None

    def agent_names(self) -> list[str]:
        """Every name an agent answers to (for suggestions)."""
        return sorted({n for a in self.agents for n in a.names()})

    def is_treatment(self, name: str) -> bool:
        """True for an agent name or a recognised non-agent such as placebo."""
        return normalise_name(name) in NON_AGENT_TREATMENTS or self.find_agent(name) is not None

    def trial_agents(self, trial: Trial) -> list[Agent]:
        """The agents a trial gives, resolved from its drug list and arms (unknown skipped)."""
        names: list[str] = list(trial.drugs_as_printed)
        for arm in trial.arms:
            names.extend(arm.treatments)
        seen: dict[str, Agent] = {}
        for n in names:
            a = self.find_agent(n)
            if a is not None:
                seen.setdefault(a.id, a)
        return list(seen.values())

    # ------------------------------------------------------------------ trials
    def trial(self, name: str) -> Trial:
        """Find a trial by id, acronym or NCT ID (as printed or as in the text)."""
        key = normalise_name(name)
        for t in self.trials:
            keys = {normalise_name(t.id)}
            if t.acronym:
                keys.add(normalise_name(t.acronym))
            keys.update(normalise_name(n) for n in t.nct_ids())
            if key in keys:
                return t
        known: list[str] = []
        for t in self.trials:
            known.append(t.id)
            if t.acronym:
                known.append(t.acronym)
        raise UnknownNameError("trial", name, known, hint="run `mtorsim trials` to list them")

    def reference(self, number: int) -> Reference:
        for r in self.references:
            if r.number == number:
                return r
        raise UnknownNameError("reference", str(number), [str(r.number) for r in self.references])

    def outcomes_of(self, trial_id: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.trial == trial_id]


def _digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def load_knowledge_base(data_dir: str | Path | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base.

    Parameters
    ----------
    data_dir
        A folder with ``references.yaml``, ``agents.yaml``, ``trials.yaml``,
        ``outcomes.yaml`` and ``claims.yaml``.  Default: the data shipped with
        mtorsim (cached after the first call).

    Raises
    ------
    DataFileError
        Naming the file, record and field of the first file that does not validate.
    """
    if data_dir is None:
        return _load_default()
    return _load(Path(data_dir))


@functools.cache
def _load_default() -> KnowledgeBase:
    return _load(default_data_dir())


def _load(folder: Path) -> KnowledgeBase:
    if not folder.is_dir():
        raise DataFileError(str(folder), ["not a folder of knowledge-base YAML files"])
    docs: dict[str, Document] = {}
    for fname, model in DOCUMENTS.items():
        docs[fname] = load_document(folder / fname, model)
    refs = docs["references.yaml"]
    agents = docs["agents.yaml"]
    trials = docs["trials.yaml"]
    outcomes = docs["outcomes.yaml"]
    claims = docs["claims.yaml"]
    assert isinstance(refs, ReferencesFile)
    assert isinstance(agents, AgentsFile)
    assert isinstance(trials, TrialsFile)
    assert isinstance(outcomes, OutcomesFile)
    assert isinstance(claims, ClaimsFile)
    return KnowledgeBase(
        references=tuple(refs.references),
        agents=tuple(agents.agents),
        trials=tuple(trials.trials),
        outcomes=tuple(outcomes.outcomes),
        mechanisms=tuple(claims.mechanisms),
        count_claims=tuple(claims.counts),
        source_dir=folder,
        digest=_digest(folder / f for f in DOCUMENTS),
    )
