"""Effect models: a patient's exposure -> the change of the tumour's net growth rate.

An :class:`EffectModel` turns an :class:`~mtorsim.pharmacology.exposure.Exposure` in a
signalling context into :class:`EffectBlock` records: the drug-induced change of the
cells' net growth rate over time (1/day, :meth:`CellResponseModel.net_rate` minus the
untreated rate), split into one share per drug class present (:mod:`mtorsim.response.links`),
which the tumour layer links class by class.
Two strategies give the same quantity:

* :class:`SurfaceEffect` (the fast path): steady-state signalling outputs precomputed per
  context on a grid of concentrations of the arm's signalling agents (a response
  surface), interpolated multilinearly in log-concentration (scipy's
  ``RegularGridInterpolator``) at the exposure on a regular time grid.  Signalling
  settles in hours while tumours change over weeks, which is what makes surfaces valid.
* :class:`DynamicEffect` (the exact path): the signalling ODEs integrated through the
  course under exact (closed-form) PK, drug levels held over 1-h segments
  (:meth:`PathwaySimulator.driven_course`); no surface, no quasi-steady state.  It
  yields one block per assessment interval, so a caller can stop at progression.

Everything else (exposure, tumour, RECIST, statistics) is shared by the two paths.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.names import HOURS_PER_DAY, MINUTES_PER_DAY
from mtorsim.pathway.contexts import Context, context_key
from mtorsim.pathway.simulate import PathwaySimulator
from mtorsim.pharmacology.exposure import DosedDrug, Exposure
from mtorsim.pharmacology.regimen import Patient
from mtorsim.response.cells import CellResponseModel, Signals, mtorc1_inhibition
from mtorsim.response.links import LINK_CLASSES, LinkClass, link_class, shapley_shares
from mtorsim.response.surfaces import (
    SIGNAL_READOUTS,
    SURFACE_POINTS,
    ResponseSurface,
    SignalArrays,
)

#: fast-path time step (h); daily, twice-daily and weekly doses fall on it
SURFACE_STEP_H = 2.0
#: end of the fast path's first block (days): one visit on or after it, then doubling
#: (assumed: a speed setting only; any cut gives the same course, a test checks it)
FIRST_BLOCK_DAYS = 84.0
#: version of the response-surface cache files (bump when their meaning changes)
SURFACE_FORMAT = 1
#: exact-path segment length (h) over which drug levels are held
DYNAMIC_STEP_H = 1.0


@dataclass(frozen=True)
class EffectBlock:
    """The change of the cells' net growth rate (1/day) at ``t_days`` and its split into
    one share per drug class of the arm (they add up to it; see
    :mod:`~mtorsim.response.links`)."""

    t_days: np.ndarray
    dk_per_day: np.ndarray
    shares: dict[LinkClass, np.ndarray] = field(default_factory=dict, repr=False)
    #: fraction of the cells' untreated mTORC1 output (pS6K1) the arm's drugs remove
    mtorc1_inhibition: np.ndarray | None = field(default=None, repr=False)


class EffectModel(ABC):
    """Drug effect on tumour growth for the drugs of one arm.

    Parameters
    ----------
    drugs
        The arm's dosed drugs (:func:`mtorsim.pharmacology.dosed_drug`).
    cells
        The cell-response model (signalling simulator and growth link).
    """

    #: short name used in provenance
    name: ClassVar[str]

    def __init__(
        self,
        drugs: Sequence[DosedDrug],
        cells: CellResponseModel | None = None,
    ) -> None:
        self.drugs = tuple(drugs)
        self.cells = cells if cells is not None else CellResponseModel()
        kb = self.cells.kb
        self.classes: dict[str, LinkClass] = {}
        sig: list[DosedDrug] = []
        cyt: list[DosedDrug] = []
        for d in self.drugs:
            active = kb.agent(d.active_agent)
            cls = link_class(active)  # microenvironment agents are refused here
            self.classes[d.agent] = cls
            if cls == "cytotoxic":
                params = self.cells.data.agents.get(active.id)
                if params is None or params.ec50_nM is None:
                    hint = f" ({params.note})" if params is not None else ""
                    raise MtorsimError(
                        f"{kb.agent(d.agent).name} acts through {active.name}, which has no "
                        f"cell-kill parameters{hint}"
                    )
                cyt.append(d)
            else:
                sig.append(d)
        self.signalling: tuple[DosedDrug, ...] = tuple(sig)
        self.cytotoxic: tuple[DosedDrug, ...] = tuple(cyt)
        self.arm_classes: tuple[LinkClass, ...] = tuple(
            c for c in LINK_CLASSES if c in self.classes.values()
        )

    def settings(self) -> dict[str, object]:
        """What besides the drugs determines this model's effect (for provenance)."""
        return {"strategy": self.name, "classes": list(self.arm_classes)}

    @abstractmethod
    def blocks(
        self,
        exposure: Exposure,
        context: Context,
        horizon_day: float,
        breaks: Sequence[float] | np.ndarray = (),
    ) -> Iterator[EffectBlock]:
        """Effect blocks covering [0, ``horizon_day``] in order; ``breaks`` (days, e.g.
        assessment visits) are where a strategy may end one block and start the next."""

    # ------------------------------------------------------------------ shared
    def _block(
        self,
        context: Context,
        t_days: np.ndarray,
        signals_of: Callable[[tuple[str, ...]], SignalArrays],
        cyto_nM: dict[str, np.ndarray],
    ) -> EffectBlock:
        """Net-growth change on ``t_days`` from signalling outputs (``signals_of`` a tuple
        of signalling agents present) and cytotoxic levels, linked by class."""
        cells = self.cells
        g0 = cells.untreated_net(context)
        memo: dict[tuple[str, ...], SignalArrays] = {}

        def signals(agents: tuple[str, ...]) -> SignalArrays:
            if agents not in memo:
                if agents:
                    memo[agents] = signals_of(agents)
                else:
                    memo[agents] = tuple(  # type: ignore[assignment]
                        np.full(len(t_days), v) for v in cells.signals(context)
                    )
            return memo[agents]

        def change(with_classes: frozenset[LinkClass]) -> np.ndarray:
            agents = tuple(
                d.agent for d in self.signalling if self.classes[d.agent] in with_classes
            )
            prol, surv, er, _ = signals(agents)
            cyto: dict[str, np.ndarray] = {}
            for d in self.cytotoxic:
                if "cytotoxic" in with_classes:
                    cyto[d.active_agent] = cyto.get(d.active_agent, 0.0) + cyto_nM[d.agent]
            net = cells.net_rate(context, prol, surv, cyto, er)
            return np.asarray((net - g0) * HOURS_PER_DAY)

        s6k0 = cells.signals(context).mtorc1
        inhibition = np.broadcast_to(
            mtorc1_inhibition(signals(tuple(d.agent for d in self.signalling))[3], s6k0),
            t_days.shape,
        ).copy()
        if not self.arm_classes:
            return EffectBlock(t_days, np.zeros(len(t_days)), {}, inhibition)
        if len(self.arm_classes) == 1:
            total = change(frozenset(self.arm_classes))
            return EffectBlock(t_days, total, {self.arm_classes[0]: total}, inhibition)
        shares = shapley_shares(self.arm_classes, change)
        shares = {c: np.broadcast_to(v, t_days.shape).copy() for c, v in shares.items()}
        return EffectBlock(t_days, np.asarray(sum(shares.values())), shares, inhibition)


