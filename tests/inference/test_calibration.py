"""The trial calibration (pyPESTO on BOLERO-2), its shipped record, and the IDA baseline's
closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mtorsim.errors import MtorsimError
from mtorsim.inference import calibrate_trial, load_calibration, load_calibration_set
from mtorsim.inference.calibration_set import calibration_trials
from mtorsim.inference.ida import copula_cdf, exponential_ida_median, ida_survival, median_of
from mtorsim.inference.trial_calibration import resolve_targets
from mtorsim.trials import run_trial
from mtorsim.tumour import load_tumour_population


# ---------------------------------------------------------------------- IDA
def test_ida_hand_computed_exponential_case() -> None:
    """Exponential monotherapies with medians 3 and 5 months, independent responses:
    S = S_A + S_B - S_A S_B; its median solves exp(-a t) + exp(-b t) - exp(-(a+b) t) = 1/2
    (by hand at t = 7.03: exp(-1.624) + exp(-0.9745) - exp(-2.599) = 0.1971 + 0.3774 - 0.0743
    = 0.5002, so the median is 7.03 months)."""
    grid = np.linspace(0, 40, 400001)
    s_a, s_b = np.exp(-math.log(2) / 3 * grid), np.exp(-math.log(2) / 5 * grid)
    m0 = median_of(grid, ida_survival(s_a, s_b, 0.0))
    assert m0 == pytest.approx(exponential_ida_median(3, 5, 0.0), abs=2e-4)
    # hand check of the closed form itself at its root
    t = exponential_ida_median(3, 5, 0.0)
    a, b = math.log(2) / 3, math.log(2) / 5
    assert math.exp(-a * t) + math.exp(-b * t) - math.exp(-(a + b) * t) == pytest.approx(0.5)
    assert t == pytest.approx(7.03, abs=0.01)
    # perfectly correlated responses: the better drug's curve, median 5
    assert median_of(grid, ida_survival(s_a, s_b, 1.0)) == pytest.approx(5.0, abs=2e-4)
    # intermediate correlation lies between the two
    m3 = median_of(grid, ida_survival(s_a, s_b, 0.3))
    assert 5.0 < m3 < m0


def test_gaussian_copula_against_monte_carlo() -> None:
    rng = np.random.default_rng(0)
    z = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=400_000)
    from scipy.stats import norm

    u = norm.cdf(z)
    for a, b in ((0.3, 0.6), (0.5, 0.5), (0.8, 0.2)):
        mc = float(np.mean((u[:, 0] <= a) & (u[:, 1] <= b)))
        assert copula_cdf(np.array([a]), np.array([b]), 0.5)[0] == pytest.approx(mc, abs=3e-3)


# ---------------------------------------------------------------------- calibration
def test_targets_come_from_the_knowledge_base() -> None:
    t = {x.name: x for x in resolve_targets(load_calibration_set().problem("bolero-2"))}
    assert t["hazard_ratio"].value == pytest.approx(0.45)
    assert t["hazard_ratio"].se_log == pytest.approx(
        (math.log(0.54) - math.log(0.38)) / 3.919928, rel=1e-6
    )
    assert t["median_pfs:eve-exe"].value == pytest.approx(7.82)
    assert t["median_pfs:pbo-exe"].value == pytest.approx(3.19)


def test_only_bolero2_is_calibration_data() -> None:
    assert calibration_trials() == {"bolero-2"}


def test_shipped_tumour_values_are_the_shipped_record() -> None:
    """tumour.yaml holds exactly the fitted medians of the shipped BOLERO-2 record."""
    rec = load_calibration("bolero-2")
    tumour = load_tumour_population()
    assert rec.problem_kind == "trial" and len(rec.parameters) == 3
    for p in rec.parameters:
        name = p.id.removeprefix("tumour.")
        assert getattr(tumour, name).median == p.fitted, p.id
        assert getattr(tumour, name).source.startswith("calibrated: BOLERO-2")


def test_quick_calibration_is_reproducible_and_improves_the_fit() -> None:
    over = {"n_patients": 60, "cohort_seeds": [5], "n_starts": 2, "max_evals": 10, "bootstrap": 0}
    a = calibrate_trial(overrides=over)
    b = calibrate_trial(overrides=over)
    assert a.values == b.values
    assert [s.objective for s in a.starts] == [s.objective for s in b.starts]
    assert a.objective < a.objective_start  # 10 Nelder-Mead steps improve on the start
    assert set(a.values) == {
        "tumour.growth_rate_per_day",
        "tumour.effect_scale",
        "tumour.resistance_rate_per_day",
    }
    # every fitted value inside the calibration set's bounds
    for p in a.parameters:
        assert p.lower <= p.fitted <= p.upper


def test_calibrated_bolero2_is_within_the_published_ci() -> None:
    """The shipped calibration reproduces BOLERO-2 (the calibration trial): HR inside its
    published 95% CI 0.38-0.54, arm medians within 20% of 7.82 and 3.19 months (the
    record's first cohort seed)."""
    rec = load_calibration("bolero-2")
    r = run_trial("bolero-2", seed=rec.settings["cohort_seeds"][0])
    assert r.comparison is not None and r.comparison.hazard_ratio is not None
    assert 0.38 <= r.comparison.hazard_ratio <= 0.54
    assert r.arm("eve-exe").pfs.median == pytest.approx(7.82, rel=0.2)
    assert r.arm("pbo-exe").pfs.median == pytest.approx(3.19, rel=0.2)


def test_bad_settings_are_refused_with_the_reason() -> None:
    with pytest.raises(MtorsimError, match="at least 20 patients"):
        calibrate_trial(overrides={"n_patients": 0})
    with pytest.raises(MtorsimError, match="at least one start"):
        calibrate_trial(overrides={"n_starts": 0, "n_patients": 30})
    with pytest.raises(MtorsimError, match="not a trial problem"):
        calibrate_trial("pathway-checklist")
    with pytest.raises(MtorsimError, match="bolero-2"):
        calibrate_trial("tamrad")


def test_parameter_tables_are_valid_petab() -> None:
    """Every optimised problem's table passes PEtab's own parameter-table linter."""
    petab_lint = pytest.importorskip("petab.v1.lint")
    for p in load_calibration_set().problems:
        if p.parameters:
            petab_lint.check_parameter_df(p.table.to_petab())


def test_shipped_records_belong_to_this_model() -> None:
    """The shipped records were made with today's signalling model (its SBML) and, for
    BOLERO-2, today's design: rerun `mtorsim calibrate` when either changes."""
    from mtorsim.pathway.build import model_hash
    from mtorsim.trials import load_design

    for name in ("bolero-2", "pathway-checklist"):
        assert load_calibration(name).provenance["model_hash"] == model_hash(), name
    rec = load_calibration("bolero-2")
    assert rec.provenance["design_hash"] == load_design("bolero-2").digest()
