"""The one atomic writer: a reader never sees a half-written result.

Every file mtorsim writes (tables, JSON records, checkpoints, figures, reports) goes
through :func:`write_atomic`: a temporary file with a unique name in the same folder
(``tempfile.mkstemp``, so a planted file or symlink is never followed), then a rename.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fb:
                fb.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def figure_png(ax_or_fig: Any, dpi: int = 120) -> bytes:
    """PNG bytes of a matplotlib figure (given it or one of its axes); closes the figure."""
    import matplotlib.pyplot as plt

    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    if not hasattr(fig, "savefig"):  # a list or array of axes
        import numpy as np

        fig = np.ravel(np.asarray(ax_or_fig, dtype=object))[0].figure
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def save_figure(ax_or_fig: Any, path: str | Path, dpi: int = 120) -> Path:
    """Write a figure as PNG atomically and close it."""
    return write_atomic(path, figure_png(ax_or_fig, dpi))


__all__ = ["figure_png", "save_figure", "write_atomic"]
