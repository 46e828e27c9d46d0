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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base
from mtorsim.knowledge.names import HOURS_PER_DAY
from mtorsim.knowledge.vocab import Route
from mtorsim.pharmacology.drugpk import DrugPK, drug_pk
from mtorsim.pharmacology.pk import LinearPK, PKParameters
from mtorsim.pharmacology.regimen import DoseEvent, DoseTrain, Patient, Regimen
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
    p: PKParameters | LinearPK,
    events: DoseTrain | Sequence[DoseEvent],
    n: int,
    step_h: float,
    mean: bool = True,
) -> np.ndarray:
    """Total concentration (mg/L) on the grid ``k * step_h``, k < n: each route's dose
    train convolved with its impulse response.  With ``mean`` (the default) each value is
    the mean concentration over ``[(k - 1/2) step, (k + 1/2) step]`` (exact, from the
    closed-form integral of the response), so the grid holds the exposure (AUC) of any
    peak, however short; without, the concentration at the grid point.  Both are exact
    for doses on the grid (other dose times are rounded to it, half to even).  ``p`` may
    be a :class:`LinearPK` (its eigen-decomposition is then reused)."""
    pk = p if isinstance(p, LinearPK) else LinearPK(p)
    p = pk.params
    train = events if isinstance(events, DoseTrain) else DoseTrain.from_events(events)
    out = np.zeros(n)
    k = np.rint(train.time_h / step_h)
    inside = (k >= 0) & (k < n)
    k, phase, amount = k[inside].astype(np.intp), train.phase[inside], train.amount_mg[inside]
    # one dose train per (compartment, infusion length), in order of first administration
    keys: dict[tuple[str, float], list[int]] = {}
    for j in np.unique(phase):
        if train.routes[j] is Route.IV:
            key = ("central", train.durations_h[j])
        else:
            if p.ka is None:
                raise MtorsimError("a non-IV dose needs an absorption rate")
            key = ("depot", 0.0)
        keys.setdefault(key, []).append(int(j))
    t = np.arange(n) * step_h
    groups: list[tuple[tuple[str, float], np.ndarray | None]]
    if len(keys) == 1:  # the usual case: every administration into one compartment
        groups = [(next(iter(keys)), None)]
    else:
        sels = {key: np.isin(phase, js) for key, js in keys.items()}
        order = sorted(sels, key=lambda key: int(np.argmax(sels[key])))
        groups = [(key, sels[key]) for key in order]
    for (into, dur), sel in groups:
        kk, dose = (k, amount) if sel is None else (k[sel], amount[sel])
        dose = dose * (p.F if into == "depot" else 1.0)
        # bincount adds in order of administration, as a running sum would
        dose_train = np.bincount(kk, weights=dose, minlength=n)
        if mean:
            out += interval_means(pk, dose_train, step_h, into, dur)
        else:
            out += _convolve_head(dose_train, pk.impulse_response(t, into, dur))
    return np.maximum(out, 0.0)


#: largest exponent (lambda x step x points) one segment of a decay sum spans: e^300
#: leaves headroom for any amount, and the carry left out is below e^-150 of the values
_SPAN = 300.0


