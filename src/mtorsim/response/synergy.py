"""Drug-combination synergy scores with SynergyFinder's conventions.

Responses are **percent inhibition** (0 = untreated, 100 = no cells), the
matrix has the zero dose of each drug as its first row / column, and every
score is *observed minus expected* in percentage points, positive for synergy,
summarised as the mean over the combination cells (both doses > 0):
Ianevski et al. 2017 Bioinformatics 33:2413 and 2022 Nucleic Acids Res
50:W739 (SynergyFinder 3), Yadav et al. 2015 Comput Struct Biotechnol J 13:504
(ZIP).

- **HSA**: expected = the larger single-agent response (observed).
- **Bliss**: expected = y1 + y2 - y1 y2 / 100 (observed single-agent responses).
- **Loewe**: expected y solves c1 / x1(y) + c2 / x2(y) = 1, with x_i the inverse
  of drug i's fitted four-parameter log-logistic curve (solved exactly, as
  SynergyFinder 2; version 3 searches a 100-point grid); where no y solves it,
  SynergyFinder's fallback is used (the larger of the two fitted single-agent
  responses at the summed dose c1 + c2) and the cell is flagged.
- **ZIP** (delta score): single-agent 4PL fits give the expected
  y1 + y2 - y1 y2 / 100; the observed surface is replaced by fitted
  combination curves (each row and each column refitted with its bottom fixed
  at the other drug's fitted single-agent response and its top at 100), the
  two directions averaged.

Curves are drc's LL.4: ``y = c + (d - c) / (1 + exp(b (log x - log e)))``.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mtorsim.errors import MtorsimError

METHODS = ("zip", "bliss", "hsa", "loewe")


class SynergyInputError(MtorsimError):
    """A dose-response matrix or file that cannot be scored."""


# ---------------------------------------------------------------------- 4PL curves
@dataclass(frozen=True)
class LL4:
    """Four-parameter log-logistic curve (drc LL.4); ``e`` is the EC50 (same unit as doses)."""

    b: float
    c: float
    d: float
    e: float

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", over="ignore"):
            z = np.where(
                x > 0,
                np.exp(self.b * (np.log(np.where(x > 0, x, 1.0)) - np.log(self.e))),
                np.inf if self.b < 0 else 0.0,
            )
        return np.asarray(self.c + (self.d - self.c) / (1.0 + z))

    def inverse(self, y: float) -> float:
        """Dose giving response ``y``; nan if the curve never reaches it."""
        lo, hi = min(self.c, self.d), max(self.c, self.d)
        if not lo < y < hi:
            return math.nan
        try:
            return float(self.e * ((self.d - self.c) / (y - self.c) - 1.0) ** (1.0 / self.b))
        except (OverflowError, ZeroDivisionError):
            return math.nan


def fit_ll4(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    fixed: dict[str, float] | None = None,
) -> LL4:
    """Least-squares LL.4 fit to doses > 0 (and the zero dose for the baseline).

    ``fixed`` pins parameters by name (``c``, ``d``). Starting values follow drc's
    self-starter in spirit: bottom and top from the data, EC50 at the dose nearest
    the half-way response, slope -1 for rising inhibition.
    """
    from scipy.optimize import curve_fit

    x, y = np.asarray(x, float), np.asarray(y, float)
    fixed = dict(fixed or {})
    pos = x > 0
    if pos.sum() < 2:
        raise SynergyInputError("a dose-response curve needs at least two positive doses")
    free = [k for k in ("b", "c", "d", "e") if k not in fixed]
    if len(x) < len(free) and "c" in free and (x == 0).any():
        # three doses (zero plus two, the smallest matrix): drc's LL.3 with the bottom
        # pinned at the measured zero-dose response, so that the fit is determined
        fixed["c"] = float(np.mean(y[x == 0]))
        free.remove("c")
    y_lo, y_hi = float(np.min(y)), float(np.max(y))
    rising = y[pos][-1] >= y[pos][0]
    mid = (y_lo + y_hi) / 2
    e0 = float(x[pos][np.argmin(np.abs(y[pos] - mid))])
    start = {
        "b": -1.0 if rising else 1.0,
        "c": y_lo if rising else y_hi,
        "d": y_hi if rising else y_lo,
        "e": e0,
    }
    start["c"] = fixed.get("c", start["c"])
    start["d"] = fixed.get("d", start["d"])

    # fit log(e) so the EC50 stays positive
    def model(xx: np.ndarray, *theta: float) -> np.ndarray:
        p = dict(fixed)
        p.update(zip(free, theta, strict=True))
        # log EC50 clipped so that a runaway step gives a huge, finite EC50, not an
        # OverflowError (steep or flat curves: ridaforolimus + BEZ235 in T47D)
        e = math.exp(min(max(p["e"], -700.0), 700.0)) if "e" in free else p["e"]
        return LL4(p["b"], p["c"], p["d"], e)(xx)

    # local least squares from the self-starter's EC50 and from beyond each end of the
    # doses, the best kept: with few points (a 3x3 matrix) a flat curve can trap one start
    # at slope ~0 with the EC50 between the doses, far from the flat fit at the edge
    e_starts = dict.fromkeys([e0, float(x[pos].min()) / 10, float(x[pos].max()) * 10])
    best: tuple[float, np.ndarray] | None = None
    failure: Exception | None = None
    flat = float(np.sum((y - np.mean(y)) ** 2))  # a constant curve's SSE
    for e_start in e_starts:
        if best is not None and best[0] < flat:
            break  # the first start beat a flat line: the further starts are not needed
        p0 = [math.log(e_start) if k == "e" else start[k] for k in free]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theta, _ = curve_fit(model, x, y, p0=p0, maxfev=20000)
                sse = float(np.sum((model(x, *theta) - y) ** 2))
        except (RuntimeError, ValueError, TypeError, OverflowError, FloatingPointError) as exc:
            failure = exc
            continue
        if math.isfinite(sse) and (best is None or sse < best[0] - 1e-12 * (1 + best[0])):
            best = (sse, theta)
        if "e" not in free:
            break
    if best is None:
        raise SynergyInputError(f"four-parameter log-logistic fit failed: {failure}") from None
    theta = best[1]
    p = dict(fixed)
    p.update(zip(free, (float(t) for t in theta), strict=True))
    if "e" in free:
        # the curve the optimiser fitted, with the same clip as in model(): a flat curve
        # (slope ~0) may leave log EC50 anywhere, which is harmless there
        p["e"] = math.exp(min(max(p["e"], -700.0), 700.0))
    if not all(math.isfinite(v) for v in p.values()):
        raise SynergyInputError(f"four-parameter log-logistic fit failed: non-finite {p}")
    return LL4(p["b"], p["c"], p["d"], p["e"])


# ---------------------------------------------------------------------- the matrix
@dataclass
class DoseMatrix:
    """Responses (percent inhibition) on a grid: rows = drug 1 doses, columns = drug 2 doses.

    ``conc1[0]`` and ``conc2[0]`` must be 0 (the single-agent row and column).
    ``replicates`` keeps every measured value per cell when there were several.
    """

    drug1: str
    drug2: str
    conc1: np.ndarray
    conc2: np.ndarray
    response: np.ndarray
    unit: str = "nM"
    replicates: dict[tuple[int, int], list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from mtorsim.knowledge.domains import DOMAINS

        self.conc1 = np.asarray(self.conc1, float)
        self.conc2 = np.asarray(self.conc2, float)
        self.response = np.asarray(self.response, float)
        n1, n2 = len(self.conc1), len(self.conc2)
        if self.response.shape != (n1, n2):
            raise SynergyInputError(
                f"response matrix is {self.response.shape}, expected ({n1}, {n2}) for "
                f"{n1} {self.drug1} doses x {n2} {self.drug2} doses"
            )
        for name, c in ((self.drug1, self.conc1), (self.drug2, self.conc2)):
            if np.any(~np.isfinite(c)) or np.any(c < 0):
                raise SynergyInputError(f"{name}: doses must be finite and >= 0, got {c.tolist()}")
            if c[0] != 0:
                raise SynergyInputError(
                    f"{name}: the first dose must be 0 (the single-agent row/column of the "
                    f"other drug); got {c[0]:g}"
                )
            if np.any(np.diff(c) <= 0):
                raise SynergyInputError(f"{name}: doses must increase strictly, got {c.tolist()}")
            axis = DOMAINS["matrix doses"]
            if not axis.contains(len(c)):
                raise SynergyInputError(
                    f"{name}: {len(c)} doses: allowed {axis.describe()}; {axis.fix}"
                )
        bad = np.argwhere(~np.isfinite(self.response))
        if bad.size:
            i, j = bad[0]
            raise SynergyInputError(
                f"missing or non-numeric response at {self.drug1}={self.conc1[i]:g}, "
                f"{self.drug2}={self.conc2[j]:g} {self.unit}"
            )

    @property
    def mono1(self) -> np.ndarray:
        return self.response[:, 0]

    @property
    def mono2(self) -> np.ndarray:
        return self.response[0, :]

    def to_dict(self) -> dict[str, Any]:
        return {
            "drug1": self.drug1,
            "drug2": self.drug2,
            "unit": self.unit,
            "conc1": self.conc1.tolist(),
            "conc2": self.conc2.tolist(),
            "inhibition_pct": self.response.tolist(),
        }


def baseline_corrected(m: DoseMatrix) -> DoseMatrix:
    """SynergyFinder 1/2 baseline correction: the mean of the two single-agent fits'
    minimal responses is the baseline b, and every y -> y - (100 - y) / 100 * b."""
    f1, f2 = fit_ll4(m.conc1, m.mono1), fit_ll4(m.conc2, m.mono2)
    base = (min(f1(m.conc1).min(), f1.c) + min(f2(m.conc2).min(), f2.c)) / 2.0
    y = m.response - (100.0 - m.response) / 100.0 * base
    return DoseMatrix(m.drug1, m.drug2, m.conc1, m.conc2, y, m.unit, m.replicates)


# ---------------------------------------------------------------------- scores
@dataclass
class SynergyResult:
    method: str
    matrix: DoseMatrix
    expected: np.ndarray
    observed: np.ndarray  # observed (HSA, Bliss, Loewe) or fitted (ZIP) responses
    flagged: np.ndarray  # cells where the reference could not be computed as defined

    @property
    def scores(self) -> np.ndarray:
        """observed - expected (percentage points); zero-dose row/column set to 0."""
        s = np.asarray(self.observed - self.expected, dtype=float)
        s[0, :] = 0.0
        s[:, 0] = 0.0
        return s

    @property
    def summary(self) -> float:
        """Mean score over the combination cells (both doses > 0)."""
        return float(self.scores[1:, 1:].mean())

    def most_synergistic(self) -> tuple[float, float, float]:
        s = self.scores[1:, 1:]
        i, j = np.unravel_index(int(np.argmax(s)), s.shape)
        return float(self.matrix.conc1[i + 1]), float(self.matrix.conc2[j + 1]), float(s[i, j])

    def to_dict(self) -> dict[str, Any]:
        c1, c2, best = self.most_synergistic()
        return {
            "method": self.method,
            "summary": self.summary,
            "scores": self.scores.tolist(),
            "expected_pct": self.expected.tolist(),
            "most_synergistic": {"conc1": c1, "conc2": c2, "score": best},
            "flagged_cells": int(self.flagged.sum()),
        }


def hsa(m: DoseMatrix) -> SynergyResult:
    exp = np.maximum(m.mono1[:, None], m.mono2[None, :])
    return SynergyResult("hsa", m, exp, m.response.copy(), np.zeros(exp.shape, bool))


def bliss(m: DoseMatrix) -> SynergyResult:
    y1, y2 = m.mono1[:, None], m.mono2[None, :]
    exp = y1 + y2 - y1 * y2 / 100.0
    return SynergyResult("bliss", m, exp, m.response.copy(), np.zeros(exp.shape, bool))


def loewe(m: DoseMatrix) -> SynergyResult:
    from scipy.optimize import brentq

    f1, f2 = fit_ll4(m.conc1, m.mono1), fit_ll4(m.conc2, m.mono2)
    exp = np.zeros_like(m.response)
    flagged = np.zeros(exp.shape, bool)
    for i, c1 in enumerate(m.conc1):
        for j, c2 in enumerate(m.conc2):
            if i == 0 or j == 0:
                exp[i, j] = m.response[i, j]
                continue

            def g(y: float, c1: float = c1, c2: float = c2) -> float:
                return c1 / f1.inverse(y) + c2 / f2.inverse(y) - 1.0

            lo = max(min(f1.c, f1.d), min(f2.c, f2.d)) + 1e-9
            hi = min(max(f1.c, f1.d), max(f2.c, f2.d)) - 1e-9
            y_hsa = float(max(f1(c1 + c2), f2(c1 + c2)))
            try:
                if lo < hi and np.sign(g(lo)) != np.sign(g(hi)):
                    exp[i, j] = brentq(g, lo, hi, xtol=1e-10)
                else:
                    exp[i, j], flagged[i, j] = y_hsa, True
            except (ValueError, ZeroDivisionError):
                exp[i, j], flagged[i, j] = y_hsa, True
    return SynergyResult("loewe", m, exp, m.response.copy(), flagged)


def zip_delta(m: DoseMatrix) -> SynergyResult:
    f1, f2 = fit_ll4(m.conc1, m.mono1), fit_ll4(m.conc2, m.mono2)
    y1 = f1(m.conc1)  # fitted single-agent responses
    y2 = f2(m.conc2)
    exp = y1[:, None] + y2[None, :] - y1[:, None] * y2[None, :] / 100.0
    fit_rows = np.zeros_like(m.response)
    fit_cols = np.zeros_like(m.response)
    flagged = np.zeros(exp.shape, bool)
    # drug 1 varied at each fixed drug-2 dose j: bottom = drug 2 alone at that dose
    for j in range(1, len(m.conc2)):
        y = m.response[:, j].copy()
        y[0] = y2[j]
        try:
            fit = fit_ll4(m.conc1, y, fixed={"c": float(y2[j]), "d": 100.0})
            fit_rows[:, j] = fit(m.conc1)
        except SynergyInputError:
            fit_rows[:, j], flagged[:, j] = m.response[:, j], True
    for i in range(1, len(m.conc1)):
        y = m.response[i, :].copy()
        y[0] = y1[i]
        try:
            fit = fit_ll4(m.conc2, y, fixed={"c": float(y1[i]), "d": 100.0})
            fit_cols[i, :] = fit(m.conc2)
        except SynergyInputError:
            fit_cols[i, :], flagged[i, :] = m.response[i, :], True
    observed = (fit_rows + fit_cols) / 2.0
    return SynergyResult("zip", m, exp, observed, flagged)


SCORERS = {"zip": zip_delta, "bliss": bliss, "hsa": hsa, "loewe": loewe}


def score(
    m: DoseMatrix, methods: Sequence[str] = METHODS, correct_baseline: bool = False
) -> dict[str, SynergyResult]:
    """All requested scores for one matrix."""
    unknown = [x for x in methods if x.lower() not in SCORERS]
    if unknown:
        raise SynergyInputError(
            f"unknown synergy method(s) {unknown}; choose from {', '.join(METHODS)}"
        )
    mm = baseline_corrected(m) if correct_baseline else m
    return {x.lower(): SCORERS[x.lower()](mm) for x in methods}


def results_to_json(results: dict[str, SynergyResult]) -> str:
    return json.dumps({k: v.to_dict() for k, v in results.items()})
