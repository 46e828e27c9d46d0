"""Parameter uncertainty at a fit: the Gauss-Newton (Laplace) approximation and seeded
draws from it restricted to the calibration set's bounds.

The ensemble a calibration record keeps (and ``validate`` runs each replicate trial
with) is made here.  ``j`` is any objective with ``residuals(x) -> array | None`` (the
standardised residuals) and a ``table`` with ``bounds_scaled()``, as
:class:`mtorsim.inference.trial_calibration.TrialObjective`.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from mtorsim.errors import MtorsimError


def gauss_newton_ensemble(
    j: Any,
    x_best: np.ndarray,
    step: float,
    size: int,
    seed: int,
    proposals_per_draw: int = 4,
) -> tuple[np.ndarray, np.ndarray, float, str]:
    """Parameter uncertainty at the fit: the Gauss-Newton (Laplace) covariance
    (J_r^T J_r)^-1 of the standardised residuals r, its Jacobian J_r by central
    differences of ``step`` (in the optimiser's scale: wide enough to step over the
    objective's small plateaus under common random numbers), times the Birge ratio
    squared J / dof when the fit is worse than its errors; then ``proposals_per_draw *
    size`` seeded proposals from the normal approximation truncated to the bounds
    (:func:`truncated_normal_sample`), importance-resampled to ``size`` draws with the
    real objective (:func:`importance_resample`; ``proposals_per_draw=0``: the proposals
    themselves).
    Returns (draws, SDs (inf where a parameter alone carries no information; records
    write none), Birge ratio, how the draws were made).  The SDs are the Gauss-Newton
    ones, before the truncation: where they exceed the bounds' width the data leave the
    parameter to its bounds.
    """
    r0 = j.residuals(x_best)
    if r0 is None:
        raise MtorsimError("the fit gives an unusable statistic; no uncertainty estimate")
    lb, ub = j.table.bounds_scaled()
    cols = []
    for i in range(len(x_best)):
        e = np.zeros_like(x_best)
        e[i] = step
        hi, lo = j.residuals(np.minimum(x_best + e, ub)), j.residuals(np.maximum(x_best - e, lb))
        width = float(np.minimum(x_best + e, ub)[i] - np.maximum(x_best - e, lb)[i])
        cols.append((hi - lo) / width if hi is not None and lo is not None else np.zeros_like(r0))
    jac = np.column_stack(cols)
    dof = max(len(r0) - len(x_best), 1)
    birge = max(1.0, math.sqrt(float(np.sum(r0**2)) / dof))
    # a direction the data do not inform (e.g. a zero Jacobian column) has zero precision:
    # its variance is unbounded and only the calibration-set bounds limit it.  pinv would
    # give it zero variance instead, so such a problem is sampled from its precision
    # (Gibbs), where zero information means uniform within the bounds.
    prec = jac.T @ jac / birge**2
    cov = np.linalg.pinv(prec)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    informed = np.linalg.matrix_rank(prec) == len(x_best)
    n_prop = proposals_per_draw * size if proposals_per_draw > 0 else size
    draws, how = truncated_normal_sample(
        x_best,
        cov,
        lb,
        ub,
        n_prop,
        seed,
        max_candidates=2_000_000 if informed else 0,
        precision=None if informed else prec,
    )
    if proposals_per_draw > 0:
        draws, sir = importance_resample(j, draws, x_best, prec, birge, size, seed)
        how = f"{n_prop} proposals by {how}; {sir}"
    if not informed:
        sd = np.where(np.diag(prec) > 0, sd, np.inf)
    return draws, sd, birge, how


def importance_resample(
    j: Any,
    proposals: np.ndarray,
    x_best: np.ndarray,
    prec: np.ndarray,
    birge: float,
    size: int,
    seed: int,
) -> tuple[np.ndarray, str]:
    """Sampling-importance-resampling (Rubin 1988) of the Gauss-Newton proposals with the
    real objective: weight w = exp(-(J(x) - J*) / (2 B^2)) / exp(-(x - x*)' P (x - x*) / 2),
    the likelihood (residuals inflated by the Birge ratio B) over the proposal density
    (precision P; the truncation's constant cancels), then ``size`` draws by seeded
    systematic resampling.  It corrects the local approximation where the objective is
    not quadratic over the draws (a plateau that gives a parameter no local information,
    a curved ridge).  Returns the draws and a summary with the effective sample size."""
    j_best = float(j(x_best))
    log_w = np.empty(len(proposals))
    for i, x in enumerate(proposals):
        d = x - x_best
        log_w[i] = -(float(j(x)) - j_best) / (2 * birge**2) + 0.5 * float(d @ prec @ d)
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    ess = 1.0 / float(np.sum(w**2))
    rng = np.random.default_rng(seed + 1)
    positions = (rng.uniform() + np.arange(size)) / size
    idx = np.minimum(np.searchsorted(np.cumsum(w), positions), len(w) - 1)
    return proposals[idx], (
        f"importance-resampled with the objective (effective sample size {ess:.1f} of "
        f"{len(proposals)}, {len(set(idx.tolist()))} distinct draws)"
    )


def _std_truncnorm(a: float, b: float, u: float) -> float:
    """The u-quantile of N(0, 1) restricted to [a, b], by the inverse CDF (written out
    because scipy.stats.truncnorm.rvs costs ~0.2 ms a call, too slow inside a Gibbs
    sweep; tested against it).  An interval in the upper tail is reflected so that the
    CDF differences keep their precision."""
    from scipy.special import log_ndtr, ndtri_exp

    if a > 0:
        return -_std_truncnorm(-b, -a, 1.0 - u)
    # the quantile's CDF (1 - u) Phi(a) + u Phi(b), in log space so that an interval far in
    # the lower tail (Phi underflows beyond about -38) keeps its precision
    if u <= 0.0:
        return a
    if u >= 1.0:
        return b
    log_p = np.logaddexp(math.log1p(-u) + log_ndtr(a), math.log(u) + log_ndtr(b))
    x = float(ndtri_exp(log_p))
    return min(max(x, a), b)


def truncated_normal_draws(*args: Any, **kwargs: Any) -> np.ndarray:
    """The draws of :func:`truncated_normal_sample` (without its sampler summary)."""
    return truncated_normal_sample(*args, **kwargs)[0]


def truncated_normal_sample(
    mean: np.ndarray,
    cov: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    size: int,
    seed: int,
    max_candidates: int = 2_000_000,
    precision: np.ndarray | None = None,
) -> tuple[np.ndarray, str]:
    """``size`` seeded draws of N(mean, cov) restricted to the box [lb, ub] (the Laplace
    approximation times the calibration set's uniform bounds).

    Clipping each coordinate to its bound would break the correlations along the ridges
    the data leave (a class weight and the effect scale trade off): a draw far out on the
    ridge would keep one parameter and lose its compensating partner at the bound, giving
    parameter sets the data exclude.  Draws are therefore accepted only inside the box
    (exact rejection sampling, in seeded batches); if fewer than ``size`` of
    ``max_candidates`` are accepted, the rest come from a Gibbs sampler over the exact
    one-dimensional truncated-normal conditionals (Geweke 1991),
    started at ``mean``, keeping every 20th sweep after 200.  ``precision`` (the inverse
    of ``cov``, possibly singular) is used by the Gibbs sampler where given: a direction
    of zero precision is then uniform within the box rather than fixed.  Returns the draws
    and a one-line summary of how they were made (for the record).
    """
    mean = np.clip(np.asarray(mean, float), lb, ub)
    rng = np.random.default_rng(seed)
    k = len(mean)
    out: list[np.ndarray] = []
    drawn, batch = 0, 100_000
    while len(out) < size and drawn < max_candidates:
        z = rng.multivariate_normal(np.zeros(k), cov, size=batch, method="svd")
        x = mean + z
        ok = np.all((x >= lb) & (x <= ub), axis=1)
        out.extend(x[ok][: size - len(out)])
        drawn += batch
    if len(out) == size:
        return np.array(out), (f"rejection sampling, {size} accepted of {drawn} candidates")
    n_rejection = len(out)
    if out:
        warnings.warn(
            f"truncated normal: {len(out)} of {size} draws accepted in {drawn} candidates; "
            "the rest from a Gibbs sampler (fixed burn-in 200 sweeps, thinning 20, no "
            "convergence diagnostic)",
            stacklevel=2,
        )
    # Gibbs: conditional of coordinate i given the rest, from the precision matrix
    prec = np.linalg.pinv(cov) if precision is None else np.asarray(precision, float)
    x = mean.copy()
    sweep = 0
    while len(out) < size:
        for i in range(k):
            if prec[i, i] <= 0:
                x[i] = rng.uniform(lb[i], ub[i])
                continue
            s_i = 1.0 / math.sqrt(prec[i, i])
            m_i = mean[i] - (prec[i] @ (x - mean) - prec[i, i] * (x[i] - mean[i])) / prec[i, i]
            a, b = (lb[i] - m_i) / s_i, (ub[i] - m_i) / s_i
            x[i] = m_i + s_i * _std_truncnorm(a, b, float(rng.uniform()))
        sweep += 1
        if sweep > 200 and sweep % 20 == 0:
            out.append(x.copy())
    return np.array(out), (
        f"{n_rejection} by rejection of {drawn} candidates, {size - n_rejection} by Gibbs "
        "sampling (burn-in 200 sweeps, every 20th kept; no convergence diagnostic)"
    )


def redraw_ensemble(result: Any, progress: Any = None) -> Any:
    """A trial calibration record with its uncertainty recomputed at its own fit: the same
    problem, settings, cohorts and fitted values, a new Jacobian, SDs and ensemble (used
    when the sampler changes; the fit itself is not touched).  Refuses a record whose
    objective the current model does not reproduce to 1e-6 relative."""
    from mtorsim.inference.calibration_set import load_calibration_set
    from mtorsim.inference.optimize import parameter_fits
    from mtorsim.inference.trial_calibration import TrialObjective, clamped, resolve_targets

    say = progress or (lambda _m: None)
    problem = load_calibration_set().problem(result.problem)
    st = result.settings
    seeds = tuple(int(v) for v in st["cohort_seeds"])
    say(f"building cohorts for {len(problem.designs)} designs")
    j = TrialObjective(problem, int(st["n_patients"]), seeds, resolve_targets(problem))
    x = problem.table.scaled(result.values)
    f = j(x)
    if not math.isclose(f, result.objective, rel_tol=1e-6):
        raise MtorsimError(
            f"calibration record {result.problem}: objective {result.objective:.8g} is "
            f"{f:.8g} with this model; refit (mtorsim calibrate {result.problem}) instead"
        )
    size, step = int(st["ensemble_size"]), float(st["jacobian_step_log10"])
    say(f"Gauss-Newton uncertainty ({2 * len(x)} runs) and {4 * size} importance weights")
    draws, sd, birge, how = gauss_newton_ensemble(j, x, step, size, int(st["ensemble_seed"]))
    method = result.method.split("; Gauss-Newton")[0] + (
        f"; Gauss-Newton covariance of the standardised residuals (central differences of "
        f"{step:g}), times the Birge ratio squared ({birge:.3g}^2); the ensemble runs draw "
        f"from: {size} parameter sets ({how})"
    )
    return result.model_copy(
        update={
            "method": method,
            "parameters": parameter_fits(
                problem.table, result.values, [float(v) if np.isfinite(v) else None for v in sd]
            ),
            "ensemble": [clamped(problem.table, problem.table.values(d)) for d in draws],
            "evaluations": result.evaluations + 2 + 2 * len(x) + 4 * size,
        }
    )


__all__ = [
    "gauss_newton_ensemble",
    "importance_resample",
    "redraw_ensemble",
    "truncated_normal_draws",
    "truncated_normal_sample",
]
