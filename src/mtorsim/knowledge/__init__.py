"""Knowledge base: the review's agents, trials, reported results and claims.

Data live in YAML files under ``mtorsim/knowledge/data``, validated by the
pydantic models in :mod:`mtorsim.knowledge.models`.
"""

from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base, normalise_name
from mtorsim.knowledge.lint import LintIssue, LintReport, lint
from mtorsim.knowledge.models import Agent, Arm, MechanismClaim, Outcome, Trial
from mtorsim.knowledge.query import find_agents, find_outcomes, find_trials

__all__ = [
    "Agent",
    "Arm",
    "KnowledgeBase",
    "LintIssue",
    "LintReport",
    "MechanismClaim",
    "Outcome",
    "Trial",
    "find_agents",
    "find_outcomes",
    "find_trials",
    "lint",
    "load_knowledge_base",
    "normalise_name",
]
