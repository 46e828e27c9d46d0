"""Every record against the review's own text (skipped when ../shared is absent).

Titles, NCT IDs, quotes and names must be found in the review after collapsing
whitespace: the data transcribe the review and invent nothing.
"""

from __future__ import annotations

import re

import pytest

from mtorsim.knowledge import KnowledgeBase
from tests.conftest import collapse

pytestmark = pytest.mark.review


def _loose(s: str) -> str:
    """Compare modulo whitespace, dashes and case (tables use en dashes and odd spacing)."""
    return re.sub(r"[\s\u2010-\u2015\-]+", " ", s).strip().lower()


def test_table_titles_and_ids_are_printed(kb: KnowledgeBase, review_flat: str) -> None:
    flat = _loose(review_flat)
    for t in kb.trials:
        if t.table is None:
            continue
        assert t.nct and t.nct in review_flat, t.id
        assert _loose(t.title) in flat, f"title of {t.id} not in the review: {t.title!r}"
        assert _loose(t.status_as_printed) in flat, t.id


def test_text_only_nct_ids_are_printed(kb: KnowledgeBase, review_flat: str) -> None:
    for t in kb.trials:
        for nct in t.nct_ids():
            assert nct in review_flat, (t.id, nct)


def test_agent_names_and_codes_are_printed(kb: KnowledgeBase, review_flat: str) -> None:
    """Each agent's name or one of its codes appears in the review (or its references)."""
    flat = _loose(review_flat)
    for a in kb.agents:
        names = [a.name, *a.codes, *a.synonyms]
        assert any(_loose(n) in flat for n in names), a.id


def test_claim_quotes_verbatim(kb: KnowledgeBase, review_flat: str) -> None:
    for c in [*kb.mechanisms, *kb.count_claims]:
        assert collapse(c.quote) in review_flat, c.id


def test_reference_list_complete(kb: KnowledgeBase, review_flat: str) -> None:
    assert [r.number for r in kb.references] == list(range(1, 88))
    for r in kb.references:
        first_author = r.citation.split()[0].rstrip(",")
        assert first_author in review_flat, r.number
