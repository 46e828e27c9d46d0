"""Trial statistics: Kaplan-Meier medians with 95% CIs, Cox hazard ratio (stratified
when the design stratifies), log-rank test, and response rates with exact
(Clopper-Pearson) confidence intervals; computed in :mod:`mtorsim.trials.survival`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mtorsim.knowledge import names as N
from mtorsim.trials.survival import clopper_pearson, cox_fit, kaplan_meier, logrank


def km_summary(months: np.ndarray, events: np.ndarray, label: str = "") -> dict[str, Any]:
    """Kaplan-Meier median with its 95% CI (exponential Greenwood band; None where not
    reached), as lifelines' KaplanMeierFitter reports it (:mod:`mtorsim.trials.survival`)."""
    km = kaplan_meier(np.asarray(months, float), np.asarray(events, bool))
    lo, hi = km.median_ci()
    return {
        "median": _num(km.median),
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
    """HR (experimental vs control) with 95% CI from the Cox model (Efron ties, one
    baseline per stratum; :func:`mtorsim.trials.survival.cox_fit`), and the log-rank
    p-values, unstratified and stratified, of the ``time``/``event`` columns (default
    PFS).  Raises :class:`~mtorsim.trials.survival.ConvergenceError` (a ValueError) when
    the model has no finite maximum."""
    d = frame[frame[N.ARM].isin([experimental, control])]
    t = d[time].to_numpy(float)
    e = d[event].to_numpy(bool)
    treat = (d[N.ARM] == experimental).to_numpy()
    use = [s for s in (strata or []) if d[s].nunique() > 1]
    key = (
        np.unique(d[use].astype(int).to_numpy(), axis=0, return_inverse=True)[1].ravel()
        if use
        else None
    )
    fit = cox_fit(t, e, treat, key)
    lo, hi = fit.ci
    return {
        "hazard_ratio": fit.hazard_ratio,
        "ci_low": lo,
        "ci_high": hi,
        "cox_p": fit.p,
        "logrank_p": logrank(t, e, treat)["p"],
        "stratified_logrank_p": logrank(t, e, treat, key)["p"],
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
        except ValueError:  # ConvergenceError: no finite maximum
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
    """Two-group log-rank test summed over strata (:func:`mtorsim.trials.survival.logrank`;
    with one stratum the ordinary log-rank test, checked against lifelines)."""
    key = None if strata is None else np.unique(np.asarray(strata), return_inverse=True)[1]
    return logrank(time, event, group, key)


def rate_ci(k: int, n: int) -> dict[str, Any]:
    """Proportion (%) with its exact Clopper-Pearson 95% CI (%)."""
    if n == 0:
        return {"k": 0, "n": 0, "pct": None, "ci_low": None, "ci_high": None}
    lo, hi = clopper_pearson(int(k), int(n))
    return {
        "k": int(k),
        "n": int(n),
        "pct": 100.0 * k / n,
        "ci_low": 100.0 * lo,
        "ci_high": 100.0 * hi,
    }
