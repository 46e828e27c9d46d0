"""Declared domains of every number a user can give mtorsim, and the one check of them.

A :class:`Domain` says what a value may be (finite, integer, a closed or open range, with
its unit) and how to fix a value outside it; :func:`check` refuses anything else with a
:class:`DomainError` that names the file or option, the field, the value, the allowed range
and the fix.  The limits that protect memory and time (patients, days, visits, drugs per
arm, matrix size) are domains too, so one table here is the whole contract; the CLI turns
each into an option type (:func:`mtorsim.cli.common.domain_type`) and the file formats call
:func:`check` in their validators.  Every bound says why it is where it is.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from typing import Any

from mtorsim.errors import MtorsimError


class DomainError(MtorsimError, ValueError):
    """A number outside its declared domain (the message names where, the field, the value,
    the allowed range and the fix)."""

    def __init__(self, where: str, field: str, value: Any, allowed: str, fix: str) -> None:
        self.where, self.field, self.value, self.allowed, self.fix = (
            where,
            field,
            value,
            allowed,
            fix,
        )
        place = f"{where}: " if where else ""
        shown = f"{value:g}" if isinstance(value, float) else repr(value)
        if len(shown) > 40:
            shown = shown[:20] + "..." + shown[-8:]
        super().__init__(f"{place}{field} = {shown}: allowed {allowed}; {fix}")


class SuspectInputWarning(UserWarning):
    """A legal input that is probably not what was meant (weights that do not sum to 1, an
    interval from very few replicates); the message says what was done with it."""


@dataclass(frozen=True)
class Domain:
    """What a number may be: ``low``/``high`` bounds (``None``: unbounded on that side),
    open or closed, integer or real, always finite."""

    name: str
    low: float | None
    high: float | None
    unit: str = ""
    integer: bool = False
    low_open: bool = False
    high_open: bool = False
    why: str = ""
    fix: str = ""

    @staticmethod
    def _num(x: float) -> str:
        return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        lo = "" if self.low is None else ("(" if self.low_open else "[") + self._num(self.low)
        hi = "" if self.high is None else self._num(self.high) + (")" if self.high_open else "]")
        unit = f" {self.unit}" if self.unit else ""
        if self.low is not None and self.high is not None:
            return f"{kind} in {lo}, {hi}{unit}"
        if self.low is not None:
            return f"{kind} {'>' if self.low_open else '>='} {self._num(self.low)}{unit}"
        if self.high is not None:
            return f"{kind} {'<' if self.high_open else '<='} {self._num(self.high)}{unit}"
        return kind

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        try:
            v = float(value)
        except OverflowError:  # an integer beyond any float
            return False
        if not math.isfinite(v):
            return False
        if self.integer and v != int(v):
            return False
        if self.low is not None and (v <= self.low if self.low_open else v < self.low):
            return False
        return not (self.high is not None and (v >= self.high if self.high_open else v > self.high))

    def check(self, value: Any, where: str = "", field: str | None = None) -> float:
        """The value (as float, or int for integer domains) or a :class:`DomainError`."""
        if not self.contains(value):
            fix = self.fix or "give a value in that range"
            raise DomainError(where, field or self.name, value, self.describe(), fix)
        return int(value) if self.integer else float(value)


def _d(name: str, low: float | None, high: float | None, **kw: Any) -> Domain:
    return Domain(name, low, high, **kw)


#: every declared domain, by name (the name is the option or field it guards)
DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in (
        # ---------------------------------------------------------------- patients, runs
        _d(
            "patients",
            1,
            1_000_000,
            integer=True,
            why="10^6 virtual patients take hours on one core and ~10 GB; more is a cluster job",
            fix="give between 1 and 1,000,000 patients (cap CI runs with $MTORSIM_MAX_PATIENTS)",
        ),
        _d(
            "seed",
            0,
            2**32 - 1,
            integer=True,
            why="numpy's SeedSequence takes non-negative integers; 32 bits are plenty",
            fix="give a seed between 0 and 4294967295",
        ),
        _d(
            "replicates",
            0,
            1000,
            integer=True,
            why="each replicate is a whole trial; 1000 already takes hours",
            fix="give 0 (none) or 2-1000 replicate trials",
        ),
        _d(
            "validate replicates",
            1,
            1000,
            integer=True,
            why="each replicate is a whole trial per design; fewer than 10 warn",
        ),
        _d("exact patients", 0, 10_000, integer=True, why="the exact path is ~300x slower"),
        _d("starts", 1, 1000, integer=True, why="each optimiser start is a full local fit"),
        _d("max evals", 1, 1_000_000, integer=True, why="evaluations per optimiser start"),
        _d("workers", 1, 64, integer=True, why="processes on one machine"),
        _d("ensemble size", 0, 1000, integer=True, why="parameter sets kept from the fit"),
        _d("trajectories", 1, 1000, integer=True, why="Morris trajectories (SALib)"),
        # ---------------------------------------------------------------- the patient
        _d(
            "weight_kg",
            20,
            300,
            unit="kg",
            why="assumed: adult body weights; dosing per kg or m2 outside them is not validated",
        ),
        _d("height_cm", 100, 250, unit="cm", why="assumed: adult heights"),
        _d(
            "gfr_mL_min",
            1,
            250,
            unit="mL/min",
            why="assumed: from end-stage renal disease to hyperfiltration; negative is impossible",
        ),
        # ---------------------------------------------------------------- time
        _d(
            "pk days",
            0,
            730,
            unit="days",
            low_open=True,
            why="two years of 15-min samples; the profile's metrics need only the last period",
            fix="give more than 0 and at most 730 days",
        ),
        _d(
            "assay hours",
            0,
            720,
            unit="h",
            low_open=True,
            why="cell assays run hours to days; a month is already beyond any culture",
        ),
        _d(
            "follow-up months",
            0,
            240,
            unit="months",
            low_open=True,
            why="20 years covers every adjuvant follow-up; longer only costs time",
        ),
        _d("accrual months", 0, 240, unit="months", why="as follow-up; 0: all at once"),
        _d("doubling time h", 1, 1000, unit="h", why="cell lines double in about 15-200 h"),
        _d(
            "cytotoxic sensitivity",
            0,
            100,
            low_open=True,
            why="a line's cytotoxic EC50s are divided by it (the fitted lines: 0.17-1.3)",
        ),
        _d(
            "interval weeks",
            1 / 7,
            104,
            unit="weeks",
            why="tumour assessments from daily to every two years",
        ),
        _d("window days", 0, 28, unit="days", why="a visit window of up to four weeks"),
        _d("dropout per year", 0, 10, why="a withdrawal rate (per patient-year)"),
        _d("sld mm", 5, 1000, unit="mm", why="sum of target-lesion diameters (RECIST 1.1)"),
        _d("cv", 0, 5, why="a coefficient of variation of a log-normal population"),
        _d(
            "prognostic multiplier",
            0,
            1000,
            low_open=True,
            why="a stratum multiplies a tumour parameter; 0 or beyond 1000x is no tumour",
        ),
        _d(
            "override",
            0,
            1000,
            why="a model parameter whose default is 0 (a rate or level): assumed bound",
        ),
        _d(
            "visits",
            1,
            400,
            integer=True,
            why="each patient draws 400 visit-window jitters (the seeded stream is fixed)",
            fix="lengthen assessment.interval_weeks or shorten follow_up.cutoff_months",
        ),
        # ---------------------------------------------------------------- designs
        _d(
            "ratio",
            1,
            100,
            integer=True,
            why="randomisation weights beyond 100:1 leave an arm empty at any trial size",
            fix="give an integer randomisation weight between 1 and 100",
        ),
        _d(
            "multiplier",
            0,
            1000,
            why="a genotype multiplies a context parameter; beyond 1000x the network has no "
            "steady state the solver can find",
            fix="give a multiplier between 0 and 1000",
        ),
        _d(
            "weight",
            0,
            1e6,
            low_open=True,
            why="relative weights (normalised to sum 1)",
            fix="give a positive finite weight",
        ),
        _d("prevalence", 0, 1, why="a probability (a share of patients)"),
        _d(
            "signalling drugs per arm",
            0,
            3,
            integer=True,
            why="response surfaces grow as 10^k grid points with k signalling drugs; 4 take "
            "minutes per context, 6 never finish",
            fix="model at most 3 signalling drugs in an arm (cytotoxics, endocrine and HER2 "
            "antibodies are not counted)",
        ),
        # ---------------------------------------------------------------- concentrations
        _d(
            "concentration nM",
            0,
            1e7,
            unit="nM",
            why="10 mM is beyond any drug's solubility",
            fix="give a concentration between 0 and 10 mM (e.g. 100nM, 1uM)",
        ),
        _d(
            "matrix doses",
            3,
            30,
            integer=True,
            why="a dose-response axis needs zero plus at least two doses; more than 30 doses "
            "per axis makes the 2-D matrix slow without gaining resolution",
            fix="give zero plus 2-29 doses per drug",
        ),
        _d(
            "response %",
            -100,
            200,
            unit="% inhibition",
            why="inhibition beyond -100% (tripled growth) or 200% is a unit or sign error",
            fix="give % inhibition (0 = no effect, 100 = full), or viability converted to it",
        ),
    )
}


def domain(name: str) -> Domain:
    return DOMAINS[name]


def check(name: str, value: Any, where: str = "", field: str | None = None) -> float:
    """Check ``value`` against the declared domain ``name``."""
    return DOMAINS[name].check(value, where, field)


def finite(value: Any, where: str, field: str, fix: str = "give a finite number") -> float:
    """A finite real number, else a :class:`DomainError`."""
    return Domain(field, None, None, fix=fix).check(value, where, field)


def suspect(message: str) -> None:
    """Warn about a legal but suspect input (shown once per call site)."""
    warnings.warn(message, SuspectInputWarning, stacklevel=3)


__all__ = [
    "DOMAINS",
    "Domain",
    "DomainError",
    "SuspectInputWarning",
    "check",
    "domain",
    "finite",
    "suspect",
]
