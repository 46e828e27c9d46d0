"""The fitted cell response against measured potencies and synergy scores.

Potencies: the model's GI50/IC50 beside every usable measured one, the fitted ICBP GI50s,
the held-out GDSC1 IC50s and every potency of the held-out cell lines (predictions, never
fitted), through the cell-response layer's own steady states (a second engine beside the
calibration's closed form).
Synergy: the model's Loewe/Bliss/ZIP scores beside measured combination scores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.inference.cell_lines import ASSAY_HOURS, split_data
from mtorsim.trials.results import Record

# ---------------------------------------------------------------------------- validation
#: concentration range searched for a simulated potency (nM)
POTENCY_RANGE_NM = (1e-3, 1e6)
#: role of the potencies of the cell lines no problem fits (the problem's held_out_contexts)
HELD_OUT_LINE = "held-out line"


def simulated_potency(model: Any, context: str, agent: str, metric: str) -> float | None:
    """The model's GI50 (72-h growth halved relative to time zero; ICBP) or IC50 (72-h
    cell number halved relative to the untreated control; GDSC) in nM, by bisection on
    log concentration through the cell-response layer; None if not reached below
    POTENCY_RANGE_NM[1]."""
    from mtorsim.pathway.contexts import load_context

    ctx = load_context(context)
    k0 = model.untreated_net(ctx)
    t = ASSAY_HOURS

    def effect(c: float) -> float:
        net = model.rates(ctx, {agent: c}).net
        if metric == "GI50":
            return (math.exp(net * t) - 1.0) / (math.exp(k0 * t) - 1.0) - 0.5
        if metric == "IC50":
            return math.exp((net - k0) * t) - 0.5
        raise MtorsimError(f"unknown potency metric {metric!r}; use GI50 or IC50")

    lo, hi = (math.log10(x) for x in POTENCY_RANGE_NM)
    if effect(10**hi) > 0:
        return None
    if effect(10**lo) <= 0:
        return 10**lo
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if effect(10**mid) > 0:
            lo = mid
        else:
            hi = mid
    return float(10 ** (0.5 * (lo + hi)))


class PotencyRow(Record):
    """One measured potency beside the model's."""

    id: str
    dataset: str
    role: str
    context: str
    agent: str
    metric: str
    measured_nM: float
    simulated_nM: float | None
    censored: bool
    citation: str

    @property
    def log10_error(self) -> float | None:
        if self.simulated_nM is None:
            return None
        return math.log10(self.simulated_nM / self.measured_nM)


class DrugAgreement(Record):
    """Across cell lines, for one agent and dataset: rank agreement of potencies."""

    dataset: str
    role: str
    agent: str
    n_lines: int
    spearman: float | None
    median_abs_log10_error: float | None


class CellLineValidation(Record):
    """Fitted and held-out potencies beside the model's, with rank agreement per drug."""

    format_version: str = "1.0"
    kind: str = "cell-line-validation"
    rows: list[PotencyRow]
    agreement: list[DrugAgreement]
    provenance: dict[str, Any]

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([r.model_dump() | {"log10_error": r.log10_error} for r in self.rows])

    def summary(self, role: str) -> dict[str, float | int | None]:
        """Over one role's rows: n, median |log10 error|, share within 1 decade."""
        errs = [
            abs(e)
            for r in self.rows
            if r.role == role and not r.censored
            if (e := r.log10_error) is not None
        ]
        n = sum(1 for r in self.rows if r.role == role and not r.censored)
        return {
            "n": n,
            "n_reached": len(errs),
            "median_abs_log10_error": float(np.median(errs)) if errs else None,
            "within_one_decade": sum(e <= 1 for e in errs) / n if n else None,
        }

    def plot(self, ax: Any = None) -> Any:
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
        top = POTENCY_RANGE_NM[1]
        for role, marker, colour in (
            ("fitted", "o", "tab:blue"),
            ("held out", "s", "tab:red"),
            (HELD_OUT_LINE, "^", "tab:green"),
        ):
            rows = [r for r in self.rows if r.role == role and not r.censored]
            x = [r.measured_nM for r in rows]
            y = [r.simulated_nM if r.simulated_nM is not None else top for r in rows]
            ax.scatter(
                x, y, marker=marker, color=colour, alpha=0.7, label=f"{role} (n={len(rows)})"
            )
        ax.plot([1e-2, top], [1e-2, top], color="grey", lw=0.8)
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="measured potency (nM)",
            ylabel=f"model potency (nM; not reached drawn at {top:g})",
            title="cell-line potencies: ICBP GI50 fitted;\nGDSC1 IC50 and lines outside "
            "the fit held out",
        )
        ax.legend(fontsize=8)
        return ax


def _spearman(pairs: Sequence[tuple[float, float]]) -> float | None:
    from scipy.stats import spearmanr

    if len(pairs) < 3:
        return None
    a, b = zip(*pairs, strict=True)
    if len(set(a)) < 2 or len(set(b)) < 2:
        return None
    return float(spearmanr(a, b).statistic)


