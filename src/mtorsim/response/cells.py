"""From signalling to cell numbers: net growth rate under drugs.

The link (every constant in ``data/cytotoxics.yaml`` with its source)::

    division = (ln 2 / Td + d0) * P / P0
    death    = (d0 + sum_j kmax_j * H_j(s C_j) + k_E (ln 2 / Td + d0) D_E) * (S0 / S)^theta
    net      = division - death,        d0 = f_d * ln 2 / Td / (1 - f_d)
    D_E      = max(0, 1 - E / E0)       (oestrogen-receptor deprivation)

``P``, ``S`` and ``E`` are the signalling model's proliferation, survival and ER
transcriptional-activity outputs at the drug concentrations (``P0``, ``S0``, ``E0``
untreated), ``Td`` the context's untreated doubling time, ``s`` its cytotoxic
sensitivity (relative to MCF7), ``H_j`` a Hill function of cytotoxic ``j``
(``C^h / (C^h + EC50^h)``).  Untreated cells therefore grow at exactly
``ln 2 / Td``.  Targeted agents act through ``P`` and ``S``; an ER-dependent cell
that loses ER activity (oestrogen deprivation, ER antagonism, or mTOR inhibition of
ligand-independent ER in LTED cells) also dies faster (``k_E``): endocrine therapy
kills ER-dependent cells, it does not only stop them dividing, while a cell without
ER (``E0 = 0``) is unaffected; cytotoxics kill,
and kill more when the survival signal is lower (``theta``): the review's
rationale that PI3K/Akt/mTOR activity underlies chemoresistance (ref 49).
Not modelled: cell-cycle-phase dependence of cytotoxic kill (which would make
cytostatic drugs antagonise antimitotics), drug-induced arrest by cytotoxics.

Signalling is at steady state for constant drug levels: it settles in hours
(see ``PathwaySimulator.time_course``), cell numbers change over days.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base
from mtorsim.knowledge.documents import load_cached
from mtorsim.knowledge.sourced import Sourced
from mtorsim.knowledge.vocab import SiteOfAction
from mtorsim.pathway.contexts import Context, context_key, load_context
from mtorsim.pathway.drugs import UnsupportedMechanismError
from mtorsim.pathway.simulate import PathwaySimulator

#: doubling time used when a context file gives none (h)
DEFAULT_DOUBLING_TIME_H = 40.0  # assumed: mid-range of breast cancer lines in culture


class CytotoxicParams(BaseModel):
    """Kill parameters of one cytotoxic agent (or a pointer to its active form)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    ec50_nM: Sourced | None = None
    hill: Sourced | None = None
    kmax_per_h: Sourced | None = None
    acts_as: str | None = None
    note: str = ""

    def hill_fraction(self, c_nM: float) -> float:
        assert self.ec50_nM and self.hill
        if c_nM <= 0:
            return 0.0
        h = self.hill.value
        return float(c_nM**h / (c_nM**h + self.ec50_nM.value**h))


class LinkParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    basal_death_fraction: Sourced
    survival_exponent: Sourced
    er_deprivation_death: Sourced


@dataclass(frozen=True)
class Signals:
    """The signalling model's outputs the cell and tumour layers use: the cell-fate
    outputs, ER activity and mTORC1 output (fractions 0-1; arrays on a time grid or
    floats at one state)."""

    proliferation: Any
    survival: Any
    er_activity: Any
    #: mTORC1 output: the phosphorylated fraction of S6K1 (T389)
    mtorc1: Any

    def __iter__(self) -> Iterator[Any]:
        return iter((self.proliferation, self.survival, self.er_activity, self.mtorc1))


def mtorc1_inhibition(s6k: Any, s6k0: float) -> Any:
    """I = max(0, 1 - pS6K1 / pS6K1_0): the fraction of the cells' untreated mTORC1 output
    (S6K1 T389 phosphorylation) that the drugs remove (0 where there is none to remove)."""
    if s6k0 <= 1e-12:
        return np.zeros_like(np.asarray(s6k, float)) if np.ndim(s6k) else 0.0
    out = np.clip(1.0 - np.asarray(s6k, float) / s6k0, 0.0, 1.0)
    return out if np.ndim(s6k) else float(out)


def er_deprivation(er: Any, er0: float) -> Any:
    """D_E = max(0, 1 - E / E0): the loss of ER activity from the untreated level (0 in a
    cell without ER activity)."""
    if er0 <= 1e-12:
        return np.zeros_like(np.asarray(er, float)) if np.ndim(er) else 0.0
    out = np.maximum(0.0, 1.0 - np.asarray(er, float) / er0)
    return out if np.ndim(er) else float(out)


class CytotoxicFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    format_version: str
    link: LinkParams
    agents: dict[str, CytotoxicParams]


def load_cytotoxics() -> CytotoxicFile:
    """The cytotoxic kill and signalling-to-growth link parameters (``data/cytotoxics.yaml``)."""
    path = resources.files("mtorsim.response") / "data" / "cytotoxics.yaml"
    return load_cached(str(path), CytotoxicFile, "1.0")


@dataclass(frozen=True)
class GrowthRates:
    """Rates (1/h) of one context under one drug combination."""

    context: str
    drugs: dict[str, float]
    division: float
    death: float
    proliferation: float
    survival: float
    untreated_net: float

    @property
    def net(self) -> float:
        return self.division - self.death

    def relative_viability(self, t_h: float) -> float:
        """Cell number relative to untreated after ``t_h`` hours (exponential growth)."""
        return math.exp((self.net - self.untreated_net) * t_h)

    def gr_value(self) -> float:
        """Growth-rate inhibition (Hafner et al. 2016 Nat Methods 13:521): 2^(k/k0) - 1."""
        return float(2.0 ** (self.net / self.untreated_net) - 1.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "drugs_nM": self.drugs,
            "division_per_h": self.division,
            "death_per_h": self.death,
            "net_per_h": self.net,
            "proliferation": self.proliferation,
            "survival": self.survival,
            "gr": self.gr_value(),
        }


