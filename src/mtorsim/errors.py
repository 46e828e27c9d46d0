"""Domain exceptions.

Every error that a user can cause (a typo in a drug name, a malformed data
file) is raised as a subclass of :class:`MtorsimError` whose message says what
was wrong, what was expected and how to fix it.  The CLI prints the message
without a traceback and exits with status 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MtorsimError(Exception):
    """Base class of every error mtorsim raises on purpose."""


class UnknownNameError(MtorsimError, KeyError):
    """A name (drug, trial, endpoint, ...) that is not in the knowledge base.

    Parameters
    ----------
    kind
        What kind of thing was looked up, e.g. ``"agent"``.
    name
        The name as the user wrote it.
    known
        The names that would have been accepted; the closest are suggested.
    hint
        Where to see the full list.
    """

    def __init__(self, kind: str, name: str, known: Iterable[str], hint: str = "") -> None:
        self.kind = kind
        self.name = name
        known_list = sorted(set(known))
        self.suggestions = difflib.get_close_matches(name, known_list, n=5, cutoff=0.5)
        if not self.suggestions:
            lowered = {k.lower(): k for k in known_list}
            self.suggestions = [
                lowered[k]
                for k in difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.5)
            ]
        msg = f"unknown {kind} {name!r}"
        if self.suggestions:
            msg += f"; did you mean: {', '.join(self.suggestions)}?"
        elif 0 < len(known_list) <= 12:
            msg += f"; known: {', '.join(known_list)}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0])


class UnknownAgentError(UnknownNameError):
    """A drug name, synonym or code that resolves to no agent."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        super().__init__("agent", name, known, hint="run `mtorsim agents` to list them")


# The brief's name for the same thing.
UnknownDrugError = UnknownAgentError


class DataFileError(MtorsimError):
    """A knowledge-base data file that cannot be read or does not validate.

    The message names the file, the record and the field.
    """

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s):\n{lines}")


class InvalidQueryError(MtorsimError, ValueError):
    """A query argument that has the wrong form (e.g. a phase of ``"7"``)."""