def validate_cell_lines(progress: Callable[[str], None] | None = None) -> CellLineValidation:
    """The model's potencies beside every usable measured one: the fitted ICBP GI50s, the
    held-out GDSC1 IC50s (predictions: never fitted), the censored values (bounds) and the
    potencies of the held-out cell lines (both datasets; predictions with the model's default
    per-line parameters)."""
    from mtorsim.pathway.build import model_hash
    from mtorsim.response.cells import CellResponseModel

    say = progress or (lambda _m: None)
    split = split_data()
    model = CellResponseModel()
    rows: list[PotencyRow] = []
    groups = (
        ("fitted", split.fitted),
        ("held out", split.held_out),
        ("censored", split.censored),
        (HELD_OUT_LINE, split.held_out_lines),
    )
    for role, values in groups:
        say(f"{role}: {len(values)} potencies")
        for v in values:
            assert v.value_nM is not None
            if role == "censored":
                role_of, censored = ("fitted" if v.dataset != "gdsc1" else "held out"), True
            elif role == HELD_OUT_LINE:
                role_of, censored = role, bool(v.censored or v.extrapolated)
            else:
                role_of, censored = role, False
            rows.append(
                PotencyRow(
                    id=v.id,
                    dataset=v.dataset,
                    role=role_of,
                    context=v.context,
                    agent=v.agent,
                    metric=v.metric,
                    measured_nM=v.value_nM,
                    simulated_nM=simulated_potency(model, v.context, v.agent, v.metric),
                    censored=censored,
                    citation=v.citation[:160],
                )
            )
    agreement = []
    keys = sorted({(r.dataset, r.role, r.agent) for r in rows})
    top = POTENCY_RANGE_NM[1]
    for dataset, role, agent in keys:
        rs = [
            r
            for r in rows
            if (r.dataset, r.role, r.agent) == (dataset, role, agent) and not r.censored
        ]
        pairs = [(r.measured_nM, r.simulated_nM if r.simulated_nM is not None else top) for r in rs]
        errs = [abs(e) for r in rs if (e := r.log10_error) is not None]
        agreement.append(
            DrugAgreement(
                dataset=dataset,
                role=role,
                agent=agent,
                n_lines=len(rs),
                spearman=_spearman(pairs),
                median_abs_log10_error=float(np.median(errs)) if errs else None,
            )
        )
    return CellLineValidation(
        rows=rows,
        agreement=agreement,
        provenance={"mtorsim_version": __version__, "model_hash": model_hash()},
    )


# ---------------------------------------------------------------------------- synergy
class SynergyRow(Record):
    """One measured combination score beside the model's scores of the same pair."""

    id: str
    context: str
    agent_a: str
    agent_b: str
    measured: float
    measure: str
    simulated: dict[str, float | None]
    error: str = ""
    #: "fitted line" (a line of the cell-lines fit) or "held-out line" (one outside it,
    #: at the model's default per-line parameters)
    role: str = "fitted line"


class SynergyFidelity(Record):
    """Sign agreement and rank correlation of simulated and measured synergy scores."""

    format_version: str = "1.0"
    kind: str = "synergy-fidelity"
    dataset: str
    rows: list[SynergyRow]
    provenance: dict[str, Any]

    def agreement(self, method: str, role: str | None = None) -> dict[str, float | int | None]:
        """Sign agreement and Spearman of one method's scores, over the rows of ``role``
        (``fitted line`` or ``held-out line``; None: every row)."""
        pairs = [
            (r.measured, v)
            for r in self.rows
            if (role is None or r.role == role) and (v := r.simulated.get(method)) is not None
        ]
        signs = [np.sign(a) == np.sign(b) for a, b in pairs]
        return {
            "n": len(pairs),
            "sign_agreement": float(np.mean(signs)) if signs else None,
            "spearman": _spearman(pairs),
        }

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([r.model_dump(exclude={"simulated"}) | r.simulated for r in self.rows])


def synergy_fidelity(
    dataset: str = "oneil_deepsynergy",
    methods: Sequence[str] = ("loewe", "bliss", "zip"),
    progress: Callable[[str], None] | None = None,
) -> SynergyFidelity:
    """The model's synergy scores (72-h viability matrices at the assay module's default
    doses) for every measured pair of the dataset whose agents and cell line the model has,
    beside the measured score (O'Neil et al. 2016 Loewe scores as published by Preuer et
    al. 2018).  Fit failures are reported per pair, not raised."""
    from mtorsim.inference.calibration_set import load_calibration_set
    from mtorsim.inference.reference import synergy_values
    from mtorsim.pathway.build import model_hash
    from mtorsim.response.assays import combination_matrix
    from mtorsim.response.cells import CellResponseModel
    from mtorsim.response.synergy import SynergyInputError, score

    say = progress or (lambda _m: None)
    model = CellResponseModel()
    sel = load_calibration_set().problem("cell-lines").data
    held_lines = set(sel.held_out_contexts) if sel is not None else set()
    rows = []
    for v in synergy_values():
        if v.dataset != dataset or not (v.agent_a and v.agent_b and v.context) or v.value is None:
            continue
        say(f"{v.context}: {v.agent_a} + {v.agent_b}")
        sim: dict[str, float | None] = dict.fromkeys(methods)
        err = ""
        try:
            m = combination_matrix(v.context, v.agent_a, v.agent_b, model=model)
            for k, res in score(m, methods).items():
                sim[k] = res.summary
        except (SynergyInputError, MtorsimError) as exc:
            err = str(exc)
        rows.append(
            SynergyRow(
                id=v.id,
                context=v.context,
                agent_a=v.agent_a,
                agent_b=v.agent_b,
                measured=v.value,
                measure=v.measure[:80],
                simulated=sim,
                error=err,
                role=HELD_OUT_LINE if v.context in held_lines else "fitted line",
            )
        )
    return SynergyFidelity(
        dataset=dataset,
        rows=rows,
        provenance={"mtorsim_version": __version__, "model_hash": model_hash()},
    )


__all__ = [
    "CellLineValidation",
    "DrugAgreement",
    "PotencyRow",
    "SynergyFidelity",
    "SynergyRow",
    "simulated_potency",
    "synergy_fidelity",
    "validate_cell_lines",
]
