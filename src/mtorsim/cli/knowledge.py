"""Knowledge-base commands: agents, trials, outcomes, lint, schema."""

from __future__ import annotations

import csv
import io
import sys
from typing import Any

import click

from mtorsim.cli.common import (
    console,
    data_dir_option,
    echo_json,
    json_option,
    load_kb,
    print_table,
)
from mtorsim.fileio import write_atomic
from mtorsim.knowledge import query, schema
from mtorsim.knowledge.lint import lint as run_lint
from mtorsim.knowledge.vocab import Severity


@click.command()
@click.argument("name", required=False)
@click.option("--class", "drug_class", help="Drug class or group, e.g. rapalog, mtor_inhibitor.")
@click.option("--target", help="Target node, e.g. MTORC1, HER2, IGF1R.")
@json_option
@data_dir_option
def agents(
    name: str | None,
    drug_class: str | None,
    target: str | None,
    as_json: bool,
    data_dir: str | None,
) -> None:
    """List agents (drugs), or show one by any name, synonym or code."""
    kb = load_kb(data_dir)
    found = query.find_agents(kb, drug_class=drug_class, target=target, name=name)
    rows = [query.agent_row(a) for a in found]
    if as_json:
        echo_json({"count": len(rows), "agents": rows})
        return
    if name is not None and len(found) == 1:
        _print_agent_detail(found[0])
        return
    print_table(
        f"{len(rows)} agents",
        ["id", "class", "targets", "stage", "codes / synonyms", "refs"],
        [
            [
                r["id"],
                r["class"],
                ", ".join(f"{t['node']} ({t['action']})" for t in r["targets"]),
                r["stage"],
                ", ".join(r["codes"] + r["synonyms"]),
                ",".join(map(str, r["refs"])),
            ]
            for r in rows
        ],
    )


def _print_agent_detail(a: Any) -> None:
    r = query.agent_row(a)
    lines = [
        f"{a.name} ({a.id})",
        f"  class:        {r['class']}  [{a.class_as_printed or '-'}]",
        f"  acts in:      {r['site_of_action']}",
        f"  names:        {', '.join(a.synonyms + a.codes) or '-'}",
        "  targets:      "
        + "; ".join(f"{t['node']} {t['action']} ({t['binding_site']})" for t in r["targets"]),
        f"  mechanism:    {a.mechanism}",
        f"  stage:        {r['stage']}"
        + (f"  [{a.stage_as_printed}]" if a.stage_as_printed else ""),
    ]
    for p in a.approvals:
        lines.append(f"  approved:     {p.year} {p.agency}: {p.indication} (refs {p.refs})")
    for d in a.doses:
        lines.append(f"  dose:         {d.text} {d.schedule} - {d.context} (refs {d.refs})")
    if a.half_life:
        hl = a.half_life
        span = f"{hl.low_h:g}" + (f"-{hl.high_h:g}" if hl.high_h else "")
        lines.append(f"  half-life:    {span} h {hl.moiety} (refs {hl.refs})")
    if a.class_toxicities:
        lines.append(f"  toxicities:   {', '.join(a.class_toxicities)} (refs {a.toxicity_refs})")
    lines.append(f"  refs:         {a.refs}")
    if a.note:
        lines.append(f"  note:         {a.note}")
    # each field wrapped to the table width, continuation lines under the value
    import textwrap

    width = console().width
    for line in lines:
        click.echo(textwrap.fill(line, width=width, subsequent_indent=" " * 16))


@click.command()
@click.option("--drug", "drugs", multiple=True, help="Trial includes this agent (repeatable).")
@click.option(
    "--class",
    "classes",
    multiple=True,
    help="Trial includes an agent of this class or group (repeatable).",
)
@click.option("--receptor", help="Receptor/hormone status: HER2+, HER2-, HR+, ER+, TNBC, NS.")
@click.option("--phase", help="Phase: 1, 2, 3, 4; '2' also matches phase 1/2.")
@click.option("--table", type=int, help="Review table number (2-7).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Also write a CSV file.")
@json_option
@data_dir_option
def trials(
    drugs: tuple[str, ...],
    classes: tuple[str, ...],
    receptor: str | None,
    phase: str | None,
    table: int | None,
    csv_path: str | None,
    as_json: bool,
    data_dir: str | None,
) -> None:
    """List registered and reported trials, filtered by drug, class, receptor status, phase."""
    kb = load_kb(data_dir)
    found = query.find_trials(
        kb, drugs=drugs, classes=classes, receptor=receptor, phase=phase, table=table
    )
    rows = [query.trial_row(t, kb) for t in found]
    if csv_path:
        write_atomic(csv_path, _trials_csv(rows))
    if as_json:
        echo_json({"count": len(rows), "trials": rows})
        return
    print_table(
        f"{len(rows)} trials",
        ["id", "NCT", "table", "status", "drugs", "phase", "N"],
        [
            [
                r["id"],
                r["nct"] or "",
                r["table"] or "text",
                r["receptor_status"] or "/".join(r["subtypes"]),
                ", ".join(r["agents"]),
                r["phase"] or "",
                r["n_table"] or r["n_text"] or "",
            ]
            for r in rows
        ],
    )
    if csv_path:
        click.echo(f"wrote {csv_path}")


