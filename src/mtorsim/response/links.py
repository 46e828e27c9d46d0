"""Drug classes of the link from the cell layer to the tumour, and the split of an arm's
effect into one share per class.

The parameters of each class's link (weight, resistance factor) are the tumour layer's
(``mtorsim/tumour/data/tumour.yaml``).  An arm's change of the net growth rate,
:math:`\\Delta k(t)`, is split into one share per drug class present
(:data:`LINK_CLASSES`) by the Shapley decomposition over classes :math:`N`:

.. math::  \\phi_c = \\sum_{S \\subseteq N \\setminus \\{c\\}}
           \\frac{|S|!\\,(|N| - |S| - 1)!}{|N|!}\\,(\\Delta k_{S \\cup \\{c\\}} - \\Delta k_S),

where :math:`\\Delta k_S` is the change with only the drugs of the classes in :math:`S`.
The shares add up to :math:`\\Delta k_N` (efficiency) and treat classes symmetrically, so
interactions (an mTOR inhibitor sensitising to chemotherapy) are shared between the
classes involved; the tumour layer links each share with its class's parameters.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Literal, get_args

import numpy as np

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.models import Agent
from mtorsim.knowledge.vocab import CLASS_GROUPS, SiteOfAction

LinkClass = Literal["signalling", "endocrine", "her2", "cytotoxic"]
LINK_CLASSES: tuple[LinkClass, ...] = get_args(LinkClass)


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


__all__ = ["LINK_CLASSES", "LinkClass", "link_class", "shapley_shares"]
