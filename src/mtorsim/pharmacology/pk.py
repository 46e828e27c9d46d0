"""Linear one- and two-compartment pharmacokinetics by superposition of closed forms.

States: an absorption depot (first-order rate ``ka``; oral, IM, SC doses), the
central compartment (volume ``V1``, elimination ``CL``) and, for two
compartments, a peripheral one (``Q``, ``V2``).  The system is linear, so the
central concentration after any dose is a sum of exponentials whose rates
are the eigenvalues of the system matrix; a regimen's profile is the sum of
its doses' responses (superposition).  Bolus and zero-order infusion are both
closed forms.  The tests check this against the textbook macro-constant
solutions and against a numerical ODE solution.

Units: dose mg, time h, volume L, clearance L/h, concentration mg/L
(= ug/mL; ``x 1000`` for ng/mL; ``x 1e6 / MW`` for nM).  For oral drugs whose
parameters are apparent (CL/F, V/F) ``F`` is 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.vocab import Route
from mtorsim.pharmacology.regimen import DoseEvent


class PKError(MtorsimError):
    """Pharmacokinetic parameters or inputs that cannot be used."""


@dataclass(frozen=True)
class PKParameters:
    """Parameters of a linear compartment model (h, L, L/h)."""

    CL: float
    V1: float
    Q: float = 0.0
    V2: float = 0.0
    ka: float | None = None
    F: float = 1.0
    Q3: float = 0.0
    V3: float = 0.0

    def __post_init__(self) -> None:
        for name in ("CL", "V1"):
            if not getattr(self, name) > 0:
                raise PKError(f"{name} must be positive, got {getattr(self, name)}")
        if (self.Q > 0) != (self.V2 > 0) or (self.Q3 > 0) != (self.V3 > 0):
            raise PKError("a peripheral compartment needs both its Q > 0 and its V > 0")
        if self.Q3 > 0 and self.Q <= 0:
            raise PKError("a third compartment needs the second (Q, V2) first")
        if self.ka is not None and not self.ka > 0:
            raise PKError(f"ka must be positive, got {self.ka}")
        if not 0 < self.F <= 1.0:
            raise PKError(f"F must be in (0, 1], got {self.F}")

    @property
    def n_compartments(self) -> int:
        return 1 + (self.Q > 0) + (self.Q3 > 0)

    @property
    def k10(self) -> float:
        return self.CL / self.V1

    def terminal_half_life_h(self) -> float:
        """ln 2 over the smallest disposition rate (absorption excluded)."""
        lam = _disposition_rates(self)
        return math.log(2) / float(min(lam))

    def apparent_half_life_h(self) -> float:
        """ln 2 over the slowest rate including absorption (a depot's flip-flop kinetics)."""
        slowest = float(min(_disposition_rates(self)))
        if self.ka is not None:
            slowest = min(slowest, self.ka)
        return math.log(2) / slowest


def _disposition_rates(p: PKParameters) -> np.ndarray:
    """Macro rate constants of the disposition (no depot): closed form for 1 and 2
    compartments, eigenvalues for 3."""
    k10 = p.k10
    if p.Q <= 0:
        return np.array([k10])
    if p.Q3 > 0:
        a, _ = LinearPK(PKParameters(p.CL, p.V1, p.Q, p.V2, None, 1.0, p.Q3, p.V3)).system_matrix()
        return np.sort(-np.real(np.linalg.eigvals(a)))
    k12, k21 = p.Q / p.V1, p.Q / p.V2
    s = k10 + k12 + k21
    root = math.sqrt(s * s - 4 * k10 * k21)
    return np.array([(s + root) / 2, (s - root) / 2])


@dataclass(frozen=True)
class UnitResponse:
    """Central amount after a unit input: sum_i coef_i exp(-rate_i t)."""

    rates: np.ndarray
    coef: np.ndarray


@dataclass
class LinearPK:
    """A linear compartment model; concentrations for any list of dose events."""

    params: PKParameters
    _cache: dict[str, UnitResponse] = field(default_factory=dict, repr=False)
    _heads: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def system_matrix(self) -> tuple[np.ndarray, int]:
        p = self.params
        n = (1 if p.ka is not None else 0) + p.n_compartments
        a = np.zeros((n, n))
        c = 1 if p.ka is not None else 0
        if p.ka is not None:
            ka = p.ka
            # nudge ka off an exact disposition rate: the eigenvectors would be defective
            lam = _disposition_rates(p)
            if np.any(np.abs(lam - ka) <= 1e-7 * ka):
                ka *= 1.0 + 1e-6
            a[0, 0] = -ka
            a[c, 0] = ka
        a[c, c] = -p.k10
        # peripheral compartments exchange with the central one: (Q, V2), then (Q3, V3)
        for k, (q, v) in enumerate(((p.Q, p.V2), (p.Q3, p.V3)), start=1):
            if q <= 0:
                continue
            a[c, c] -= q / p.V1
            a[c + k, c] = q / p.V1
            a[c, c + k] = q / v
            a[c + k, c + k] = -q / v
        return a, c

    def unit_response(self, into: str) -> UnitResponse:
        """Central amount after a unit input into ``"depot"`` or ``"central"``:
        ``sum_i coef_i exp(-rate_i t)`` (the eigen-decomposition of the system matrix)."""
        if into not in ("depot", "central"):
            raise PKError(f"a dose goes into 'depot' or 'central', not {into!r}")
        if into not in self._cache:
            a, c = self.system_matrix()
            j = 0 if into == "depot" else c
            w, v = np.linalg.eig(a)
            w, v = np.real(w), np.real(v)
            x0 = np.linalg.solve(v, np.eye(len(w))[:, j])
            self._cache[into] = UnitResponse(-w, v[c, :] * x0)
        return self._cache[into]

    def impulse_response(
        self, t_h: np.ndarray, into: str = "depot", duration_h: float = 0.0
    ) -> np.ndarray:
        """Central concentration (mg/L) at ``t_h`` after 1 mg given at t = 0: a bolus into
        the depot or the central compartment, or (``duration_h > 0``) a constant infusion
        of 1 mg over ``duration_h`` into the central compartment.

        .. math::  c(t) = \\frac{1}{V_1} \\sum_i a_i e^{-\\lambda_i t}
                   \\quad\\text{or}\\quad \\frac{1}{V_1 T} \\sum_i \\frac{a_i}{\\lambda_i}
                   (1 - e^{-\\lambda_i \\min(t, T)}) e^{-\\lambda_i (t - \\min(t, T))}
        """
        resp = self.unit_response(into)
        lam, coef = resp.rates[None, :], resp.coef[None, :]
        tt = np.asarray(t_h, float)[:, None]
        if duration_h > 0:
            t1 = np.minimum(tt, duration_h)
            terms = coef / lam * (1.0 - np.exp(-lam * t1)) * np.exp(-lam * (tt - t1)) / duration_h
        else:
            terms = coef * np.exp(-lam * tt)
        return np.asarray(terms.sum(axis=1) / self.params.V1)

    def cumulative_response(
        self, t_h: np.ndarray, into: str = "depot", duration_h: float = 0.0
    ) -> np.ndarray:
        """Integral of :meth:`impulse_response` from 0 to ``t_h`` (mg h/L per mg; 0 for
        t <= 0), in closed form: for a bolus ``sum a_i (1 - exp(-l_i t)) / (l_i V1)``; for
        an infusion of length T the integral of each piece of the infusion curve."""
        resp = self.unit_response(into)
        lam, coef = resp.rates[None, :], resp.coef[None, :]
        tt = np.maximum(np.asarray(t_h, float), 0.0)[:, None]
        if duration_h > 0:
            big_t = duration_h
            t1 = np.minimum(tt, big_t)
            during = (t1 + np.expm1(-lam * t1) / lam) / (lam * big_t)
            after = -np.expm1(-lam * big_t) * -np.expm1(-lam * (tt - t1)) / (lam * lam * big_t)
            terms = coef * (during + after)
        else:
            terms = coef * -np.expm1(-lam * tt) / lam
        return np.asarray(terms.sum(axis=1) / self.params.V1)

    def interval_mean_response(
        self, t_h: np.ndarray, step_h: float, into: str = "depot", duration_h: float = 0.0
    ) -> np.ndarray:
        """Mean of :meth:`impulse_response` over ``[t - step/2, t + step/2]`` (zero before
        the dose), exact: a grid of these conserves the exposure (AUC) whatever the
        absorption and elimination rates, so no peak falls between grid points."""
        t = np.asarray(t_h, float)
        if duration_h > 0:
            hi = self.cumulative_response(t + step_h / 2, into, duration_h)
            lo = self.cumulative_response(t - step_h / 2, into, duration_h)
            return np.asarray((hi - lo) / step_h)
        # a bolus: once the whole interval is after the dose, the mean of each exponential
        # is exp(-l (t - s/2)) (1 - exp(-l s)) / (l s): one exp per point and term (this
        # kernel is built for every patient and drug; the general form needs four)
        resp = self.unit_response(into)
        lam = resp.rates
        b = resp.coef * -np.expm1(-lam * step_h) / (lam * step_h * self.params.V1)
        out = np.empty(t.shape)
        after = t - step_h / 2 >= 0
        out[after] = np.exp(-np.outer(t[after] - step_h / 2, lam)) @ b
        if not after.all():
            tb = t[~after]
            hi = self.cumulative_response(tb + step_h / 2, into)
            lo = self.cumulative_response(tb - step_h / 2, into)
            out[~after] = (hi - lo) / step_h
        return out

    def interval_mean_head(
        self, k: int, step_h: float, into: str = "depot", duration_h: float = 0.0
    ) -> np.ndarray:
        """:meth:`interval_mean_response` at the first ``k`` grid points, kept (every
        block of a patient's exposure grid asks for the same few values)."""
        key = f"head:{k}:{step_h!r}:{into}:{duration_h!r}"
        if key not in self._heads:
            t = np.arange(k) * step_h
            self._heads[key] = self.interval_mean_response(t, step_h, into, duration_h)
        return self._heads[key]

    def concentration(
        self, times_h: Sequence[float] | np.ndarray, events: Sequence[DoseEvent]
    ) -> np.ndarray:
        """Central concentration (mg/L) at ``times_h`` for the dose events."""
        t = np.asarray(times_h, dtype=float)
        out = np.zeros_like(t)
        p = self.params
        for ev in events:
            if ev.route is Route.IV:
                resp, amount = self.unit_response("central"), ev.amount_mg
            else:
                if p.ka is None:
                    raise PKError(
                        f"a {ev.route.value} dose needs an absorption rate ka; this drug's "
                        "parameters have none (give it IV)"
                    )
                resp, amount = self.unit_response("depot"), ev.amount_mg * p.F
            tau = t - ev.time_h
            on = tau >= 0
            if not np.any(on):
                continue
            tt = tau[on][:, None]
            lam, coef = resp.rates[None, :], resp.coef[None, :]
            if ev.route is Route.IV and ev.duration_h > 0:
                rate = amount / ev.duration_h
                t1 = np.minimum(tt, ev.duration_h)
                terms = coef / lam * (1.0 - np.exp(-lam * t1)) * np.exp(-lam * (tt - t1))
                out[on] += rate * terms.sum(axis=1)
            else:
                out[on] += amount * (coef * np.exp(-lam * tt)).sum(axis=1)
        return out / p.V1

    def steady_state_average(self, dose_mg_per_period: float, period_h: float, oral: bool) -> float:
        """Average concentration at steady state (mg/L): F x dose / (CL x period), exact."""
        f = self.params.F if oral else 1.0
        return f * dose_mg_per_period / (self.params.CL * period_h)


__all__ = ["LinearPK", "PKError", "PKParameters", "UnitResponse"]