def decay_sums(x: np.ndarray, rate_step: float) -> np.ndarray:
    """``s[p] = sum_{j <= p} x[j] exp(-rate_step (p - j))`` for every p, the recursion
    ``s[p] = exp(-rate_step) s[p - 1] + x[p]`` in vectorised form: in segments over which
    the decay spans at most e^600, ``exp(-rate_step i) cumsum(x exp(rate_step i))``, each
    segment starting from the previous one's end.  What is left out, the carry of the
    segment before that, is below e^-300 of the values (a test checks the whole against
    the recursion run one step at a time)."""
    n = len(x)
    if n == 0:
        return np.zeros(0)
    seg = n if rate_step * n <= _SPAN else max(1, int(_SPAN // rate_step))
    rows = -(-n // seg)
    xs = np.zeros(rows * seg)
    xs[:n] = x
    i = np.arange(seg)
    up, down = np.exp(rate_step * i), np.exp(-rate_step * i)
    local = np.cumsum(xs.reshape(rows, seg) * up, axis=1) * down
    if rows > 1:
        carry = math.exp(-rate_step) * local[:-1, -1]
        local[1:] += carry[:, None] * down
    return np.asarray(local.ravel()[:n])


def interval_means(
    pk: LinearPK, train: np.ndarray, step_h: float, into: str, duration_h: float = 0.0
) -> np.ndarray:
    """The grid of interval means for a dose train on the grid (amount per grid point):
    the convolution with :meth:`LinearPK.interval_mean_response`, computed as the few
    first kernel values directly and, once an interval lies wholly after the infusion,
    each exponential of the response as a decay sum (:func:`decay_sums`): a handful of
    passes over the grid instead of the kernel's ~n x terms exponentials and an FFT
    (a test checks it against the FFT convolution of the kernel)."""
    n = len(train)
    if n == 0:
        return np.zeros(0)
    # first grid offset whose interval [m - 1/2, m + 1/2] step lies after the infusion
    k0 = max(1, math.ceil(duration_h / step_h + 0.5 - 1e-12))
    head = pk.interval_mean_head(k0, step_h, into, duration_h)[: min(k0, n)]
    out = np.convolve(train, head)[:n]
    if n <= k0:
        return np.asarray(out)
    resp = pk.unit_response(into)
    v1 = pk.params.V1
    for lam, coef in zip(resp.rates, resp.coef, strict=True):
        # this term's kernel at offset k0 + q is amp * exp(-lam step q)
        infusion = -math.expm1(-lam * duration_h) / (lam * duration_h) if duration_h > 0 else 1.0
        amp = (
            coef
            * infusion
            * -math.expm1(-lam * step_h)
            / (lam * step_h * v1)
            * math.exp(-lam * (k0 * step_h - step_h / 2 - duration_h))
        )
        out[k0:] += amp * decay_sums(train[: n - k0], lam * step_h)
    return np.asarray(out)


def _convolve_head(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The first ``len(a)`` values of the full linear convolution of ``a`` and ``b``
    (equal lengths), by real FFT: the same transforms and padding as
    ``scipy.signal.fftconvolve`` (a test checks them equal), without importing
    ``scipy.signal`` (about 0.3 s of every command's start-up, for this one call)."""
    from scipy import fft

    n = len(a)
    size = fft.next_fast_len(2 * n - 1, True)
    return np.asarray(fft.irfft(fft.rfft(a, size) * fft.rfft(b, size), size)[:n])


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
    trains: dict[str, DoseTrain] = field(init=False)
    _grids: dict[tuple[int, float], dict[str, np.ndarray]] = field(
        init=False, default_factory=dict, repr=False
    )
    _linear: dict[str, LinearPK] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        until = max(self.horizon_day, 0.0) + 1.0
        self.trains = {
            d.agent: self.regimens.get(d.agent, d.regimen).dose_train(until, self.body)
            for d in self.drugs
        }

    @property
    def events(self) -> dict[str, list[DoseEvent]]:
        """Every administration, by agent, as :class:`DoseEvent` objects."""
        return {a: t.events() for a, t in self.trains.items()}

    def on_grid(self, n: int, step_h: float) -> dict[str, np.ndarray]:
        """Model-equivalent unbound nM at ``k * step_h`` (k < n), by dosed agent (computed
        once per grid: the effect model and the exposure summary share it)."""
        key = (n, step_h)
        if key not in self._grids:
            self._grids[key] = {
                d.agent: d.unbound_nM(
                    concentration_on_grid(self._pk(d.agent), self.trains[d.agent], n, step_h)
                )
                for d in self.drugs
            }
        return self._grids[key]

    def _pk(self, agent: str) -> LinearPK:
        """The agent's linear model, built once (every block's grid reuses it)."""
        if agent not in self._linear:
            self._linear[agent] = LinearPK(self.pk[agent])
        return self._linear[agent]

    def at(self, times_h: np.ndarray) -> dict[str, np.ndarray]:
        """Model-equivalent unbound nM at any times (h), by dosed agent (closed form)."""
        return {
            d.agent: d.unbound_nM(
                self._pk(d.agent).concentration(times_h, self.trains[d.agent].events())
            )
            for d in self.drugs
        }

    def dose_intensity(self, until_day: float) -> dict[str, float | None]:
        """Mean dose actually given per day (mg/day) over [0, ``until_day``), by agent."""
        if until_day <= 0:
            return {a: None for a in self.trains}
        return {
            a: tr.total_mg(until_day * HOURS_PER_DAY) / until_day for a, tr in self.trains.items()
        }


__all__ = ["DosedDrug", "Exposure", "concentration_on_grid", "dosed_drug"]