class CellResponseModel:
    """Net growth of a cell context under any mix of targeted and cytotoxic agents.

    Examples
    --------
    >>> m = CellResponseModel()
    >>> m.rates("BT474", {"everolimus": 10, "paclitaxel": 5}).net < m.rates("BT474", {}).net
    True
    """

    def __init__(
        self, sim: PathwaySimulator | None = None, kb: KnowledgeBase | None = None
    ) -> None:
        self.kb = kb if kb is not None else load_knowledge_base()
        self.sim = sim if sim is not None else PathwaySimulator(self.kb)
        self.data = load_cytotoxics()
        self._signal_cache: dict[tuple[Any, ...], Signals] = {}

    # ------------------------------------------------------------------ helpers
    def split(self, drugs: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
        """(signalling agents, cytotoxic agents) by knowledge-base id; errors for others."""
        signalling: dict[str, float] = {}
        cytotoxic: dict[str, float] = {}
        for name, c in drugs.items():
            if not (isinstance(c, int | float) and math.isfinite(c) and c >= 0):
                raise MtorsimError(f"concentration of {name} must be a number >= 0 nM, got {c!r}")
            agent = self.kb.agent(name)
            if agent.site_of_action is SiteOfAction.SIGNALLING:
                signalling[agent.id] = signalling.get(agent.id, 0.0) + float(c)
            elif agent.site_of_action is SiteOfAction.CYTOTOXIC:
                params = self.data.agents.get(agent.id)
                if params is None or params.ec50_nM is None:
                    hint = (
                        f" ({params.note}); use {params.acts_as} in cell assays"
                        if params is not None and params.acts_as
                        else f" ({params.note})"
                        if params is not None
                        else ""
                    )
                    raise UnsupportedMechanismError(
                        f"{agent.name} has no in-vitro kill parameters{hint}"
                    )
                cytotoxic[agent.id] = cytotoxic.get(agent.id, 0.0) + float(c)
            else:
                raise UnsupportedMechanismError(
                    f"{agent.name} acts on the tumour microenvironment "
                    f"({agent.site_of_action.value}); it has no effect on cells in culture"
                )
        return signalling, cytotoxic

    def signals(
        self, context: str | Context, signalling: Mapping[str, float] | None = None
    ) -> Signals:
        """Steady-state (proliferation, survival, ER activity, mTORC1) outputs of the signalling
        model at constant signalling-agent concentrations (nM; none: untreated), memoised."""
        ctx = load_context(context)
        signalling = signalling or {}
        key = self._signal_key(ctx, signalling)
        if key not in self._signal_cache:
            r = self.sim.steady_state(ctx, signalling)
            self._signal_cache[key] = Signals(
                r["proliferation"], r["survival"], r["ER_activity"], r["pS6K1_T389"]
            )
        return self._signal_cache[key]

    def _signal_key(self, ctx: Context, signalling: Mapping[str, float]) -> tuple[Any, ...]:
        return (
            context_key(ctx),
            tuple(sorted(signalling.items())),
            tuple(sorted(self.sim.parameters.items())),
        )

    def remember_signals(self, context: Context, untreated: Signals) -> None:
        """Take the context's untreated steady state from elsewhere (a cached response
        surface stores the one this model computed), so it is not simulated again."""
        self._signal_cache.setdefault(self._signal_key(context, {}), untreated)

    @staticmethod
    def cytotoxic_sensitivity(ctx: Context) -> float:
        """The context's cytotoxic sensitivity s (every EC50 divided by s; 1 if not given)."""
        return ctx.cytotoxic_sensitivity.value if ctx.cytotoxic_sensitivity else 1.0

    @staticmethod
    def doubling_time_h(ctx: Context) -> float:
        return ctx.doubling_time_h.value if ctx.doubling_time_h else DEFAULT_DOUBLING_TIME_H

    # ------------------------------------------------------------------ API
    def rates(self, context: str | Context, drugs: Mapping[str, float]) -> GrowthRates:
        """Division, death and net growth rates (1/h) at constant drug levels (nM)."""
        ctx = load_context(context)
        signalling, cytotoxic = self.split(drugs)
        base = self.signals(ctx, {})
        sig = self.signals(ctx, signalling) if signalling else base
        td = self.doubling_time_h(ctx)
        f_d = self.data.link.basal_death_fraction.value
        theta = self.data.link.survival_exponent.value
        k_e = self.data.link.er_deprivation_death.value
        g0 = math.log(2.0) / td
        d0 = f_d * g0 / (1.0 - f_d)
        kill = 0.0
        sens = self.cytotoxic_sensitivity(ctx)
        for a, c in cytotoxic.items():
            params = self.data.agents[a]
            assert params.kmax_per_h is not None  # checked in split()
            kill += params.kmax_per_h.value * params.hill_fraction(c * sens)
        kill += k_e * (g0 + d0) * er_deprivation(sig.er_activity, base.er_activity)
        division = (g0 + d0) * sig.proliferation / base.proliferation
        death = (d0 + kill) * (base.survival / max(sig.survival, 1e-12)) ** theta
        return GrowthRates(
            ctx.name, dict(drugs), division, death, sig.proliferation, sig.survival, g0
        )

    def net_rate(
        self,
        context: str | Context,
        proliferation: np.ndarray,
        survival: np.ndarray,
        cytotoxic_nM: Mapping[str, np.ndarray],
        er_activity: np.ndarray | None = None,
    ) -> np.ndarray:
        """Net growth rate (1/h), vectorised, from given signalling outputs and cytotoxic
        concentrations: the formula of :meth:`rates` for arrays (the trial layer feeds it
        signalling outputs from precomputed surfaces or a dynamic simulation); without
        ``er_activity`` the ER activity is the untreated one."""
        ctx = load_context(context)
        p0, s0, e0, _ = self.signals(ctx, {})
        g0 = math.log(2.0) / self.doubling_time_h(ctx)
        f_d = self.data.link.basal_death_fraction.value
        theta = self.data.link.survival_exponent.value
        k_e = self.data.link.er_deprivation_death.value
        d0 = f_d * g0 / (1.0 - f_d)
        kill = np.zeros_like(np.asarray(proliferation, float))
        if er_activity is not None:
            kill = kill + k_e * (g0 + d0) * er_deprivation(er_activity, e0)
        sens = self.cytotoxic_sensitivity(ctx)
        for a, c in cytotoxic_nM.items():
            params = self.data.agents[self.kb.agent(a).id]
            if params.ec50_nM is None or params.kmax_per_h is None:
                raise UnsupportedMechanismError(f"{a} has no kill parameters ({params.note})")
            h = params.hill.value if params.hill else 1.0
            cc = np.maximum(sens * np.asarray(c, float), 0.0) ** h
            kill = kill + params.kmax_per_h.value * cc / (cc + params.ec50_nM.value**h)
        division = (g0 + d0) * np.asarray(proliferation, float) / p0
        death = (d0 + kill) * (s0 / np.maximum(np.asarray(survival, float), 1e-12)) ** theta
        return np.asarray(division - death)

    def untreated_net(self, context: str | Context) -> float:
        """ln 2 / Td of the context (1/h)."""
        return math.log(2.0) / self.doubling_time_h(load_context(context))


__all__ = [
    "CellResponseModel",
    "GrowthRates",
    "Signals",
    "er_deprivation",
    "load_cytotoxics",
    "mtorc1_inhibition",
]
