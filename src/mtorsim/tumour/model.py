"""Tumour size dynamics driven by the cell-level growth-rate change, class by class.

The log of the RECIST sum of longest diameters (SLD) of a patient's tumour obeys

.. math::  \\frac{d \\ln SLD}{dt} = g + \\lambda \\sum_c w_c\\,\\sigma_c\\,
           e^{-m_c \\rho t} \\, \\phi_c(t),

with :math:`g` the untreated growth rate, :math:`\\phi_c(t)` drug class :math:`c`'s share
of the change of the culture net growth rate at the patient's drug levels (signalling,
endocrine, HER2, cytotoxic: the Shapley split of :mod:`mtorsim.response.links`),
:math:`\\lambda` the patient's culture-to-patient scale, :math:`w_c` the class's
efficiency relative to it, :math:`\\sigma_c` the patient's sensitivity to the class (the
endocrine trait: sensitive, acquired or de novo resistance; 1 for the other classes),
:math:`\\rho` the patient's rate of acquired resistance and :math:`m_c` the class's factor
on it (the exponential-resistance form of Claret et al. 2009 J Clin Oncol 27:4103, per
class).  A class's weight sets how deep the response goes (ORR), its resistance factor
how long it lasts (PFS), so the two are separable.  In a tumour with acquired endocrine
resistance, mTORC1 inhibition restores part of the lost sensitivity,

.. math::  \\sigma_{endocrine}(t) = \\sigma_a + (1 - \\sigma_a)\\, R\\, I(t),

with :math:`I(t)` the fraction of the cells' untreated mTORC1 output (pS6K1) that the
drugs remove and :math:`R` the calibrated fraction of acquired resistance that full
mTORC1 inhibition reverses: "mTOR inhibition reverses acquired endocrine therapy
resistance" (review refs 66, 68; BOLERO-2's rationale).  De novo resistance is not
restored (assumed: primary resistance is not read as mTORC1-driven).  The population
distributions, class parameters, endocrine traits and clinical settings are
``data/tumour.yaml``.  The
right-hand side depends on time only, so the solution is a quadrature
(:meth:`TumourModel.integrate`, the one copy of the equation), on whatever time grid the
effect model gives (the fast path's 2-h grid, the exact path's 1-h segments).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.documents import load_cached, load_document
from mtorsim.knowledge.sourced import Sourced
from mtorsim.response.links import LINK_CLASSES, LinkClass

TUMOUR_FORMAT = "2.1"

#: a patient's endocrine trait: still sensitive (endocrine-naive or responding), acquired
#: resistance (progressed after benefit from endocrine therapy), de novo resistance
EndocrineTrait = Literal["sensitive", "acquired", "de-novo"]
ENDOCRINE_TRAITS: tuple[EndocrineTrait, ...] = get_args(EndocrineTrait)
#: clinical settings a design declares (growth and endocrine traits depend on them)
Setting = Literal[
    "first-line-endocrine",
    "after-nsai",
    "endocrine-pretreated",
    "neoadjuvant-endocrine",
    "her2-first-line",
    "her2-pretreated",
    "chemotherapy-pretreated",
    "triple-negative",
]
SETTINGS: tuple[Setting, ...] = get_args(Setting)


class LogNormal(BaseModel):
    """A log-normal population distribution given by its median and CV, with a source;
    draws below ``minimum`` are raised to it."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
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


class ClassLink(BaseModel):
    """A drug class's link from the cell layer to the tumour: its efficiency ``weight``
    relative to the patient's effect scale and its factor ``resistance`` on the patient's
    acquired-resistance rate."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    weight: Sourced
    resistance: Sourced

    @model_validator(mode="after")
    def _positive(self) -> ClassLink:
        for name in ("weight", "resistance"):
            v = getattr(self, name).value
            if not v >= 0:
                raise ValueError(f"{name} must be >= 0, got {v}")
        return self


#: a setting's calibratable numbers (parameter ids ``settings.<setting>.<field>``)
SETTING_FIELDS = ("growth", "post_progression_months")


class SameAs(BaseModel):
    """A number a setting takes from another setting, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    setting: Setting
    source: str = Field(min_length=3)


