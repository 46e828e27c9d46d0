"""Survival statistics in numpy, vectorised over patients: Kaplan-Meier with its
exponential-Greenwood ("log-log") 95% CI and median, the two-group Cox model with
Efron's ties (stratified), the stratified log-rank test, and exact binomial CIs.

Why not lifelines here: the same fits are called thousands of times (every calibration
objective evaluation, every subgroup and replicate trial) and on up to 10^6 patients;
lifelines' general fitters (pandas frames, covariate normalisation, per-stratum
partitioning) took 39% of ``calibrate --quick`` and 4 s of the 724-patient main job, and
importing it costs half a second.  These functions compute the same estimators; the
tests check them against lifelines (Kaplan-Meier, Cox HR, CI and p, log-rank) and
scipy (Clopper-Pearson) to 1e-6 or better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: two-sided 95% normal quantile (what lifelines uses for alpha = 0.05)
Z95 = 1.959963984540054


class ConvergenceError(ValueError):
    """The Cox model has no finite maximum (e.g. no events in one arm of a stratum)."""


def normal_two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def chi2_1df_sf(x: float) -> float:
    """Upper tail of the chi-square distribution with one degree of freedom."""
    return math.erfc(math.sqrt(max(x, 0.0) / 2.0))


# ---------------------------------------------------------------------- Kaplan-Meier
@dataclass(frozen=True)
class KaplanMeier:
    """The product-limit estimate on every distinct observed time (0 first), with the
    exponential-Greenwood 95% band (Kalbfleisch & Prentice's log(-log) transform)."""

    time: np.ndarray
    survival: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray

    def quantile_time(self, curve: np.ndarray, q: float = 0.5) -> float:
        """First time at which ``curve`` is at or below ``q`` (inf if never)."""
        below = np.nonzero(curve <= q)[0]
        return float(self.time[below[0]]) if below.size else math.inf

    @property
    def median(self) -> float:
        return self.quantile_time(self.survival)

    def median_ci(self) -> tuple[float, float]:
        """The median's 95% CI: where the band's lower and upper curves cross 1/2
        (Brookmeyer-Crowley by inversion of the band, as lifelines reports it)."""
        return self.quantile_time(self.ci_low), self.quantile_time(self.ci_high)


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> KaplanMeier:
    t = np.asarray(time, float)
    e = np.asarray(event, bool)
    if t.size == 0:
        raise ValueError("Kaplan-Meier of no patients")
    uniq, inverse = np.unique(t, return_inverse=True)
    removed = np.bincount(inverse, minlength=len(uniq))
    died = np.bincount(inverse, weights=e, minlength=len(uniq))
    n = len(t) - np.concatenate([[0], np.cumsum(removed)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        # the product as a sum of logs, as lifelines computes it: a curve that reaches
        # exactly 1/2 (15 of 30 events, no censoring before) is then on the same side of
        # 1/2 after rounding, and the median is the same time
        log_s = np.cumsum(np.log(n - died) - np.log(n))
        s = np.exp(log_s)
        var = np.cumsum(np.where(n > died, died / (n * (n - died)), 0.0))
        sigma = np.sqrt(var) / np.abs(log_s)
        lls = np.log(-log_s)
        lo = np.exp(-np.exp(lls + Z95 * sigma))
        hi = np.exp(-np.exp(lls - Z95 * sigma))
    # where S is 1 (no event yet) the band is 1; where S is 0 it is 0
    lo = np.where(s >= 1.0, 1.0, np.where(s <= 0.0, 0.0, lo))
    hi = np.where(s >= 1.0, 1.0, np.where(s <= 0.0, 0.0, hi))
    at0 = uniq[0] > 0  # lifelines' timeline starts at 0
    pre = (lambda a, v: np.concatenate([[v], a])) if at0 else (lambda a, v: a)
    return KaplanMeier(
        pre(uniq, 0.0),
        pre(s, 1.0),
        pre(np.nan_to_num(lo, nan=1.0), 1.0),
        pre(np.nan_to_num(hi, nan=1.0), 1.0),
        pre(n.astype(float), float(len(t))),
        pre(died, 0.0),
    )


# ---------------------------------------------------------------------- Cox model
@dataclass(frozen=True)
class CoxFit:
    """A one-covariate Cox fit: coefficient, its SE (inverse observed information),
    the HR with its 95% Wald CI and the Wald p-value."""

    beta: float
    se: float
    log_likelihood: float
    iterations: int

    @property
    def hazard_ratio(self) -> float:
        return math.exp(self.beta)

    @property
    def ci(self) -> tuple[float, float]:
        return math.exp(self.beta - Z95 * self.se), math.exp(self.beta + Z95 * self.se)

    @property
    def p(self) -> float:
        return normal_two_sided_p(self.beta / self.se)


def _group_sorted(
    time: np.ndarray, event: np.ndarray, x: np.ndarray, strata: np.ndarray | None
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    st = np.zeros(len(time), np.intp) if strata is None else np.asarray(strata)
    out = []
    for s in np.unique(st):
        m = st == s
        order = np.argsort(time[m], kind="stable")
        out.append((time[m][order], event[m][order], x[m][order]))
    return out


def _efron(
    beta: float, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> tuple[float, float, float]:
    """Log partial likelihood, score and information at ``beta`` (Efron's ties), summed
    over strata; each part's times sorted ascending."""
    ll = score = info = 0.0
    for t, e, x in parts:
        if not e.any():
            continue
        r = np.exp(beta * x)
        # risk-set sums: everything at or after each index (times ascending)
        s0 = np.cumsum(r[::-1])[::-1]
        s1 = np.cumsum((r * x)[::-1])[::-1]
        s2 = np.cumsum((r * x * x)[::-1])[::-1]
        td, xd, rd = t[e], x[e], r[e]
        times, start, inv, d = np.unique(
            td, return_index=True, return_inverse=True, return_counts=True
        )
        at = np.searchsorted(t, times, side="left")  # first index of each risk set
        d0 = np.bincount(inv, weights=rd)
        d1 = np.bincount(inv, weights=rd * xd)
        d2 = np.bincount(inv, weights=rd * xd * xd)
        frac = (np.arange(len(td)) - start[inv]) / d[inv]  # l / d for the l-th tied death
        a0 = s0[at][inv] - frac * d0[inv]
        a1 = s1[at][inv] - frac * d1[inv]
        a2 = s2[at][inv] - frac * d2[inv]
        ll += float(beta * xd.sum() - np.log(a0).sum())
        score += float(xd.sum() - (a1 / a0).sum())
        info += float((a2 / a0 - (a1 / a0) ** 2).sum())
    return ll, score, info


def cox_fit(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    strata: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 50,
) -> CoxFit:
    """Maximum partial likelihood of ``h(t | x) = h_s(t) exp(beta x)`` for one covariate,
    baseline hazards free per stratum, Efron's approximation for ties (lifelines'
    and R survival's default), by Newton-Raphson with step halving from beta = 0."""
    t = np.asarray(time, float)
    e = np.asarray(event, bool)
    xx = np.asarray(x, float)
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(xx))):
        raise ValueError("Cox model: times and covariate must be finite")
    parts = _group_sorted(t, e, xx, strata)
    beta = 0.0
    ll, score, info = _efron(beta, parts)
    for it in range(1, max_iter + 1):
        if not info > 0:
            raise ConvergenceError("Cox model: no information on the covariate")
        step = score / info
        while True:
            new = beta + step
            ll_new, score_new, info_new = _efron(new, parts)
            if ll_new >= ll - 1e-12 or abs(step) < 1e-14:
                break
            step /= 2.0
        beta, ll, score, info = new, ll_new, score_new, info_new
        if abs(beta) > 30:
            raise ConvergenceError("Cox model: the coefficient diverges (an arm without events?)")
        if abs(step) < tol:
            if not info > 0:
                raise ConvergenceError("Cox model: no information on the covariate")
            return CoxFit(beta, 1.0 / math.sqrt(info), ll, it)
    raise ConvergenceError(f"Cox model: no convergence in {max_iter} Newton steps")


# ---------------------------------------------------------------------- log-rank
def logrank(
    time: np.ndarray, event: np.ndarray, group: np.ndarray, strata: np.ndarray | None = None
) -> dict[str, float]:
    """Two-group log-rank test summed over strata (Mantel-Haenszel form):
    chi2 = (sum O - E)^2 / sum V over every event time of every stratum, 1 df."""
    t = np.asarray(time, float)
    e = np.asarray(event, bool)
    g = np.asarray(group, bool)
    o_minus_e = var = 0.0
    for ts, es, gs in _group_sorted(t, e, g.astype(float), strata):
        if not es.any():
            continue
        n_after = np.arange(len(ts), 0, -1)  # at risk from each index on
        n1_after = np.cumsum(gs[::-1])[::-1]
        times, inv = np.unique(ts[es], return_inverse=True)
        at = np.searchsorted(ts, times, side="left")
        n, n1 = n_after[at].astype(float), n1_after[at]
        d = np.bincount(inv).astype(float)
        d1 = np.bincount(inv, weights=gs[es])
        o_minus_e += float((d1 - d * n1 / n).sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(n > 1, d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1), 0.0)
        var += float(v.sum())
    stat = o_minus_e**2 / var if var > 0 else 0.0
    return {"chi2": float(stat), "p": chi2_1df_sf(stat), "o_minus_e": float(o_minus_e)}


# ---------------------------------------------------------------------- proportions
def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial CI of k/n (beta quantiles; scipy.special, not scipy.stats)."""
    from scipy.special import betaincinv

    a = (1.0 - level) / 2.0
    lo = 0.0 if k == 0 else float(betaincinv(k, n - k + 1, a))
    hi = 1.0 if k == n else float(betaincinv(k + 1, n - k, 1.0 - a))
    return lo, hi


__all__ = [
    "ConvergenceError",
    "CoxFit",
    "KaplanMeier",
    "clopper_pearson",
    "cox_fit",
    "kaplan_meier",
    "logrank",
]
