"""Lint: small named checks over a knowledge base, each reporting issues with a severity.

Modelled on libpetab's linter: :data:`CHECKS` is a list of functions
``check(kb) -> Iterable[LintIssue]``; :func:`lint` runs them all and returns a
:class:`LintReport` whose :attr:`~LintReport.exit_code` is non-zero when any
issue is an error.

Errors are problems of the data (an unresolvable drug name, a value outside its
own confidence interval, a malformed NCT ID).  Warnings report where the review
disagrees with itself (a count the text states that the tables do not hold, an
N that differs between table and text) and misprints that a record has
acknowledged in its ``erratum`` field: the data keep what the review prints,
and lint says so rather than silently fixing it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from mtorsim.errors import UnknownAgentError
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base, normalise_name
from mtorsim.knowledge.models import NCT_PATTERN, Trial
from mtorsim.knowledge.query import find_trials, resolve_class
from mtorsim.knowledge.vocab import Endpoint, Severity, Statistic


@dataclass(frozen=True)
class LintIssue:
    check: str
    severity: Severity
    record: str
    message: str
    suggestion: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


@dataclass
class LintReport:
    issues: list[LintIssue] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[LintIssue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[LintIssue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    def exit_code(self, strict: bool = False) -> int:
        """1 if any error (or, with ``strict``, any warning), else 0."""
        if self.errors or (strict and self.warnings):
            return 1
        return 0

    def by_check(self, check: str) -> list[LintIssue]:
        return [i for i in self.issues if i.check == check]

    def to_dict(self) -> dict[str, Any]:
        return {
            "checks_run": self.checks_run,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "issues": [i.to_dict() for i in self.issues],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


Check = Callable[[KnowledgeBase], Iterable[LintIssue]]
CHECKS: list[Check] = []


def check(fn: Check) -> Check:
    """Register a lint check; its name is the function name with dashes."""
    CHECKS.append(fn)
    return fn


def check_name(fn: Check) -> str:
    return fn.__name__.removeprefix("check_").replace("_", "-")


# --------------------------------------------------------------------------- NCT IDs


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def likely_nct_corrections(bad: str, trial: Trial, kb: KnowledgeBase) -> list[str]:
    """Well-formed IDs that ``bad`` is probably a misprint of.

    The same trial's IDs in the running text come first, then any well-formed
    ID in the knowledge base within one edit.
    """
    out: list[str] = []
    for cand in trial.nct_in_text:
        if NCT_PATTERN.match(cand) and _edit_distance(bad, cand) <= 2:
            out.append(cand)
    for t in kb.trials:
        for cand in t.nct_ids():
            if cand not in out and NCT_PATTERN.match(cand) and _edit_distance(bad, cand) == 1:
                out.append(cand)
    return out


@check
def check_nct_format(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """NCT IDs are 'NCT' followed by eight digits."""
    for t in kb.trials:
        for nct in t.nct_ids():
            if NCT_PATTERN.match(nct):
                continue
            fixes = likely_nct_corrections(nct, t, kb)
            acknowledged = bool(t.erratum) and nct in t.erratum
            digits = len(nct) - 3 if nct.upper().startswith("NCT") else None
            why = f"has {digits} digits" if digits is not None else "does not start with NCT"
            yield LintIssue(
                check="nct-format",
                severity=Severity.WARNING if acknowledged else Severity.ERROR,
                record=f"trial {t.id}" + (f" (Table {t.table})" if t.table else ""),
                message=f"{nct!r} is not a valid NCT ID ({why}; expected NCT + 8 digits)"
                + (" [acknowledged erratum: " + t.erratum + "]" if acknowledged else ""),
                suggestion=("likely " + " or ".join(fixes)) if fixes else "",
            )


@check
def check_nct_text_agreement(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """A table's NCT ID and the running text's ID for the same trial agree."""
    for t in kb.trials:
        if t.nct is None:
            continue
        for other in t.nct_in_text:
            if other != t.nct:
                yield LintIssue(
                    "nct-text-agreement",
                    Severity.WARNING,
                    f"trial {t.id}" + (f" (Table {t.table})" if t.table else ""),
                    f"the table prints {t.nct} but the text writes {other}",
                    suggestion=f"use {other}" if NCT_PATTERN.match(other) else "",
                )


@check
def check_duplicate_nct(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """One NCT ID belongs to one trial record."""
    seen: dict[str, str] = {}
    for t in kb.trials:
        for nct in t.nct_ids():
            if nct in seen and seen[nct] != t.id:
                yield LintIssue(
                    "duplicate-nct",
                    Severity.ERROR,
                    f"trial {t.id}",
                    f"{nct} is also the ID of trial {seen[nct]}",
                    "merge the two records",
                )
            seen.setdefault(nct, t.id)


# --------------------------------------------------------------------------- names


@check
def check_unique_ids(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """Record ids are unique within each file."""
    groups: dict[str, list[str]] = {
        "agent": [a.id for a in kb.agents],
        "trial": [t.id for t in kb.trials],
        "outcome": [o.id for o in kb.outcomes],
        "claim": [c.id for c in kb.mechanisms] + [c.id for c in kb.count_claims],
        "reference": [str(r.number) for r in kb.references],
    }
    for kind, ids in groups.items():
        for rid, n in Counter(ids).items():
            if n > 1:
                yield LintIssue(
                    "unique-ids",
                    Severity.ERROR,
                    f"{kind} {rid}",
                    f"id used by {n} {kind} records",
                    "rename one",
                )


@check
def check_agent_names_unambiguous(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """No name, synonym or code belongs to two agents."""
    for key, ids in sorted(kb.name_collisions.items()):
        yield LintIssue(
            "agent-names-unambiguous",
            Severity.ERROR,
            f"agents {', '.join(ids)}",
            f"the name key {key!r} belongs to more than one agent",
            "remove the synonym from all but one",
        )


def _unresolved(kb: KnowledgeBase, names: Iterable[str], record: str) -> Iterable[LintIssue]:
    for name in names:
        if not kb.is_treatment(name):
            sug = UnknownAgentError(name, kb.agent_names()).suggestions
            yield LintIssue(
                "drug-resolves",
                Severity.ERROR,
                record,
                f"drug {name!r} does not resolve to an agent",
                ("did you mean " + ", ".join(sug)) if sug else "add the agent to agents.yaml",
            )


@check
def check_drug_resolves(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """Every drug name in trials, arms and claims resolves to an agent (or is placebo)."""
    for t in kb.trials:
        yield from _unresolved(kb, t.drugs_as_printed, f"trial {t.id}")
        for arm in t.arms:
            yield from _unresolved(kb, arm.treatments, f"trial {t.id} arm {arm.id}")
    for c in kb.mechanisms:
        yield from _unresolved(kb, c.agents, f"claim {c.id}")
    for cc in kb.count_claims:
        if cc.drug:
            yield from _unresolved(kb, [cc.drug], f"count claim {cc.id}")
    for a in kb.agents:
        if a.prodrug_of:
            yield from _unresolved(kb, [a.prodrug_of], f"agent {a.id} prodrug_of")


@check
def check_reference_exists(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """Every cited reference number is in the reference list."""
    known = {r.number for r in kb.references}
    records: list[tuple[str, list[int]]] = []
    for a in kb.agents:
        refs = list(a.refs) + list(a.toxicity_refs)
        refs += [r for t in a.targets for r in t.refs]
        refs += [r for d in a.doses for r in d.refs]
        refs += [r for p in a.approvals for r in p.refs]
        if a.half_life:
            refs += a.half_life.refs
        records.append((f"agent {a.id}", refs))
    records += [(f"trial {t.id}", [*t.refs, *t.same_as_text_study_ref]) for t in kb.trials]
    records += [(f"outcome {o.id}", list(o.refs)) for o in kb.outcomes]
    records += [(f"claim {c.id}", list(c.refs)) for c in kb.mechanisms]
    for record, refs in records:
        for r in sorted(set(refs) - known):
            yield LintIssue(
                "reference-exists",
                Severity.ERROR,
                record,
                f"reference {r} is not in references.yaml",
            )


# --------------------------------------------------------------------------- outcomes


@check
def check_outcome_links(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """Outcomes point at an existing trial and at arms of that trial."""
    trials = {t.id: t for t in kb.trials}
    for o in kb.outcomes:
        t = trials.get(o.trial)
        if t is None:
            yield LintIssue(
                "outcome-links",
                Severity.ERROR,
                f"outcome {o.id}",
                f"trial {o.trial!r} is not in trials.yaml",
            )
            continue
        arms = {a.id for a in t.arms}
        for role, arm in (("arm", o.arm), ("comparator", o.comparator)):
            if arm is not None and arm not in arms:
                yield LintIssue(
                    "outcome-links",
                    Severity.ERROR,
                    f"outcome {o.id}",
                    f"{role} {arm!r} is not an arm of trial {t.id}",
                    f"arms are: {', '.join(sorted(arms)) or '(none defined)'}",
                )


@check
def check_ci_contains_value(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """A point estimate lies inside its own confidence interval."""
    for o in kb.outcomes:
        if o.value is None or o.ci_low is None or o.ci_high is None:
            continue
        if not o.ci_low <= o.value <= o.ci_high:
            yield LintIssue(
                "ci-contains-value",
                Severity.ERROR,
                f"outcome {o.id}",
                f"value {o.value} is outside its CI {o.ci_low}-{o.ci_high}",
            )


def _decimals(x: float) -> int:
    s = repr(float(x))
    return 0 if s.endswith(".0") else len(s.split(".")[1])


@check
def check_rate_matches_n(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """A percentage reported with its N is k/N for some whole number of patients k."""
    for o in kb.outcomes:
        if o.statistic is not Statistic.RATE or o.unit != "%" or o.n is None:
            continue
        if o.value is None or o.value_qualifier != "=":
            continue
        value, n = o.value, o.n
        dec = _decimals(value)
        tol = 0.5 * 10 ** (-dec) + 1e-9
        k = round(value * n / 100)
        candidates = [c for c in (k - 1, k, k + 1) if 0 <= c <= n]
        if not any(abs(100 * c / n - value) <= tol for c in candidates):
            best = min(candidates, key=lambda c: abs(100 * c / n - value))
            yield LintIssue(
                "rate-matches-n",
                Severity.WARNING,
                f"outcome {o.id}",
                f"{value}% of n={n} is not a whole number of patients "
                f"(closest {best}/{n} = {100 * best / n:.{max(dec, 1)}f}%)",
            )


@check
def check_best_response_counts(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """CR + PR + SD + PD counts do not exceed the evaluable patients of the arm."""
    totals: dict[tuple[str, str | None], int] = {}
    for o in kb.outcomes:
        if o.endpoint is Endpoint.BEST_RESPONSE and o.value is not None:
            totals[(o.trial, o.arm)] = totals.get((o.trial, o.arm), 0) + int(o.value)
    arms = {(t.id, a.id): a.n for t in kb.trials for a in t.arms}
    for (tid, arm), total in totals.items():
        n = arms.get((tid, arm or ""))
        if n is None:
            continue
        if total > n:
            yield LintIssue(
                "best-response-counts",
                Severity.ERROR,
                f"trial {tid} arm {arm}",
                f"response counts sum to {total} > {n} evaluable patients",
            )
        elif total < n:
            yield LintIssue(
                "best-response-counts",
                Severity.INFO,
                f"trial {tid} arm {arm}",
                f"response counts sum to {total} of {n} evaluable patients; the review "
                f"does not report the category of the other {n - total}",
            )


# --------------------------------------------------------------------------- text vs tables


@check
def check_count_claims(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """Counts the running text states about the tables agree with the tables."""
    for cc in kb.count_claims:
        rows = [
            t
            for t in find_trials(
                kb,
                drugs=[cc.drug] if cc.drug else [],
                receptor=cc.subtype.value if cc.subtype else None,
            )
            if t.table in cc.tables
        ]
        all_rows = [t for t in kb.trials if t.table in cc.tables]
        if cc.with_class_group:
            group = resolve_class(cc.with_class_group)
            rows = [t for t in rows if any(a.drug_class in group for a in kb.trial_agents(t))]
        tables = ", ".join(str(x) for x in cc.tables)
        more_than = "more than" in cc.quote.lower() or "more than" in cc.note.lower()
        ok = len(rows) > cc.count if more_than else len(rows) == cc.count
        if not ok:
            listed = ", ".join(t.nct or t.id for t in rows)
            yield LintIssue(
                "count-claims",
                Severity.WARNING,
                f"claim {cc.id}",
                f"the text says {'more than ' if more_than else ''}{cc.count} ({cc.claim}); "
                f"Tables {tables} hold {len(all_rows)} rows, of which {len(rows)} match: {listed}",
            )


@check
def check_n_table_vs_text(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """A trial's N in its table row agrees with the N the text gives, and with its arms."""
    for t in kb.trials:
        if t.n_table is not None and t.n_text is not None and t.n_table != t.n_text:
            yield LintIssue(
                "n-table-vs-text",
                Severity.WARNING,
                f"trial {t.id} (Table {t.table})",
                f"the table gives N={t.n_table} (actual or anticipated enrolment) but the "
                f"text gives {t.n_text}",
            )
        arm_ns = [a.n for a in t.arms]
        if arm_ns and all(n is not None for n in arm_ns) and len(arm_ns) > 1:
            total = sum(n for n in arm_ns if n is not None)
            ref_n = t.n_text or t.n_table
            if ref_n is not None and total != ref_n:
                yield LintIssue(
                    "n-table-vs-text",
                    Severity.WARNING,
                    f"trial {t.id}",
                    f"arm sizes sum to {total} but the trial N is {ref_n}",
                )


