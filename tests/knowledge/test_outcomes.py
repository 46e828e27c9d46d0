"""Reported results against the review.

Two independent routes: (1) a hand transcription of the review's numbers
below, compared record by record; (2) every record's ``quote`` must be a
verbatim passage of the review and must contain the record's numbers.
Exact binomial (Clopper-Pearson) intervals computed with scipy check that the
published TAMRAD CBR intervals belong to 33/54 and 24/57 patients.
"""

from __future__ import annotations

import re

import pytest

from mtorsim.knowledge import KnowledgeBase, find_outcomes
from tests.conftest import collapse

# (trial, endpoint, statistic, arm, comparator or None, value, ci or None, subgroup/analysis key)
# transcribed from the review's text (refs 50-53, 72-79)
HAND: list[tuple[str, str, str, str | None, str | None, float, tuple[float, float] | None]] = [
    ("bolero-2", "PFS", "median", "eve-exe", None, 6.9, None),
    ("bolero-2", "PFS", "median", "pbo-exe", None, 2.8, None),
    ("bolero-2", "PFS", "hazard ratio", "eve-exe", "pbo-exe", 0.43, (0.35, 0.54)),
    ("bolero-2", "PFS", "median", "eve-exe", None, 7.4, None),
    ("bolero-2", "PFS", "median", "pbo-exe", None, 3.2, None),
    ("bolero-2", "PFS", "hazard ratio", "eve-exe", "pbo-exe", 0.44, (0.36, 0.53)),
    ("bolero-2", "PFS", "hazard ratio", "eve-exe", "pbo-exe", 0.45, (0.38, 0.54)),
    ("bolero-2", "PFS", "hazard ratio", "eve-exe", "pbo-exe", 0.40, (0.31, 0.52)),
    ("bolero-2", "PFS", "hazard ratio", "eve-exe", "pbo-exe", 0.45, (0.37, 0.56)),
    ("bolero-2", "PFS", "median", "eve-exe", None, 7.82, None),
    ("bolero-2", "PFS", "median", "pbo-exe", None, 3.19, None),
    ("bolero-2", "PFS", "difference", "eve-exe", "pbo-exe", 4.63, None),
    ("bolero-2", "dose", "median", "eve-exe", None, 8.6, None),
    ("tamrad", "CBR", "rate", "tam-eve", None, 61.1, (46.9, 74.1)),
    ("tamrad", "CBR", "rate", "tam", None, 42.1, (29.1, 55.9)),
    ("tamrad", "TTP", "median", "tam-eve", None, 8.6, None),
    ("tamrad", "TTP", "median", "tam", None, 4.5, None),
    ("tamrad", "TTP", "hazard ratio", "tam-eve", "tam", 0.54, (0.36, 0.81)),
    ("tamrad", "survival probability", "rate", "tam-eve", None, 54, None),
    ("tamrad", "survival probability", "rate", "tam", None, 30, None),
    ("tamrad", "OS", "hazard ratio", "tam-eve", "tam", 0.45, (0.24, 0.81)),
    ("ph1-eve-vnr-tras", "ORR", "rate", "eve-vnr-tras", None, 19, None),
    ("ph1-eve-vnr-tras", "DCR", "rate", "eve-vnr-tras", None, 83, None),
    ("ph1-eve-vnr-tras", "PFS", "median", "eve-vnr-tras", None, 30.7, None),
    ("ph1-eve-vnr-tras", "dose", "value", "eve-vnr-tras", None, 5, None),
    ("ph1-eve-pac-tras", "ORR", "rate", "eve-pac-tras", None, 44, None),
    ("ph1-eve-pac-tras", "CBR", "rate", "eve-pac-tras", None, 74, None),
    ("ph1-eve-pac-tras", "PFS", "median", "eve-pac-tras", None, 34, None),
    ("ph1-eve-pac-tras", "dose", "value", "eve-pac-tras", None, 10, None),
    ("nct00570921", "TTP", "median", "ful-eve", None, 8.6, None),
    ("nct00107016", "clinical response", "rate", "let-eve", None, 68, None),
    ("nct00107016", "clinical response", "rate", "let-pbo", None, 59, None),
]

# BOLERO-2 grade 3/4 adverse events, % (everolimus + exemestane, placebo + exemestane), ref 72
BOLERO2_AE = {
    "stomatitis": (8, 1),
    "anemia": (6, 1),
    "dyspnea": (4, 1),
    "hyperglycemia": (4, 1),
    "fatigue": (4, 1),
    "pneumonitis": (3, 0),
}
# TAMRAD any-grade adverse events, % (tamoxifen + everolimus, tamoxifen), ref 77
TAMRAD_AE = {
    "fatigue": (72, 53),
    "stomatitis": (56, 7),
    "rash": (44, 7),
    "anorexia": (43, 18),
    "diarrhea": (39, 11),
    "hemoglobin": (69, 35),
    "lymphocyte": (48, 21),
    "leukocyte": (54, 18),
}
# best overall response counts (trial, arm): {category: count}, refs 52, 53, 78
COUNTS = {
    ("ph1-eve-cis-pac", "eve-cis-pac"): {"CR": 1, "PR": 2, "SD": 7, "PD": 3},
    ("ph1-eve-cape", "eve-cape"): {"PR": 2, "SD": 7},
    ("nct00570921", "ful-eve"): {"PR": 1, "SD": 7},
}


