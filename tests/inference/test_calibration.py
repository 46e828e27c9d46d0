"""The trial calibration (pyPESTO on BOLERO-2 and trials without an mTOR inhibitor), the
enforcement of the calibration set, its shipped record, and the IDA baseline's closed
forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mtorsim.errors import MtorsimError
from mtorsim.inference import calibrate_trial, load_calibration, load_calibration_set
from mtorsim.inference.calibration_set import (
    Target,
    calibration_trials,
    check_calibration_set,
)
from mtorsim.inference.calibration_set import (
    load_calibration_set as _set,
)
from mtorsim.inference.ida import copula_cdf, exponential_ida_median, ida_survival, median_of
from mtorsim.inference.trial_calibration import resolve_targets
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


def test_published_monotherapy_baseline_against_its_closed_form_bounds() -> None:
    """The model-free IDA baseline: every entry of data/monotherapy.yaml is cited and
    names a known drug; exponential curves of two published medians give, at rho = 0, the
    closed-form independent median, and at the default rho a median between the better
    drug's (rho = 1) and that one (Palmer & Sorger 2017)."""
    from mtorsim.inference.ida import (
        DEFAULT_RHO,
        MonotherapyFile,
        exponential_ida_survival,
        monotherapy_path,
        published_monotherapy,
    )
    from mtorsim.knowledge.base import load_knowledge_base
    from mtorsim.knowledge.documents import load_document

    kb = load_knowledge_base()
    entries = load_document(monotherapy_path(), MonotherapyFile, "1.0").entries
    assert len(entries) >= 6
    for e in entries:
        kb.agent(e.drug)  # a known drug
        assert len(e.source) > 20 and any(ch.isdigit() for ch in e.source)
    eve = published_monotherapy("everolimus", "after-nsai")
    exe = published_monotherapy("exemestane", "after-nsai")
    assert eve is not None and exe is not None
    grid = np.linspace(0, 20 * eve.median_pfs_months, 200_001)
    meds = (eve.median_pfs_months, exe.median_pfs_months)
    indep = median_of(grid, exponential_ida_survival(meds, grid, 0.0))
    assert indep == pytest.approx(exponential_ida_median(*meds, 0.0), abs=2e-3)
    mid = median_of(grid, exponential_ida_survival(meds, grid, DEFAULT_RHO))
    assert max(meds) < mid < indep
    assert published_monotherapy("everolimus", "triple-negative") is None


def test_gaussian_copula_against_monte_carlo() -> None:
    rng = np.random.default_rng(0)
    z = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=400_000)
    from scipy.stats import norm

    u = norm.cdf(z)
    for a, b in ((0.3, 0.6), (0.5, 0.5), (0.8, 0.2)):
        mc = float(np.mean((u[:, 0] <= a) & (u[:, 1] <= b)))
        assert copula_cdf(np.array([a]), np.array([b]), 0.5)[0] == pytest.approx(mc, abs=3e-3)


# ---------------------------------------------------------------------- calibration
def test_targets_come_from_the_designs_published_results() -> None:
    """BOLERO-2's PFS and HR from the knowledge base (ref 75), its ORR from the design
    (ref 72), P025's from the design (Mouridsen 2001); a rate's SE is binomial."""
    t = {x.name: x for x in resolve_targets(load_calibration_set().problem("clinical"))}
    hr = t["bolero-2:hazard_ratio:eve-exe vs pbo-exe"]
    assert hr.value == pytest.approx(0.45)
    assert hr.se == pytest.approx((math.log(0.54) - math.log(0.38)) / 3.919928, rel=1e-6)
    assert t["bolero-2:pfs_median:eve-exe"].value == pytest.approx(7.82)
    assert t["bolero-2:ORR:eve-exe"].value == pytest.approx(0.095)
    assert t["p025-letrozole-tamoxifen:pfs_median:let"].value == pytest.approx(9.4)
    orr = t["p025-letrozole-tamoxifen:ORR:let"]
    # residual by hand: (0.25 - 0.30) / sqrt(0.3 * 0.7 * (1/453 + 1/200))
    assert orr.residual(0.25, 200) == pytest.approx(
        -0.05 / math.sqrt(0.21 * (1 / 453 + 1 / 200)), rel=1e-9
    )


def test_no_other_mtor_trial_is_calibration_data() -> None:
    """BOLERO-2 is the only trial with an mTOR inhibitor in the set; adding another
    trial's result is refused with the reason, and validation refuses to score the set's
    designs."""
    fitted = calibration_trials()
    assert "bolero-2" in fitted and len(fitted) >= 4
    check_calibration_set()
    doc = _set()
    p = doc.problem("clinical")
    bad = p.model_copy(
        update={"targets": [*p.targets, Target(design="tamrad", endpoint="ORR", arm="tam", n=5)]}
    )
    with pytest.raises(MtorsimError, match=r"tamrad.*mTOR inhibitor.*prediction"):
        check_calibration_set(doc.model_copy(update={"problems": [bad]}))
    # a design whose published results are a review trial's is refused too
    tam = bad.model_copy(
        update={"targets": [*p.targets, Target(design="tamrad", endpoint="CBR", arm="tam", n=5)]}
    )
    with pytest.raises(MtorsimError, match="tamrad"):
        check_calibration_set(doc.model_copy(update={"problems": [tam]}))
    # of BOLERO-2 only PFS, ORR and CBR may be fitted: its overall survival is a prediction
    sv = doc.problem("survival")
    os_b2 = Target(
        design="bolero-2",
        endpoint="os_median",
        arm="pbo-exe",
        se_log={"value": 0.1, "source": "test"},
        value={"value": 26.6, "source": "Piccart 2014 Ann Oncol"},
    )
    bad_os = sv.model_copy(update={"targets": [*sv.targets, os_b2]})
    with pytest.raises(MtorsimError, match=r"bolero-2.*predictions"):
        check_calibration_set(doc.model_copy(update={"problems": [bad_os]}))
    # the survival problem's OS data are trials without an mTOR inhibitor, each cited
    assert {t.design for t in sv.targets} <= set(doc.problem("clinical").designs) - {"bolero-2"}
    assert all(t.value is not None and len(t.value.source) > 20 for t in sv.targets)
    from mtorsim.inference import validate

    with pytest.raises(MtorsimError, match="calibration data"):
        validate(sorted(fitted), replicates=1, n_patients=10)
    # a misspelt parameter id names the ids there are
    with pytest.raises(MtorsimError, match="first-line-endocrine"):
        load_tumour_population().parameter("settings.first-line.growth")


