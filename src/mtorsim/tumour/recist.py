"""RECIST 1.1 assessment of a target-lesion sum of diameters at scheduled visits.

Eisenhauer et al. 2009 Eur J Cancer 45:228: PR is a >= 30% decrease of the sum from
baseline; PD a >= 20% increase over the nadir (the smallest sum so far, baseline included)
that is also >= 5 mm, or a new lesion; CR the disappearance of the target lesions (here a
sum below a threshold); SD otherwise.  Progression is dated at the visit that finds it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mtorsim.knowledge.names import CR, NE, PD, PR, RESPONDERS, RESPONSE_ORDER, SD


@dataclass
class RecistResult:
    visit_days: list[float]
    sld_mm: list[float]
    categories: list[str]
    best_response: str
    progression_day: float | None  # visit that found PD
    last_assessment_day: float  # last visit done (0 if none)
    best_change_pct: float  # largest decrease from baseline (negative = shrinkage)
    cbr: bool
    notes: list[str] = field(default_factory=list)


def assess(
    visit_days: np.ndarray | list[float],
    sld_mm: np.ndarray | list[float],
    baseline_mm: float,
    new_lesion_day: float = math.inf,
    cr_threshold_mm: float = 0.0,
    confirm: bool = False,
    confirm_min_days: float = 28.0,
    sd_min_days: float = 35.0,
    cbr_days: float = 168.0,
    cbr_window_days: float = 7.0,
) -> RecistResult:
    """Per-visit categories, best overall response, progression and clinical benefit.

    Defaults: confirmation >= 28 days later (RECIST 1.1, Eisenhauer 2009); an SD minimum
    of 35 days (assumed: the protocol-defined minimum, typically the first scheduled visit
    at 6-8 weeks less a window); CBR at 24 weeks (the review's definition, TAMRAD) with a
    7-day visit window (assumed).

    ``visit_days`` are the assessments actually done (up to censoring); ``sld_mm`` the sums
    at them.  SD counts towards best response only at a visit >= ``sd_min_days`` after
    start; with ``confirm`` a CR/PR counts only if a later visit >= ``confirm_min_days`` on
    is also CR/PR.  Clinical benefit (CBR) is CR or PR, or no progression up to a visit at
    or after ``cbr_days`` (24 weeks; a visit up to ``cbr_window_days`` early counts).
    """
    days = [float(d) for d in visit_days]
    sizes = [float(s) for s in sld_mm]
    if len(days) != len(sizes):
        raise ValueError("visit_days and sld_mm differ in length")
    if baseline_mm <= 0:
        raise ValueError(f"baseline sum of diameters must be positive, got {baseline_mm}")
    nadir = baseline_mm
    cats: list[str] = []
    prog: float | None = None
    for d, s in zip(days, sizes, strict=True):
        if new_lesion_day <= d or (s - nadir >= 0.2 * nadir and s - nadir >= 5.0):
            cats.append(PD)
            prog = d
            break
        if s < cr_threshold_mm:
            cats.append(CR)
        elif s <= 0.7 * baseline_mm:
            cats.append(PR)
        else:
            cats.append(SD)
        nadir = min(nadir, s)
    done = days[: len(cats)]
    best = NE
    for i, (d, c) in enumerate(zip(done, cats, strict=True)):
        cand = c
        if c in RESPONDERS and confirm:
            later = [cats[j] for j in range(i + 1, len(cats)) if done[j] - d >= confirm_min_days]
            if not later or later[0] not in RESPONDERS:
                cand = SD
        if cand == SD and d < sd_min_days:
            continue
        if RESPONSE_ORDER[cand] < RESPONSE_ORDER[best]:
            best = cand
    if best == NE and prog is not None:
        best = PD
    benefit = best in RESPONDERS or any(
        d >= cbr_days - cbr_window_days and (prog is None or d < prog) for d in done
    )
    change = min((s / baseline_mm - 1.0) * 100.0 for s in sizes[: len(cats)]) if cats else 0.0
    return RecistResult(
        done,
        sizes[: len(cats)],
        cats,
        best,
        prog,
        done[-1] if done else 0.0,
        change,
        benefit,
    )
