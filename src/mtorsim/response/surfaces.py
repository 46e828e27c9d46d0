"""Response surfaces: steady-state signalling outputs precomputed on a grid of drug
concentrations, and the multilinear interpolation the fast path reads them with."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mtorsim.pathway.contexts import Context
from mtorsim.pathway.drugs import DrugDose
from mtorsim.response.cells import CellResponseModel

#: response-surface grid points per signalling agent (0 and 9 log-spaced levels)
SURFACE_POINTS = 10
#: (proliferation, survival, ER activity, mTORC1 output) on a time grid
SignalArrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
#: the pathway readouts a course needs, in SignalArrays order
SIGNAL_READOUTS = ("proliferation", "survival", "ER_activity", "pS6K1_T389")


@dataclass
class ResponseSurface:
    """Steady-state signalling outputs (proliferation, survival, ER activity, mTORC1
    output) on a grid of concentrations of some agents.

    ``nodes_nM[j]`` are agent ``j``'s grid concentrations (0, then log-spaced from the low
    to the high end of its range); interpolation is multilinear in ``log(C + eps_j)``
    with ``eps_j`` a tenth of the lowest non-zero node, and concentrations above the grid
    are held at its top.
    """

    agents: tuple[str, ...]
    nodes_nM: list[np.ndarray]
    proliferation: np.ndarray
    survival: np.ndarray
    er_activity: np.ndarray
    mtorc1: np.ndarray
    eps: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.eps = [float(nodes[1]) / 10.0 for nodes in self.nodes_nM]
        self.axes = [np.log(nodes + e) for nodes, e in zip(self.nodes_nM, self.eps, strict=True)]

    @staticmethod
    def build(
        cells: CellResponseModel,
        context: Context,
        agents: tuple[str, ...],
        ranges: Sequence[tuple[float, float]],
        points: int = SURFACE_POINTS,
    ) -> ResponseSurface:
        nodes = [np.concatenate([[0.0], np.geomspace(lo, hi, points - 1)]) for lo, hi in ranges]
        shape = tuple(len(x) for x in nodes)
        values = [np.empty(shape) for _ in SIGNAL_READOUTS]
        for idx in itertools.product(*(range(s) for s in shape)):
            doses = [
                DrugDose(a, float(nodes[j][i]))
                for j, (a, i) in enumerate(zip(agents, idx, strict=True))
            ]
            r = cells.sim.steady_state(context, doses)
            for v, name in zip(values, SIGNAL_READOUTS, strict=True):
                v[idx] = r[name]
        return ResponseSurface(agents, nodes, *values)

    def __call__(self, conc: np.ndarray) -> SignalArrays:
        """(proliferation, survival, ER activity, mTORC1 output) at ``conc`` of shape
        (n_points, n_agents), nM."""
        c = np.atleast_2d(np.asarray(conc, float))
        prol, surv, er, mtor = multilinear(
            self.axes,
            self.grids(),
            [
                np.log(np.clip(c[:, j], 0.0, nodes[-1]) + self.eps[j])
                for j, nodes in enumerate(self.nodes_nM)
            ],
        )
        return prol, surv, er, mtor

    def partial(self, present: Mapping[int, np.ndarray]) -> SignalArrays:
        """The outputs with the agents at positions ``present`` at these concentrations
        (nM, each an array over the same points) and every other agent absent: the
        interpolation over the present axes only, on the grid's slice at the others'
        node 0 (where an absent agent sits exactly), so a class split's partial sets cost
        fewer corners; equal to :meth:`__call__` with zeros for the absent agents."""
        if not present:
            raise ValueError("partial(): give at least one agent")
        axes = sorted(present)
        cut = tuple(slice(None) if j in present else 0 for j in range(len(self.agents)))
        x = [
            np.log(np.clip(np.asarray(present[j], float), 0.0, self.nodes_nM[j][-1]) + self.eps[j])
            for j in axes
        ]
        if len(axes) == 1:  # one agent: numpy's own linear interpolation (C, one pass)
            a = self.axes[axes[0]]
            prol, surv, er, mtor = (np.interp(x[0], a, g[cut]) for g in self.grids())
            return prol, surv, er, mtor
        prol, surv, er, mtor = multilinear(
            [self.axes[j] for j in axes], [g[cut] for g in self.grids()], x
        )
        return prol, surv, er, mtor

    def arrays(self) -> dict[str, np.ndarray]:
        """The surface as plain arrays (what a cache file or a worker process receives)."""
        out = {f"nodes_{j}": x for j, x in enumerate(self.nodes_nM)}
        return out | {r: v for r, v in zip(SIGNAL_READOUTS, self.grids(), strict=True)}

    def grids(self) -> tuple[np.ndarray, ...]:
        return self.proliferation, self.survival, self.er_activity, self.mtorc1

    @staticmethod
    def from_arrays(agents: tuple[str, ...], arrays: Mapping[str, np.ndarray]) -> ResponseSurface:
        nodes = [np.asarray(arrays[f"nodes_{j}"], float) for j in range(len(agents))]
        return ResponseSurface(agents, nodes, *(np.asarray(arrays[r]) for r in SIGNAL_READOUTS))


def multilinear(
    axes: Sequence[np.ndarray], grids: Sequence[np.ndarray], x: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """Multilinear interpolation on a rectilinear grid: each of ``grids`` (shape: the
    axes' lengths) at the points ``x`` (one array per axis, each inside its axis).

    What ``scipy.interpolate.RegularGridInterpolator(method="linear")`` computes (a test
    checks the two agree to 1e-12); written here because the fast path calls it three
    times per patient on ~9000 points, and flat-index gathers per readout take a third
    of the library's time (its general path validates, broadcasts and stacks).
    """
    shape = grids[0].shape
    strides = np.cumprod((1, *shape[:0:-1]))[::-1]  # C order
    base = np.zeros(len(x[0]), np.intp)
    frac: list[np.ndarray] = []
    for a, xi, stride in zip(axes, x, strides, strict=True):
        i = np.clip(np.searchsorted(a, xi, side="right") - 1, 0, len(a) - 2)
        base += i * stride
        frac.append((xi - a[i]) / (a[i + 1] - a[i]))
    corners = []
    for bits in itertools.product((0, 1), repeat=len(axes)):
        w: np.ndarray | float = 1.0
        for f, bit in zip(frac, bits, strict=True):
            w = w * (f if bit else 1.0 - f)
        corners.append((int(np.dot(bits, strides)), np.asarray(w)))
    out = []
    for g in grids:
        flat = np.ravel(g)
        acc = np.zeros(len(base))
        for offset, w in corners:
            acc += flat.take(base + offset) * w
        out.append(acc)
    return out


__all__ = ["SIGNAL_READOUTS", "SURFACE_POINTS", "ResponseSurface", "SignalArrays", "multilinear"]
