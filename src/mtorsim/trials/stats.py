"""Trial statistics with lifelines and scipy: Kaplan-Meier medians with 95% CIs, Cox
hazard ratio (stratified when the design stratifies), log-rank test, and response rates
with exact (Clopper-Pearson) confidence intervals."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from mtorsim.knowledge import names as N


def km_summary(months: np.ndarray, events: np.ndarray, label: str = "") -> dict[str, Any]:
    """Median with the 95% CI of lifelines' Kaplan-Meier fit (nan where not reached)."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    kmf = KaplanMeierFitter(label=label or "arm")
    kmf.fit(np.asarray(months, float), np.asarray(events, bool))
    ci = median_survival_times(kmf.confidence_interval_)
    lo, hi = (float(x) for x in np.asarray(ci, float).ravel()[:2])
    med = float(kmf.median_survival_time_)
    return {
        "median": _num(med),
        "ci_low": _num(lo),
        "ci_high": _num(hi),
        "n": len(months),
        "events": int(np.sum(events)),
    }


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def cox_hazard_ratio(
    frame: pd.DataFrame,
    experimental: str,
    control: str,
    strata: list[str] | None = None,
    time: str = N.PFS_MONTHS,
    event: str = N.EVENT,
) -> dict[str, Any]:
    """HR (experimental vs control) with 95% CI from lifelines' Cox model, and the log-rank
    p-value (unstratified, lifelines ``logrank_test``), of the ``time``/``event`` columns
    (default PFS)."""
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    d = frame[frame[N.ARM].isin([experimental, control])]
    data = pd.DataFrame(
        {
            "T": d[time].astype(float),
            "E": d[event].astype(bool),
            "treat": (d[N.ARM] == experimental).astype(float),
        }
    )
    use = [s for s in (strata or []) if d[s].nunique() > 1]
    for s in use:
        data[s] = d[s].astype(int)
    cph = CoxPHFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph.fit(data, "T", "E", strata=use or None)
    hr = float(np.exp(cph.params_["treat"]))
    np.seterr(over="ignore")
    ci = cph.confidence_intervals_.loc["treat"]
    a, b = data[data.treat == 1], data[data.treat == 0]
    lr = logrank_test(a["T"], b["T"], a["E"], b["E"])
    strat_key = data[use].astype(str).agg("|".join, axis=1).to_numpy() if use else None
    slr = stratified_logrank(data["T"], data["E"], data["treat"] > 0, strat_key)
    return {
        "hazard_ratio": hr,
        "ci_low": float(np.exp(ci.iloc[0])),
        "ci_high": float(np.exp(ci.iloc[1])),
        "cox_p": float(cph.summary.loc["treat", "p"]),
        "logrank_p": float(lr.p_value),
        "stratified_logrank_p": slr["p"],
        "stratified_by": use,
    }


def _finite_fit(fit: dict[str, Any]) -> bool:
    return all(math.isfinite(fit[k]) and fit[k] > 0 for k in ("hazard_ratio", "ci_low", "ci_high"))


def cox_or_note(
    frame: pd.DataFrame,
    experimental: str,
    control: str,
    strata: list[str] | None = None,
    time: str = N.PFS_MONTHS,
    event: str = N.EVENT,
) -> tuple[dict[str, Any] | None, str | None]:
    """:func:`cox_hazard_ratio`, or unstratified when the stratified model does not
    converge or gives an infinite interval (strata too thin, an arm without events in a
    stratum), or None; with a note saying which."""
    attempts = [list(strata or [])] + ([[]] if strata else [])
    for k, use in enumerate(attempts):
        try:
            fit = cox_hazard_ratio(frame, experimental, control, use, time, event)
        except ValueError:  # lifelines' ConvergenceError
            continue
        if _finite_fit(fit):
            note = None
            if k > 0:
                note = (
                    f"the Cox model stratified by {len(attempts[0])} factors did not converge "
                    f"or gave an infinite interval over {len(frame)} patients; the HR is "
                    "unstratified"
                )
            return fit, note
    return None, "the Cox model did not converge (too few patients or events per arm)"


def stratified_logrank(
    time: np.ndarray, event: np.ndarray, group: np.ndarray, strata: np.ndarray | None = None
) -> dict[str, float]:
    """Two-group log-rank test summed over strata (Mantel-Haenszel form):
    chi2 = (sum O - E)^2 / sum V over every event time of every stratum, 1 df.
    With one stratum this is the ordinary log-rank test (checked against lifelines)."""
    from scipy.stats import chi2

    t, e, g = np.asarray(time, float), np.asarray(event, bool), np.asarray(group, bool)
    st = np.zeros(len(t), int) if strata is None else np.unique(strata, return_inverse=True)[1]
    o_minus_e, var = 0.0, 0.0
    for s in np.unique(st):
        ts, es, gs = t[st == s], e[st == s], g[st == s]
        for u in np.unique(ts[es]):
            at_risk = ts >= u
            n, n1 = at_risk.sum(), (at_risk & gs).sum()
            dead = (ts == u) & es
            d, d1 = dead.sum(), (dead & gs).sum()
            o_minus_e += d1 - d * n1 / n
            if n > 1:
                var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    stat = o_minus_e**2 / var if var > 0 else 0.0
    return {"chi2": float(stat), "p": float(chi2.sf(stat, 1)), "o_minus_e": float(o_minus_e)}


def rate_ci(k: int, n: int) -> dict[str, Any]:
    """Proportion (%) with its exact Clopper-Pearson 95% CI (%)."""
    from scipy.stats import binomtest

    if n == 0:
        return {"k": 0, "n": 0, "pct": None, "ci_low": None, "ci_high": None}
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    return {
        "k": int(k),
        "n": int(n),
        "pct": 100.0 * k / n,
        "ci_low": 100.0 * ci.low,
        "ci_high": 100.0 * ci.high,
    }
