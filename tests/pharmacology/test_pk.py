"""Pharmacokinetics against closed forms and an ODE solver; regimens; drug records."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from mtorsim.errors import MtorsimError
from mtorsim.knowledge import load_knowledge_base
from mtorsim.pharmacology import (
    DoseEvent,
    LinearPK,
    Patient,
    PKError,
    PKParameters,
    RegimenError,
    Route,
    load_pk_data,
    parse_regimen,
    simulate_pk,
)

EVEROLIMUS = PKParameters(CL=17.4, V1=25.2, Q=51.1, V2=400.0, ka=0.647)  # de Wit 2016


def test_one_compartment_oral_is_the_bateman_function() -> None:
    p = PKParameters(CL=5.0, V1=50.0, ka=1.3, F=0.8)
    t = np.linspace(0, 72, 301)
    got = LinearPK(p).concentration(t, [DoseEvent(0.0, 100.0, Route.ORAL)])
    k = p.CL / p.V1
    want = 0.8 * 100 * p.ka / (p.V1 * (p.ka - k)) * (np.exp(-k * t) - np.exp(-p.ka * t))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_two_compartment_iv_bolus_macro_constants() -> None:
    """Textbook closed form (Gibaldi & Perrier):
    C = D/V1 [(alpha-k21)/(alpha-beta) e^-alpha t + (k21-beta)/(alpha-beta) e^-beta t]."""
    p = EVEROLIMUS
    k10, k12, k21 = p.CL / p.V1, p.Q / p.V1, p.Q / p.V2
    s = k10 + k12 + k21
    alpha = (s + math.sqrt(s * s - 4 * k10 * k21)) / 2
    beta = (s - math.sqrt(s * s - 4 * k10 * k21)) / 2
    t = np.linspace(0, 96, 401)
    want = (
        10
        / p.V1
        * (
            (alpha - k21) / (alpha - beta) * np.exp(-alpha * t)
            + (k21 - beta) / (alpha - beta) * np.exp(-beta * t)
        )
    )
    got = LinearPK(p).concentration(t, [DoseEvent(0.0, 10.0, Route.IV)])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    assert p.terminal_half_life_h() == pytest.approx(math.log(2) / beta, rel=1e-12)


def _ode_profile(p: PKParameters, events: list[DoseEvent], t_eval: np.ndarray) -> np.ndarray:
    """Independent reference: integrate the compartment ODEs between dose events (LSODA)."""

    def rhs(_t: float, y: np.ndarray, rate: float) -> list[float]:
        depot, c, per = y
        ka = p.ka or 0.0
        return [
            -ka * depot,
            ka * depot - (p.CL + p.Q) / p.V1 * c + p.Q / p.V2 * per + rate,
            p.Q / p.V1 * c - p.Q / p.V2 * per,
        ]

    # piecewise: breakpoints at doses and infusion ends
    marks = sorted(
        {0.0, float(t_eval[-1])}
        | {e.time_h for e in events}
        | {e.time_h + e.duration_h for e in events}
    )
    y = np.zeros(3)
    out = np.zeros_like(t_eval)
    for a, b in itertools.pairwise(marks):
        for e in events:
            if e.time_h == a and e.duration_h == 0:
                y[0 if e.route is not Route.IV else 1] += e.amount_mg * (
                    p.F if e.route is not Route.IV else 1
                )
        rate = sum(
            e.amount_mg / e.duration_h
            for e in events
            if e.duration_h > 0 and e.time_h <= a < e.time_h + e.duration_h
        )
        mask = (t_eval >= a) & (t_eval < b)
        sol = solve_ivp(
            rhs, (a, b), y, args=(rate,), method="LSODA", rtol=1e-10, atol=1e-13, dense_output=True
        )
        if mask.any():
            out[mask] = sol.sol(t_eval[mask])[1]
        y = sol.y[:, -1]
    out[t_eval >= marks[-1]] = y[1]
    return out / p.V1


def test_everolimus_daily_matches_an_ode_solution() -> None:
    events = parse_regimen("10 mg daily").events(7)
    t = np.linspace(0, 7 * 24, 673)
    got = LinearPK(EVEROLIMUS).concentration(t, events)
    np.testing.assert_allclose(got, _ode_profile(EVEROLIMUS, events, t), rtol=1e-6, atol=1e-9)


def test_infusions_match_an_ode_solution() -> None:
    p = PKParameters(CL=22.0, V1=81.8, Q=27.05, V2=327.2)  # paclitaxel record
    events = parse_regimen("80 mg/m2 IV over 1 h weekly").events(21)
    t = np.linspace(0, 21 * 24, 2017)
    got = LinearPK(p).concentration(t, events)
    np.testing.assert_allclose(got, _ode_profile(p, events, t), rtol=1e-6, atol=1e-10)


def test_everolimus_reaches_the_closed_form_steady_state() -> None:
    """Day 28 of 10 mg daily equals the closed-form steady-state profile (geometric series
    of the single-dose exponentials) and its average equals F x dose / (CL x tau)."""
    prof = simulate_pk("everolimus", "10 mg daily", 28, step_h=0.05)
    p, tau, dose = EVEROLIMUS, 24.0, 10.0
    a = np.array(
        [[-p.ka, 0, 0], [p.ka, -(p.CL + p.Q) / p.V1, p.Q / p.V2], [0, p.Q / p.V1, -p.Q / p.V2]]
    )
    w, v = np.linalg.eig(a)
    coef = v[1, :] * np.linalg.solve(v, [1.0, 0, 0])
    last = prof.time_h >= 27 * 24
    s = prof.time_h[last] - 27 * 24
    css = (
        dose
        / p.V1
        * np.real(
            (coef[None, :] * np.exp(w[None, :] * s[:, None]) / (1 - np.exp(w[None, :] * tau))).sum(
                axis=1
            )
        )
    )
    np.testing.assert_allclose(prof.conc_mg_L[last], css, rtol=1e-6)
    m = prof.metrics()
    assert m["Cavg_last_period_ng_mL"] == pytest.approx(dose / (p.CL * tau) * 1000, rel=1e-4)
    assert m["Css_avg_ng_mL"] == pytest.approx(1000 * dose / (p.CL * tau), rel=1e-12)
    # linear accumulation: 90% of steady state well within the 2 weeks the label states
    assert m["t90_steady_state_h"] is not None and m["t90_steady_state_h"] < 14 * 24
    # whole-blood trough of 10 mg/day: de Wit's model gives ~13 ng/mL
    assert 5 < m["Cmin_ng_mL"] < 30


def test_three_compartment_exemestane_is_mass_balanced() -> None:
    """AUC over one interval at steady state equals F x dose / CL for any linear model."""
    prof = simulate_pk("exemestane", "25 mg daily", 60, step_h=0.02)
    rec = load_pk_data().drugs["exemestane"]
    assert prof.metrics()["AUC_last_period_ng_h_mL"] == pytest.approx(
        25 / rec.CL.value * 24 * 1000 / 24, rel=2e-3
    )


def test_between_patient_variability_is_lognormal_with_the_stated_cv() -> None:
    rec = load_pk_data().drugs["everolimus"]
    draws = rec.sample(np.random.default_rng(1), 20000)
    cl = np.log([d.CL for d in draws])
    assert np.std(cl) == pytest.approx(math.sqrt(math.log(1 + 0.351**2)), rel=0.03)
    assert np.exp(np.median(cl)) == pytest.approx(17.4, rel=0.02)
    again = rec.sample(np.random.default_rng(1), 3)
    assert [d.CL for d in again] == [d.CL for d in draws[:3]]


def test_every_pk_record_is_an_agent_with_sources() -> None:
    kb = load_knowledge_base()
    data = load_pk_data()
    for name, rec in data.drugs.items():
        assert kb.agent(name).id == name
        for field in ("CL", "V1", "half_life_h", "molecular_weight", "fu"):
            assert len(getattr(rec, field).source) > 5
        assert 0 < rec.fu.value <= 1, name
    assert {
        "everolimus",
        "exemestane",
        "tamoxifen",
        "letrozole",
        "fulvestrant",
        "trastuzumab",
        "lapatinib",
        "paclitaxel",
        "vinorelbine",
        "capecitabine",
        "carboplatin",
        "cisplatin",
        "temsirolimus",
        "ridaforolimus",
        "anastrozole",
    } <= set(data.drugs)


def test_unbound_concentration_is_fu_times_molar_total() -> None:
    """Free nM = fu x (mg/L x 1e6 / MW): letrozole 2.5 mg daily, fu 0.40, MW 285.3."""
    prof = simulate_pk("letrozole", "2.5 mg daily", days=7)
    total_nM = prof.conc_mg_L * 1e6 / 285.3
    assert np.allclose(prof.unbound_nM, 0.40 * total_nM, rtol=1e-12)
    m = prof.metrics()
    assert m["Css_avg_unbound_nM"] == pytest.approx(0.40 * m["Css_avg_ng_mL"] / 285.3 * 1e3)


def test_fulvestrant_label_exposure() -> None:
    """500 mg IM monthly: steady-state Cmin/Cmax near the label's 16.3 / 25.1 ng/mL (within 35%)."""
    m = simulate_pk("fulvestrant", "500 mg IM on days 1, 15, 29 then every 28 days", 336).metrics()
    assert m["Cmax_ng_mL"] == pytest.approx(25.1, rel=0.35)
    assert m["Cmin_ng_mL"] == pytest.approx(16.3, rel=0.35)


