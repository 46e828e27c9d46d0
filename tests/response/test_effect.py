"""Effect models and drug-class links: the Shapley split, its weights, and the two
strategies against each other; the tumour equation against its closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mtorsim.knowledge import load_knowledge_base
from mtorsim.pathway import load_context
from mtorsim.pharmacology import Exposure, dosed_drug, parse_regimen
from mtorsim.pharmacology.regimen import Patient
from mtorsim.response import CellResponseModel
from mtorsim.response.effect import DynamicEffect, SurfaceEffect
from mtorsim.response.links import link_class, shapley_shares
from mtorsim.tumour import TumourModel, TumourParams, load_tumour_population


@pytest.fixture(scope="module")
def cells() -> CellResponseModel:
    return CellResponseModel()


def _arm(*pairs: tuple[str, str]) -> list:
    return [dosed_drug(d, parse_regimen(r)) for d, r in pairs]


def test_shapley_hand_example() -> None:
    """Two classes with v(A) = 1, v(B) = 2, v(AB) = 5: phi_A = (1 + (5 - 2)) / 2 = 2,
    phi_B = (2 + (5 - 1)) / 2 = 3; the shares add up to v(AB)."""
    v = {frozenset("A"): 1.0, frozenset("B"): 2.0, frozenset("AB"): 5.0}
    shares = shapley_shares(["A", "B"], lambda s: np.array(v[s]))  # type: ignore[list-item]
    assert float(shares["A"]) == pytest.approx(2.0) and float(shares["B"]) == pytest.approx(3.0)
    # three symmetric players with a pure three-way interaction share it equally
    w = lambda s: np.array(3.0 if len(s) == 3 else 0.0)  # noqa: E731
    three = shapley_shares(["A", "B", "C"], w)  # type: ignore[list-item]
    assert all(float(x) == pytest.approx(1.0) for x in three.values())


def test_link_classes_of_the_review_agents() -> None:
    kb = load_knowledge_base()
    assert link_class(kb.agent("everolimus")) == "signalling"
    assert link_class(kb.agent("exemestane")) == "endocrine"
    assert link_class(kb.agent("fulvestrant")) == "endocrine"
    assert link_class(kb.agent("trastuzumab")) == "her2"
    assert link_class(kb.agent("lapatinib")) == "her2"
    assert link_class(kb.agent("paclitaxel")) == "cytotoxic"


def test_class_shares_add_up_and_the_tumour_links_them_by_class(
    cells: CellResponseModel,
) -> None:
    """Everolimus + exemestane: the signalling and endocrine shares add up to the
    effect of both drugs together (Shapley efficiency; the effect of both is computed
    independently on the one-class arm), and the tumour links each share with its own
    class parameters: with weights (2, 0.5) and no resistance the rate is
    g + lambda (2 phi_signalling + 0.5 phi_endocrine), by hand."""
    drugs = _arm(("everolimus", "10 mg daily"), ("exemestane", "25 mg daily"))
    ctx = load_context("MCF7_LTED")
    ex = Exposure(drugs, {d.agent: d.record.parameters() for d in drugs}, Patient(), 30.0)
    split = next(SurfaceEffect(drugs, cells).blocks(ex, ctx, 30.0))
    assert set(split.shares) == {"signalling", "endocrine"}
    total = split.shares["signalling"] + split.shares["endocrine"]
    np.testing.assert_allclose(total, split.dk_per_day, rtol=1e-10, atol=1e-12)
    # the shares alone: each class's own effect (the one-drug arms), averaged with the
    # interaction, so signalling + endocrine alone differ from the pair by the interaction
    eve = next(SurfaceEffect(drugs[:1], cells).blocks(ex, ctx, 30.0)).dk_per_day
    exe = next(SurfaceEffect(drugs[1:], cells).blocks(ex, ctx, 30.0)).dk_per_day
    inter = split.dk_per_day - eve - exe
    np.testing.assert_allclose(split.shares["signalling"], eve + inter / 2, atol=1e-10)
    # both shares slow growth
    assert split.shares["signalling"][-1] < 0 and split.shares["endocrine"][-1] < 0
    pop = load_tumour_population().with_parameters(
        {
            "classes.signalling.weight": 2.0,
            "classes.endocrine.weight": 0.5,
            "classes.endocrine.resistance": 1.0,
        }
    )
    p = TumourParams(50.0, 0.003, 0.02, 0.0, 0.0, 1.0, endocrine="sensitive")
    rate = TumourModel(pop).rate(split.t_days, split.shares, p)
    by_hand = 0.003 + 0.02 * (2.0 * split.shares["signalling"] + 0.5 * split.shares["endocrine"])
    # rounding only: the sum of terms of order 1e-3 can cancel to ~1e-7 (absolute 1e-15)
    np.testing.assert_allclose(rate, by_hand, rtol=1e-12, atol=1e-15)
    # a de novo resistant patient sees no endocrine share (sigma = 0)
    q = TumourParams(50.0, 0.003, 0.02, 0.0, 0.0, 1.0, endocrine="de-novo")
    np.testing.assert_allclose(
        TumourModel(pop).rate(split.t_days, split.shares, q),
        0.003 + 0.02 * 2.0 * split.shares["signalling"],
        rtol=1e-12,
        atol=1e-15,
    )


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="validation the readout-calibrated network fails (issue 13): everolimus's Akt "
    "rebound (pathway-readouts fit) keeps ligand-independent ER active in LTED cells, so "
    "exemestane's share (-0.069/day at day 30) exceeds everolimus's (-0.040/day)",
)
def test_everolimus_dominates_exemestane_in_lted_cells(cells: CellResponseModel) -> None:
    """Review refs 66-68: in oestrogen-deprived (LTED) MCF-7 cells, whose growth runs on
    constitutive Akt/mTOR and ligand-independent ER, the mTOR inhibitor does more than the
    aromatase inhibitor: everolimus's share of the pair's effect is the larger one."""
    drugs = _arm(("everolimus", "10 mg daily"), ("exemestane", "25 mg daily"))
    ctx = load_context("MCF7_LTED")
    ex = Exposure(drugs, {d.agent: d.record.parameters() for d in drugs}, Patient(), 30.0)
    split = next(SurfaceEffect(drugs, cells).blocks(ex, ctx, 30.0))
    assert split.shares["signalling"][-1] < split.shares["endocrine"][-1]


def test_surface_and_dynamic_effects_agree(cells: CellResponseModel) -> None:
    """Over 14 days of everolimus 10 mg daily in MCF7, the surfaces (quasi-steady state)
    and the dynamic ODEs give the same drug effect after the first day, up to the lag of
    signalling behind each day's absorption peak.  Pointwise errors are in units of the
    cells' untreated growth rate g0 = ln 2 / Td, the scale on which the tumour equation adds
    the effect: everolimus's effect in MCF7 at this exposure is itself small (its fall in
    proliferation and the rise in survival from the Akt rebound nearly cancel: at most 6.5%
    of g0 on the surfaces, 13% in the ODEs), so a tolerance relative to the effect measured
    the cancellation.

    At the 2-h grid points the surfaces differ from the ODEs by at most 6% of g0 (measured
    5.5% on the second day, 4.0% later): the slow FOXO -> RTK and IRS-1 loops (half-times
    16-25 h) follow the daily mean concentration, while the surfaces assume them settled at
    each concentration, so the surfaces understate each day's peak effect.  The integral
    over days 1-14 (what the tumour sees) agrees within 10% of itself: measured 8.2% since
    the grid holds each 2-h interval's mean concentration (exact exposure) instead of a
    point sample (5.9% then, when the missed part of each absorption peak happened to
    offset some of the surfaces' quasi-steady-state error; 3% before the slow loops
    existed).  The remaining difference is the surfaces' (issue 13: two-timescale
    surfaces)."""
    drugs = _arm(("everolimus", "10 mg daily"))
    ctx = load_context("MCF7")
    ex = Exposure(drugs, {d.agent: d.record.parameters() for d in drugs}, Patient(), 14.0)
    fast = next(SurfaceEffect(drugs, cells).blocks(ex, ctx, 14.0))
    slow = list(DynamicEffect(drugs, cells).blocks(ex, ctx, 14.0, breaks=[7.0]))
    assert len(slow) == 2 and slow[1].t_days[0] == slow[0].t_days[-1] == 7.0
    g0 = 24.0 * math.log(2.0) / cells.doubling_time_h(ctx)  # 1/day
    t = np.concatenate([slow[0].t_days, slow[1].t_days[1:]])
    dk = np.concatenate([slow[0].dk_per_day, slow[1].dk_per_day[1:]])
    on_grid = np.isin(np.round(t * 12, 6), np.round(fast.t_days * 12, 6)) & (t >= 1.0)
    fast_at = np.interp(t[on_grid], fast.t_days, fast.dk_per_day)
    assert np.max(np.abs(fast_at - dk[on_grid])) < 0.06 * g0
    late, fast_late = t >= 1.0, fast.t_days >= 1.0
    area_slow = np.trapezoid(dk[late], t[late])
    area_fast = np.trapezoid(fast.dk_per_day[fast_late], fast.t_days[fast_late])
    assert area_fast == pytest.approx(area_slow, rel=0.10)


def test_tumour_integrate_against_the_closed_form() -> None:
    """Constant drug effect dk: ln SLD/SLD0 = g t + lambda dk (1 - exp(-rho t)) / rho."""
    p = TumourParams(50.0, 0.004, 0.02, 0.01, 0.0, 1.0)
    t = np.linspace(0.0, 300.0, 30001)
    dk = np.full_like(t, -0.5)
    got = TumourModel().integrate(t, dk, p)
    exact = p.growth_per_day * t + p.effect_scale * -0.5 * (1 - np.exp(-0.01 * t)) / 0.01
    np.testing.assert_allclose(got, exact, atol=1e-7)
    # the new-lesion time inverts the cumulative hazard h0 x SLD/SLD0 (no drug: closed form)
    q = TumourParams(50.0, 0.004, 0.0, 0.0, 0.002, 1.0)
    nl = TumourModel().new_lesion_day(t, TumourModel().integrate(t, 0 * t, q), q)
    # integral of 0.002 exp(0.004 s) ds from 0 to T = 0.5 (exp(0.004 T) - 1) = 1
    assert nl == pytest.approx(math.log(3.0) / 0.004, rel=1e-6)
