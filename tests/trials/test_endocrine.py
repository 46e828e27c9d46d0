"""Endocrine therapy, endocrine traits, clinical settings and class-specific links: the
mechanisms the clinical calibration rests on, checked against closed forms and against
each other on the same virtual patients (common random numbers)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mtorsim.errors import MtorsimError
from mtorsim.response import CellResponseModel
from mtorsim.trials import load_design
from mtorsim.trials.design import Design
from mtorsim.trials.engine import drive, effect_models, outcome
from mtorsim.trials.patients import endocrine_trait, sample_patient
from mtorsim.tumour import TumourModel, TumourParams, load_tumour_population

N_PATIENTS = 80


@pytest.fixture(scope="module")
def cells() -> CellResponseModel:
    return CellResponseModel()


def _design(base: str, arms: dict[str, list[tuple[str, str]]], **update: object) -> Design:
    """A variant of a built-in design with other arms (first arm experimental)."""
    d = load_design(base)
    raw = d.model_dump(mode="json", exclude_none=True)
    raw["arms"] = [
        {"id": k, "label": k, "doses": [{"drug": x, "regimen": r} for x, r in v]}
        for k, v in arms.items()
    ]
    ids = list(arms)
    raw["experimental"], raw["control"] = (ids[0], ids[1]) if len(ids) > 1 else (None, None)
    raw["comparisons"] = []
    raw["published"] = None
    raw.update(update)
    return Design.model_validate(raw)


def test_oestrogen_deprivation_lowers_division_and_raises_death_only_with_er(
    cells: CellResponseModel,
) -> None:
    """ER-dependent MCF7 cells: an aromatase inhibitor lowers ER activity, division falls
    and death rises by k_E (division rate) x (1 - E/E0), by hand; ER-negative MDA-MB-231
    cells are untouched (same rates to 1e-12)."""
    k_e = cells.data.link.er_deprivation_death.value
    untreated = cells.rates("MCF7", {})
    ai = cells.rates("MCF7", {"letrozole": 100.0})
    e0 = cells.signals("MCF7").er_activity
    e1 = cells.signals("MCF7", {"letrozole": 100.0}).er_activity
    assert e1 < 0.5 * e0
    assert ai.division < untreated.division and ai.death > untreated.death
    g0 = untreated.untreated_net
    d0 = untreated.death  # basal death (untreated survival)
    s_ratio = untreated.survival / ai.survival
    assert ai.death == pytest.approx((d0 + k_e * (g0 + d0) * (1 - e1 / e0)) * s_ratio, rel=1e-9)
    neg0, neg = cells.rates("MDAMB231", {}), cells.rates("MDAMB231", {"letrozole": 100.0})
    assert neg.net == pytest.approx(neg0.net, abs=1e-12)


def test_sensitive_tumours_shrink_on_letrozole_and_de_novo_resistant_ones_do_not(
    cells: CellResponseModel,
) -> None:
    """A first-line patient with the population's median tumour in the ER-driven MCF7
    context, on letrozole: endocrine-sensitive, the tumour shrinks by 16 weeks; with
    acquired resistance it shrinks less; de novo resistant (sigma = 0) it grows exactly
    at its untreated rate, ln SLD/SLD0 = g t (closed form).  The same holds for every
    one of 40 drawn patients: sensitive below acquired below de novo."""
    d = load_design("p025-letrozole-tamoxifen")
    pop = load_tumour_population()
    tm = TumourModel(pop)
    eff = effect_models(d, cells)["let"]
    t16 = 16 * 7.0
    drawn = [sample_patient(d, i, 7, pop, arm="let") for i in range(40)]
    mcf7 = next(p for p in drawn if p.base_context == "MCF7")
    typical = dataclasses.replace(
        mcf7,
        tumour=TumourParams(
            sld0_mm=50.0,
            growth_per_day=pop.growth_rate_per_day.median
            * pop.settings["first-line-endocrine"].growth.value,
            effect_scale=pop.effect_scale.median,
            resistance_per_day=pop.resistance_rate_per_day.median,
            new_lesion_per_day=0.0,
            new_lesion_draw=1.0,
        ),
    )
    for i, pt in enumerate([typical, *drawn]):
        drv = drive(d, pt, eff, tm, stop_at_progression=False)
        t = drv.t_days
        at16 = {}
        for trait in ("sensitive", "acquired", "de-novo"):
            p = dataclasses.replace(pt.tumour, endocrine=trait)
            log_size = tm.integrate(t, drv.shares, p, drv.mtorc1_inhibition)
            at16[trait] = float(np.interp(t16, t, log_size))
            if trait == "de-novo":
                np.testing.assert_allclose(log_size, p.growth_per_day * t, atol=1e-9)
        assert at16["sensitive"] < at16["acquired"] < at16["de-novo"], i
        if i == 0:
            assert at16["sensitive"] < 0.0 < at16["de-novo"]


def test_exemestane_adds_to_everolimus_only_in_endocrine_sensitive_patients(
    cells: CellResponseModel,
) -> None:
    """Everolimus + exemestane vs everolimus alone on the same first-line patients: all
    endocrine-sensitive (a stratum of prevalence 1 with trait 'sensitive'), exemestane
    adds more than a month of median PFS; all de novo resistant (prevalence 0: the
    setting's other trait), it adds nothing (less than two weeks; the pair's signalling
    share carries half their interaction, so it can even be less than everolimus alone)."""
    arms = {"eve-exe": [("everolimus", "10 mg daily"), ("exemestane", "25 mg daily")]}
    arms["eve"] = [("everolimus", "10 mg daily")]
    gains = {}
    for label, prev in (("sensitive", 1.0), ("de novo", 0.0)):
        d = _design(
            "p025-letrozole-tamoxifen",
            arms,
            stratification=[
                {
                    "name": "endocrine-sensitive",
                    "prevalence": {"value": prev, "source": "test"},
                    "endocrine_traits": ["sensitive"],
                }
            ],
        )
        pop = load_tumour_population()
        tm = TumourModel(pop)
        eff = effect_models(d, cells)
        pfs = {a: [] for a in arms}
        for i in range(N_PATIENTS):
            for a in arms:
                pt = sample_patient(d, i, 11, pop, arm=a)
                drv = drive(d, pt, eff[a], tm)
                pfs[a].append(outcome(d, pt, drv, tm).pfs_day)
        gains[label] = float(np.median(pfs["eve-exe"]) - np.median(pfs["eve"]))
    assert gains["sensitive"] > 30.0  # days of median PFS
    assert gains["de novo"] < 14.0 and gains["de novo"] < gains["sensitive"] / 2


def test_orr_and_pfs_move_independently_through_the_class_links(
    cells: CellResponseModel,
) -> None:
    """On the same first-line letrozole patients, one change of the endocrine class link
    (weight x2, resistance factor x4: deeper but shorter) moves the response rate by at
    least 5 points with median PFS within 5%, and another (weight x0.7, resistance x0.3:
    shallower but longer) moves median PFS by more than 20% with the response rate within
    5 points: the two endpoints are not one effect scale."""
    d = load_design("p025-letrozole-tamoxifen")
    base = load_tumour_population()
    w = base.parameter("classes.endocrine.weight")
    m = base.parameter("classes.endocrine.resistance")
    eff = effect_models(d, cells)["let"]
    pts = [sample_patient(d, i, 5, base, arm="let") for i in range(N_PATIENTS)]
    drives = [drive(d, p, eff, TumourModel(base), stop_at_progression=False) for p in pts]

    def endpoints(fw: float, fm: float) -> tuple[float, float]:
        pop = base.with_parameters(
            {"classes.endocrine.weight": w * fw, "classes.endocrine.resistance": m * fm}
        )
        tm = TumourModel(pop)
        outs = [outcome(d, p, dv, tm) for p, dv in zip(pts, drives, strict=True)]
        orr = 100 * np.mean([o.recist.best_response in ("CR", "PR") for o in outs])
        return float(orr), float(np.median([o.pfs_day for o in outs]))

    orr0, pfs0 = endpoints(1.0, 1.0)
    orr_a, pfs_a = endpoints(2.0, 4.0)
    assert abs(orr_a - orr0) >= 5.0 and abs(pfs_a / pfs0 - 1) < 0.05
    orr_b, pfs_b = endpoints(0.7, 0.3)
    assert abs(pfs_b / pfs0 - 1) > 0.20 and abs(orr_b - orr0) < 5.0


def test_a_stratum_sets_the_trait_and_an_impossible_one_is_refused() -> None:
    """BOLERO-2's 'sensitive to prior endocrine therapy' stratum is acquired
    resistance, the rest de novo; a stratum asking for a trait the setting lacks is
    refused with the setting named."""
    d = load_design("bolero-2")
    pop = load_tumour_population()
    key = "sensitive to prior endocrine therapy"
    for u in (0.0, 0.5, 0.999):
        assert endocrine_trait(d, pop, {key: True, "visceral metastases": False}, u) == "acquired"
        assert endocrine_trait(d, pop, {key: False, "visceral metastases": False}, u) == "de-novo"
    first = load_design("p025-letrozole-tamoxifen")
    raw = first.model_dump(mode="json", exclude_none=True)
    raw["stratification"] = [
        {
            "name": "x",
            "prevalence": {"value": 0.5, "source": "test"},
            "endocrine_traits": ["acquired"],
        }
    ]
    bad = Design.model_validate(raw)
    with pytest.raises(MtorsimError, match="first-line-endocrine"):
        endocrine_trait(bad, pop, {"x": True}, 0.3)


def test_mtorc1_inhibition_restores_acquired_endocrine_sensitivity(
    cells: CellResponseModel,
) -> None:
    """Everolimus removes most of the cells' mTORC1 output (pS6K1) and exemestane alone
    almost none.  The tumour rate of an acquired-resistance patient then differs from the
    unrestored one by exactly lambda w_e e^(-m_e rho t) phi_e (1 - sigma_a) R I(t) (by
    hand), and not at all for a sensitive or de novo resistant patient.  On the same
    after-NSAI patients, the PFS that exemestane adds to everolimus grows with R."""
    d = load_design("bolero-2")
    pop = load_tumour_population().with_parameters({"endocrine_restoration": 0.6})
    tm = TumourModel(pop)
    eff = effect_models(d, cells)
    pt = sample_patient(d, 0, 3, pop, arm="eve-exe")
    drv = drive(d, pt, eff["eve-exe"], tm, stop_at_progression=False)
    inh = drv.mtorc1_inhibition
    assert inh.shape == drv.t_days.shape and np.all((inh >= 0) & (inh <= 1))
    assert float(np.median(inh[drv.t_days > 7])) > 0.5
    exe_only = drive(d, sample_patient(d, 0, 3, pop, arm="pbo-exe"), eff["pbo-exe"], tm)
    assert float(np.max(exe_only.mtorc1_inhibition)) < 0.05
    # as tumour.yaml states: an endocrine drug alone removes at most about 1% of mTORC1
    # output (measured 1.06% at most; the restoration it triggers is then about 1/90 of
    # everolimus's)
    from mtorsim.response.cells import mtorc1_inhibition

    for ctx in ("MCF7", "MCF7_LTED", "T47D"):
        s0 = cells.signals(ctx).mtorc1
        for drug, nm in (("fulvestrant", 50.0), ("letrozole", 100.0), ("tamoxifen", 500.0)):
            assert mtorc1_inhibition(cells.signals(ctx, {drug: nm}).mtorc1, s0) < 0.015
    t, phi = drv.t_days, drv.shares
    for trait in ("acquired", "sensitive", "de-novo"):
        p = dataclasses.replace(pt.tumour, endocrine=trait)
        diff = tm.rate(t, phi, p, inh) - tm.rate(t, phi, p)
        if trait != "acquired":
            np.testing.assert_allclose(diff, 0.0, atol=1e-15)
            continue
        sig = pop.endocrine_sensitivity["acquired"].value
        link = pop.classes["endocrine"]
        by_hand = (
            p.effect_scale
            * link.weight.value
            * np.exp(-p.resistance_per_day * link.resistance.value * t)
            * phi["endocrine"]
            * (1 - sig)
            * 0.6
            * inh
        )
        np.testing.assert_allclose(diff, by_hand, rtol=1e-10, atol=1e-15)
        assert np.all(diff <= 1e-15)  # restoration only ever adds to the drug effect

    arms = {"eve-exe": [("everolimus", "10 mg daily"), ("exemestane", "25 mg daily")]}
    arms["eve"] = [("everolimus", "10 mg daily")]
    dd = _design("bolero-2", arms)
    effs = effect_models(dd, cells)
    pts = {a: [sample_patient(dd, i, 13, pop, arm=a) for i in range(N_PATIENTS)] for a in arms}
    drives = {
        a: [drive(dd, p, effs[a], tm, stop_at_progression=False) for p in pts[a]] for a in arms
    }
    gain = {}
    for r in (0.0, 0.8):
        tr = TumourModel(pop.with_parameters({"endocrine_restoration": r}))
        med = {
            a: np.median(
                [outcome(dd, p, dv, tr).pfs_day for p, dv in zip(pts[a], drives[a], strict=True)]
            )
            for a in arms
        }
        gain[r] = float(med["eve-exe"] - med["eve"])
    assert gain[0.8] > gain[0.0] + 14.0  # days


def test_overall_survival_is_pfs_plus_survival_after_progression(
    cells: CellResponseModel,
) -> None:
    """OS = PFS + survival after progression (Broglio & Berry 2009): the drawn survival
    after progression is exponential with the setting's median (mean of 3000 draws within
    4 SE of median / ln 2); in a trial, OS >= PFS, a censored PFS is censored OS at the
    same day, and a progressed patient's OS - PFS is her own draw; changing the median
    leaves every PFS as it was and scales OS - PFS by the ratio (common random numbers)."""
    from mtorsim.knowledge.names import DAYS_PER_MONTH
    from mtorsim.trials.run import run_trial
    from mtorsim.tumour.model import rescaled

    d = load_design("p025-letrozole-tamoxifen")
    pop = load_tumour_population()
    m = pop.post_progression_months("first-line-endocrine")
    draws = np.array(
        [sample_patient(d, i, 17, pop).tumour.post_progression_days for i in range(3000)]
    )
    mean = m * DAYS_PER_MONTH / np.log(2.0)
    assert abs(draws.mean() - mean) < 4 * mean / np.sqrt(len(draws))
    res = run_trial(d, 120, 17, tumour=pop, model=cells).patients
    assert (res["os_months"] >= res["pfs_months"] - 1e-12).all()
    cens = ~res["event"].astype(bool)
    assert (~res.loc[cens, "os_event"].astype(bool)).all()
    np.testing.assert_allclose(res.loc[cens, "os_months"], res.loc[cens, "pfs_months"])
    prog = res[~cens]
    own = np.array([draws[i] for i in prog["patient"]]) / DAYS_PER_MONTH
    accrual = np.array([sample_patient(d, i, 17, pop).accrual_day for i in prog["patient"]])
    cutoff = (d.follow_up.cutoff_months * DAYS_PER_MONTH - accrual) / DAYS_PER_MONTH
    dead = prog["os_event"].astype(bool).to_numpy()
    assert dead.sum() > 20 and (~dead).sum() > 0
    np.testing.assert_allclose((prog["os_months"] - prog["pfs_months"])[dead], own[dead], rtol=1e-9)
    # the others were alive at the data cut-off: censored there
    np.testing.assert_allclose(prog["os_months"][~dead], cutoff[~dead], rtol=1e-9)
    assert np.all((prog["pfs_months"] + own)[~dead] > cutoff[~dead])
    longer = pop.with_parameters({"settings.first-line-endocrine.post_progression_months": 2 * m})
    p0 = sample_patient(d, 5, 17, pop)
    p1 = rescaled(p0.tumour, pop, longer, d.setting)
    assert p1.post_progression_days == pytest.approx(2 * p0.tumour.post_progression_days)
    assert dataclasses.replace(p1, post_progression_days=0) == dataclasses.replace(
        p0.tumour, post_progression_days=0
    )