@check
def check_hazard_ratio_plausible(kb: KnowledgeBase) -> Iterable[LintIssue]:
    """A hazard ratio's CI is roughly symmetric on the log scale (catches swapped bounds)."""
    for o in kb.outcomes:
        if o.statistic is not Statistic.HAZARD_RATIO or o.value is None or o.ci_low is None:
            continue
        assert o.ci_high is not None
        if o.value <= 0 or o.ci_low <= 0:
            yield LintIssue(
                "hazard-ratio-plausible",
                Severity.ERROR,
                f"outcome {o.id}",
                "hazard ratios and their CI bounds are positive",
            )
            continue
        lo = math.log(o.value) - math.log(o.ci_low)
        hi = math.log(o.ci_high) - math.log(o.value)
        if min(lo, hi) <= 0 or max(lo, hi) / min(lo, hi) > 2.0:
            yield LintIssue(
                "hazard-ratio-plausible",
                Severity.WARNING,
                f"outcome {o.id}",
                f"HR {o.value} ({o.ci_low}-{o.ci_high}) is far from log-symmetric",
            )


def lint(kb: KnowledgeBase | None = None, checks: Iterable[Check] | None = None) -> LintReport:
    """Run every check (or the given ones) and collect their issues."""
    kb = kb if kb is not None else load_knowledge_base()
    report = LintReport()
    for fn in checks if checks is not None else CHECKS:
        report.checks_run.append(check_name(fn))
        report.issues.extend(fn(kb))
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    report.issues.sort(key=lambda i: (order[i.severity], i.check, i.record))
    return report


__all__ = [
    "CHECKS",
    "LintIssue",
    "LintReport",
    "likely_nct_corrections",
    "lint",
    "normalise_name",
]