@pytest.mark.parametrize(
    ("text", "days", "expected_days", "mg"),
    [
        ("10 mg daily", 3, [0, 1, 2], 10),
        ("30 mg daily for 5 days every 2 weeks", 16, [0, 1, 2, 3, 4, 14, 15], 30),
        ("40 mg daily 5 days per week", 9, [0, 1, 2, 3, 4, 7, 8], 40),
        ("25 mg/m2 IV on days 1, 8 every 21 days", 30, [0, 7, 21, 28], None),
        ("500 mg IM on days 1, 15, 29 then every 28 days", 90, [0, 14, 28, 56, 84], 500),
        ("1000 mg/m2 twice daily 2 days on 1 day off", 4, [0, 0.5, 1, 1.5, 3, 3.5], None),
        ("10 mg daily for 1 week from day 3", 30, [2, 3, 4, 5, 6, 7, 8], 10),
        ("4 mg/kg IV once then 2 mg/kg IV weekly", 15, [0, 7, 14], None),
    ],
)
def test_regimen_text(text: str, days: float, expected_days: list[float], mg: float | None) -> None:
    ev = parse_regimen(text).events(days)
    assert [e.time_h / 24 for e in ev] == pytest.approx(expected_days)
    if mg is not None:
        assert all(e.amount_mg == mg for e in ev)