class SurfaceEffect(EffectModel):
    """The fast path: response surfaces built once per context and reused.

    The concentration range of each signalling agent is that of a typical patient (the
    record's own PK) over its first 4 weeks, from the lowest level after the first week
    (the build-up is below any steady trough) to the highest, widened 20-fold each way for
    between-patient variability.
    """

    name = "fast (response surfaces)"

    def __init__(
        self,
        drugs: Sequence[DosedDrug],
        cells: CellResponseModel | None = None,
        step_h: float = SURFACE_STEP_H,
        points: int = SURFACE_POINTS,
    ) -> None:
        super().__init__(drugs, cells)
        from mtorsim.knowledge.domains import check

        # a surface has points ** k nodes for k signalling drugs (one steady state each)
        check(
            "signalling drugs per arm",
            len(self.signalling),
            "response surface",
            f"signalling drugs ({', '.join(d.agent for d in self.signalling)})",
        )
        self.step_h, self.points = step_h, points
        self.ranges = [self._range(d) for d in self.signalling]
        self.surfaces: dict[tuple[str, tuple[tuple[str, float], ...]], ResponseSurface] = {}

    def settings(self) -> dict[str, object]:
        return super().settings() | {"step_h": self.step_h, "points": self.points}

    def _range(self, d: DosedDrug) -> tuple[float, float]:
        days = 28.0
        n = int(days * HOURS_PER_DAY / self.step_h)
        typical = Exposure([d], {d.agent: d.record.parameters()}, Patient(), days - 1.0)
        c = typical.on_grid(n, self.step_h)[d.agent]
        pos = c[c > 0]
        if pos.size == 0:
            raise MtorsimError(f"{d.agent}: regimen {d.regimen} gives no exposure in 4 weeks")
        lo = float(pos[len(pos) // 4 :].min()) / 20.0
        return lo, float(pos.max()) * 20.0

    def surface(self, context: Context) -> ResponseSurface | None:
        """The context's surface over the arm's signalling agents (None if there are none)."""
        if not self.signalling:
            return None
        key = context_key(context)
        if key not in self.surfaces:
            self.surfaces[key] = self._cached_surface(context)
        return self.surfaces[key]

    def cache_key(self, context: Context) -> str:
        """Content hash of everything a surface depends on: mtorsim's code and data, the
        knowledge base (drug potencies), the simulator's version, the model (its text and
        the run's parameter values), the context's parameter values, the agents, their
        grids and the surface format."""
        import importlib.metadata as md

        from mtorsim.fileio import package_digest
        from mtorsim.pathway.build import model_hash

        spec = {
            "format": SURFACE_FORMAT,
            # the code and data that shape a surface (steady-state settings, readouts,
            # drug potencies and slots) and the simulator's version
            "code": package_digest(),
            "knowledge": self.cells.kb.digest,
            "roadrunner": md.version("libroadrunner"),
            "model": model_hash(),
            "parameters": sorted(self.cells.sim.parameters.items()),
            "context": context_key(context),
            "agents": [d.agent for d in self.signalling],
            "ranges": [list(r) for r in self.ranges],
            "points": self.points,
        }
        text = json.dumps(spec, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()

    def _cache_path(self, context: Context) -> Path | None:
        from mtorsim.fileio import cache_dir

        folder = cache_dir("surfaces")
        return folder / f"{self.cache_key(context)}.npz" if folder is not None else None

    def cached_surface(self, context: Context) -> ResponseSurface | None:
        """The context's surface if the on-disk cache has it (then kept, with the
        context's untreated steady state, as if built here); None otherwise."""
        from mtorsim.pathway.contexts import context_key

        path = self._cache_path(context)
        if path is None or not path.is_file():
            return None
        surf = self._read_cache(context, path)
        if surf is not None:
            self.surfaces[context_key(context)] = surf
        return surf

    def _read_cache(self, context: Context, path: Path) -> ResponseSurface | None:
        from mtorsim.knowledge.domains import suspect

        agents = tuple(d.agent for d in self.signalling)
        key = self.cache_key(context)
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: np.array(z[k]) for k in z.files}
            if str(arrays.pop("key")) != key:
                raise ValueError("key")
            untreated = Signals(*(float(v) for v in arrays.pop("untreated")))
            surf = ResponseSurface.from_arrays(agents, arrays)
            if not all(np.all(np.isfinite(g)) for g in surf.grids()):
                raise ValueError("not finite")
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
            suspect(f"{path}: a damaged or foreign response-surface cache file; rebuilt")
            return None
        self.cells.remember_signals(context, untreated)
        return surf

    def _cached_surface(self, context: Context) -> ResponseSurface:
        """The context's surface from the on-disk cache (:func:`mtorsim.fileio.cache_dir`),
        else built (one steady state per node) and stored there.  The untreated steady
        state the growth link needs travels with it, so a cached surface needs no
        simulator.  A damaged or foreign file is rebuilt, with a warning."""
        from mtorsim.fileio import write_atomic
        from mtorsim.knowledge.domains import suspect

        agents = tuple(d.agent for d in self.signalling)
        key = self.cache_key(context)
        path = self._cache_path(context)
        if path is not None and path.is_file():
            cached = self._read_cache(context, path)
            if cached is not None:
                return cached
        surf = ResponseSurface.build(self.cells, context, agents, self.ranges, self.points)
        if path is not None:
            buf = io.BytesIO()
            content: dict[str, Any] = {
                "key": np.array(key),
                "untreated": np.array(tuple(self.cells.signals(context)), float),
            }
            np.savez(buf, **(content | surf.arrays()))
            try:
                write_atomic(path, buf.getvalue())
            except MtorsimError as exc:  # a cache that cannot be written is not an error
                suspect(f"response surface not cached: {exc}")
        return surf

    def grid(self, horizon_day: float) -> tuple[int, np.ndarray]:
        """Number of grid points and their times (days) up to the horizon."""
        n = math.ceil(max(horizon_day, 0.0) * HOURS_PER_DAY / self.step_h) + 1
        return n, np.arange(n) * self.step_h / HOURS_PER_DAY

    def blocks(
        self,
        exposure: Exposure,
        context: Context,
        horizon_day: float,
        breaks: Sequence[float] | np.ndarray = (),
    ) -> Iterator[EffectBlock]:
        n, t_days = self.grid(horizon_day)
        surf = self.surface(context)
        order = [d.agent for d in self.signalling]
        start = 0
        for stop in self.block_ends(n, breaks):
            # the grid's values up to ``stop`` depend only on doses before it (causal
            # convolution), so a block needs the exposure only that far
            conc = {
                a: c[start : stop + 1] for a, c in exposure.on_grid(stop + 1, self.step_h).items()
            }

            def signals_of(
                agents: tuple[str, ...], conc: dict[str, np.ndarray] = conc
            ) -> SignalArrays:
                assert surf is not None
                return surf.partial({j: conc[a] for j, a in enumerate(order) if a in agents})

            yield self._block(
                context,
                t_days[start : stop + 1],
                signals_of,
                {d.agent: conc[d.agent] for d in self.cytotoxic},
            )
            start = stop

    def block_ends(self, n: int, breaks: Sequence[float] | np.ndarray) -> list[int]:
        """Grid indices where blocks end: at the first break (visit) on or after 12 weeks,
        then after 24, 48, ... weeks, and at the horizon.  A patient who progresses early
        is simulated little further than her progression (the orchestration stops after
        the block that shows it); the blocks together are the one course."""
        step_days = self.step_h / HOURS_PER_DAY
        b = np.sort(np.asarray(breaks, float))
        ends: list[int] = []
        target = FIRST_BLOCK_DAYS
        while True:
            later = b[b >= target]
            if later.size == 0:
                break
            k = math.ceil(float(later[0]) / step_days - 1e-9)
            if k >= n - 1:
                break
            if not ends or k > ends[-1]:
                ends.append(k)
            target *= 2.0
        return [*ends, n - 1]


class DynamicEffect(EffectModel):
    """The exact path: signalling ODEs driven by exact PK, one block per break interval.

    The whole arm's course runs on the simulator of ``cells``; the untreated steady state
    the growth link needs is computed before the course starts, so no steady state resets
    the engine mid-course.  Each other set of signalling agents a class split needs gets a
    simulator of its own, so every course is integrated once, in order.  One patient's
    blocks are consumed before the next patient's (the engine holds the course's state).
    """

    name = "exact (dynamic signalling ODEs)"

    def __init__(
        self,
        drugs: Sequence[DosedDrug],
        cells: CellResponseModel | None = None,
        step_h: float = DYNAMIC_STEP_H,
    ) -> None:
        super().__init__(drugs, cells)
        self.step_h = step_h
        self._sims: dict[tuple[str, ...], PathwaySimulator] = {}

    def settings(self) -> dict[str, object]:
        return super().settings() | {"step_h": self.step_h}

    def _sim(self, agents: tuple[str, ...]) -> PathwaySimulator:
        if agents == tuple(d.agent for d in self.signalling):
            return self.cells.sim
        if agents not in self._sims:
            self._sims[agents] = PathwaySimulator(self.cells.kb, self.cells.sim.parameters)
        return self._sims[agents]

    def blocks(
        self,
        exposure: Exposure,
        context: Context,
        horizon_day: float,
        breaks: Sequence[float] | np.ndarray = (),
    ) -> Iterator[EffectBlock]:
        horizon = max(horizon_day, 0.0)
        self.cells.signals(context)  # memoised now, so never computed mid-course
        stops = [float(b) for b in breaks if b <= horizon]
        if not stops or stops[-1] < horizon:
            stops.append(horizon)
        started: set[tuple[str, ...]] = set()
        t0 = 0.0
        for stop in stops:
            n_seg = max(1, math.ceil((stop - t0) * HOURS_PER_DAY / self.step_h))
            edges = np.linspace(t0, stop, n_seg + 1)  # days
            mids_h = (edges[:-1] + edges[1:]) / 2.0 * HOURS_PER_DAY
            conc_mid = exposure.at(mids_h)
            conc_end = exposure.at(edges * HOURS_PER_DAY)

            def signals_of(
                agents: tuple[str, ...],
                conc_mid: dict[str, np.ndarray] = conc_mid,
                edges: np.ndarray = edges,
            ) -> SignalArrays:
                held = np.column_stack([conc_mid[a] for a in agents])
                held = np.vstack([held, held[-1:]])  # the last row only closes the grid
                out = self._sim(agents).driven_course(
                    context,
                    list(agents),
                    edges * MINUTES_PER_DAY,
                    held,
                    readouts=SIGNAL_READOUTS,
                    resume=agents in started,
                )
                started.add(agents)
                return tuple(out[r] for r in SIGNAL_READOUTS)  # type: ignore[return-value]

            yield self._block(
                context, edges, signals_of, {d.agent: conc_end[d.agent] for d in self.cytotoxic}
            )
            t0 = stop


__all__ = [
    "DYNAMIC_STEP_H",
    "SURFACE_POINTS",
    "SURFACE_STEP_H",
    "DynamicEffect",
    "EffectBlock",
    "EffectModel",
    "ResponseSurface",
    "SurfaceEffect",
]
