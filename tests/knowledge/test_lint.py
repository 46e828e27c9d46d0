"""Lint findings on the shipped knowledge base, and on broken copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mtorsim.knowledge import KnowledgeBase, lint, load_knowledge_base
from mtorsim.knowledge.base import default_data_dir


def test_shipped_data_has_no_errors(kb: KnowledgeBase) -> None:
    report = lint(kb)
    assert report.errors == [], [i.message for i in report.errors]
    assert report.exit_code() == 0


def test_table7_nct_misprint_reported_with_correction(kb: KnowledgeBase) -> None:
    """Table 7 prints NCT0111825 (7 digits); the text writes NCT01111825."""
    issues = lint(kb).by_check("nct-format")
    assert len(issues) == 1
    (issue,) = issues
    assert "NCT0111825" in issue.message and "7 digits" in issue.message
    assert "NCT01111825" in issue.suggestion
    assert issue.severity.value == "warning"  # acknowledged in the record's erratum
    # the data keep what the review prints
    assert kb.trial("NCT01111825").nct == "NCT0111825"
    text = lint(kb).by_check("nct-text-agreement")
    assert any("NCT01111825" in i.message for i in text)


def test_count_claims_against_tables(kb: KnowledgeBase) -> None:
    """The text claims 24 everolimus + chemotherapy trials in Tables 2-5, 7 with HER2+.

    Counted by hand from the tables: Tables 2-5 hold 8 + 7 + 6 + 2 = 23 rows, all
    with everolimus; of those, 12 add a cytotoxic (Table 2: NCT00426556,
    NCT01163929, BOLERO-1, BOLERO-3; Table 3: all but NCT01272141; Table 5: both),
    and 5 of the 12 include HER2-positive patients (the four Table 2 rows and
    GeparQuinto).
    """
    issues = {i.record: i for i in lint(kb).by_check("count-claims")}
    claim24 = next(i for r, i in issues.items() if "24" in i.message)
    assert "hold 23 rows, of which 12 match" in claim24.message
    claim7 = next(i for r, i in issues.items() if "the text says 7" in i.message)
    assert "of which 5 match" in claim7.message


def test_n_mismatch_between_table_and_text(kb: KnowledgeBase) -> None:
    msgs = [i.message for i in lint(kb).by_check("n-table-vs-text")]
    assert any("N=705" in m and "724" in m for m in msgs)  # BOLERO-2
    assert any("N=255" in m and "270" in m for m in msgs)  # neoadjuvant letrozole


def test_strict_mode_fails_on_warnings(kb: KnowledgeBase) -> None:
    report = lint(kb)
    assert report.warnings
    assert report.exit_code(strict=True) == 1


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(default_data_dir(), dst)
    return dst


def _edit(path: Path, fn) -> None:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(path.read_text())
    fn(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def test_unresolvable_drug_is_an_error(data_copy: Path) -> None:
    _edit(
        data_copy / "trials.yaml", lambda d: d["trials"][0]["drugs_as_printed"].append("Everolimis")
    )
    report = lint(load_knowledge_base(data_copy))
    (issue,) = report.by_check("drug-resolves")
    assert issue.severity.value == "error" and "Everolimis" in issue.message
    assert "everolimus" in issue.suggestion.lower()
    assert report.exit_code() == 1


def test_unacknowledged_bad_nct_is_an_error(data_copy: Path) -> None:
    def corrupt(d: dict) -> None:  # type: ignore[type-arg]
        row = next(t for t in d["trials"] if t.get("nct") == "NCT00863655")
        row["nct"] = "NCT0863655"

    _edit(data_copy / "trials.yaml", corrupt)
    issues = [
        i
        for i in lint(load_knowledge_base(data_copy)).by_check("nct-format")
        if "NCT0863655" in i.message
    ]
    assert issues and issues[0].severity.value == "error"


def test_value_outside_ci_and_bad_link(data_copy: Path) -> None:
    def corrupt(d: dict) -> None:  # type: ignore[type-arg]
        hr = next(o for o in d["outcomes"] if o.get("ci_low") is not None)
        hr["value"] = hr["ci_high"] + 1
        d["outcomes"][0]["arm"] = "no-such-arm"

    _edit(data_copy / "outcomes.yaml", corrupt)
    report = lint(load_knowledge_base(data_copy))
    assert report.by_check("ci-contains-value")
    assert any("no-such-arm" in i.message for i in report.by_check("outcome-links"))


def test_rate_not_a_whole_number_of_patients(data_copy: Path) -> None:
    def corrupt(d: dict) -> None:  # type: ignore[type-arg]
        cbr = next(
            o
            for o in d["outcomes"]
            if o["trial"] == "tamrad" and o["endpoint"] == "CBR" and o.get("arm") == "tam-eve"
        )
        cbr["value"] = 62.0  # 62% of 54 is 33.48 patients
        cbr["ci_high"] = 75.0

    _edit(data_copy / "outcomes.yaml", corrupt)
    assert lint(load_knowledge_base(data_copy)).by_check("rate-matches-n")
