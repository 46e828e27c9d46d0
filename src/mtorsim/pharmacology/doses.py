"""What a regimen gives a patient: administrations (one :class:`DoseEvent` each, or a
whole :class:`DoseTrain` as arrays) and the body measures dose calculation needs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mtorsim.knowledge.vocab import Route


@dataclass(frozen=True)
class Patient:
    """What dose calculation needs to know about a patient."""

    weight_kg: float = 70.0  # assumed: adult reference body weight
    height_cm: float = 165.0  # assumed: reference adult woman
    gfr_mL_min: float = 90.0  # assumed: normal renal function

    def __post_init__(self) -> None:
        from mtorsim.knowledge.domains import check

        for name in ("weight_kg", "height_cm", "gfr_mL_min"):
            check(name, getattr(self, name), "patient", name)

    @property
    def bsa_m2(self) -> float:
        """Body-surface area by Mosteller (N Engl J Med 1987;317:1098)."""
        return math.sqrt(self.height_cm * self.weight_kg / 3600.0)


@dataclass(frozen=True)
class DoseEvent:
    """One administration: time (h from regimen start), amount (mg), route, infusion length (h)."""

    time_h: float
    amount_mg: float
    route: Route
    duration_h: float = 0.0


@dataclass(frozen=True, eq=False)
class DoseTrain:
    """A regimen's administrations as arrays: times (h), amounts (mg) and, per
    administration, the index of its phase (whose route and infusion length apply)."""

    time_h: np.ndarray
    amount_mg: np.ndarray
    phase: np.ndarray
    routes: tuple[Route, ...]
    durations_h: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.time_h)

    def events(self) -> list[DoseEvent]:
        """One :class:`DoseEvent` per administration (the exact path's closed forms)."""
        return [
            DoseEvent(float(t), float(a), self.routes[j], self.durations_h[j])
            for t, a, j in zip(self.time_h, self.amount_mg, self.phase, strict=True)
        ]

    @staticmethod
    def from_events(events: Sequence[DoseEvent]) -> DoseTrain:
        """The train of a list of events (one phase per distinct route and length)."""
        kinds = sorted({(e.route, e.duration_h) for e in events}, key=str)
        index = {k: j for j, k in enumerate(kinds)}
        return DoseTrain(
            np.array([e.time_h for e in events], float),
            np.array([e.amount_mg for e in events], float),
            np.array([index[(e.route, e.duration_h)] for e in events], np.intp),
            tuple(k[0] for k in kinds),
            tuple(k[1] for k in kinds),
        )

    def total_mg(self, before_h: float) -> float:
        """Total amount given before ``before_h``."""
        return float(self.amount_mg[self.time_h < before_h].sum())


__all__ = ["DoseEvent", "DoseTrain", "Patient"]
