"""The ensemble sampler: N(mean, cov) restricted to the bounds, checked against closed
forms of the truncated normal and between its two samplers (rejection and Gibbs)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import truncnorm

from mtorsim.inference.uncertainty import truncated_normal_draws


def test_one_dimension_matches_scipy_truncnorm_moments() -> None:
    # N(0, 1) on [-0.5, 2]: mean and SD in closed form (scipy.stats.truncnorm)
    lb, ub = np.array([-0.5]), np.array([2.0])
    x = truncated_normal_draws(np.zeros(1), np.eye(1), lb, ub, 4000, seed=1)[:, 0]
    ref = truncnorm(-0.5, 2.0)
    assert np.all((x >= -0.5) & (x <= 2.0))
    # Monte Carlo SE of the mean is about sd / sqrt(4000) = 0.009; tolerance 4 SE
    assert x.mean() == pytest.approx(ref.mean(), abs=0.04)
    assert x.std() == pytest.approx(ref.std(), abs=0.03)


def test_correlation_along_a_ridge_survives_the_bounds() -> None:
    # two parameters that trade off (sum well determined, difference not): clipping each
    # to its bound would break the trade-off; the truncated draws keep it
    sd_sum, sd_diff = 0.05, 5.0
    rot = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    cov = rot @ np.diag([sd_sum**2, sd_diff**2]) @ rot.T
    lb, ub = np.array([-1.5, -0.5]), np.array([1.5, 3.0])
    x = truncated_normal_draws(np.zeros(2), cov, lb, ub, 300, seed=2)
    assert np.all((x >= lb) & (x <= ub))
    s = (x[:, 0] + x[:, 1]) / np.sqrt(2)
    # the well-determined combination keeps its SD (truncation hardly touches it)
    assert s.std() == pytest.approx(sd_sum, rel=0.2)
    clipped = np.clip(np.random.default_rng(2).multivariate_normal([0, 0], cov, 300), lb, ub)
    assert ((clipped[:, 0] + clipped[:, 1]) / np.sqrt(2)).std() > 5 * sd_sum


def test_gibbs_sampler_agrees_with_rejection_sampling() -> None:
    cov = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, 0.3], [0.0, 0.3, 1.0]])
    mean = np.array([0.2, -0.1, 0.5])
    lb, ub = np.array([-1.0, -0.5, 0.0]), np.array([1.0, 2.0, 1.0])
    rej = truncated_normal_draws(mean, cov, lb, ub, 3000, seed=3)
    gibbs = truncated_normal_draws(mean, cov, lb, ub, 600, seed=4, max_candidates=0)
    assert np.all((gibbs >= lb) & (gibbs <= ub))
    # thinned Gibbs draws are nearly independent; MC SE of a mean about 0.03
    np.testing.assert_allclose(gibbs.mean(axis=0), rej.mean(axis=0), atol=0.1)
    np.testing.assert_allclose(np.cov(gibbs.T), np.cov(rej.T), atol=0.07)


def test_draws_are_reproducible_from_the_seed() -> None:
    cov = np.diag([4.0, 4.0])
    lb, ub = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    for cap in (2_000_000, 0):  # rejection, then the Gibbs path
        a = truncated_normal_draws(np.array([0.5, 0.5]), cov, lb, ub, 12, 2013, cap)
        b = truncated_normal_draws(np.array([0.5, 0.5]), cov, lb, ub, 12, 2013, cap)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("a", "b"), [(-0.5, 2.0), (3.0, 9.0), (-9.0, -4.0), (-1e3, 1e3), (-45.0, -40.0), (40.0, 45.0)]
)
def test_inverse_cdf_quantiles_match_scipy_truncnorm(a: float, b: float) -> None:
    from mtorsim.inference.uncertainty import _std_truncnorm

    for u in (0.001, 0.1, 0.5, 0.9, 0.999):
        assert _std_truncnorm(a, b, u) == pytest.approx(truncnorm.ppf(u, a, b), rel=1e-6)


def test_uninformed_direction_spreads_over_the_box_not_pinned() -> None:
    # precision informs x0 + x1 only; x0 - x1 carries no information, so within the box
    # [0, 1]^2 the difference spreads over its whole range instead of being pinned at 0
    # (pinv's covariance alone would give it zero variance)
    prec = np.array([[1.0, 1.0], [1.0, 1.0]]) * 1e4
    cov = np.linalg.pinv(prec)
    lb, ub = np.zeros(2), np.ones(2)
    x = truncated_normal_draws(
        np.array([0.5, 0.5]), cov, lb, ub, 400, seed=5, max_candidates=0, precision=prec
    )
    assert np.all((x >= lb) & (x <= ub))
    assert (x[:, 0] + x[:, 1]).std() < 0.05
    # uniform along the segment: x0 - x1 uniform on [-1, 1], SD 2/sqrt(12) = 0.577
    assert (x[:, 0] - x[:, 1]).std() == pytest.approx(2 / np.sqrt(12), rel=0.25)


def test_importance_resampling_corrects_a_wrong_proposal() -> None:
    # proposal N(0, 1) on [-5, 5]; the real objective J = (x / 0.5)^2 (likelihood
    # exp(-J / 2), i.e. N(0, 0.5^2)): resampled draws must have SD 0.5, not 1
    from mtorsim.inference.uncertainty import importance_resample

    lb, ub = np.array([-5.0]), np.array([5.0])
    prop = truncated_normal_draws(np.zeros(1), np.eye(1), lb, ub, 8000, seed=6)
    draws, how = importance_resample(
        lambda x: float((x[0] / 0.5) ** 2), prop, np.zeros(1), np.eye(1), 1.0, 2000, seed=6
    )
    # MC error of an SD from ~2000 (ESS about 3600) draws: about 2%; tolerance 8%
    assert draws[:, 0].std() == pytest.approx(0.5, rel=0.08)
    assert "effective sample size" in how


def test_importance_weights_are_flat_when_the_proposal_is_exact() -> None:
    from mtorsim.inference.uncertainty import importance_resample

    prec = np.array([[4.0, 1.0], [1.0, 2.0]])
    lb, ub = np.full(2, -10.0), np.full(2, 10.0)
    prop = truncated_normal_draws(np.zeros(2), np.linalg.inv(prec), lb, ub, 200, seed=7)
    _, how = importance_resample(
        lambda x: float(x @ prec @ x), prop, np.zeros(2), prec, 1.0, 50, seed=7
    )
    assert "effective sample size 200.0 of 200" in how
