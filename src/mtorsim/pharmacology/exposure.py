"""Exposure: a patient's regimens and PK parameters -> unbound concentrations over time.

This is the one place where doses become concentrations for the layers above.  A
:class:`DosedDrug` says how one drug of an arm reaches the tumour cells (its PK record,
its parsed regimen, the agent that acts in the cells and the in-patient scale from
:mod:`mtorsim.pharmacology.systemic`); an :class:`Exposure` is one patient's set of dosed
drugs with their PK parameters and dose events, and gives **model-equivalent unbound
nM** (what the cell layer acts on, by the free-drug hypothesis)

* :meth:`Exposure.on_grid` on a regular grid, by convolving each dose train with the
  patient's impulse response averaged over each grid interval (FFT).  This is exact for
  doses given on the grid (other dose times are rounded to it) and conserves the exposure
  of any peak, however short the drug's half-life; it is the fast path's exposure.
* :meth:`Exposure.at` at any times, by closed-form superposition over the dose events
  (:meth:`LinearPK.concentration`); it is the exact path's exposure.

The tests check the two against each other and against a numerical ODE solution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base
from mtorsim.knowledge.names import HOURS_PER_DAY
from mtorsim.knowledge.vocab import Route
from mtorsim.pharmacology.drugpk import DrugPK, drug_pk
from mtorsim.pharmacology.pk import LinearPK, PKParameters
from mtorsim.pharmacology.regimen import DoseEvent, Patient, Regimen
from mtorsim.pharmacology.systemic import aromatase_scale, prodrug


@dataclass(frozen=True)
class DosedDrug:
    """How one drug of an arm reaches the tumour cells.

    ``scale`` converts the dosed drug's unbound nM into nM of ``active_agent`` as the
    cell layer sees it (1 for most drugs; the systemic aromatase scale for aromatase
    inhibitors; the exposure ratio for prodrugs).
    """

    agent: str
    regimen: Regimen
    record: DrugPK
    active_agent: str
    scale: float
    scale_source: str

    def unbound_nM(self, conc_mg_L: np.ndarray) -> np.ndarray:
        """Model-equivalent unbound nM of the active agent from total mg/L of the drug."""
        return np.asarray(self.record.unbound_nM(conc_mg_L) * self.scale)


def dosed_drug(name: str, regimen: Regimen, kb: KnowledgeBase | None = None) -> DosedDrug:
    """Resolve a drug name and a parsed regimen into a :class:`DosedDrug`."""
    kb = kb if kb is not None else load_knowledge_base()
    agent_id, rec = drug_pk(name, kb)
    return _dosed(agent_id, regimen, rec, kb)


def _dosed(agent_id: str, regimen: Regimen, rec: DrugPK, kb: KnowledgeBase) -> DosedDrug:
    ai = aromatase_scale(agent_id, rec, kb)
    if ai is not None:
        return DosedDrug(agent_id, regimen, rec, agent_id, ai[0], ai[1])
    pro = prodrug(agent_id)
    if pro is not None:
        return DosedDrug(agent_id, regimen, rec, pro.active, pro.ratio.value, pro.ratio.source)
    return DosedDrug(
        agent_id, regimen, rec, agent_id, 1.0, "unbound concentration (free-drug hypothesis)"
    )


def concentration_on_grid(
    p: PKParameters, events: Sequence[DoseEvent], n: int, step_h: float, mean: bool = True
) -> np.ndarray:
    """Total concentration (mg/L) on the grid ``k * step_h``, k < n: each route's dose
    train convolved with its impulse response.  With ``mean`` (the default) each value is
    the mean concentration over ``[(k - 1/2) step, (k + 1/2) step]`` (exact, from the
    closed-form integral of the response), so the grid holds the exposure (AUC) of any
    peak, however short; without, the concentration at the grid point.  Both are exact
    for doses on the grid (other dose times are rounded to it)."""
    from scipy.signal import fftconvolve

    out = np.zeros(n)
    groups: dict[tuple[str, float], np.ndarray] = {}
    for ev in events:
        k = round(ev.time_h / step_h)
        if k >= n or k < 0:
            continue
        if ev.route is Route.IV:
            key, amount = ("central", ev.duration_h), ev.amount_mg
        else:
            if p.ka is None:
                raise MtorsimError("a non-IV dose needs an absorption rate")
            key, amount = ("depot", 0.0), ev.amount_mg * p.F
        train = groups.get(key)
        if train is None:  # not setdefault: that would allocate an array per dose
            train = groups[key] = np.zeros(n)
        train[k] += amount
    for (into, dur), train in groups.items():
        pk, t = LinearPK(p), np.arange(n) * step_h
        kernel = (
            pk.interval_mean_response(t, step_h, into, dur)
            if mean
            else pk.impulse_response(t, into, dur)
        )
        out += fftconvolve(train, kernel)[:n]
    return np.maximum(out, 0.0)


@dataclass
class Exposure:
    """One patient's exposure to the drugs of an arm.

    Parameters
    ----------
    drugs
        The arm's dosed drugs.
    pk
        The patient's PK parameters, by agent id.
    body
        Weight, height and GFR for dose calculation.
    horizon_day
        Last day of interest; dose events are generated up to a day beyond it.
    regimens
        The patient's own regimens (toxicity interruptions and reductions), by agent id;
        a drug not listed follows its planned regimen.
    """

    drugs: Sequence[DosedDrug]
    pk: Mapping[str, PKParameters]
    body: Patient
    horizon_day: float
    regimens: Mapping[str, Regimen] = field(default_factory=dict)
    events: dict[str, list[DoseEvent]] = field(init=False)
    _grids: dict[tuple[int, float], dict[str, np.ndarray]] = field(
        init=False, default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        until = max(self.horizon_day, 0.0) + 1.0
        self.events = {
            d.agent: self.regimens.get(d.agent, d.regimen).events(until, self.body)
            for d in self.drugs
        }

    def on_grid(self, n: int, step_h: float) -> dict[str, np.ndarray]:
        """Model-equivalent unbound nM at ``k * step_h`` (k < n), by dosed agent (computed
        once per grid: the effect model and the exposure summary share it)."""
        key = (n, step_h)
        if key not in self._grids:
            self._grids[key] = {
                d.agent: d.unbound_nM(
                    concentration_on_grid(self.pk[d.agent], self.events[d.agent], n, step_h)
                )
                for d in self.drugs
            }
        return self._grids[key]

    def at(self, times_h: np.ndarray) -> dict[str, np.ndarray]:
        """Model-equivalent unbound nM at any times (h), by dosed agent (closed form)."""
        return {
            d.agent: d.unbound_nM(
                LinearPK(self.pk[d.agent]).concentration(times_h, self.events[d.agent])
            )
            for d in self.drugs
        }

    def dose_intensity(self, until_day: float) -> dict[str, float | None]:
        """Mean dose actually given per day (mg/day) over [0, ``until_day``), by agent."""
        if until_day <= 0:
            return {a: None for a in self.events}
        return {
            a: sum(e.amount_mg for e in ev if e.time_h < until_day * HOURS_PER_DAY) / until_day
            for a, ev in self.events.items()
        }


__all__ = ["DosedDrug", "Exposure", "concentration_on_grid", "dosed_drug"]
