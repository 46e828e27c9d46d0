"""Tumour size dynamics driven by the cell-level growth-rate change.

The log of the RECIST sum of longest diameters (SLD) of a patient's tumour obeys

.. math::  \\frac{d \\ln SLD}{dt} = g + \\lambda e^{-\\rho t} \\, \\Delta k(t),

with :math:`g` the untreated growth rate, :math:`\\Delta k(t)` the change of the culture
net growth rate at the patient's drug levels (from :mod:`mtorsim.response`),
:math:`\\lambda` the culture-to-patient scale and :math:`\\rho` the rate at which acquired
resistance erodes the effect (the exponential-resistance form of Claret et al. 2009 J Clin
Oncol 27:4103).  The right-hand side depends on time only, so the solution is a
quadrature (:meth:`TumourModel.integrate`, the one copy of the equation), on whatever time
grid the effect model gives (the fast path's 2-h grid, the exact path's 1-h segments).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mtorsim.knowledge.documents import load_cached, load_document
from mtorsim.knowledge.sourced import Sourced

TUMOUR_FORMAT = "1.0"


class LogNormal(BaseModel):
    """A log-normal population distribution given by its median and CV, with a source;
    draws below ``minimum`` are raised to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    median: float = Field(gt=0, allow_inf_nan=False)
    cv: float = Field(ge=0, allow_inf_nan=False)
    minimum: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    source: str = Field(min_length=3)

    def sample(self, rng: np.random.Generator) -> float:
        omega = math.sqrt(math.log1p(self.cv**2))
        return max(self.minimum, float(self.median * math.exp(omega * rng.standard_normal())))


#: the patient's TumourParams field drawn from each population distribution
PATIENT_FIELD = {
    "growth_rate_per_day": "growth_per_day",
    "effect_scale": "effect_scale",
    "resistance_rate_per_day": "resistance_per_day",
    "new_lesion_hazard_per_day": "new_lesion_per_day",
}


class PopulationTumour(BaseModel):
    """The tumour parameters' population distributions (``data/tumour.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format_version: str
    growth_rate_per_day: LogNormal
    effect_scale: LogNormal
    resistance_rate_per_day: LogNormal
    new_lesion_hazard_per_day: LogNormal
    cr_threshold_mm: Sourced

    def with_values(self, **medians: float) -> PopulationTumour:
        """A copy with some medians replaced (for calibration and sensitivity runs)."""
        upd = {}
        for k, v in medians.items():
            dist = getattr(self, k)
            upd[k] = dist.model_copy(update={"median": float(v)})
        return self.model_copy(update=upd)


def default_tumour_path() -> Path:
    return Path(str(resources.files("mtorsim.tumour") / "data" / "tumour.yaml"))


def load_tumour_population(path: str | Path | None = None) -> PopulationTumour:
    """The tumour population distributions (default: the shipped ``data/tumour.yaml``,
    read once; a file of the user's is read each time)."""
    if path is None:
        return load_cached(default_tumour_path(), PopulationTumour, TUMOUR_FORMAT)
    return load_document(path, PopulationTumour, TUMOUR_FORMAT)


@dataclass(frozen=True)
class TumourParams:
    """One virtual patient's tumour."""

    sld0_mm: float
    growth_per_day: float
    effect_scale: float
    resistance_per_day: float
    new_lesion_per_day: float
    new_lesion_draw: float  # Exp(1) variate: the new-lesion time inverts the cumulative hazard


class TumourModel:
    """The tumour equation, its one copy (see the module docstring).

    .. math::  r(t) = g + \\lambda e^{-\\rho t} \\Delta k(t), \\qquad
               \\ln \\frac{SLD(t)}{SLD_0} = \\int_0^t r(s)\\,ds

    Examples
    --------
    >>> import numpy as np
    >>> p = TumourParams(50.0, 0.01, 1.0, 0.0, 0.0, 1.0)
    >>> float(TumourModel().integrate(np.array([0.0, 10.0]), np.zeros(2), p)[-1])
    0.1
    """

    @staticmethod
    def rate(t_days: np.ndarray, dk_per_day: np.ndarray, p: TumourParams) -> np.ndarray:
        """d ln SLD / dt (1/day) at ``t_days`` for the drug effect ``dk_per_day``."""
        t = np.asarray(t_days, float)
        return np.asarray(
            p.growth_per_day + p.effect_scale * np.exp(-p.resistance_per_day * t) * dk_per_day
        )

    def integrate(self, t_days: np.ndarray, dk_per_day: np.ndarray, p: TumourParams) -> np.ndarray:
        """ln(SLD / SLD0) on the grid ``t_days`` (trapezoid rule on the rate, which
        depends on time only, so the solution is a quadrature)."""
        t = np.asarray(t_days, float)
        rate = self.rate(t, dk_per_day, p)
        out = np.zeros_like(t)
        out[1:] = np.cumsum(np.diff(t) * (rate[1:] + rate[:-1]) / 2.0)
        return out

    @staticmethod
    def new_lesion_day(t_days: np.ndarray, log_size: np.ndarray, p: TumourParams) -> float:
        """Day a new lesion appears: hazard h0 x SLD/SLD0, time where the cumulative hazard
        reaches the patient's Exp(1) draw (inf if not within the grid)."""
        if p.new_lesion_per_day <= 0:
            return math.inf
        h = p.new_lesion_per_day * np.exp(log_size)
        cum = np.zeros_like(h)
        cum[1:] = np.cumsum(np.diff(t_days) * (h[1:] + h[:-1]) / 2.0)
        if cum[-1] < p.new_lesion_draw:
            return math.inf
        return float(np.interp(p.new_lesion_draw, cum, t_days))