def test_body_size_and_calvert_doses() -> None:
    pt = Patient(weight_kg=60, height_cm=160, gfr_mL_min=75)
    assert pt.bsa_m2 == pytest.approx(math.sqrt(160 * 60 / 3600))  # Mosteller
    assert parse_regimen("80 mg/m2 IV weekly").events(1, pt)[0].amount_mg == pytest.approx(
        80 * pt.bsa_m2
    )
    assert parse_regimen("4 mg/kg IV once").events(1, pt)[0].amount_mg == 240
    assert parse_regimen("AUC 5 IV every 3 weeks").events(1, pt)[0].amount_mg == 5 * (75 + 25)


def test_interruptions_and_reductions() -> None:
    reg = parse_regimen("10 mg daily").interrupted(3, 5).reduced(0.5, from_day=7)
    doses = {e.time_h / 24: e.amount_mg for e in reg.events(9)}
    assert sorted(doses) == [0, 1, 2, 5, 6, 7, 8]
    assert doses[6] == 10 and doses[7] == 5
    assert reg.mean_daily_mg(over_days=9) == pytest.approx((5 * 10 + 2 * 5) / 9)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty regimen"),
        ("daily", "must start with a dose"),
        ("10 mg dialy", "no schedule understood"),
        ("10 lbs daily", "must start with a dose"),
        ("AUC 6 every 3 weeks", "must be given IV"),
        ("10 mg daily then 5 mg daily", "never ends"),
        ("10 mg on days 0, 3", "1 or more"),
    ],
)
def test_bad_regimens(text: str, match: str) -> None:
    with pytest.raises(RegimenError, match=match):
        parse_regimen(text)


def test_bad_pk_inputs() -> None:
    with pytest.raises(PKError, match="CL must be positive"):
        PKParameters(CL=0, V1=1)
    with pytest.raises(PKError, match="needs both"):
        PKParameters(CL=1, V1=1, Q=1)
    with pytest.raises(MtorsimError, match="no pharmacokinetic model for bevacizumab"):
        simulate_pk("bevacizumab", "10 mg/kg IV every 2 weeks", 28)
    with pytest.raises(MtorsimError, match="no absorption model"):
        simulate_pk("trastuzumab", "100 mg daily", 7)
