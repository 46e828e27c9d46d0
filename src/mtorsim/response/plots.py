"""Figures of cell-level results: a combination matrix and its synergy scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mtorsim.response.synergy import DoseMatrix, SynergyResult


def synergy_heatmaps(m: DoseMatrix, results: Mapping[str, SynergyResult], axes: Any = None) -> Any:
    """Inhibition (%) and each synergy score as heatmaps over the dose grid, one panel
    each (``axes``: one per panel, or None for a new figure); returns the axes."""
    import matplotlib.pyplot as plt
    import numpy as np

    panels = [("inhibition (%)", m.response, "viridis", None)] + [
        (
            f"{k.upper()} (mean {r.summary:+.1f})",
            r.scores,
            "RdBu_r",
            max(5.0, float(abs(r.scores).max())),
        )
        for k, r in results.items()
    ]
    if axes is None:
        fig, grid = plt.subplots(
            1, len(panels), figsize=(4 * len(panels), 3.6), layout="constrained", squeeze=False
        )
        axes = list(grid[0])
    else:
        axes = list(np.atleast_1d(axes))
        fig = axes[0].figure
    for ax, (title, z, cmap, lim) in zip(axes, panels, strict=True):
        kw = {"vmin": -lim, "vmax": lim} if lim else {"vmin": 0, "vmax": 100}
        im = ax.imshow(z, origin="lower", cmap=cmap, aspect="auto", **kw)
        ax.set_xticks(range(len(m.conc2)), [f"{c:.2g}" for c in m.conc2], rotation=90, fontsize=7)
        ax.set_yticks(range(len(m.conc1)), [f"{c:.2g}" for c in m.conc1], fontsize=7)
        ax.set(xlabel=f"{m.drug2} ({m.unit})", ylabel=f"{m.drug1} ({m.unit})", title=title)
        fig.colorbar(im, ax=ax, shrink=0.8)
    return axes


__all__ = ["synergy_heatmaps"]
