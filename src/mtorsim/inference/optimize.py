"""Calibration through pyPESTO: ``Problem -> minimize (seeded multistart) -> Result``.

mtorsim's objectives are plain callables on the scaled parameter vector; this module
wraps them as a :class:`pypesto.Problem` with the calibration set's bounds, seeded start
points (the nominal start first, then uniform offsets around it), a scipy optimiser and
an execution engine (serial, or processes for parallel starts).  pyPESTO is an optional
dependency: ``pip install "mtorsim[calibration]"``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mtorsim.errors import MtorsimError
from mtorsim.inference.calibration_set import ParameterTable
from mtorsim.inference.results import ParameterFit, StartRecord

EXTRA = "calibration"


def require_pypesto() -> Any:
    """The pypesto module, or an error that names the extra to install."""
    try:
        import pypesto
        import pypesto.optimize
    except ImportError as exc:
        raise MtorsimError(
            f"calibration needs pyPESTO, which is not installed ({exc.name}); install it with "
            f'pip install "mtorsim[{EXTRA}]"'
        ) from None
    return pypesto


def engine(workers: int = 1) -> Any:
    """pyPESTO's serial engine, or a process pool of ``workers`` for parallel starts."""
    pypesto = require_pypesto()
    if workers < 1:
        raise MtorsimError(f"workers must be at least 1, got {workers}")
    from pypesto.engine import MultiProcessEngine, SingleCoreEngine

    del pypesto
    return SingleCoreEngine() if workers == 1 else MultiProcessEngine(n_procs=workers)


@dataclass(frozen=True)
class SeededStarts:
    """Start points: uniform offsets of ``spread`` (in the optimiser's scale) around the
    nominal start, clipped to the bounds, from a generator seeded with ``seed`` (the
    nominal start itself is the problem's first guess)."""

    nominal: tuple[float, ...]
    spread: float
    seed: int

    def __call__(self, n_starts: int, lb: np.ndarray, ub: np.ndarray, **_: Any) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        x0 = np.asarray(self.nominal)
        pts = [
            np.clip(x0 + rng.uniform(-self.spread, self.spread, size=len(x0)), lb, ub)
            for _ in range(n_starts)
        ]
        return np.asarray(pts).reshape(n_starts, len(x0))


@dataclass(frozen=True)
class Start:
    """One optimiser start: where it began and ended (scaled), its objective, evaluations."""

    index: int
    x0: np.ndarray
    x: np.ndarray
    fval: float
    n_evals: int
    message: str


#: Nelder-Mead's first simplex step (in the table's scale, e.g. decades) at a start
SIMPLEX_STEP = 0.1


class _Shifted:
    """``objective(u - shift)``: the optimiser's coordinates moved by ``shift``.

    scipy's Nelder-Mead builds its first simplex with a step of 5% of each start
    coordinate (0.00025 where a coordinate is 0), so a parameter whose log10 start is 0
    (a factor of 1) would hardly move.  Shifting each coordinate so that it sits at
    SIMPLEX_STEP / 0.05 at the nominal start gives every parameter the same first step
    (SIMPLEX_STEP decades); the result is shifted back, so nothing else sees it.
    A class, not a lambda, so that parallel starts can pickle it.
    """

    def __init__(self, objective: Callable[[np.ndarray], float], shift: np.ndarray) -> None:
        self.objective, self.shift = objective, shift

    def __call__(self, u: np.ndarray) -> float:
        return self.objective(np.asarray(u, float) - self.shift)


def minimize(
    objective: Callable[[np.ndarray], float],
    table: ParameterTable,
    method: str,
    options: dict[str, Any],
    n_starts: int,
    seed: int,
    spread: float,
    workers: int = 1,
    guesses: Sequence[np.ndarray] | None = None,
) -> list[Start]:
    """Seeded multistart minimisation of ``objective`` over the table's free parameters;
    the starts, best first.  ``guesses`` replace the nominal start as the first points."""
    pypesto = require_pypesto()
    from pypesto.optimize import OptimizeOptions, ScipyOptimizer

    lb, ub = table.bounds_scaled()
    nominal = table.nominal_scaled()
    shift = SIMPLEX_STEP / 0.05 - nominal if method == "Nelder-Mead" else np.zeros_like(nominal)
    first = [np.asarray(g, float) + shift for g in guesses] if guesses else [nominal + shift]
    problem = pypesto.Problem(
        objective=pypesto.Objective(fun=_Shifted(objective, shift)),
        lb=lb + shift,
        ub=ub + shift,
        x_names=table.ids,
        # the optimiser's coordinates are shifted for Nelder-Mead (no longer log10 values)
        x_scales=[r.scale if not shift.any() else "lin" for r in table.free],
        x_guesses=np.asarray(first),
        copy_objective=False,
        startpoint_method=SeededStarts(tuple(nominal + shift), spread, seed),
    )
    result = pypesto.optimize.minimize(
        problem,
        optimizer=ScipyOptimizer(method=method, options=dict(options)),
        n_starts=n_starts,
        engine=engine(workers),
        progress_bar=False,
        options=OptimizeOptions(allow_failed_starts=False),
        ids=[str(i) for i in range(n_starts)],
    )
    starts = [
        Start(
            int(r.id),
            np.asarray(r.x0, float) - shift,
            np.asarray(r.x, float) - shift,
            float(r.fval),
            int(r.n_fval),
            str(r.message),
        )
        for r in sorted(result.optimize_result.list, key=lambda r: int(r.id))
    ]
    return sorted(starts, key=lambda s: s.fval)


def start_records(starts: list[Start]) -> list[StartRecord]:
    """The starts as record rows (values in the optimiser's scale)."""
    return [
        StartRecord(
            start=s.index,
            x0=[float(v) for v in s.x0],
            x=[float(v) for v in s.x],
            objective=s.fval,
            evaluations=s.n_evals,
            message=s.message,
        )
        for s in starts
    ]


def parameter_fits(
    table: ParameterTable, fitted: dict[str, float], sd: Sequence[float | None] | None = None
) -> list[ParameterFit]:
    """Record rows of the free parameters: start, fitted value, bounds, SD, source."""
    sds = list(sd) if sd is not None else [None] * len(table.free)
    return [
        ParameterFit(
            id=r.id,
            scale=r.scale,
            start=r.nominal,
            fitted=fitted[r.id],
            lower=r.lower,
            upper=r.upper,
            sd_scaled=None if s is None else float(s),
            source=r.source,
        )
        for r, s in zip(table.free, sds, strict=True)
    ]


def pypesto_version() -> str:
    return str(require_pypesto().__version__)


def file_hash(path: str | Path) -> str:
    """First 16 hex digits of a file's SHA-256 (provenance)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


__all__ = [
    "EXTRA",
    "SeededStarts",
    "Start",
    "engine",
    "file_hash",
    "minimize",
    "pypesto_version",
    "require_pypesto",
    "start_records",
]