def _trials_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    cols = [
        "id",
        "nct",
        "acronym",
        "table",
        "receptor_status",
        "subtypes",
        "drugs",
        "agents",
        "phase",
        "n_table",
        "n_text",
        "setting",
        "title",
        "refs",
    ]
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        flat = dict(r)
        for k in ("subtypes", "drugs", "agents", "refs"):
            flat[k] = ";".join(map(str, r[k]))
        w.writerow(flat)
    return buf.getvalue()


@click.command()
@click.option("--trial", help="Trial id, acronym or NCT ID.")
@click.option("--endpoint", help="Endpoint, e.g. PFS, ORR, CBR, TTP, OS, 'adverse event'.")
@click.option("--drug", help="Only trials that give this agent.")
@json_option
@data_dir_option
def outcomes(
    trial: str | None,
    endpoint: str | None,
    drug: str | None,
    as_json: bool,
    data_dir: str | None,
) -> None:
    """List the results the review reports."""
    kb = load_kb(data_dir)
    found = query.find_outcomes(kb, trial=trial, endpoint=endpoint, drug=drug)
    rows = [query.outcome_row(o) for o in found]
    if as_json:
        echo_json({"count": len(rows), "outcomes": rows})
        return
    print_table(
        f"{len(rows)} outcomes",
        ["trial", "analysis", "arm", "endpoint", "result", "95% CI", "p", "n", "ref"],
        [
            [
                r["trial"],
                r["analysis"],
                _arm_text(r),
                _endpoint_text(r),
                _result_text(r),
                "" if r["ci_low"] is None else f"{r['ci_low']:g}-{r['ci_high']:g}",
                ""
                if r["p_value"] is None
                else f"{'< ' if r['p_qualifier'] == '<' else ''}{r['p_value']:g}",
                r["n"] or "",
                ",".join(map(str, r["refs"])),
            ]
            for r in rows
        ],
    )


def _arm_text(r: dict[str, Any]) -> str:
    arm = r["arm"] or ""
    if r["comparator"]:
        arm += f" vs {r['comparator']}"
    if r["subgroup"]:
        arm += f" [{r['subgroup']}]"
    return arm


def _endpoint_text(r: dict[str, Any]) -> str:
    ep = str(r["endpoint"])
    if r["ae_term"]:
        ep += f": {r['ae_term']} (grade {r['ae_grade']})"
    if r["category"]:
        ep += f": {r['category']}"
    return f"{ep} {r['statistic']}" if r["statistic"] not in ("qualitative", "value") else ep


def _result_text(r: dict[str, Any]) -> str:
    if r["value"] is None:
        return str(r["finding"])
    q = "" if r["value_qualifier"] == "=" else f"{r['value_qualifier']} "
    unit = "" if r["unit"] in (None, "ratio") else r["unit"]
    sep = "" if unit == "%" else " "
    return f"{q}{r['value']:g}{sep}{unit}".strip()


@click.command("lint")
@click.argument("data_dir", required=False, type=click.Path(file_okay=False))
@click.option("--strict", is_flag=True, help="Exit non-zero on warnings too.")
@json_option
def lint_cmd(data_dir: str | None, strict: bool, as_json: bool) -> None:
    """Check a knowledge base (the built-in one by default); exit 1 on errors."""
    report = run_lint(load_kb(data_dir))
    if as_json:
        echo_json(report.to_dict())
    else:
        print_table(
            f"lint: {len(report.errors)} errors, {len(report.warnings)} warnings "
            f"({len(report.checks_run)} checks)",
            ["severity", "check", "record", "message", "suggestion"],
            [[i.severity.value, i.check, i.record, i.message, i.suggestion] for i in report.issues],
        )
        if not report.issues:
            click.echo("no issues")
        elif not report.errors and any(i.severity is Severity.WARNING for i in report.issues):
            click.echo(
                "warnings report inconsistencies in the review itself; use --strict to fail on them"
            )
    sys.exit(report.exit_code(strict))


@click.command("schema")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Folder to write the JSON Schema files into.",
)
def schema_cmd(out_dir: str) -> None:
    """Export the JSON Schema of every knowledge-base file format."""
    for p in schema.write_json_schemas(out_dir):
        click.echo(f"wrote {p}")


COMMANDS = [agents, trials, outcomes, lint_cmd, schema_cmd]
