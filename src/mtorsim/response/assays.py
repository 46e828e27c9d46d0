"""Simulated cell assays: single-agent dose-response (viability and GR metrics) and
two-drug combination matrices, from :class:`CellResponseModel`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mtorsim.errors import MtorsimError
from mtorsim.pathway.contexts import Context, load_context
from mtorsim.response.cells import CellResponseModel
from mtorsim.response.synergy import LL4, DoseMatrix, SynergyInputError, fit_ll4

#: assay length (h): the usual 72-h viability assay
ASSAY_HOURS = 72.0

#: default top doses (nM) for simulated assays (assumed: assay design spanning each agent's
#: modelled effect range, not data; the cytotoxics' tops follow their kill EC50s as
#: calibrated to ICBP GI50s, 35-105000 nM in MCF7); six doses in 3-fold steps below them
#: (rapalogs: 4-fold, spanning their sub-nanomolar potency)
DEFAULT_FACTOR: dict[str, float] = {
    "everolimus": 4.0,
    "sirolimus": 4.0,
    "temsirolimus": 4.0,
    "ridaforolimus": 4.0,
}
DEFAULT_TOP_NM: dict[str, float] = {
    "everolimus": 100.0,
    "sirolimus": 30.0,
    "temsirolimus": 300.0,
    "ridaforolimus": 100.0,
    "pp242": 1000.0,
    "nvp-bez235": 300.0,
    "lapatinib": 3000.0,
    "trastuzumab": 300.0,
    "cixutumumab": 300.0,
    "mek-inhibitor": 300.0,
    "paclitaxel": 1000.0,
    "docetaxel": 300.0,
    "vinorelbine": 1000.0,
    "carboplatin": 3000000.0,
    "cisplatin": 300000.0,
    "5-fluorouracil": 1000000.0,
    "epirubicin": 300.0,
    "letrozole": 300.0,
    "tamoxifen": 1000.0,
    "fulvestrant": 100.0,
}


def default_doses(agent_id: str) -> np.ndarray:
    """The default assay doses of an agent (nM), zero first."""
    return dose_series(
        DEFAULT_TOP_NM.get(agent_id, 1000.0), factor=DEFAULT_FACTOR.get(agent_id, 3.0)
    )


def dose_series(top_nM: float, n: int = 6, factor: float = 3.0) -> np.ndarray:
    """[0, top / factor^(n-1), ..., top]: a zero dose and ``n`` doses in ``factor`` steps."""
    if top_nM <= 0 or n < 2 or factor <= 1:
        raise MtorsimError("dose series needs top > 0, n >= 2 and factor > 1")
    return np.concatenate([[0.0], top_nM / factor ** np.arange(n - 1, -1, -1)])


@dataclass
class DoseResponse:
    """One agent's dose-response in one context."""

    context: str
    agent: str
    conc_nM: np.ndarray
    viability: np.ndarray  # relative to untreated at the assay time
    gr: np.ndarray  # growth-rate inhibition values
    assay_h: float

    def fit(self) -> LL4:
        """LL.4 fit of percent inhibition (1 - viability) against dose."""
        return fit_ll4(self.conc_nM, 100.0 * (1.0 - self.viability))

    def gr_metrics(self) -> dict[str, float]:
        """GR50 (dose where GR = 0.5, interpolated in log dose; inf if never reached),
        GRmax (GR at the top dose) and GR_AOC (area over the GR curve, log10 dose)."""
        x, g = self.conc_nM[1:], self.gr[1:]
        gr50 = math.inf
        below = np.nonzero(g <= 0.5)[0]
        if below.size:
            k = int(below[0])
            if k == 0:
                gr50 = float(x[0])
            else:
                lx = np.log10(x[k - 1 : k + 1])
                gr50 = float(10 ** np.interp(0.5, g[k - 1 : k + 1][::-1], lx[::-1]))
        aoc = float(np.trapezoid(1.0 - g, np.log10(x)) / (np.log10(x[-1]) - np.log10(x[0])))
        return {"GR50_nM": gr50, "GRmax": float(g[-1]), "GR_AOC": aoc}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "context": self.context,
            "agent": self.agent,
            "assay_h": self.assay_h,
            "conc_nM": self.conc_nM.tolist(),
            "viability": self.viability.tolist(),
            "gr": self.gr.tolist(),
            **self.gr_metrics(),
        }
        try:
            f = self.fit()
            out["ll4"] = {"b": f.b, "c": f.c, "d": f.d, "IC50_nM": f.e}
        except SynergyInputError as exc:
            out["ll4"] = {"error": str(exc)}
        return out


def dose_response(
    context: str | Context,
    agent: str,
    conc_nM: Sequence[float] | None = None,
    assay_h: float = ASSAY_HOURS,
    model: CellResponseModel | None = None,
) -> DoseResponse:
    """Relative viability and GR values of ``agent`` over doses (nM) at ``assay_h``."""
    model = model or CellResponseModel()
    ctx = load_context(context)
    aid = model.kb.agent(agent).id
    conc = np.asarray(conc_nM if conc_nM is not None else default_doses(aid), float)
    if np.any(conc < 0) or not np.all(np.isfinite(conc)):
        raise MtorsimError(f"doses of {aid} must be finite and >= 0 nM, got {conc.tolist()}")
    rates = [model.rates(ctx, {aid: float(c)} if c > 0 else {}) for c in conc]
    return DoseResponse(
        ctx.name,
        aid,
        conc,
        np.array([r.relative_viability(assay_h) for r in rates]),
        np.array([r.gr_value() for r in rates]),
        assay_h,
    )


def combination_matrix(
    context: str | Context,
    agent1: str,
    agent2: str,
    conc1_nM: Sequence[float] | None = None,
    conc2_nM: Sequence[float] | None = None,
    assay_h: float = ASSAY_HOURS,
    model: CellResponseModel | None = None,
) -> DoseMatrix:
    """Percent inhibition of viability at ``assay_h`` on a dose grid (zero doses first)."""
    model = model or CellResponseModel()
    ctx = load_context(context)
    a1, a2 = model.kb.agent(agent1).id, model.kb.agent(agent2).id
    if a1 == a2:
        raise MtorsimError(f"a combination needs two different agents, got {a1} twice")
    c1 = np.asarray(conc1_nM if conc1_nM is not None else default_doses(a1), float)
    c2 = np.asarray(conc2_nM if conc2_nM is not None else default_doses(a2), float)
    from mtorsim.knowledge.domains import check

    # refused before any simulation (the matrix is len(c1) x len(c2) steady states)
    for name, c in ((a1, c1), (a2, c2)):
        check("matrix doses", len(c), "combination_matrix", f"doses of {name}")
        for v in c:
            check("concentration nM", v, "combination_matrix", f"doses of {name}")
    check("assay hours", assay_h, "combination_matrix", "assay_h")
    resp = np.zeros((len(c1), len(c2)))
    for i, x in enumerate(c1):
        for j, y in enumerate(c2):
            drugs = {k: float(v) for k, v in ((a1, x), (a2, y)) if v > 0}
            resp[i, j] = 100.0 * (1.0 - model.rates(ctx, drugs).relative_viability(assay_h))
    return DoseMatrix(a1, a2, c1, c2, resp, "nM")
