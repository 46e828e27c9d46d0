"""The fast path's hand-written pieces against the library or the definition they
replace: dose trains as arrays against a dose-by-dose enumeration of the schedule,
the bolus interval-mean kernel against the general closed form, the FFT head against
scipy.signal.fftconvolve, and multilinear interpolation against scipy's
RegularGridInterpolator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mtorsim.pharmacology import LinearPK, PKParameters, parse_regimen
from mtorsim.pharmacology.regimen import Modification, Patient, Phase

REGIMENS = [
    "10 mg daily",
    "5 mg daily",
    "25 mg IV over 30 min weekly",
    "30 mg daily for 5 days every 2 weeks",
    "40 mg daily 5 days per week",
    "80 mg/m2 IV over 1 h weekly",
    "1000 mg/m2 twice daily 14 days on 7 days off",
    "25 mg/m2 IV on days 1, 8 every 21 days",
    "AUC 6 IV over 30 min every 3 weeks",
    "4 mg/kg IV over 90 min once then 2 mg/kg IV over 30 min weekly",
    "500 mg IM on days 1, 15, 29 then every 28 days",
]


def _days_one_by_one(ph: Phase, until_day: float) -> list[float]:
    """The schedule's definition, one dose at a time (a cycle's dosing days, each given
    ``times_per_day`` times, repeated every period until the end)."""
    end = until_day if ph.stop_day is None else min(until_day, ph.stop_day)
    out: list[float] = []
    cycle = 0
    while True:
        base = ph.start_day + (cycle * ph.period_days if ph.period_days else 0.0)
        if base >= end:
            return out
        for d in ph.days:
            for k in range(ph.times_per_day):
                t = base + (d - 1) + k / ph.times_per_day
                if t < end:
                    out.append(t)
        if ph.period_days is None:
            return out
        cycle += 1


def _events_one_by_one(text: str, until: float, mods: tuple[Modification, ...]) -> list[tuple]:
    reg = parse_regimen(text)
    out = []
    for ph in reg.phases:
        mg = ph.amount_mg(Patient())
        for day in _days_one_by_one(ph, until):
            f = 1.0
            for m in mods:
                if m.from_day <= day < m.to_day:
                    f *= m.factor
            if f > 0:
                out.append((day * 24.0, mg * f, ph.route, ph.duration_h))
    return sorted(out, key=lambda e: e[0])


@pytest.mark.parametrize("text", REGIMENS)
@pytest.mark.parametrize("until", [0.5, 1.0, 27.9, 28.0, 400.0])
def test_dose_train_equals_the_schedule_dose_by_dose(text: str, until: float) -> None:
    """Exactly equal (same times, amounts, routes, lengths, order), with an interruption
    and a reduction applied."""
    mods = (Modification(10.0, 17.0), Modification(30.0, math.inf, 0.75))
    reg = parse_regimen(text)
    reg = type(reg)(reg.phases, reg.text, mods)
    got = [(e.time_h, e.amount_mg, e.route, e.duration_h) for e in reg.events(until)]
    assert got == _events_one_by_one(text, until, mods)


def _random_pk(rng: np.random.Generator, oral: bool) -> PKParameters:
    two = rng.random() < 0.5
    return PKParameters(
        CL=float(rng.uniform(0.5, 60)),
        V1=float(rng.uniform(5, 500)),
        Q=float(rng.uniform(1, 50)) if two else 0.0,
        V2=float(rng.uniform(10, 800)) if two else 0.0,
        ka=float(rng.uniform(0.05, 20)) if oral else None,
        F=float(rng.uniform(0.2, 1.0)) if oral else 1.0,
    )


@pytest.mark.parametrize("seed", range(8))
def test_bolus_kernel_equals_the_general_closed_form(seed: int) -> None:
    """The bolus interval-mean kernel (one exponential per term) equals the difference
    of the closed-form integral at the interval's ends (the infusion path's formula), to
    1e-9 relative or 1e-13 of the peak, before and after the interval clears the dose
    (the general form subtracts two nearly equal integrals in the tail and loses digits
    there; the kernel does not)."""
    rng = np.random.default_rng(seed)
    for into, oral in (("depot", True), ("central", False)):
        pk = LinearPK(_random_pk(rng, oral))
        t = np.concatenate([[-3.0, -1.0, 0.0, 0.5, 1.0], np.arange(1, 3000) * 2.0])
        fast = pk.interval_mean_response(t, 2.0, into)
        general = (
            pk.cumulative_response(t + 1.0, into) - pk.cumulative_response(t - 1.0, into)
        ) / 2.0
        np.testing.assert_allclose(fast, general, rtol=1e-9, atol=1e-13 * general.max())


@pytest.mark.parametrize("n", [1, 2, 7, 365, 8761])
def test_fft_head_equals_scipy_fftconvolve(n: int) -> None:
    from scipy.signal import fftconvolve

    from mtorsim.pharmacology.exposure import _convolve_head

    rng = np.random.default_rng(n)
    a, b = rng.random(n), rng.random(n)
    np.testing.assert_allclose(_convolve_head(a, b), fftconvolve(a, b)[:n], rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    dims=st.lists(st.integers(2, 7), min_size=1, max_size=3),
    seed=st.integers(0, 2**31 - 1),
)
def test_multilinear_equals_regular_grid_interpolator(dims: list[int], seed: int) -> None:
    """Random rectilinear grids of 1-3 axes, points anywhere inside including the nodes
    and the edges: equal to RegularGridInterpolator(method="linear") to 1e-12."""
    from scipy.interpolate import RegularGridInterpolator

    from mtorsim.response.surfaces import multilinear

    rng = np.random.default_rng(seed)
    axes = [np.cumsum(rng.uniform(0.1, 2.0, n)) for n in dims]
    grids = [rng.normal(size=dims) for _ in range(4)]
    m = 300
    x = []
    for a in axes:
        xi = rng.uniform(a[0], a[-1], m)
        xi[:3] = a[0], a[-1], a[len(a) // 2]  # nodes and edges
        x.append(xi)
    got = multilinear(axes, grids, x)
    for g, y in zip(grids, got, strict=True):
        ref = RegularGridInterpolator(axes, g)(np.column_stack(x))
        np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


def test_partial_surface_equals_the_full_one_with_absent_agents_at_zero() -> None:
    """The class split's partial sets read the surface's slice at the absent agents'
    node 0: equal to the full interpolation with their concentrations at 0 (1e-14)."""
    from mtorsim.response.surfaces import ResponseSurface

    rng = np.random.default_rng(3)
    nodes = [np.concatenate([[0.0], np.geomspace(0.1, 100, 9)]) for _ in range(3)]
    surf = ResponseSurface(("a", "b", "c"), nodes, *(rng.random((10, 10, 10)) for _ in range(4)))
    conc = rng.uniform(0, 150, (500, 3))
    for present in ((0,), (1,), (2,), (0, 2), (0, 1, 2)):
        cols = np.column_stack([conc[:, j] if j in present else np.zeros(500) for j in range(3)])
        full = surf(cols)
        part = surf.partial({j: conc[:, j] for j in present})
        for a, b in zip(full, part, strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-14, atol=1e-15)


def test_fast_path_blocks_join_to_the_one_course() -> None:
    """Blocks cut at visits (so a run can stop soon after progression) join to the
    course computed in one block: same grid, same effect and class shares (1e-12)."""
    from mtorsim.response.cells import CellResponseModel
    from mtorsim.response.effect import SurfaceEffect
    from mtorsim.trials.design import load_design
    from mtorsim.trials.engine import arm_drugs, patient_exposure
    from mtorsim.trials.patients import sample_patient
    from mtorsim.tumour.model import load_tumour_population

    d = load_design("bolero-2")
    cells = CellResponseModel()
    eff = SurfaceEffect(arm_drugs(d, "eve-exe", cells.kb), cells)
    pt = sample_patient(d, 3, 1, load_tumour_population(), arm="eve-exe")
    horizon = 400.0
    (whole,) = eff.blocks(patient_exposure(pt, eff), pt.context, horizon)
    visits = np.arange(1, 60) * 56.0 + 1.3
    parts = list(eff.blocks(patient_exposure(pt, eff), pt.context, horizon, visits))
    assert len(parts) == 4  # ends after 12, 24 and 48 weeks, then the horizon
    t = np.concatenate([parts[0].t_days] + [p.t_days[1:] for p in parts[1:]])
    np.testing.assert_array_equal(t, whole.t_days)
    dk = np.concatenate([parts[0].dk_per_day] + [p.dk_per_day[1:] for p in parts[1:]])
    np.testing.assert_allclose(dk, whole.dk_per_day, rtol=1e-12, atol=1e-14)
    for c, v in whole.shares.items():
        got = np.concatenate([parts[0].shares[c]] + [p.shares[c][1:] for p in parts[1:]])
        np.testing.assert_allclose(got, v, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("rate_step", [1e-4, 0.05, 1.0, 7.3, 299.0, 450.0, 5000.0])
def test_decay_sums_equal_the_recursion_step_by_step(rate_step: float) -> None:
    """Segmented cumulative sums against ``s[p] = exp(-r) s[p-1] + x[p]`` run one point
    at a time, on a sparse dose-like train (1e-12 of the largest value)."""
    from mtorsim.pharmacology.exposure import decay_sums

    rng = np.random.default_rng(int(rate_step * 10))
    x = np.where(rng.random(3001) < 0.1, rng.uniform(0, 100, 3001), 0.0)
    ref = np.empty_like(x)
    acc, r = 0.0, math.exp(-rate_step)
    for p, v in enumerate(x):
        acc = r * acc + v
        ref[p] = acc
    np.testing.assert_allclose(decay_sums(x, rate_step), ref, rtol=1e-12, atol=1e-12 * ref.max())


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("duration_h", [0.0, 0.5, 1.5, 2.0, 3.0, 30.0])
def test_interval_means_equal_the_kernel_convolution(seed: int, duration_h: float) -> None:
    """Decay sums plus a short head against the FFT convolution of the full
    interval-mean kernel (scipy's fftconvolve), for boluses into the depot or the central
    compartment and infusions shorter and longer than the grid step, 1e-10 of the peak."""
    from scipy.signal import fftconvolve

    from mtorsim.pharmacology.exposure import interval_means

    rng = np.random.default_rng(seed)
    oral = duration_h == 0.0 and seed % 2 == 0
    pk = LinearPK(_random_pk(rng, oral))
    into = "depot" if oral else "central"
    n = 2000
    train = np.zeros(n)
    train[rng.choice(n, 40, replace=False)] = rng.uniform(1, 500, 40)
    kernel = pk.interval_mean_response(np.arange(n) * 2.0, 2.0, into, duration_h)
    ref = fftconvolve(train, kernel)[:n]
    got = interval_means(pk, train, 2.0, into, duration_h)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-10 * ref.max())