class SettingParams(BaseModel):
    """A clinical setting: its growth-rate factor, the mix of endocrine traits and the
    median survival after progression (its own, or another setting's)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    description: str
    growth: Sourced = Field(description="factor on the population median growth rate")
    post_progression_months: Sourced | None = Field(
        default=None, description="median survival after progression (months; exponential)"
    )
    post_progression_as: SameAs | None = Field(
        default=None,
        description="take the survival after progression of another setting (one without "
        "an overall-survival datum of its own)",
    )
    endocrine: dict[EndocrineTrait, float] = Field(
        description="prevalence of each endocrine trait (they add up to 1)"
    )
    endocrine_source: str = Field(min_length=3)

    @model_validator(mode="after")
    def _mix(self) -> SettingParams:
        bad = {k: v for k, v in self.endocrine.items() if not 0.0 <= v <= 1.0}
        total = sum(self.endocrine.values())
        if bad or abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"endocrine: prevalences must be in [0, 1] and add up to 1, got "
                f"{self.endocrine} (sum {total:g})"
            )
        if not self.growth.value > 0:
            raise ValueError(f"growth must be > 0, got {self.growth.value}")
        if (self.post_progression_months is None) == (self.post_progression_as is None):
            raise ValueError("give post_progression_months or post_progression_as (one of them)")
        if self.post_progression_months is not None:
            pps = self.post_progression_months.value
            if not 0 < pps < 1e4:  # 1e4 months: a bound only against nonsense
                raise ValueError(f"post_progression_months must be in (0, 1e4), got {pps}")
        return self


class PopulationTumour(BaseModel):
    """The tumour parameters' population distributions, the drug-class links, the
    endocrine traits and the clinical settings (``data/tumour.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    format_version: str
    growth_rate_per_day: LogNormal
    effect_scale: LogNormal
    resistance_rate_per_day: LogNormal
    new_lesion_hazard_per_day: LogNormal
    cr_threshold_mm: Sourced
    classes: dict[LinkClass, ClassLink]
    endocrine_sensitivity: dict[EndocrineTrait, Sourced]
    endocrine_restoration: Sourced = Field(
        description="fraction of acquired endocrine resistance that full mTORC1 "
        "inhibition reverses (0-1)"
    )
    settings: dict[Setting, SettingParams]

    @model_validator(mode="after")
    def _complete(self) -> PopulationTumour:
        for name, keys, want in (
            ("classes", self.classes, LINK_CLASSES),
            ("endocrine_sensitivity", self.endocrine_sensitivity, ENDOCRINE_TRAITS),
            ("settings", self.settings, SETTINGS),
        ):
            missing = sorted(set(want) - set(keys))
            if missing:
                raise ValueError(f"{name}: no entry for {missing}")
        bad = {k: v.value for k, v in self.endocrine_sensitivity.items() if not v.value >= 0}
        if bad:
            raise ValueError(f"endocrine_sensitivity: factors must be >= 0, got {bad}")
        for name, st in self.settings.items():
            same = st.post_progression_as
            if same is not None and self.settings[same.setting].post_progression_months is None:
                raise ValueError(
                    f"settings.{name}.post_progression_as: {same.setting} has no "
                    "post_progression_months of its own"
                )
        if not 0.0 <= self.endocrine_restoration.value <= 1.0:
            raise ValueError(
                f"endocrine_restoration must be in [0, 1], got {self.endocrine_restoration.value}"
            )
        return self

    def with_values(self, **medians: float) -> PopulationTumour:
        """A copy with some medians replaced (for calibration and sensitivity runs)."""
        upd = {}
        for k, v in medians.items():
            dist = getattr(self, k)
            upd[k] = dist.model_copy(update={"median": float(v)})
        return self.model_copy(update=upd)

    def parameter(self, pid: str) -> float:
        """The value of a calibration parameter id (see :meth:`with_parameters`)."""
        head, *rest = pid.split(".")
        if head in PATIENT_FIELD and not rest:
            return float(getattr(self, head).median)
        if head == "endocrine_restoration" and not rest:
            return float(self.endocrine_restoration.value)
        if (
            head == "classes"
            and len(rest) == 2
            and rest[0] in self.classes
            and rest[1] in ("weight", "resistance")
        ):
            return float(getattr(self.classes[rest[0]], rest[1]).value)
        if head == "endocrine_sensitivity" and len(rest) == 1 and rest[0] in ENDOCRINE_TRAITS:
            return float(self.endocrine_sensitivity[rest[0]].value)
        if (
            head == "settings"
            and len(rest) == 2
            and rest[0] in SETTINGS
            and rest[1] in SETTING_FIELDS
        ):
            if rest[1] == "post_progression_months":
                return self.post_progression_months(rest[0])
            return float(getattr(self.settings[rest[0]], rest[1]).value)
        raise MtorsimError(
            f"no tumour parameter {pid!r}; ids are a median ({', '.join(PATIENT_FIELD)}), "
            "endocrine_restoration, "
            f"classes.<{'|'.join(LINK_CLASSES)}>.<weight|resistance>, "
            f"endocrine_sensitivity.<{'|'.join(ENDOCRINE_TRAITS)}> or "
            f"settings.<{'|'.join(SETTINGS)}>.<{'|'.join(SETTING_FIELDS)}>"
        )

    def with_parameters(
        self, values: Mapping[str, float], source: str | None = None
    ) -> PopulationTumour:
        """A copy with parameters set by id: a median (``effect_scale``), the endocrine
        restoration (``endocrine_restoration``), a class link
        (``classes.endocrine.weight``), an endocrine-trait factor
        (``endocrine_sensitivity.acquired``) or a setting's growth factor or median survival
        after progression (``settings.first-line-endocrine.growth``,
        ``settings.her2-pretreated.post_progression_months``); ``source`` replaces their
        sources."""
        from pydantic import ValidationError

        from mtorsim.knowledge.domains import Domain

        out = self
        for pid, v in values.items():
            out.parameter(pid)  # the id exists
            head, *rest = pid.split(".")
            # every tumour parameter is a rate, scale, weight, factor or duration
            v = Domain(pid, 0.0, None, fix="give a finite value >= 0").check(
                v, "tumour parameters", pid
            )
            if head in PATIENT_FIELD:
                dist = getattr(out, head)
                upd = {"median": v} | ({"source": source} if source else {})
                out = out.model_copy(update={head: dist.model_copy(update=upd)})
            elif head == "endocrine_restoration":
                val = out.endocrine_restoration.with_value(v, source)
                out = out.model_copy(update={"endocrine_restoration": val})
            elif head == "classes":
                cl = out.classes[rest[0]]  # type: ignore[index]
                val = getattr(cl, rest[1]).with_value(v, source)
                classes = dict(out.classes) | {rest[0]: cl.model_copy(update={rest[1]: val})}
                out = out.model_copy(update={"classes": classes})
            elif head == "endocrine_sensitivity":
                es = dict(out.endocrine_sensitivity)
                es[rest[0]] = es[rest[0]].with_value(v, source)  # type: ignore[index]
                out = out.model_copy(update={"endocrine_sensitivity": es})
            else:
                st = out.settings[rest[0]]  # type: ignore[index]
                if getattr(st, rest[1]) is None:
                    assert st.post_progression_as is not None
                    raise MtorsimError(
                        f"settings.{rest[0]} takes its {rest[1]} from "
                        f"{st.post_progression_as.setting}; set that one"
                    )
                val = getattr(st, rest[1]).with_value(v, source)
                settings = dict(out.settings) | {rest[0]: st.model_copy(update={rest[1]: val})}
                out = out.model_copy(update={"settings": settings})
        try:  # model_copy does not validate: the whole population is checked once more
            return type(out).model_validate(out.model_dump())
        except ValidationError as exc:
            raise MtorsimError(
                f"tumour parameters {sorted(values)}: {exc.errors()[0]['msg']} "
                f"(at {'.'.join(str(x) for x in exc.errors()[0]['loc'])})"
            ) from None

    def post_progression_months(self, setting: str) -> float:
        """Median survival after progression of ``setting`` (its own or the one it takes)."""
        st = self.settings[setting]  # type: ignore[index]
        if st.post_progression_as is not None:
            st = self.settings[st.post_progression_as.setting]
        assert st.post_progression_months is not None  # checked when loaded
        return float(st.post_progression_months.value)

    def endocrine_factor(self, trait: str) -> float:
        return float(self.endocrine_sensitivity[trait].value)  # type: ignore[index]


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
    endocrine: EndocrineTrait = "sensitive"
    #: survival after progression (days): overall survival is PFS plus this (NaN: not
    #: drawn, so overall survival is censored at PFS)
    post_progression_days: float = math.nan


def rescaled(
    p: TumourParams, old: PopulationTumour, new: PopulationTumour, setting: str
) -> TumourParams:
    """The patient ``p`` drawn from ``old`` as the same draws give under ``new`` (common
    random numbers for calibration): each log-normal draw keeps its quantile, so it moves
    by the ratio of the medians (and of the setting's growth factors and survival after
    progression).  Exact when the CVs
    are equal and no draw sits at a distribution's ``minimum``."""
    upd = {}
    for k, f in PATIENT_FIELD.items():
        ratio = getattr(new, k).median / getattr(old, k).median
        if k == "growth_rate_per_day":
            ratio *= (
                new.settings[setting].growth.value  # type: ignore[index]
                / old.settings[setting].growth.value  # type: ignore[index]
            )
        if ratio != 1.0:
            upd[f] = getattr(p, f) * ratio
    pps = new.post_progression_months(setting) / old.post_progression_months(setting)
    if pps != 1.0:
        upd["post_progression_days"] = p.post_progression_days * pps
    return replace(p, **upd) if upd else p


#: a drug effect the tumour sees: class shares (1/day), or one unclassed change
Effect = Mapping[str, np.ndarray] | np.ndarray


class TumourModel:
    """The tumour equation, its one copy (see the module docstring), with the class
    links, endocrine traits and RECIST threshold of a tumour population.

    .. math::  r(t) = g + \\lambda \\sum_c w_c \\sigma_c e^{-m_c \\rho t} \\phi_c(t), \\qquad
               \\ln \\frac{SLD(t)}{SLD_0} = \\int_0^t r(s)\\,ds

    An effect given as one array (no classes) is linked with weight, sensitivity and
    resistance factor 1.

    Examples
    --------
    >>> import numpy as np
    >>> p = TumourParams(50.0, 0.01, 1.0, 0.0, 0.0, 1.0)
    >>> float(TumourModel().integrate(np.array([0.0, 10.0]), np.zeros(2), p)[-1])
    0.1
    """

    def __init__(self, population: PopulationTumour | None = None) -> None:
        self.population = population if population is not None else load_tumour_population()

    @property
    def cr_threshold_mm(self) -> float:
        return self.population.cr_threshold_mm.value

    def endocrine_sensitivity(
        self, p: TumourParams, mtorc1_inhibition: np.ndarray | None
    ) -> np.ndarray | float:
        """sigma_endocrine(t) of patient ``p``: the trait's factor, and for acquired
        resistance its restoration by mTORC1 inhibition I(t),
        ``sigma_a + (1 - sigma_a) R I(t)`` (R ``endocrine_restoration``)."""
        sigma = self.population.endocrine_factor(p.endocrine)
        if p.endocrine != "acquired" or mtorc1_inhibition is None:
            return sigma
        r = self.population.endocrine_restoration.value
        return sigma + (1.0 - sigma) * r * np.asarray(mtorc1_inhibition, float)

    def rate(
        self,
        t_days: np.ndarray,
        effect: Effect,
        p: TumourParams,
        mtorc1_inhibition: np.ndarray | None = None,
    ) -> np.ndarray:
        """d ln SLD / dt (1/day) at ``t_days`` for the drug effect (class shares) and
        the cells' mTORC1 inhibition on the same grid (None: no restoration)."""
        t = np.asarray(t_days, float)
        if not isinstance(effect, Mapping):
            return np.asarray(
                p.growth_per_day
                + p.effect_scale * np.exp(-p.resistance_per_day * t) * np.asarray(effect)
            )
        r = np.full(t.shape, p.growth_per_day)
        for c, share in effect.items():
            link = self.population.classes[c]  # type: ignore[index]
            sens = self.endocrine_sensitivity(p, mtorc1_inhibition) if c == "endocrine" else 1.0
            decay = np.exp(-p.resistance_per_day * link.resistance.value * t)
            r = r + p.effect_scale * link.weight.value * sens * decay * np.asarray(share)
        return r

    def integrate(
        self,
        t_days: np.ndarray,
        effect: Effect,
        p: TumourParams,
        mtorc1_inhibition: np.ndarray | None = None,
    ) -> np.ndarray:
        """ln(SLD / SLD0) on the grid ``t_days`` (trapezoid rule on the rate, which
        depends on time only, so the solution is a quadrature)."""
        t = np.asarray(t_days, float)
        rate = self.rate(t, effect, p, mtorc1_inhibition)
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
