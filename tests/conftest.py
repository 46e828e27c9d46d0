"""Shared fixtures.

The review's text lives outside the package, in ``../shared/seed`` beside the
repository (or wherever ``MTORSIM_REVIEW`` points).  Tests that read it are
marked ``review`` and skip cleanly when it is absent.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from mtorsim.knowledge import KnowledgeBase, load_knowledge_base

REPO = Path(__file__).resolve().parents[1]
#: one response-surface cache for the whole run (CLI subprocesses inherit it): tests share
#: surfaces as runs do, and nothing is written to the user's own cache
_CACHE = tempfile.mkdtemp(prefix="mtorsim-test-cache-")
os.environ["MTORSIM_CACHE"] = _CACHE


def pytest_sessionfinish() -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


REVIEW_NAME = "000_2d8e5787ff825cd1.txt"


def review_path() -> Path | None:
    env = os.environ.get("MTORSIM_REVIEW")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "seed" / REVIEW_NAME)
    for c in candidates:
        if c.is_file():
            return c
    return None


def collapse(text: str) -> str:
    """Collapse runs of whitespace to one space (the review wraps lines arbitrarily)."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="session")
def review_text() -> str:
    path = review_path()
    if path is None:
        pytest.skip("the review text (../shared/seed) is not available")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def review_flat(review_text: str) -> str:
    return collapse(review_text)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Outcome counts of the property-based suite by category (tests/test_fuzz.py)."""
    import sys

    fuzz = sys.modules.get("tests.test_fuzz") or sys.modules.get("test_fuzz")
    tally = getattr(fuzz, "TALLY", None)
    if tally:
        terminalreporter.write_sep("-", f"generated cases: {sum(tally.values())}")
        for key in sorted(tally):
            terminalreporter.write_line(f"{key}: {tally[key]}")
