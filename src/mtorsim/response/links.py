"""Drug-class-specific links from the cell layer to the tumour (``data/links.yaml``).

An arm's change of the net growth rate, :math:`\\Delta k(t)`, is split into one share per
drug class present (:data:`LINK_CLASSES`) by the Shapley decomposition over classes
:math:`N`:

.. math::  \\phi_c = \\sum_{S \\subseteq N \\setminus \\{c\\}}
           \\frac{|S|!\\,(|N| - |S| - 1)!}{|N|!}\\,(\\Delta k_{S \\cup \\{c\\}} - \\Delta k_S),

where :math:`\\Delta k_S` is the change with only the drugs of the classes in :math:`S`.
The shares add up to :math:`\\Delta k_N` (efficiency) and treat classes symmetrically, so
interactions (an mTOR inhibitor sensitising to chemotherapy) are shared between the
classes involved.  The linked change is :math:`\\sum_c w_c \\phi_c`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Literal, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.documents import load_cached
from mtorsim.knowledge.models import Agent
from mtorsim.knowledge.sourced import Sourced
from mtorsim.knowledge.vocab import CLASS_GROUPS, SiteOfAction

LinkClass = Literal["signalling", "endocrine", "her2", "cytotoxic"]
LINK_CLASSES: tuple[LinkClass, ...] = get_args(LinkClass)
LINKS_FORMAT = "1.0"


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    weight: Sourced


class ClassLinks(BaseModel):
    """The per-class link weights (one per class of :data:`LINK_CLASSES`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format_version: str
    links: dict[LinkClass, Link]

    @model_validator(mode="after")
    def _every_class(self) -> ClassLinks:
        missing = set(LINK_CLASSES) - set(self.links)
        if missing:
            raise ValueError(f"links: no link for classes {sorted(missing)}")
        bad = {c: k.weight.value for c, k in self.links.items() if not k.weight.value >= 0}
        if bad:
            raise ValueError(f"links: weights must be >= 0, got {bad}")
        return self

    def weight(self, cls: LinkClass) -> float:
        return self.links[cls].weight.value

    def with_weights(self, **weights: float) -> ClassLinks:
        """A copy with some weights replaced (calibration and sensitivity runs)."""
        upd = dict(self.links)
        for c, w in weights.items():
            if c not in upd:
                raise MtorsimError(f"no link class {c!r}; classes: {', '.join(LINK_CLASSES)}")
            upd[c] = Link(weight=upd[c].weight.with_value(w))
        return self.model_copy(update={"links": upd})


def load_links() -> ClassLinks:
    """The shipped class links."""
    path = resources.files("mtorsim.response") / "data" / "links.yaml"
    return load_cached(str(path), ClassLinks, LINKS_FORMAT)


def link_class(agent: Agent) -> LinkClass:
    """The link class of an agent acting on tumour cells."""
    if agent.site_of_action is SiteOfAction.CYTOTOXIC:
        return "cytotoxic"
    if agent.site_of_action is not SiteOfAction.SIGNALLING:
        raise MtorsimError(
            f"{agent.name} acts on the tumour microenvironment; no link to tumour cells"
        )
    if agent.drug_class in CLASS_GROUPS["endocrine"]:
        return "endocrine"
    if agent.drug_class in CLASS_GROUPS["her2_targeted"]:
        return "her2"
    return "signalling"


def shapley_shares(
    classes: Sequence[LinkClass], change: Callable[[frozenset[LinkClass]], np.ndarray]
) -> dict[LinkClass, np.ndarray]:
    """Each class's Shapley share of ``change(all classes)`` (``change(S)`` is the effect
    with only the classes in ``S``; ``change(empty)`` is taken as 0)."""
    n = len(classes)
    memo: dict[frozenset[LinkClass], np.ndarray] = {}

    def delta(s: frozenset[LinkClass]) -> np.ndarray:
        if s not in memo:
            memo[s] = change(s) if s else np.zeros(())
        return memo[s]

    out: dict[LinkClass, np.ndarray] = {}
    for c in classes:
        others = [x for x in classes if x != c]
        total: np.ndarray = np.zeros(())
        for size in range(n):
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for sub in itertools.combinations(others, size):
                s = frozenset(sub)
                total = total + w * (delta(s | {c}) - delta(s))
        out[c] = total
    return out


def equal_weights(links: ClassLinks, classes: Sequence[LinkClass]) -> float | None:
    """The common weight of ``classes`` if they all share one (so no split is needed)."""
    ws = {links.weight(c) for c in classes}
    return ws.pop() if len(ws) == 1 else None


def linked(shares: Mapping[LinkClass, np.ndarray], links: ClassLinks) -> np.ndarray:
    """:math:`\\sum_c w_c \\phi_c`."""
    return np.asarray(sum(links.weight(c) * v for c, v in shares.items()))


__all__ = [
    "LINK_CLASSES",
    "ClassLinks",
    "LinkClass",
    "equal_weights",
    "link_class",
    "linked",
    "load_links",
    "shapley_shares",
]
