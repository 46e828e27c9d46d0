"""Trial and outcome queries."""

from __future__ import annotations

import pytest

from mtorsim.errors import InvalidQueryError, UnknownNameError
from mtorsim.knowledge import KnowledgeBase, find_outcomes, find_trials


def test_her2_trials_combining_mtor_inhibitor_with_trastuzumab(kb: KnowledgeBase) -> None:
    """The brief's example query, against a hand list from Tables 2, 3, 6 and 7.

    HER2-positive rows with trastuzumab and an mTOR inhibitor: all of Table 2 except
    the lapatinib row (7), GeparQuinto (Table 3), and the sirolimus and ridaforolimus
    rows of Table 6 (2).
    """
    got = {
        t.nct
        for t in find_trials(
            kb, drugs=["trastuzumab"], classes=["mtor_inhibitor"], receptor="HER2+"
        )
        if t.table
    }
    assert got == {
        "NCT00458237",
        "NCT00317720",
        "NCT00674414",
        "NCT00426556",
        "NCT01163929",
        "NCT00876395",
        "NCT01007942",
        "NCT00567554",
        "NCT00411788",
        "NCT00736970",
    }


def test_everolimus_trials_by_table(kb: KnowledgeBase) -> None:
    eve = find_trials(kb, drugs=["RAD001"])
    by_table = {n: sum(t.table == n for t in eve) for n in range(2, 8)}
    assert by_table == {2: 8, 3: 7, 4: 6, 5: 2, 6: 0, 7: 0}


def test_receptor_implication(kb: KnowledgeBase) -> None:
    """HR+ includes ER+ rows; HER2- includes triple-negative rows."""
    hr = {t.nct for t in find_trials(kb, receptor="HR+") if t.table}
    assert "NCT00863655" in hr  # ER-positive HER2-negative (BOLERO-2)
    assert "NCT01298713" in hr  # ER-positive and/or PR-positive
    her2neg = {t.nct for t in find_trials(kb, receptor="HER2-") if t.table}
    assert "NCT01272141" in her2neg  # triple-negative


def test_phase_filter(kb: KnowledgeBase) -> None:
    p3 = {t.nct for t in find_trials(kb, phase="3") if t.table}
    assert p3 == {"NCT00876395", "NCT01007942", "NCT00567554", "NCT00863655"}
    p12 = find_trials(kb, phase="1/2")
    assert all(t.phase == "1/2" for t in p12)
    assert len(find_trials(kb, phase="2")) > len(p12)
    with pytest.raises(InvalidQueryError):
        find_trials(kb, phase="7")


def test_unknown_filters_are_clear(kb: KnowledgeBase) -> None:
    with pytest.raises(UnknownNameError, match="drug class"):
        find_trials(kb, classes=["mtor inhibitr"])
    with pytest.raises(UnknownNameError, match="receptor status"):
        find_trials(kb, receptor="HER3+")
    with pytest.raises(UnknownNameError, match="trial"):
        find_outcomes(kb, trial="BOLERO-9")


def test_outcomes_by_trial_and_endpoint(kb: KnowledgeBase) -> None:
    hrs = find_outcomes(kb, trial="NCT00863655", endpoint="PFS")
    assert {o.value for o in hrs if o.statistic.value == "hazard ratio"} == {0.43, 0.44, 0.45, 0.40}
    assert all(o.trial == "bolero-2" for o in hrs)
    assert find_outcomes(kb, drug="fulvestrant")
