"""Figures of inference records: calibration starts, validation (simulated vs published)
and sensitivity.  Each takes ``ax=None`` (a new figure) and returns the axes it drew on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mtorsim.inference.results import CalibrationResult, SensitivityResult, ValidationReport

#: validation panels: unit -> title
GROUPS = (("months", "median PFS/TTP/OS (months)"), ("%", "rate (%)"), ("ratio", "hazard ratio"))


def calibration_plot(result: CalibrationResult, ax: Any = None) -> Any:
    """Final objective of every start, best first (a waterfall plot, as pyPESTO draws
    them), with the objective at the calibration set's start for reference."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    f = np.sort([s.objective for s in result.starts])
    ax.plot(np.arange(1, len(f) + 1), f, "o-", color="tab:blue", label="end of each start")
    ax.axhline(
        result.objective_start, color="grey", ls="--", lw=0.8, label="at the set's nominal start"
    )
    ax.set_yscale("log")
    from matplotlib.ticker import FormatStrFormatter

    ax.yaxis.set_major_formatter(FormatStrFormatter("%.3g"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%.3g"))
    ax.set(
        xlabel="start (sorted by objective)",
        ylabel="objective",
        title=f"calibration {result.problem}: {len(f)} start(s), best {result.objective:.3g}",
        xticks=np.arange(1, len(f) + 1),
    )
    ax.legend(frameon=False, fontsize=8)
    return ax


def validation_plot(report: ValidationReport, ax: Any = None) -> Any:
    """Simulated (median and interval of replicate trials) against published values."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), layout="constrained")
    else:
        axes = np.atleast_1d(ax)
        if len(axes) != len(GROUPS):
            raise ValueError(f"validation_plot draws {len(GROUPS)} panels; give that many axes")
        fig = axes[0].figure
    rows = [
        r for r in report.rows if isinstance(r.published, int | float) and r.simulated is not None
    ]
    for a, (unit, title) in zip(axes, GROUPS, strict=True):
        sel = [r for r in rows if r.unit == unit]
        for r in sel:
            assert r.simulated is not None and r.sim_low is not None and r.sim_high is not None
            pub = float(r.published)  # type: ignore[arg-type]
            colour = "tab:green" if r.inside else "tab:red"
            a.errorbar(
                pub,
                r.simulated,
                yerr=[[r.simulated - r.sim_low], [r.sim_high - r.simulated]],
                fmt="o",
                color=colour,
                ms=5,
                capsize=2,
            )
            if r.pub_low is not None and r.pub_high is not None:
                a.plot([r.pub_low, r.pub_high], [r.simulated] * 2, color=colour, lw=0.8, alpha=0.6)
            a.annotate(
                f"{r.design}:{r.arm}",
                (pub, r.simulated),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
        vals = [
            float(v)
            for r in sel
            for v in (r.published, r.sim_low, r.sim_high)
            if isinstance(v, int | float)
        ]
        if vals:
            lo, hi = min([*vals, 0.0]), max(vals) * 1.1 + 1e-9
            a.plot([lo, hi], [lo, hi], color="grey", ls="--", lw=0.8)
        a.set(xlabel=f"published {title}", ylabel=f"simulated {title}", title=title)
    fig.suptitle(
        "mtorsim predictions (calibrated on the calibration set only) vs published values; "
        "green: published value inside the simulated 95% interval",
        fontsize=10,
    )
    return axes


def sensitivity_plot(result: SensitivityResult, ax: Any = None) -> Any:
    import matplotlib.pyplot as plt

    rows = result.ranking[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1.5), layout="constrained")
    y = np.arange(len(rows))
    ax.barh(y - 0.2, [r.mu_star for r in rows], height=0.4, color="tab:blue", label="mu*")
    ax.barh(y + 0.2, [r.sigma or 0.0 for r in rows], height=0.4, color="tab:orange", label="sigma")
    ax.set_yticks(y, [r.factor for r in rows], fontsize=8)
    ax.set(
        xlabel=f"Morris elementary effect on the {result.output}",
        title=f"{result.design}: sensitivity ({result.runs} runs x {result.n_patients} patients)",
    )
    ax.legend(frameon=False, fontsize=8)
    return ax


__all__ = ["calibration_plot", "sensitivity_plot", "validation_plot"]
