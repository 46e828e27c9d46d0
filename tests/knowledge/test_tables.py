"""The trial records against the review's Tables 2-7.

The expected rows below were transcribed by hand from the review (pages 10-13),
independently of ``trials.yaml``: NCT ID as printed, phase, N, and the drug
column.  Every row of every table is listed, so the row counts are checked too.
"""

from __future__ import annotations

import pytest

from mtorsim.knowledge import KnowledgeBase

# (NCT as printed, phase, N, drugs as printed)
TABLES: dict[int, list[tuple[str, str, int, list[str]]]] = {
    2: [
        ("NCT00458237", "1/2", 11, ["Everolimus", "Trastuzumab"]),
        ("NCT00317720", "1/2", 47, ["Everolimus", "Trastuzumab"]),
        ("NCT00674414", "2", 120, ["Everolimus", "Trastuzumab"]),
        ("NCT00426556", "1/2", 90, ["Everolimus", "Paclitaxel", "Trastuzumab"]),
        ("NCT01163929", "2", 30, ["Everolimus", "Paclitaxel", "Trastuzumab"]),
        ("NCT00876395", "3", 717, ["Everolimus", "Trastuzumab", "Paclitaxel"]),
        ("NCT01007942", "3", 572, ["Everolimus", "Vinorelbine", "Trastuzumab"]),
        ("NCT01283789", "2", 45, ["Lapatinib", "RAD001"]),
    ],
    3: [
        ("NCT01272141", "2", 43, ["Everolimus", "Lapatinib"]),
        (
            "NCT00499603",
            "2",
            50,
            ["Everolimus", "Paclitaxel", "5-Fluorouracil", "Epirubicin", "Cyclophosphamide"],
        ),
        ("NCT01031446", "1/2", 55, ["Everolimus", "Cisplatin", "Paclitaxel"]),
        ("NCT00915603", "2", 110, ["Everolimus", "Paclitaxel", "Bevacizumab"]),
        (
            "NCT00567554",
            "3",
            2547,
            [
                "Everolimus",
                "Epirubicin",
                "Cyclophosphamide",
                "Docetaxel",
                "Bevacizumab",
                "Paclitaxel",
                "Trastuzumab",
                "Lapatinib",
            ],
        ),
        ("NCT00930930", "2", 102, ["Everolimus", "Cisplatin", "Paclitaxel", "Placebo"]),
        ("NCT00934895", "1/2", 72, ["Everolimus", "Albumin-bound Paclitaxel"]),
    ],
    4: [
        ("NCT00912340", "2", 80, ["Everolimus", "Trastuzumab"]),
        ("NCT00107016", "2", 255, ["Everolimus", "Letrozole"]),
        ("NCT01298713", "2", 111, ["Everolimus", "Tamoxifen"]),
        ("NCT00570921", "2", 44, ["Everolimus", "Fulvestrant"]),
        ("NCT00863655", "3", 705, ["Everolimus", "Exemestane"]),
        ("NCT01231659", "4", 70, ["Everolimus", "Letrozole"]),
    ],
    5: [
        ("NCT00930475", "1/2", 54, ["Everolimus", "Carboplatin"]),
        ("NCT00253318", "1/2", 15, ["Everolimus", "Docetaxel"]),
    ],
    6: [
        ("NCT00411788", "2", 30, ["Sirolimus", "Trastuzumab"]),
        ("NCT00736970", "2", 34, ["Ridaforolimus", "Trastuzumab"]),
        ("NCT01234857", "2", 352, ["Ridaforolimus", "Dalotuzumab", "Exemestane"]),
        ("NCT01082068", "1/2", 124, ["XL765", "XL147", "Letrozole"]),
    ],
    7: [
        ("NCT00061971", "2", 108, ["Temsirolimus", "Letrozole"]),
        ("NCT00062751", "2", 108, ["Temsirolimus", "Letrozole"]),
        ("NCT00699491", "1/2", 68, ["Temsirolimus", "Cixutumumab (IMC-A12)"]),
        ("NCT0111825", "1/2", 65, ["Temsirolimus", "Neratinib (HKI-272)"]),
    ],
}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_row_count(kb: KnowledgeBase, table: int) -> None:
    rows = [t for t in kb.trials if t.table == table]
    assert len(rows) == len(TABLES[table])


