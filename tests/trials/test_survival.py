"""The numpy survival statistics against lifelines and scipy (independent engines), on
random trials with ties, censoring and strata, to 1e-6 or better."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mtorsim.trials.survival import (
    ConvergenceError,
    clopper_pearson,
    cox_fit,
    kaplan_meier,
    logrank,
)


def _trial(seed: int, n: int = 240) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    treat = rng.random(n) < 0.6
    strata = rng.integers(0, 1 + seed % 4, n)  # 1 to 4 strata
    t = rng.exponential(8.0, n) * np.where(treat, 1.6, 1.0) * (1 + 0.3 * strata)
    t = np.round(t, 1 if seed % 2 else 0)  # coarse rounding: many ties
    e = rng.random(n) < 0.75
    return t, e, treat, strata


def _half_exactly(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """30 patients, the first 15 events before any censoring: S is exactly 1/2 between
    the 15th and 16th event times (which side rounding puts it decides the median)."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(1, 10, 30))
    e = np.ones(30, bool)
    e[15 + rng.choice(15, 5, replace=False)] = False
    return t, e, np.zeros(30, bool), np.zeros(30, int)


@pytest.mark.parametrize("seed", range(14))
def test_kaplan_meier_equals_lifelines(seed: int) -> None:
    """Survival curve and exponential-Greenwood band to 1e-12; median and its CI equal,
    also where the curve reaches exactly 1/2 (seeds 6-13)."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    t, e, _, _ = _trial(seed) if seed < 6 else _half_exactly(seed)
    km = kaplan_meier(t, e)
    ref = KaplanMeierFitter().fit(t, e)
    np.testing.assert_allclose(km.time, ref.survival_function_.index.to_numpy(), atol=0)
    np.testing.assert_allclose(km.survival, ref.survival_function_.iloc[:, 0], atol=1e-12)
    band = ref.confidence_interval_.to_numpy()
    np.testing.assert_allclose(km.ci_low, band[:, 0], atol=1e-12)
    np.testing.assert_allclose(km.ci_high, band[:, 1], atol=1e-12)
    assert km.median == ref.median_survival_time_
    lo, hi = np.asarray(median_survival_times(ref.confidence_interval_), float).ravel()[:2]
    assert km.median_ci() == (lo, hi)


@pytest.mark.parametrize("seed", range(8))
def test_cox_equals_lifelines_stratified_efron(seed: int) -> None:
    """HR, its 95% CI and the Wald p to 1e-6 relative (lifelines' own convergence
    tolerance is about that), with 1-4 strata and heavy ties."""
    from lifelines import CoxPHFitter

    t, e, treat, strata = _trial(seed)
    frame = pd.DataFrame({"T": t, "E": e, "treat": treat.astype(float)})
    if strata.max() > 0:
        frame["s"] = strata
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = CoxPHFitter().fit(frame, "T", "E", strata=["s"] if strata.max() > 0 else None)
    fit = cox_fit(t, e, treat, strata)
    assert fit.hazard_ratio == pytest.approx(float(np.exp(ref.params_["treat"])), rel=1e-6)
    ci = np.exp(ref.confidence_intervals_.loc["treat"].to_numpy())
    assert fit.ci == pytest.approx(tuple(ci), rel=1e-6)
    assert fit.p == pytest.approx(float(ref.summary.loc["treat", "p"]), rel=1e-5, abs=1e-12)
    assert fit.log_likelihood == pytest.approx(float(ref.log_likelihood_), rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_logrank_equals_lifelines(seed: int) -> None:
    """Unstratified: lifelines' logrank_test to 1e-9.  Stratified (lifelines has no
    stratified two-group test): the Mantel-Haenszel sum computed one event time at a
    time, the definition, to 1e-10."""
    from lifelines.statistics import logrank_test

    t, e, g, s = _trial(seed)
    ref = logrank_test(t[g], t[~g], e[g], e[~g])
    got = logrank(t, e, g)
    assert got["chi2"] == pytest.approx(ref.test_statistic, rel=1e-10)
    assert got["p"] == pytest.approx(ref.p_value, rel=1e-9)
    # stratified: one event time at a time (the definition)
    ome = var = 0.0
    for k in np.unique(s):
        m = s == k
        ts, es, gs = t[m], e[m], g[m]
        for u in np.unique(ts[es]):
            risk = ts >= u
            n, n1 = risk.sum(), (risk & gs).sum()
            dead = (ts == u) & es
            d, d1 = dead.sum(), (dead & gs).sum()
            ome += d1 - d * n1 / n
            if n > 1:
                var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    assert logrank(t, e, g, s)["chi2"] == pytest.approx(ome**2 / var, rel=1e-10)


def test_cox_without_a_maximum_raises() -> None:
    """No events in one arm: the coefficient runs off; a clear error, no number."""
    t = np.arange(1.0, 21.0)
    treat = np.arange(20) < 10
    with pytest.raises(ConvergenceError):
        cox_fit(t, ~treat, treat)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (1, 10), (5, 10), (10, 10), (37, 483), (7, 241)])
def test_clopper_pearson_equals_scipy(k: int, n: int) -> None:
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert clopper_pearson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_cox_coefficient_is_the_maximum_of_the_partial_likelihood(seed: int) -> None:
    """Independent of lifelines: at the fitted coefficient the Efron score is zero (to
    1e-10 of its information) and the log partial likelihood is below it on either side."""
    from mtorsim.trials.survival import _efron, _group_sorted

    t, e, treat, strata = _trial(seed)
    fit = cox_fit(t, e, treat, strata)
    parts = _group_sorted(t, e, treat.astype(float), strata)
    ll, score, info = _efron(fit.beta, parts)
    assert abs(score / info) < 1e-10
    for h in (1e-3, -1e-3):
        assert _efron(fit.beta + h, parts)[0] < ll
    assert fit.se == pytest.approx(1 / np.sqrt(info), rel=1e-12)
