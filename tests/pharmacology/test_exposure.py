"""Exposure: the grid convolution against closed-form superposition for infusions,
the in-patient aromatase scale against its closed form, prodrug scaling."""

from __future__ import annotations

import numpy as np
import pytest

from mtorsim.knowledge import load_knowledge_base
from mtorsim.knowledge.vocab import Node
from mtorsim.pharmacology import Exposure, dosed_drug, parse_regimen
from mtorsim.pharmacology.regimen import Patient
from mtorsim.pharmacology.systemic import load_systemic


def _typical(drug: str, regimen: str, days: float) -> Exposure:
    d = dosed_drug(drug, parse_regimen(regimen))
    return Exposure([d], {d.agent: d.record.parameters()}, Patient(), days)


@pytest.mark.parametrize(
    ("drug", "regimen"),
    [
        ("paclitaxel", "80 mg/m2 IV over 1 h weekly"),
        ("trastuzumab", "4 mg/kg IV over 90 min once then 2 mg/kg IV over 30 min weekly"),
        ("fulvestrant", "500 mg IM on days 1, 15, 29 then 500 mg IM every 28 days"),
    ],
)
def test_grid_convolution_equals_closed_form_for_infusions_and_depots(
    drug: str, regimen: str
) -> None:
    """Infusions (the kernel carries the infusion's shape) and IM depots starting on the
    2-h grid: the convolution equals superposition of closed forms at every grid point
    (to 1e-8 relative; floating-point FFT)."""
    ex = _typical(drug, regimen, 60.0)
    n = 60 * 12
    grid, exact = ex.on_grid(n, 2.0)[drug], ex.at(np.arange(n) * 2.0)[drug]
    assert exact.max() > 0
    np.testing.assert_allclose(grid, exact, rtol=1e-8, atol=1e-10 * exact.max())


@pytest.mark.parametrize("agent", ["exemestane", "letrozole", "anastrozole"])
def test_aromatase_scale_gives_the_measured_inhibition(agent: str) -> None:
    """Closed form: at the standard regimen's steady-state unbound average C (F x dose /
    (CL x period), converted with MW and fu), the model-equivalent concentration s x C
    occupies the agent's aromatase potency K with s C / (s C + K) = the measured f."""
    ai = load_systemic().aromatase_inhibition[agent]
    d = dosed_drug(agent, ai.regimen)
    p = d.record.parameters()
    ph = ai.regimen.phases[-1]
    assert ph.period_days is not None
    dose = ph.amount_mg(Patient()) * len(ph.days) * ph.times_per_day
    c_mg_l = p.F * dose / (p.CL * ph.period_days * 24.0)
    c_nM = c_mg_l * 1e6 / d.record.molecular_weight.value * d.record.fu.value
    k = next(
        t.potency_nM for t in load_knowledge_base().agent(agent).targets if t.node == Node.AROMATASE
    )
    assert k is not None
    occ = d.scale * c_nM / (d.scale * c_nM + k)
    assert occ == pytest.approx(ai.inhibition.value, rel=1e-12)
    assert d.scale_source.startswith("calibrated: in-patient potency")


def test_prodrug_acts_through_its_active_form_at_the_stated_ratio() -> None:
    """Capecitabine reaches the cells as 5-fluorouracil at 0.25 x its unbound nM."""
    d = dosed_drug(
        "capecitabine", parse_regimen("1000 mg/m2 twice daily for 14 days every 3 weeks")
    )
    assert d.active_agent == "5-fluorouracil" and d.scale == 0.25
    conc = np.array([0.0, 1.0, 2.5])
    expected = conc * 1e6 / d.record.molecular_weight.value * d.record.fu.value * 0.25
    np.testing.assert_allclose(d.unbound_nM(conc), expected, rtol=1e-15)