@pytest.mark.parametrize(
    ("table", "nct", "phase", "n", "drugs"),
    [(tab, *row) for tab, rows in TABLES.items() for row in rows],
)
def test_row_fields(
    kb: KnowledgeBase, table: int, nct: str, phase: str, n: int, drugs: list[str]
) -> None:
    (row,) = [t for t in kb.trials if t.nct == nct]
    assert row.table == table
    assert row.phase == phase
    assert row.n_table == n
    assert [d.lower() for d in row.drugs_as_printed] == [d.lower() for d in drugs]


def test_every_table_drug_resolves_to_the_right_agent(kb: KnowledgeBase) -> None:
    expected = {
        "RAD001": "everolimus",
        "Cixutumumab (IMC-A12)": "cixutumumab",
        "Neratinib (HKI-272)": "neratinib",
        "Albumin-bound Paclitaxel": "nab-paclitaxel",
        "5-Fluorouracil": "5-fluorouracil",
        "XL765": "xl765",
    }
    for printed, agent_id in expected.items():
        assert kb.agent(printed).id == agent_id


def test_receptor_status_sample(kb: KnowledgeBase) -> None:
    """One status per table, as printed, and its normalised subtypes."""
    cases = {
        "NCT00876395": ("HER2-positive", {"HER2+"}),
        "NCT01031446": ("Triple-negative HER2-negative", {"TNBC", "HER2-"}),
        "NCT01298713": ("ER-positive and/or PR-positive; HER2-negative", {"HR+", "HER2-"}),
        "NCT00253318": ("NS", {"NS"}),
        "NCT01234857": ("ER-positive; HER2-negative", {"ER+", "HER2-"}),
        "NCT0111825": ("HER2-positive or triple-negative", {"HER2+", "TNBC"}),
    }
    for nct, (printed, subtypes) in cases.items():
        t = kb.trial(nct)
        assert t.status_as_printed == printed
        assert {s.value for s in t.subtypes} == subtypes


def test_text_only_trials_present(kb: KnowledgeBase) -> None:
    """Trials the text names outside the tables (issue 2's list, and others)."""
    for key in [
        "GeparQuattro",
        "SUCCEED",
        "NCT01155258",
        "NCT00620594",
        "NCT00742105",
        "NCT00600275",
        "NCT01285466",
        "NCT01248494",
        "NCT01220570",
        "ph3-tem-let",
        "ph1-eve-vnr-tras",
        "ph1-eve-pac-tras",
        "ph1-eve-cis-pac",
        "ph1-eve-cape",
    ]:
        t = kb.trial(key)
        assert t.table is None, key
    assert kb.trial("NCT00288002").acronym == "GeparQuattro"
    assert kb.trial("NCT00538239").id == "succeed"
    # the misprinted Table 7 ID and the text's form find the same record
    assert kb.trial("NCT01111825") is kb.trial("NCT0111825")


def test_bolero_trials(kb: KnowledgeBase) -> None:
    b2 = kb.trial("BOLERO-2")
    assert (b2.nct, b2.n_table, b2.n_text, b2.phase) == ("NCT00863655", 705, 724, "3")
    assert kb.trial("BOLERO-1").n_table == 717
    assert kb.trial("BOLERO-3").n_table == 572
    assert kb.trial("GeparQuinto").n_table == 2547


def test_trials_link_to_agents(kb: KnowledgeBase) -> None:
    """Every trial with drugs resolves at least one agent, and every arm agent resolves."""
    for t in kb.trials:
        if t.drugs_as_printed:
            assert kb.trial_agents(t), t.id
        for arm in t.arms:
            for name in arm.treatments:
                assert kb.is_treatment(name), (t.id, arm.id, name)