@pytest.mark.parametrize("row", HAND, ids=lambda r: f"{r[0]}-{r[1]}-{r[3]}-{r[5]}")
def test_hand_transcribed_value_present(kb: KnowledgeBase, row: tuple) -> None:  # type: ignore[type-arg]
    trial, endpoint, statistic, arm, comparator, value, ci = row
    hits = [
        o
        for o in kb.outcomes
        if o.trial == trial
        and o.endpoint.value == endpoint
        and o.statistic.value == statistic
        and o.arm == arm
        and o.comparator == comparator
        and o.value == pytest.approx(value)
    ]
    assert hits, f"no record for {row}"
    if ci is not None:
        assert any((o.ci_low, o.ci_high) == pytest.approx(ci) for o in hits)


@pytest.mark.parametrize(("term", "values"), sorted(BOLERO2_AE.items()))
def test_bolero2_grade34_adverse_events(
    kb: KnowledgeBase, term: str, values: tuple[int, int]
) -> None:
    recs = {
        o.arm: o
        for o in find_outcomes(kb, trial="BOLERO-2", endpoint="adverse event")
        if o.ae_term and term in o.ae_term.lower()
    }
    assert recs["eve-exe"].value == values[0] and recs["pbo-exe"].value == values[1]
    assert recs["eve-exe"].ae_grade == "3-4"
    if term in ("anemia", "hyperglycemia"):  # printed "< 1%"
        assert recs["pbo-exe"].value_qualifier == "<"


@pytest.mark.parametrize(("term", "values"), sorted(TAMRAD_AE.items()))
def test_tamrad_adverse_events(kb: KnowledgeBase, term: str, values: tuple[int, int]) -> None:
    recs = {
        o.arm: o
        for o in find_outcomes(kb, trial="TAMRAD", endpoint="adverse event")
        if o.ae_term and term in o.ae_term.lower()
    }
    assert (recs["tam-eve"].value, recs["tam"].value) == values


def test_best_response_counts(kb: KnowledgeBase) -> None:
    for (trial, arm), cats in COUNTS.items():
        got = {
            o.category.value: o.value
            for o in kb.outcomes_of(trial)
            if o.endpoint.value == "best overall response" and o.arm == arm and o.category
        }
        assert got == cats


def test_qualitative_results_recorded(kb: KnowledgeBase) -> None:
    """Results the review reports without numbers are still records."""
    for trial in [
        "geparquinto",
        "ph3-tem-let",
        "geparquattro",
        "succeed",
        "ph1-eve-let",
        "carracedo-2008-biopsies",
    ]:
        assert any(o.statistic.value == "qualitative" for o in kb.outcomes_of(trial)), trial


def test_p_values(kb: KnowledgeBase) -> None:
    ps = {
        (o.trial, o.endpoint.value, o.p_qualifier, o.p_value)
        for o in kb.outcomes
        if o.p_value is not None
    }
    for expected in [
        ("bolero-2", "PFS", "<", 0.001),
        ("tamrad", "CBR", "=", 0.045),
        ("tamrad", "TTP", "=", 0.002),
        ("tamrad", "OS", "=", 0.007),
        ("nct00107016", "clinical response", "=", 0.06),
    ]:
        assert expected in ps


def test_tamrad_cbr_interval_is_exact_binomial(kb: KnowledgeBase) -> None:
    """The published CBR CIs are Clopper-Pearson intervals of 33/54 and 24/57.

    This checks the arm sizes (54, 57; ref 77) that the review does not print,
    against an independent computation (scipy.stats.binomtest, exact method),
    to the review's one decimal.
    """
    stats = pytest.importorskip("scipy.stats")
    for o in find_outcomes(kb, trial="TAMRAD", endpoint="CBR"):
        assert o.n is not None and o.value is not None and o.ci_low is not None
        k = round(o.value * o.n / 100)
        ci = stats.binomtest(k, o.n).proportion_ci(method="exact")
        assert 100 * ci.low == pytest.approx(o.ci_low, abs=0.05)
        assert 100 * ci.high == pytest.approx(o.ci_high, abs=0.05)


def test_every_outcome_has_a_source(kb: KnowledgeBase) -> None:
    for o in kb.outcomes:
        assert o.refs, o.id
        assert o.quote, o.id


def _numbers_in(text: str) -> set[float]:
    return {float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)}


@pytest.mark.review
def test_quotes_are_verbatim_and_carry_the_numbers(kb: KnowledgeBase, review_flat: str) -> None:
    """Each record's quote is in the review, and its value and CI are in the quote."""
    missing, unnumbered = [], []
    for o in kb.outcomes:
        q = collapse(o.quote)
        if q not in review_flat:
            missing.append(o.id)
            continue
        nums = _numbers_in(q)
        for x in (o.value, o.ci_low, o.ci_high, o.p_value):
            if x is None:
                continue
            # counts and arm n are not in the quote for best-response records with n
            if not any(abs(x - y) < 1e-9 for y in nums):
                unnumbered.append((o.id, x))
    assert not missing, f"quotes not found verbatim in the review: {missing}"
    assert not unnumbered, f"numbers not present in their quote: {unnumbered}"
