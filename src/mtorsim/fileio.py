"""The one atomic writer: a reader never sees a half-written result.

Every file mtorsim writes (tables, JSON records, checkpoints, figures, reports) goes
through :func:`write_atomic`: a temporary file with a unique name in the same folder
(``tempfile.mkstemp``, so a planted file or symlink is never followed), then a rename; the
file's mode follows the umask (mkstemp's own is 0600).

An output folder is trusted through its manifest, ``run.json`` (:func:`write_manifest`):
the command, the package version, the run's inputs' hashes, every file with its SHA-256
and ``finished: true``, written last and atomically.  :func:`begin_run` removes the old
manifest first, so a folder whose run was killed while writing has none (or
``finished: false``) and never looks finished; files an earlier run listed that this one
does not write are removed by :func:`write_manifest`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mtorsim.errors import MtorsimError

MANIFEST = "run.json"
MANIFEST_FORMAT = "1.0"


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it; else by the
    set-and-restore of os.umask (not thread-safe, hence the first choice)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _file_mode() -> int:
    """0666 less the process's umask (what open() would have given)."""
    return 0o666 & ~_umask()


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise MtorsimError(
            f"cannot write {path}: {exc.strerror or exc}; choose a folder you can write to"
        ) from None
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fb:
                fb.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(data)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise MtorsimError(f"cannot write {path}: {exc.strerror or exc}") from None
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


#: where mtorsim keeps data it can recompute (response surfaces); "off" disables it
CACHE_ENV = "MTORSIM_CACHE"


def cache_dir(kind: str) -> Path | None:
    """The folder of one kind of recomputable data: ``$MTORSIM_CACHE/KIND``, else
    ``$XDG_CACHE_HOME/mtorsim/KIND`` or ``~/.cache/mtorsim/KIND`` (never inside the
    installed package); None when ``$MTORSIM_CACHE`` is ``off``."""
    env = os.environ.get(CACHE_ENV, "")
    if env.lower() == "off":
        return None
    if env:
        return Path(env) / kind
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "mtorsim" / kind


def ensure_writable(folder: str | Path) -> Path:
    """Make ``folder`` and check that a file can be written in it, before any long work."""
    folder = Path(folder)
    write_atomic(folder / ".mtorsim-write-test", b"")
    (folder / ".mtorsim-write-test").unlink()
    return folder


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@functools.cache
def package_digest() -> str:
    """SHA-256 of mtorsim's own source and data files as installed (a run's outputs
    depend on the code that made them: a manifest records this, so a folder made by other
    code is never taken as up to date)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if (
            path.suffix in (".py", ".yaml", ".ant", ".json", ".csv")
            and "__pycache__" not in path.parts
        ):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:32]


def up_to_date(
    folder: str | Path, command: str, inputs: Mapping[str, str]
) -> dict[str, str] | None:
    """The files of a finished run in ``folder`` made by the same command from the same
    inputs (and code), every file as it wrote it; None if anything differs."""
    folder = Path(folder)
    doc = read_manifest(folder)
    if not doc or doc.get("finished") is not True:
        return None
    if doc.get("command") != command or doc.get("inputs") != dict(inputs):
        return None
    if verify_run(folder):
        return None
    return {meta["name"]: str(folder / rel) for rel, meta in doc["files"].items()}


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The folder's ``run.json``, or None if it has none or it cannot be read."""
    path = Path(folder) / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def begin_run(folder: str | Path, command: str, inputs: Mapping[str, str]) -> dict[str, Any]:
    """Mark ``folder`` as being written: the old manifest (kept in memory, for the stale
    files it lists) is replaced by one with ``finished: false``."""
    folder = Path(folder)
    old = read_manifest(folder) or {}
    write_atomic(
        folder / MANIFEST,
        json.dumps(
            {
                "format_version": MANIFEST_FORMAT,
                "kind": "run-manifest",
                "command": command,
                "inputs": dict(inputs),
                "finished": False,
            },
            indent=2,
        )
        + "\n",
    )
    return old


def _listed_files(folder: Path, manifest: Mapping[str, Any] | None) -> dict[str, Path]:
    """The files a manifest lists that lie inside ``folder`` (relative names without
    ``..``, resolving inside it), by name; anything else in a manifest is ignored."""
    files = (manifest or {}).get("files")
    if not isinstance(files, dict):
        return {}
    root = folder.resolve()
    out = {}
    for rel, meta in files.items():
        if not isinstance(rel, str) or not isinstance(meta, dict) or rel == MANIFEST:
            continue
        p = Path(rel)
        if p.is_absolute() or ".." in p.parts:
            continue
        full = (folder / p).resolve()
        if full.parent == root or root in full.parents:
            out[rel] = folder / p
    return out


def write_manifest(
    folder: str | Path,
    files: Mapping[str, str | Path],
    command: str,
    inputs: Mapping[str, str],
    previous: Mapping[str, Any] | None = None,
    finished_at: str | None = None,
    **extra: Any,
) -> Path:
    """Write ``run.json`` last: every file with its size and SHA-256, ``finished: true``.
    Files the ``previous`` manifest listed that this run did not write are removed (stale
    outputs of an earlier run in the same folder)."""
    from datetime import UTC, datetime

    from mtorsim import __version__

    folder = Path(folder)
    listed = {}
    for name, p in files.items():
        path = Path(p)
        rel = os.path.relpath(path, folder)
        listed[rel] = {"name": name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    for rel, path in _listed_files(folder, previous).items():
        meta = (previous or {})["files"][rel]
        # only a plain file of this folder, written by mtorsim's earlier run and unchanged
        # since (its recorded SHA-256), is removed: a manifest never deletes anything else
        if rel not in listed and path.is_file() and sha256_file(path) == meta.get("sha256"):
            path.unlink()
    doc = {
        "format_version": MANIFEST_FORMAT,
        "kind": "run-manifest",
        "command": command,
        "mtorsim_version": __version__,
        "finished_at": finished_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": dict(inputs),
        "files": listed,
        **extra,
        "finished": True,
    }
    return write_atomic(folder / MANIFEST, json.dumps(doc, indent=2, allow_nan=False) + "\n")


def verify_run(folder: str | Path) -> list[str]:
    """What is wrong with a run folder (empty: finished and every file as written)."""
    folder = Path(folder)
    doc = read_manifest(folder)
    if doc is None:
        return [f"{folder / MANIFEST}: missing or unreadable (a run that never finished?)"]
    if doc.get("finished") is not True:
        return [f"{folder / MANIFEST}: the run did not finish"]
    problems = []
    files = doc.get("files")
    if not isinstance(files, dict):
        return [f"{folder / MANIFEST}: no file list"]
    inside = _listed_files(folder, doc)
    for rel, meta in files.items():
        if rel not in inside:
            problems.append(f"{folder / MANIFEST}: lists {rel!r}, which is not in the folder")
            continue
        path = inside[rel]
        if not path.is_file():
            problems.append(f"{path}: listed in {MANIFEST} but missing")
        elif sha256_file(path) != meta.get("sha256"):
            problems.append(f"{path}: changed since the run wrote it (SHA-256 differs)")
    return problems


__all__ = [
    "MANIFEST",
    "begin_run",
    "ensure_writable",
    "figure_png",
    "read_manifest",
    "save_figure",
    "sha256_file",
    "verify_run",
    "write_atomic",
    "write_manifest",
]
