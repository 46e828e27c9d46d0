"""Dosing regimens: a text form people type, and the dose events it means.

A regimen is one or more *phases* (``"A then B"``), each a dose, a route and a
schedule.  Examples of the text form (case-insensitive)::

    10 mg daily                                  everolimus (BOLERO-2)
    5 mg daily                                   everolimus with vinorelbine
    25 mg IV over 30 min weekly                  temsirolimus
    30 mg daily for 5 days every 2 weeks         oral temsirolimus (first-line phase 3)
    40 mg daily 5 days per week                  ridaforolimus
    80 mg/m2 IV over 1 h weekly                  paclitaxel
    1000 mg/m2 twice daily 14 days on 7 days off capecitabine
    25 mg/m2 IV on days 1, 8 every 21 days       vinorelbine
    AUC 6 IV over 30 min every 3 weeks           carboplatin (Calvert formula)
    4 mg/kg IV over 90 min once then 2 mg/kg IV over 30 min weekly   trastuzumab
    500 mg IM on days 1, 15, 29 then every 28 days                   fulvestrant

Grammar of one phase: ``DOSE [ROUTE [over DURATION]] SCHEDULE [for N days|weeks|cycles]
[from day N]``, where SCHEDULE is ``once``, ``daily``/``once daily``, ``twice daily``,
``weekly``, ``every N days|weeks``, ``qNw``, ``on days 1, 8, 15 every N days|weeks``,
``on days 1-14 every N days``, ``for N days every M days|weeks``, ``N days per week``
or ``N days|weeks on M days|weeks off``.  ``then`` starts the next phase one of
its own periods after the previous phase's last dose.

Doses are in mg, g, ug, mg/m2 (body-surface area), mg/kg (weight) or ``AUC x``
(carboplatin: mg = AUC x (GFR + 25), Calvert et al. 1989 J Clin Oncol 7:1748).
Times are in days in the text and hours in :class:`DoseEvent`.  Dose
interruptions and reductions are :class:`Modification` objects on the regimen,
so the trial layer can apply them without rewriting the text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Annotated, Any

import numpy as np
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from mtorsim.errors import MtorsimError
from mtorsim.knowledge.vocab import Route
from mtorsim.pharmacology.doses import DoseEvent as DoseEvent
from mtorsim.pharmacology.doses import DoseTrain as DoseTrain
from mtorsim.pharmacology.doses import Patient as Patient


class RegimenError(MtorsimError):
    """A regimen text or object that cannot be understood."""


class DoseUnit(StrEnum):
    MG = "mg"
    MG_PER_M2 = "mg/m2"
    MG_PER_KG = "mg/kg"
    AUC = "AUC"  # mg/mL x min, carboplatin (Calvert)


#: largest single dose accepted (assumed: 100 g, beyond any drug's administration; a
#: bigger number is a unit error)
MAX_DOSE = 1e5


@dataclass(frozen=True)
class Phase:
    """One dose on one schedule.

    ``days`` are the dosing days (1-based) within a period of ``period_days``;
    ``times_per_day`` doses are spread evenly over each dosing day.
    """

    dose: float
    unit: DoseUnit
    route: Route
    days: tuple[int, ...]
    period_days: float | None  # None: the days happen once
    times_per_day: int = 1
    duration_h: float = 0.0
    start_day: float = 0.0  # offset of day 1 from the regimen start (days)
    stop_day: float | None = None  # no doses at or after this day (from regimen start)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.dose) and 0 < self.dose <= MAX_DOSE):
            raise RegimenError(
                f"a dose must be a finite number > 0 and at most {MAX_DOSE:g} "
                f"(mg, mg/m2, mg/kg or AUC), got {self.dose:g}"
            )
        if not self.days or (self.stop_day is not None and self.stop_day <= self.start_day):
            raise RegimenError("no dosing day (e.g. 'for 0 days'); a phase gives at least one")
        if self.days and min(self.days) < 1:
            raise RegimenError(
                f"dosing day {min(self.days)}: days count from 1 (the first day of treatment)"
            )
        if not (math.isfinite(self.start_day) and self.start_day >= 0):
            raise RegimenError(
                f"a phase starting on day {self.start_day + 1:g}: days count from 1 (the first "
                "day of treatment); write e.g. 'from day 1'"
            )
        if self.period_days is not None and not self.period_days > 0:
            raise RegimenError(
                f"a schedule that repeats every {self.period_days:g} days is impossible; "
                "the repeat period must be at least 1 day"
            )
        if self.period_days is not None and self.days and max(self.days) > self.period_days:
            raise RegimenError(
                f"dosing day {max(self.days)} does not fit in a {self.period_days:g}-day cycle"
            )

    def amount_mg(self, patient: Patient) -> float:
        if self.unit is DoseUnit.MG:
            return self.dose
        if self.unit is DoseUnit.MG_PER_M2:
            return self.dose * patient.bsa_m2
        if self.unit is DoseUnit.MG_PER_KG:
            return self.dose * patient.weight_kg
        return self.dose * (patient.gfr_mL_min + 25.0)  # Calvert formula

    def dose_days(self, until_day: float) -> list[float]:
        """Start days (from regimen start) of every dose before ``until_day``."""
        return [float(x) for x in self.dose_day_array(until_day)]

    def dose_day_array(self, until_day: float) -> np.ndarray:
        """:meth:`dose_days` as an array, in the same order and with the same floating-point
        sums (``start + cycle * period + (day - 1) + k / times_per_day``), built without
        a Python loop over doses (a two-year daily regimen has ~700)."""
        end = until_day if self.stop_day is None else min(until_day, self.stop_day)
        if self.start_day >= end:
            return np.empty(0)
        if self.period_days:
            n_cycles = max(1, math.ceil((end - self.start_day) / self.period_days) + 1)
            cycles = np.arange(n_cycles)
            base = self.start_day + cycles * self.period_days
            base = base[base < end]
        else:
            base = np.array([self.start_day + 0.0])
        day = np.asarray(self.days, float) - 1.0
        frac = np.arange(self.times_per_day) / self.times_per_day
        t = ((base[:, None] + day[None, :])[:, :, None] + frac[None, None, :]).ravel()
        return t[t < end]

    @property
    def last_scheduled_day(self) -> float:
        """Day of the last dose of a one-off phase (start of the next phase's clock)."""
        return self.start_day + max(self.days) - 1


@dataclass(frozen=True)
class Modification:
    """A dose interruption (factor 0) or reduction (factor < 1) over [from_day, to_day)."""

    from_day: float
    to_day: float = math.inf
    factor: float = 0.0

    def __post_init__(self) -> None:
        if self.factor < 0.0:
            raise RegimenError(f"dose factor must be >= 0, got {self.factor}")
        if self.to_day <= self.from_day:
            raise RegimenError(f"modification ends (day {self.to_day}) before it starts")


@dataclass(frozen=True)
class Regimen:
    """A drug's regimen: phases in order, plus interruptions and reductions."""

    phases: tuple[Phase, ...]
    text: str = ""
    modifications: tuple[Modification, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, text: str) -> Regimen:
        return parse_regimen(text)

    @property
    def route(self) -> Route:
        return self.phases[-1].route

    def interrupted(self, from_day: float, to_day: float) -> Regimen:
        """The regimen with no doses in [from_day, to_day)."""
        return replace(self, modifications=(*self.modifications, Modification(from_day, to_day)))

    def reduced(self, factor: float, from_day: float = 0.0, to_day: float = math.inf) -> Regimen:
        """The regimen with doses multiplied by ``factor`` in [from_day, to_day)."""
        return replace(
            self, modifications=(*self.modifications, Modification(from_day, to_day, factor))
        )

    def events(self, until_day: float, patient: Patient | None = None) -> list[DoseEvent]:
        """Every administration before ``until_day``, modifications applied."""
        return self.dose_train(until_day, patient).events()

    def dose_train(self, until_day: float, patient: Patient | None = None) -> DoseTrain:
        """:meth:`events` as arrays (what the exposure grid needs, without one object per
        dose): every administration before ``until_day``, modifications applied."""
        if until_day <= 0:
            raise RegimenError(f"until_day must be positive, got {until_day}")
        patient = patient or Patient()
        times: list[np.ndarray] = []
        amounts: list[np.ndarray] = []
        phase: list[np.ndarray] = []
        for j, ph in enumerate(self.phases):
            mg = ph.amount_mg(patient)
            if not mg <= MAX_DOSE:
                raise RegimenError(
                    f"{self.text or 'a regimen'}: {mg:g} mg per administration for this "
                    f"patient, more than {MAX_DOSE:g} mg (a unit error?)"
                )
            day = ph.dose_day_array(until_day)
            factor = np.ones(len(day))
            for m in self.modifications:  # in order: the same products as one at a time
                factor = np.where((m.from_day <= day) & (day < m.to_day), factor * m.factor, factor)
            keep = factor > 0
            times.append(day[keep] * 24.0)
            amounts.append(mg * factor[keep])
            phase.append(np.full(int(keep.sum()), j))
        t = np.concatenate(times)
        order = np.argsort(t, kind="stable")  # as list.sort: stable, phases in order
        return DoseTrain(
            t[order],
            np.concatenate(amounts)[order],
            np.concatenate(phase)[order].astype(np.intp),
            tuple(ph.route for ph in self.phases),
            tuple(ph.duration_h for ph in self.phases),
        )

    def mean_daily_mg(self, patient: Patient | None = None, over_days: float = 364.0) -> float:
        """Average dose per day over ``over_days`` (dose intensity)."""
        return sum(e.amount_mg for e in self.events(over_days, patient)) / over_days

    def __str__(self) -> str:
        return self.text or repr(self)


# ---------------------------------------------------------------------- parsing
_NUM = r"(\d+(?:\.\d+)?)"
_DOSE = re.compile(
    rf"^(?:auc\s*{_NUM}|{_NUM}\s*(mg/m2|mg/m\^2|mg/m²|mg/kg|mg|g|ug|µg|mcg))\b", re.I
)
_ROUTE = re.compile(r"^(oral|orally|po|p\.o\.|iv|i\.v\.|intravenous|im|i\.m\.|sc|s\.c\.)\b", re.I)
_ROUTE_WORDS = {
    "oral": Route.ORAL,
    "orally": Route.ORAL,
    "po": Route.ORAL,
    "iv": Route.IV,
    "intravenous": Route.IV,
    "im": Route.IM,
    "sc": Route.SC,
}
_OVER = re.compile(rf"^over\s+{_NUM}\s*(min|minutes|h|hours?|hr)\b", re.I)
_UNIT_DAYS = {"day": 1.0, "days": 1.0, "week": 7.0, "weeks": 7.0, "w": 7.0}


def _period(num: str, unit: str) -> float:
    return float(num) * _UNIT_DAYS[unit.lower()]


def _day_list(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for part in re.split(r"\s*(?:,|and)\s*", text.strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d+)\s*(?:-|to)\s*(\d+)", part)
        if m:
            days.extend(range(int(m[1]), int(m[2]) + 1))
        elif part.isdigit():
            days.append(int(part))
        else:
            raise RegimenError(f"cannot read day {part!r} in {text!r}")
    if not days or min(days) < 1:
        raise RegimenError(f"dosing days must be 1 or more, got {text!r}")
    return tuple(sorted(set(days)))


_SCHEDULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^once(?!\s+daily)\b", re.I), "once"),
    (re.compile(r"^(?:twice daily|twice a day|bid|b\.i\.d\.)\b", re.I), "bid"),
    (re.compile(rf"^for\s+{_NUM}\s+days?\s+every\s+{_NUM}\s+(days?|weeks?)\b", re.I), "for_every"),
    (re.compile(rf"^{_NUM}\s+days?\s+(?:per|a)\s+week\b", re.I), "per_week"),
    (
        re.compile(rf"^{_NUM}\s+(days?|weeks?)\s+on\s*,?\s*{_NUM}\s+(days?|weeks?)\s+off\b", re.I),
        "on_off",
    ),
    (
        re.compile(
            r"^on\s+days?\s+([\d,\s\-]+(?:(?:and|to)\s*\d+)?)\s*(?=every|$|for|from|then)", re.I
        ),
        "days",
    ),
    (re.compile(r"^(?:once\s+daily|daily|qd|q\.d\.|every\s+day|once a day)\b", re.I), "daily"),
    (re.compile(r"^(?:weekly|qw|every\s+week)\b", re.I), "weekly"),
    (re.compile(rf"^every\s+{_NUM}\s+(days?|weeks?)\b", re.I), "every"),
    (re.compile(r"^q(\d+)w\b", re.I), "qnw"),
]
_EVERY = re.compile(rf"^every\s+{_NUM}\s+(days?|weeks?)\b", re.I)
_FOR = re.compile(rf"^for\s+{_NUM}\s+(days?|weeks?|cycles?)\b", re.I)
_FROM = re.compile(rf"^(?:from|starting)\s+(?:on\s+)?day\s+{_NUM}\b", re.I)


def _parse_phase(text: str, dose_prefix: Phase | None) -> Phase:
    s = text.strip().rstrip(".")
    dose: float
    unit: DoseUnit
    m = _DOSE.match(s)
    if m:
        if m[1] is not None:
            dose, unit = float(m[1]), DoseUnit.AUC
        else:
            raw_unit = m[3].lower().replace("^", "").replace("²", "2")
            dose = float(m[2])
            if raw_unit == "g":
                dose, unit = dose * 1000.0, DoseUnit.MG
            elif raw_unit in ("ug", "µg", "mcg"):
                dose, unit = dose / 1000.0, DoseUnit.MG
            else:
                unit = DoseUnit(raw_unit)
        s = s[m.end() :].strip()
    elif dose_prefix is not None:  # "... then every 28 days": same dose and route
        dose, unit = dose_prefix.dose, dose_prefix.unit
    else:
        raise RegimenError(
            f"regimen {text!r} must start with a dose such as '10 mg', '80 mg/m2', '4 mg/kg' "
            "or 'AUC 6'"
        )
    route = dose_prefix.route if (dose_prefix and not m) else Route.ORAL
    duration_h = dose_prefix.duration_h if (dose_prefix and not m) else 0.0
    rm = _ROUTE.match(s)
    if rm:
        word = rm[1].lower().replace(".", "")
        route = _ROUTE_WORDS[word]
        s = s[rm.end() :].strip()
        om = _OVER.match(s)
        if om:
            duration_h = float(om[1]) / (60.0 if om[2].lower().startswith("min") else 1.0)
            s = s[om.end() :].strip()
    if unit is DoseUnit.AUC and route is not Route.IV:
        raise RegimenError(f"an AUC-based dose must be given IV (in {text!r})")

    days: tuple[int, ...] = (1,)
    period: float | None = 1.0
    per_day = 1
    kind = ""
    for pattern, kind in _SCHEDULES:
        sm = pattern.match(s)
        if not sm:
            continue
        s = s[sm.end() :].strip()
        if kind == "once":
            period = None
        elif kind == "bid":
            per_day = 2
        elif kind == "daily":
            pass
        elif kind == "weekly":
            period = 7.0
        elif kind == "every":
            period = _period(sm[1], sm[2])
        elif kind == "qnw":
            period = 7.0 * int(sm[1])
        elif kind == "per_week":
            n = int(float(sm[1]))
            if not 1 <= n <= 7:
                raise RegimenError(f"'{sm[0]}': days per week must be 1-7")
            days, period = tuple(range(1, n + 1)), 7.0
        elif kind == "for_every":
            n = int(float(sm[1]))
            days, period = tuple(range(1, n + 1)), _period(sm[2], sm[3])
        elif kind == "on_off":
            on, off = _period(sm[1], sm[2]), _period(sm[3], sm[4])
            days, period = tuple(range(1, int(on) + 1)), on + off
        elif kind == "days":
            days = _day_list(sm[1])
            em = _EVERY.match(s)
            if em:
                period = _period(em[1], em[2])
                s = s[em.end() :].strip()
            else:
                period = None
        break
    else:
        if dose_prefix is None or s:
            raise RegimenError(
                f"no schedule understood in {text!r} (at {s!r}); use e.g. 'daily', "
                "'twice daily', 'weekly', 'every 3 weeks', 'on days 1, 8 every 21 days', "
                "'for 5 days every 2 weeks', '5 days per week', '14 days on 7 days off' or 'once'"
            )
    if kind == "bid" or kind == "daily":
        # "twice daily 14 days on 7 days off" / "daily for 5 days every 2 weeks"
        for pattern, sub in _SCHEDULES:
            if sub not in ("on_off", "for_every", "per_week"):
                continue
            sm = pattern.match(s)
            if sm:
                s = s[sm.end() :].strip()
                if sub == "on_off":
                    on, off = _period(sm[1], sm[2]), _period(sm[3], sm[4])
                    days, period = tuple(range(1, int(on) + 1)), on + off
                elif sub == "for_every":
                    days = tuple(range(1, int(float(sm[1])) + 1))
                    period = _period(sm[2], sm[3])
                else:
                    days, period = tuple(range(1, int(float(sm[1])) + 1)), 7.0
                break
    stop: float | None = None
    start = 0.0
    while s:
        fm, frm = _FOR.match(s), _FROM.match(s)
        if fm:
            n_for, what = float(fm[1]), fm[2].lower()
            if what.startswith("cycle"):
                if period is None:
                    raise RegimenError(f"'for N cycles' needs a repeating schedule in {text!r}")
                stop = n_for * period
            else:
                stop = _period(fm[1], what)
            s = s[fm.end() :].strip()
        elif frm:
            start = float(frm[1]) - 1.0
            s = s[frm.end() :].strip()
        else:
            raise RegimenError(f"cannot read {s!r} at the end of {text!r}")
    if stop is not None:
        stop += start
    return Phase(dose, unit, route, days, period, per_day, duration_h, start, stop)


def parse_regimen(text: str) -> Regimen:
    """Parse the text form (see the module docstring) into a :class:`Regimen`."""
    if not isinstance(text, str) or not text.strip():
        raise RegimenError("empty regimen; write e.g. '10 mg daily'")
    phases: list[Phase] = []
    for part in re.split(r"\s*(?:;|\bthen\b)\s*", text.strip(), flags=re.I):
        if not part:
            continue
        prev = phases[-1] if phases else None
        try:
            ph = _parse_phase(part, prev)
        except RegimenError as exc:
            raise RegimenError(f"{exc} (regimen {text!r})") from None
        if prev is not None:
            if prev.period_days is not None and prev.stop_day is None:
                raise RegimenError(
                    f"in {text!r}, the phase before 'then' never ends; give it 'for N weeks' or "
                    "make it a one-off ('once', 'on days 1, 15, 29')"
                )
            prev_end = prev.stop_day if prev.stop_day is not None else prev.last_scheduled_day
            gap = ph.period_days if ph.period_days is not None else 1.0
            if prev.stop_day is not None:
                gap = 0.0
            ph = replace(
                ph,
                start_day=prev_end + gap + ph.start_day,
                stop_day=None if ph.stop_day is None else prev_end + gap + ph.stop_day,
            )
        phases.append(ph)
    return Regimen(tuple(phases), text.strip())


def _as_regimen(value: Any) -> Regimen:
    if isinstance(value, Regimen):
        return value
    if not isinstance(value, str):
        raise ValueError(f"a regimen is text such as '10 mg daily', got {value!r}")
    try:
        return parse_regimen(value)
    except RegimenError as exc:
        raise ValueError(str(exc)) from None


#: a regimen field of a pydantic model: read from its text form, parsed once, written back
#: as the same text
RegimenText = Annotated[
    Regimen,
    PlainValidator(_as_regimen),
    PlainSerializer(lambda r: r.text, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "regimen in the pharmacology text form, e.g. '10 mg daily'",
        }
    ),
]
