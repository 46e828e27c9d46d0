"""Validation figure (simulated vs published) and the subgroup forest plot."""

from __future__ import annotations

from typing import Any

import numpy as np

GROUPS = (("months", "median PFS/TTP (months)"), ("%", "rate (%)"), ("ratio", "hazard ratio"))


def validation_figure(report: dict[str, Any]) -> Any:
    """Simulated (median and interval of replicate trials) against published values."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), layout="constrained")
    rows = [
        r
        for r in report["rows"]
        if isinstance(r["published"], int | float) and r["simulated"] is not None
    ]
    for ax, (unit, title) in zip(axes, GROUPS, strict=True):
        sel = [r for r in rows if r["unit"] == unit]
        for r in sel:
            lo, hi = r["simulation_interval"]
            colour = "tab:green" if r["published_inside_simulated_interval"] else "tab:red"
            ax.errorbar(
                r["published"],
                r["simulated"],
                yerr=[[r["simulated"] - lo], [hi - r["simulated"]]],
                fmt="o",
                color=colour,
                ms=5,
                capsize=2,
            )
            plo, phi = r["published_ci"]
            if plo is not None and phi is not None:
                ax.plot([plo, phi], [r["simulated"]] * 2, color=colour, lw=0.8, alpha=0.6)
            ax.annotate(
                f"{r['design']}:{r['arm']}",
                (r["published"], r["simulated"]),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
        vals = [
            v for r in sel for v in (r["published"], *r["simulation_interval"]) if v is not None
        ]
        if vals:
            lo, hi = min([*vals, 0.0]), max(vals) * 1.1 + 1e-9
            ax.plot([lo, hi], [lo, hi], color="grey", ls="--", lw=0.8)
        ax.set(xlabel=f"published {title}", ylabel=f"simulated {title}", title=title)
    fig.suptitle(
        "mtorsim predictions (calibrated on BOLERO-2 only) vs the review's published values; "
        "green: published value inside the simulated 95% interval",
        fontsize=10,
    )
    return axes[0]


def forest_figure(rows: list[dict[str, Any]], title: str) -> Any:
    import matplotlib.pyplot as plt

    rows = [r for r in rows if "hazard_ratio" in r]
    _, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.5), layout="constrained")
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows, strict=True):
        ax.plot([r["ci_low"], r["ci_high"]], [yi, yi], color="k", lw=1.2)
        ax.plot(r["hazard_ratio"], yi, "s", color="tab:blue", ms=6)
        ax.text(
            1.02,
            yi,
            f"{r['hazard_ratio']:.2f} ({r['ci_low']:.2f}-{r['ci_high']:.2f})  "
            f"n={r['n_experimental']}/{r['n_control']}",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8,
        )
    ax.axvline(1.0, color="grey", ls="--", lw=0.8)
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    lo = min(0.1, min(r["ci_low"] for r in rows) * 0.9)
    hi = max(1.5, max(r["ci_high"] for r in rows) * 1.1)
    ax.set_xlim(lo, hi)
    ticks = [t for t in (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0) if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y, [r["subgroup"] for r in rows])
    ax.set(xlabel="hazard ratio (95% CI), log scale", title=title)
    return ax