def test_shipped_tumour_values_are_the_shipped_record() -> None:
    """tumour.yaml holds exactly the fitted values of the shipped clinical record, and
    the record carries its ensemble (draws of its Gauss-Newton covariance) inside the bounds."""
    rec = load_calibration("clinical")
    tumour = load_tumour_population()
    free = load_calibration_set().problem("clinical").table.ids
    assert rec.problem_kind == "trial" and [p.id for p in rec.parameters] == free
    assert rec.n_data == len(load_calibration_set().problem("clinical").targets)
    for p in rec.parameters:
        name = p.id.removeprefix("tumour.")
        assert tumour.parameter(name) == p.fitted, p.id
    assert len(rec.ensemble) >= 2
    for member in rec.ensemble:
        for p in rec.parameters:
            assert p.lower <= member[p.id] <= p.upper


def test_shipped_survival_values_are_the_shipped_record() -> None:
    """tumour.yaml holds the survival record's fitted medians of survival after
    progression; the settings without an OS datum of their own carry the value of the
    setting they are assumed to share (and say so)."""
    rec = load_calibration("survival")
    tumour = load_tumour_population()
    assert [p.id for p in rec.parameters] == load_calibration_set().problem("survival").table.ids
    for p in rec.parameters:
        assert tumour.parameter(p.id.removeprefix("tumour.")) == p.fitted, p.id
    for tied, like in (
        ("after-nsai", "endocrine-pretreated"),
        ("neoadjuvant-endocrine", "first-line-endocrine"),
        ("triple-negative", "chemotherapy-pretreated"),
    ):
        same = tumour.settings[tied].post_progression_as
        assert same is not None and same.setting == like and same.source.startswith("assumed")
        assert tumour.post_progression_months(tied) == tumour.post_progression_months(like)
        # a tied setting cannot be fitted on its own
        with pytest.raises(MtorsimError, match=like):
            tumour.with_parameters({f"settings.{tied}.post_progression_months": 5.0})


def test_quick_calibration_is_reproducible_and_improves_the_fit() -> None:
    over = {
        "n_patients": 40,
        "cohort_seeds": [5],
        "n_starts": 2,
        "max_evals": 8,
        "ensemble_size": 0,
    }
    a = calibrate_trial(overrides=over)
    b = calibrate_trial(overrides=over)
    assert a.values == b.values
    assert [s.objective for s in a.starts] == [s.objective for s in b.starts]
    # the reported objective is the objective of the reported values, recomputed on a
    # fresh objective (checks the optimiser's shifted coordinates are undone)
    from mtorsim.inference.trial_calibration import TrialObjective

    prob = load_calibration_set().problem("clinical")
    j = TrialObjective(prob, 40, (5,), resolve_targets(prob))
    assert j(prob.table.scaled(a.values)) == pytest.approx(a.objective, rel=1e-9)
    assert set(a.values) == set(load_calibration_set().problem("clinical").table.ids)
    # every fitted value inside the calibration set's bounds
    for p in a.parameters:
        assert p.lower <= p.fitted <= p.upper


def test_bad_settings_are_refused_with_the_reason() -> None:
    with pytest.raises(MtorsimError, match="at least 20 patients"):
        calibrate_trial(overrides={"n_patients": 0})
    with pytest.raises(MtorsimError, match="at least one start"):
        calibrate_trial(overrides={"n_starts": 0, "n_patients": 30})
    with pytest.raises(MtorsimError, match="not a trial problem"):
        calibrate_trial("pathway-checklist")
    with pytest.raises(MtorsimError, match="clinical"):
        calibrate_trial("tamrad")


def test_parameter_tables_are_valid_petab() -> None:
    """Every optimised problem's table passes PEtab's own parameter-table linter."""
    petab_lint = pytest.importorskip("petab.v1.lint")
    for p in load_calibration_set().problems:
        if p.parameters:
            petab_lint.check_parameter_df(p.table.to_petab())


def test_shipped_records_belong_to_this_model() -> None:
    """The shipped records were made with today's signalling model (its SBML) and, for
    the clinical problem, today's designs: rerun `mtorsim calibrate` when either changes."""
    from mtorsim.pathway.build import model_hash
    from mtorsim.trials import load_design

    for name in ("clinical", "survival", "pathway-checklist"):
        assert load_calibration(name).provenance["model_hash"] == model_hash(), name
    for name in ("clinical", "survival"):
        rec = load_calibration(name)
        assert rec.provenance["designs"] == {
            d: load_design(d).digest() for d in load_calibration_set().problem(name).designs
        }, name
