"""Figures of trial records: Kaplan-Meier with numbers at risk, waterfall, spider and
forest plots.  Each takes ``ax=None`` (a new figure) and returns the axes it drew on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mtorsim.knowledge import names as N

if TYPE_CHECKING:
    from mtorsim.trials.results import TrialResult
    from mtorsim.trials.subgroups import SubgroupTable

ARM_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
RESPONSE_COLOURS = {
    N.CR: "#1a9850",
    N.PR: "#91cf60",
    N.SD: "#fee08b",
    N.PD: "#d73027",
    N.NE: "#999999",
}


def km_plot(result: TrialResult, ax: Any = None) -> Any:
    """Kaplan-Meier PFS per arm with the 95% band, censoring marks and the numbers at
    risk (patients whose PFS is at or beyond each tick) under the axes."""
    import matplotlib.pyplot as plt

    from mtorsim.trials.survival import kaplan_meier

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    arms = []
    for i, arm in enumerate(result.design.arms):
        sub = result.patients[result.patients[N.ARM] == arm.id]
        if sub.empty:
            continue
        t = sub[N.PFS_MONTHS].to_numpy(float)
        e = sub[N.EVENT].to_numpy(bool)
        km = kaplan_meier(t, e)
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        ax.step(km.time, km.survival, where="post", color=colour, label=arm.label, lw=1.5)
        ax.fill_between(km.time, km.ci_low, km.ci_high, step="post", color=colour, alpha=0.2)
        censored = np.unique(t[~e])
        at = np.searchsorted(km.time, censored, side="right") - 1
        ax.plot(censored, km.survival[at], "|", color=colour, ms=4)
        arms.append((arm.label, colour, t))
    ax.set(
        xlabel="months from randomisation",
        ylabel="progression-free probability",
        ylim=(0, 1.02),
        xlim=(0, None),
        title=f"{result.design.name}: progression-free survival "
        f"(virtual, N = {len(result.patients)})",
    )
    ax.legend(loc="lower left", fontsize=8)
    c = result.comparison
    if c is not None and c.hazard_ratio is not None:
        ax.text(
            0.98,
            0.98,
            f"HR {c.hazard_ratio:.2f} (95% CI {c.ci_low:.2f}-{c.ci_high:.2f}), "
            f"log-rank p = {c.logrank_p:.2g}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
        )
    if arms:
        lo, hi = ax.get_xlim()
        ticks = [x for x in ax.get_xticks() if lo - 1e-9 <= x <= hi + 1e-9]
        ax.set_xticks(ticks)
        ax.text(-0.05, -0.13, "at risk", transform=ax.transAxes, ha="right", fontsize=8)
        for row, (label, colour, t) in enumerate(arms):
            y = -0.18 - 0.05 * row
            ax.text(-0.05, y, label, transform=ax.transAxes, ha="right", fontsize=7, color=colour)
            for x in ticks:
                ax.text(
                    x,
                    y,
                    str(int((t >= x).sum())),
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    fontsize=7,
                    color=colour,
                )
    return ax


#: patients drawn per waterfall panel at most (assumed: about the panel's width in pixels
#: at the report's resolution, so no bar is thinner than a pixel); beyond it every k-th
#: patient of the sorted arm is drawn (a quantile plot) and the title says so
WATERFALL_MAX_BARS = 2000


def waterfall_plot(result: TrialResult, ax: Any = None) -> Any:
    """Best change in the sum of diameters per patient, one panel per arm (``ax`` is a
    sequence of one axes per arm); returns the axes.  Bars of one response category are
    one filled path, so the cost does not grow with one object per patient."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    arms = result.design.arms
    if ax is None:
        _fig, grid = plt.subplots(
            1,
            len(arms),
            figsize=(5 * len(arms), 4),
            layout="constrained",
            sharey=True,
            squeeze=False,
        )
        axes = list(grid[0])
    else:
        axes = list(np.atleast_1d(ax))
    for a, arm in zip(axes, arms, strict=True):
        sub = result.patients[result.patients[N.ARM] == arm.id]
        y = np.clip(sub[N.BEST_CHANGE].to_numpy(float), -100, 100)
        order = np.argsort(-y, kind="stable")
        cat = sub[N.BEST_RESPONSE].to_numpy().astype(str)[order]
        cat = np.where(np.isin(cat, list(RESPONSE_COLOURS)), cat, N.NE)  # missing: NE
        y = y[order]
        every = max(1, -(-len(y) // WATERFALL_MAX_BARS))
        y, cat = y[::every], cat[::every]
        x = np.arange(len(y) + 1)
        for r, colour in RESPONSE_COLOURS.items():
            inside = cat == r
            if inside.any():
                a.fill_between(
                    x,
                    0,
                    np.append(np.where(inside, y, 0.0), 0.0),
                    step="post",
                    color=colour,
                    linewidth=0,
                )
        a.axhline(20, color="k", lw=0.6, ls="--")
        a.axhline(-30, color="k", lw=0.6, ls="--")
        shown = f"N = {len(sub)}" + (f", every {every}th shown" if every > 1 else "")
        a.set(title=f"{arm.label} ({shown})", xlabel="patients", xticks=[], xlim=(0, len(y)))
    axes[0].set_ylabel("best change in sum of diameters (%)")
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in RESPONSE_COLOURS.values()]
    axes[-1].legend(
        handles, list(RESPONSE_COLOURS), title="best response", fontsize=7, loc="upper right"
    )
    return axes


def spider_plot(result: TrialResult, ax: Any = None) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    colour = {a.id: ARM_COLOURS[i % len(ARM_COLOURS)] for i, a in enumerate(result.design.arms)}
    arm_of = dict(zip(result.patients[N.PATIENT], result.patients[N.ARM], strict=True))
    for pid, c in sorted(result.curves.items()):
        d, s = np.asarray(c.day), np.asarray(c.sld_mm)
        if len(d) == 0:
            continue
        ax.plot(N.months(d), 100 * (s / s[0] - 1), color=colour[arm_of[pid]], lw=0.8, alpha=0.7)
    for a in result.design.arms:
        ax.plot([], [], color=colour[a.id], label=a.label)
    ax.axhline(20, color="k", lw=0.6, ls="--")
    ax.axhline(-30, color="k", lw=0.6, ls="--")
    ax.set(
        xlabel="months",
        ylabel="change in sum of diameters from baseline (%)",
        title=f"tumour size, first {len(result.curves)} patients (to progression or censoring)",
        ylim=(-100, 150),
    )
    ax.legend(frameon=False, fontsize=8)
    return ax


def forest_plot(table: SubgroupTable, ax: Any = None) -> Any:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    rows = [r for r in table.rows if r.hazard_ratio is not None]
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 2.0), layout="constrained")
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows, strict=True):
        ax.plot([r.ci_low, r.ci_high], [yi, yi], color="k", lw=1.2)
        ax.plot(r.hazard_ratio, yi, "s", color="tab:blue", ms=6)
        ax.text(
            1.02,
            yi,
            f"{r.hazard_ratio:.2f} ({r.ci_low:.2f}-{r.ci_high:.2f})  "
            f"n={r.n_experimental}/{r.n_control}",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8,
        )
    ax.axvline(1.0, color="grey", ls="--", lw=0.8)
    ax.set_xscale("log")
    lows = [r.ci_low for r in rows if r.ci_low is not None]
    highs = [r.ci_high for r in rows if r.ci_high is not None]
    lo = min([0.1, *(x * 0.9 for x in lows)])
    hi = max([1.5, *(x * 1.1 for x in highs)])
    ax.set_xlim(lo, hi)
    ticks = [t for t in (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0) if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y, [r.subgroup for r in rows])
    ax.set_ylim(-0.8, len(rows) + 0.2)
    # column headers above the rows, and which side favours which arm (HR < 1: fewer
    # events on the experimental arm) below the axis
    top, ya, xa = len(rows) - 0.4, ax.get_yaxis_transform(), ax.get_xaxis_transform()
    for x, yy, text, tr, ha, va, style in (
        (-0.01, top, "subgroup", ya, "right", "bottom", {"fontweight": "bold"}),
        (1.02, top, "HR (95% CI)   n exp/ctl", ya, "left", "bottom", {"fontweight": "bold"}),
        (0.97, -0.13, f"<- favours {table.experimental}", xa, "right", "top", {"color": "dimgrey"}),
        (1.03, -0.13, f"favours {table.control} ->", xa, "left", "top", {"color": "dimgrey"}),
    ):
        ax.text(x, yy, text, transform=tr, ha=ha, va=va, fontsize=8, **style)
    ax.set(
        xlabel="hazard ratio (95% CI), log scale",
        title=f"{table.name}: hazard ratio by subgroup (virtual, N = {table.n_patients})",
    )
    return ax


__all__ = ["forest_plot", "km_plot", "spider_plot", "waterfall_plot"]
