"""The ``mtorsim`` command line: a thin layer over the Python API.

Every command parses its options, calls one library function and prints the
result: a readable table by default, one JSON document with ``--json``.
Errors the user can cause print one message (no traceback) and exit 2.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.fileio import write_atomic
from mtorsim.knowledge import base as kb_base
from mtorsim.knowledge import query, schema
from mtorsim.knowledge.lint import lint as run_lint
from mtorsim.knowledge.vocab import Severity

F = TypeVar("F", bound=Callable[..., Any])


def _console() -> Console:
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "160"))
    return Console(width=width, highlight=False)


def echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False, title_justify="left")
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*("" if v is None else escape(str(v)) for v in r))
    _console().print(table)


def _kb(data_dir: str | None) -> kb_base.KnowledgeBase:
    return kb_base.load_knowledge_base(data_dir)


def data_dir_option(fn: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False),
        default=None,
        help="Knowledge-base folder to use instead of the built-in one.",
    )(fn)


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")(fn)


class MtorsimGroup(click.Group):
    """Turns MtorsimError into a one-line message and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MtorsimError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=MtorsimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mtorsim")
def main() -> None:
    """mtorsim: mTOR-inhibitor combinations in advanced breast cancer, from the
    knowledge in Yardley 2013 (doi:10.4137/BCBCR.S10071) to virtual trials."""


# --------------------------------------------------------------------------- knowledge


@main.command()
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
    kb = _kb(data_dir)
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
    click.echo("\n".join(lines))


@main.command()
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
    kb = _kb(data_dir)
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


@main.command()
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
    kb = _kb(data_dir)
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


@main.command("lint")
@click.argument("data_dir", required=False, type=click.Path(file_okay=False))
@click.option("--strict", is_flag=True, help="Exit non-zero on warnings too.")
@json_option
def lint_cmd(data_dir: str | None, strict: bool, as_json: bool) -> None:
    """Check a knowledge base (the built-in one by default); exit 1 on errors."""
    report = run_lint(_kb(data_dir))
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


@main.command("schema")
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


# --------------------------------------------------------------------------- pathway


def _save_plot(ax: Any, plot_path: str) -> None:
    """Write a figure atomically as PNG and close it."""
    import matplotlib.pyplot as plt

    tmp = Path(plot_path).with_name(f".{Path(plot_path).name}.tmp.png")
    ax.figure.savefig(tmp, dpi=120)
    plt.close(ax.figure)
    tmp.replace(plot_path)


@main.command("pk")
@click.option("--drug", required=True, help="Agent name, e.g. everolimus.")
@click.option("--regimen", required=True, help='Regimen text, e.g. "10 mg daily".')
@click.option("--days", type=float, default=28.0, show_default=True, help="Days to simulate.")
@click.option("--weight", type=float, default=70.0, show_default=True, help="Body weight (kg).")
@click.option("--height", type=float, default=165.0, show_default=True, help="Height (cm).")
@click.option("--gfr", type=float, default=90.0, show_default=True, help="GFR (mL/min).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write a PNG.")
@json_option
def pk_cmd(
    drug: str,
    regimen: str,
    days: float,
    weight: float,
    height: float,
    gfr: float,
    plot_path: str | None,
    as_json: bool,
) -> None:
    """Concentration-time profile of a regimen: Cmax, Cmin, AUC, time to 90% steady state."""
    from mtorsim.pharmacology import Patient, simulate_pk

    prof = simulate_pk(drug, regimen, days, Patient(weight, height, gfr))
    m = prof.metrics()
    if plot_path:
        import matplotlib

        matplotlib.use("Agg")
        _save_plot(prof.plot(), plot_path)
    if as_json:
        echo_json(prof.to_dict())
        return
    t90 = m["t90_steady_state_h"]
    print_table(
        f"{prof.agent}: {prof.regimen} for {days:g} days ({prof.matrix}; metrics over the last "
        f"{m['period_h'] / 24:g}-day period)",
        ["metric", "value"],
        [
            ["Cmax", f"{m['Cmax_ng_mL']:.4g} ng/mL ({m['Cmax_nM']:.4g} nM)"],
            ["Cmin", f"{m['Cmin_ng_mL']:.4g} ng/mL ({m['Cmin_nM']:.4g} nM)"],
            ["AUC over the period", f"{m['AUC_last_period_ng_h_mL']:.4g} ng*h/mL"],
            ["Cavg over the period", f"{m['Cavg_last_period_ng_mL']:.4g} ng/mL"],
            ["steady-state average (F*dose/(CL*period))", f"{m['Css_avg_ng_mL']:.4g} ng/mL"],
            [
                "unbound steady-state average",
                f"{m['Css_avg_unbound_nM']:.4g} nM (fu {m['fu']:.3g})",
            ],
            [
                "time to 90% of steady state",
                "not reached" if t90 is None else f"{t90:.1f} h ({t90 / 24:.1f} days)",
            ],
            ["half-life (slowest rate)", f"{m['terminal_half_life_h']:.1f} h"],
            ["PK source", prof.provenance["pk_source"]],
        ],
    )
    if plot_path:
        click.echo(f"wrote {plot_path}")


def _parse_doses(text: str | None) -> list[float] | None:
    if text is None:
        return None
    from mtorsim.pathway.drugs import parse_concentration

    try:
        return [
            parse_concentration(x if x.strip()[-1:].isalpha() else f"{x}nM")
            for x in text.split(",")
        ]
    except (IndexError, ValueError) as exc:
        raise MtorsimError(
            f"cannot read doses {text!r}: {exc}; write e.g. 0,1,10,100 (nM) or 0,1nM,1uM"
        ) from None


def _synergy_tables(results: dict[str, Any], title: str) -> None:
    rows = []
    for name, r in results.items():
        c1, c2, best = r.most_synergistic()
        rows.append(
            [
                name.upper(),
                f"{r.summary:+.2f}",
                f"{best:+.2f} at {c1:g} + {c2:g}",
                str(int(r.flagged.sum())),
            ]
        )
    print_table(
        title, ["score", "summary (mean, % points)", "most synergistic cell", "flagged cells"], rows
    )


def _heatmaps(m: Any, results: dict[str, Any], plot_path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("inhibition (%)", m.response, "viridis", None)] + [
        (
            f"{k.upper()} (mean {r.summary:+.1f})",
            r.scores,
            "RdBu_r",
            max(5.0, float(abs(r.scores).max())),
        )
        for k, r in results.items()
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.6), layout="constrained")
    for ax, (title, z, cmap, lim) in zip(axes, panels, strict=True):
        kw = {"vmin": -lim, "vmax": lim} if lim else {"vmin": 0, "vmax": 100}
        im = ax.imshow(z, origin="lower", cmap=cmap, aspect="auto", **kw)
        ax.set_xticks(range(len(m.conc2)), [f"{c:.2g}" for c in m.conc2], rotation=90, fontsize=7)
        ax.set_yticks(range(len(m.conc1)), [f"{c:.2g}" for c in m.conc1], fontsize=7)
        ax.set(xlabel=f"{m.drug2} ({m.unit})", ylabel=f"{m.drug1} ({m.unit})", title=title)
        fig.colorbar(im, ax=ax, shrink=0.8)
    _save_plot(axes[0], plot_path)


@main.command("combo")
@click.option("--context", required=True, help="Cell context, e.g. BT474 (see pathway contexts).")
@click.option("--drugs", required=True, help="Two agents, comma-separated: everolimus,paclitaxel.")
@click.option("--doses1", help="Doses of the first agent, comma-separated, zero first (nM).")
@click.option("--doses2", help="Doses of the second agent, comma-separated, zero first (nM).")
@click.option("--hours", type=float, default=72.0, show_default=True, help="Assay time (h).")
@click.option("--baseline-correction", is_flag=True, help="SynergyFinder's baseline correction.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Heatmaps (PNG).")
@json_option
def combo_cmd(
    context: str,
    drugs: str,
    doses1: str | None,
    doses2: str | None,
    hours: float,
    baseline_correction: bool,
    plot_path: str | None,
    as_json: bool,
) -> None:
    """Simulated two-drug viability matrix and its ZIP, Bliss, HSA and Loewe scores."""
    from mtorsim.response import combination_matrix, score

    names = [d.strip() for d in drugs.split(",") if d.strip()]
    if len(names) != 2:
        raise MtorsimError(f"--drugs needs exactly two agents, comma-separated; got {drugs!r}")
    m = combination_matrix(
        context, names[0], names[1], _parse_doses(doses1), _parse_doses(doses2), hours
    )
    results = score(m, correct_baseline=baseline_correction)
    if plot_path:
        _heatmaps(m, results, plot_path)
    if as_json:
        echo_json(
            {
                "context": context,
                "assay_h": hours,
                "matrix": m.to_dict(),
                "scores": {k: r.to_dict() for k, r in results.items()},
            }
        )
        return
    print_table(
        f"{context}: % inhibition at {hours:g} h (rows {m.drug1}, columns {m.drug2}, nM)",
        [f"{m.drug1} \\ {m.drug2}"] + [f"{c:.3g}" for c in m.conc2],
        [
            [f"{c:.3g}"] + [f"{v:.1f}" for v in row]
            for c, row in zip(m.conc1, m.response, strict=True)
        ],
    )
    _synergy_tables(
        results, "synergy (observed - expected; > 0 synergy, SynergyFinder conventions)"
    )
    if plot_path:
        click.echo(f"wrote {plot_path}")


@main.command("synergy")
@click.argument("csv_path", type=click.Path(dir_okay=False))
@click.option(
    "--method",
    "methods",
    multiple=True,
    type=click.Choice(["zip", "bliss", "hsa", "loewe"]),
    help="Scores (default: all four).",
)
@click.option("--baseline-correction", is_flag=True, help="SynergyFinder's baseline correction.")
@click.option(
    "--plot", "plot_path", type=click.Path(dir_okay=False), help="Heatmaps of the first pair (PNG)."
)
@json_option
def synergy_cmd(
    csv_path: str,
    methods: tuple[str, ...],
    baseline_correction: bool,
    plot_path: str | None,
    as_json: bool,
) -> None:
    """Score measured matrices in SynergyFinder's long CSV format (replicates averaged)."""
    from mtorsim.response import read_synergyfinder_csv, score

    mats = read_synergyfinder_csv(csv_path)
    chosen = list(methods) or ["zip", "bliss", "hsa", "loewe"]
    out = []
    for k, m in enumerate(mats, start=1):
        results = score(m, chosen, correct_baseline=baseline_correction)
        if plot_path and k == 1:
            _heatmaps(m, results, plot_path)
        out.append((m, results))
    if as_json:
        echo_json(
            {
                "file": csv_path,
                "pairs": [
                    {
                        "matrix": m.to_dict(),
                        "replicated_cells": len(m.replicates),
                        "scores": {k: r.to_dict() for k, r in res.items()},
                    }
                    for m, res in out
                ],
            }
        )
        return
    for k, (m, results) in enumerate(out, start=1):
        _synergy_tables(
            results,
            f"pair {k}: {m.drug1} + {m.drug2} ({len(m.conc1)} x {len(m.conc2)} doses, {m.unit})",
        )
    if plot_path:
        click.echo(f"wrote {plot_path}")


@main.group()
def pathway() -> None:
    """The PI3K/Akt/mTOR signalling model: simulate, contexts, export-sbml, check."""


def _parse_time_min(text: str) -> float:
    import re

    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(min|m|h|d)?\s*", text)
    if not m:
        raise click.BadParameter(f"cannot read time {text!r}; write e.g. 30min, 24h or 2d")
    factor = {"min": 1.0, "m": 1.0, "h": 60.0, "d": 1440.0, None: 60.0}[m.group(2)]
    return float(m.group(1)) * factor


@pathway.command("simulate")
@click.option(
    "--context", required=True, help="Context name (see `pathway contexts`) or YAML path."
)
@click.option(
    "--drug", "drugs", multiple=True, help="NAME=CONC, e.g. everolimus=10nM (repeatable)."
)
@click.option(
    "--time",
    "time_",
    default=None,
    help="Time course length (e.g. 24h); without it, the steady state.",
)
@click.option(
    "--plot", "plot_path", type=click.Path(dir_okay=False), help="Write a PNG of the time course."
)
@json_option
def pathway_simulate(
    context: str, drugs: tuple[str, ...], time_: str | None, plot_path: str | None, as_json: bool
) -> None:
    """Simulate a context with drugs held at fixed concentrations."""
    from mtorsim.pathway import PathwaySimulator, parse_dose

    doses = [parse_dose(d) for d in drugs]
    sim = PathwaySimulator()
    if time_ is None and plot_path is None:
        res = sim.steady_state(context, doses)
        if as_json:
            echo_json(res.to_dict())
            return
        print_table(
            f"{res.context} steady state: " + (", ".join(map(str, doses)) or "no drug"),
            ["readout", "fraction"],
            [[k, f"{v:.3f}"] for k, v in res.readouts.items()],
        )
        return
    tc = sim.time_course(context, doses, t_end_min=_parse_time_min(time_ or "24h"))
    if plot_path:
        import matplotlib

        matplotlib.use("Agg")
        _save_plot(tc.plot(), plot_path)
    if as_json:
        echo_json(tc.to_dict())
        return
    final = tc.final()
    print_table(
        f"{tc.context} after {tc.time_min[-1] / 60:g} h: "
        + (", ".join(map(str, doses)) or "no drug"),
        ["readout", "t=0", "end"],
        [[k, f"{tc.readouts[k][0]:.3f}", f"{final[k]:.3f}"] for k in tc.readouts],
    )
    if plot_path:
        click.echo(f"wrote {plot_path}")


@pathway.command("contexts")
@json_option
def pathway_contexts(as_json: bool) -> None:
    """List the built-in cell contexts."""
    from mtorsim.pathway import list_contexts

    ctxs = list_contexts()
    if as_json:
        echo_json([c.model_dump(mode="json") for c in ctxs])
        return
    print_table(
        f"{len(ctxs)} contexts",
        ["name", "subtype", "genotype", "description"],
        [
            [c.name, "/".join(s.value for s in c.subtype), ", ".join(c.genotype), c.description]
            for c in ctxs
        ],
    )


@pathway.command("export-sbml")
@click.argument("path", type=click.Path(dir_okay=False))
def pathway_export_sbml(path: str) -> None:
    """Write the model as SBML Level 3."""
    from mtorsim.pathway import export_sbml

    click.echo(f"wrote {export_sbml(path)}")


@pathway.command("check")
@json_option
def pathway_check(as_json: bool) -> None:
    """Run the behaviour checklist; exit 1 if any check fails."""
    from mtorsim.pathway.checks import run_checks

    report = run_checks()
    if as_json:
        echo_json(report.to_dict())
    else:
        print_table(
            f"behaviour checklist: {sum(r.passed for r in report.results)}/{len(report.results)}"
            " passed",
            ["check", "claim (refs)", "criterion", "measured", "margin", "result"],
            [
                [
                    r.id,
                    f"{r.claim} ({', '.join(map(str, r.refs))})",
                    r.criterion,
                    ", ".join(f"{k}={v:.3g}" for k, v in r.measured.items()),
                    f"{r.min_margin:+.0%}",
                    "PASS" if r.passed else "FAIL",
                ]
                for r in report.results
            ],
        )
    sys.exit(0 if report.passed else 1)


@pathway.command("calibrate")
@click.option("--seed", type=int, default=None, help="Seed of the multistart (default: record's).")
@click.option("--n-starts", type=int, default=None, help="Optimiser starts (quick: 1).")
@click.option("--max-evals", type=int, default=None, help="Evaluations per start (quick: 60).")
@click.option(
    "--write",
    is_flag=True,
    help="Save the record (models/calibration.yaml) and put the values into the model.",
)
@json_option
def pathway_calibrate(
    seed: int | None, n_starts: int | None, max_evals: int | None, write: bool, as_json: bool
) -> None:
    """Fit the model's [calibrated] parameters to the behaviour checklist (seeded).

    Without options it reruns the saved calibration's specification, which
    reproduces the shipped values; the full setting takes a few minutes.
    """
    from mtorsim.pathway.calibrate import CalibrationSpec, calibrate, write_calibration

    spec = CalibrationSpec.default(seed=seed, n_starts=n_starts, max_evals=max_evals)
    result = calibrate(spec, progress=None if as_json else click.echo)
    doc = result.to_dict()
    if write:
        record, model = write_calibration(result)
        doc["written"] = [str(record), str(model)]
    if as_json:
        echo_json(doc)
    else:
        print_table(
            f"calibration: objective {result.objective_start:.4g} -> {result.objective:.4g} "
            f"({result.n_evals} evaluations, {result.seconds:.0f} s, seed {spec.seed})",
            ["parameter", "start", "fitted", "bounds"],
            [
                [k, f"{spec.start[k]:.4g}", f"{v:.4g}", "{:.3g}-{:.3g}".format(*spec.bounds[k])]
                for k, v in result.values.items()
            ],
        )
        before = {(cid, c.label): c for cid, c in result.report_start.criteria()}
        print_table(
            f"criteria (margin: relative distance from failing; target {spec.target_margin:.0%})",
            ["check", "criterion", "value", "margin at start", "margin", "met"],
            [
                [
                    cid,
                    f"{c.label} {c.op} {c.bound:.3g}",
                    f"{c.value:.3g}",
                    f"{before[(cid, c.label)].margin:+.1%}",
                    f"{c.margin:+.1%}",
                    "yes" if c.met else "NO",
                ]
                for cid, c in result.report.criteria()
            ],
        )
        if write:
            click.echo(f"wrote {doc['written'][0]} and {doc['written'][1]}")
    sys.exit(0 if result.passed else 1)


if __name__ == "__main__":  # pragma: no cover
    main()


# --------------------------------------------------------------------------- virtual trials


@main.group()
def trial() -> None:
    """Virtual clinical trials: built-in designs from the review, or your own YAML."""


@trial.command("list")
@json_option
def trial_list(as_json: bool) -> None:
    """The built-in trial designs."""
    from mtorsim.trials.design import builtin_designs, load_design

    rows: list[dict[str, Any]] = []
    for key in builtin_designs():
        d = load_design(key)
        rows.append(
            {
                "id": d.id,
                "name": d.name,
                "phase": d.phase,
                "n": d.n_patients,
                "arms": [a.label for a in d.arms],
                "source": d.source,
            }
        )
    if as_json:
        echo_json(rows)
        return
    print_table(
        "built-in trial designs (mtorsim trial run ID)",
        ["id", "name", "phase", "N", "arms", "source"],
        [
            [r["id"], r["name"], r["phase"], r["n"], " | ".join(r["arms"]), r["source"]]
            for r in rows
        ],
    )


@trial.command("schema")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Write to a file.")
def trial_schema(out_path: str | None) -> None:
    """JSON Schema of the trial-design YAML format."""
    from mtorsim.trials.design import design_schema

    text = json.dumps(design_schema(), indent=2)
    if out_path:
        write_atomic(out_path, text + "\n")
        click.echo(f"wrote {out_path}")
    else:
        click.echo(text)


@trial.command("run")
@click.argument("design")
@click.option(
    "--patients",
    type=int,
    default=None,
    help="Number of virtual patients (default: the design's N).",
)
@click.option(
    "--seed",
    type=int,
    default=20131,
    show_default=True,
    help="Random seed (mtorsim.trials.DEFAULT_SEED).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: mtorsim-out/DESIGN).",
)
@click.option(
    "--exact",
    "exact_n",
    type=int,
    default=0,
    show_default=True,
    help="Also run the exact coupled path on this many patients and report the difference.",
)
@json_option
def trial_run(
    design: str, patients: int | None, seed: int, out_dir: str | None, exact_n: int, as_json: bool
) -> None:
    """Run a virtual trial (built-in id such as bolero-2, or a design YAML path)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from mtorsim.reports import summary_rows, write_trial_outputs
    from mtorsim.reports.trial_report import comparison_text
    from mtorsim.trials.design import load_design
    from mtorsim.trials.run import run_trial

    d = load_design(design)
    out = Path(out_dir) if out_dir else Path("mtorsim-out") / d.id
    show = not as_json and sys.stderr.isatty()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not show,
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(f"{d.name}: virtual patients", total=None)
        result = run_trial(
            d,
            n_patients=patients,
            seed=seed,
            checkpoint_dir=out / ".chunks",
            exact_subsample=exact_n,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    files = write_trial_outputs(result, out)
    if as_json:
        echo_json(result.summary | {"files": files})
        return
    rows = summary_rows(result)
    print_table(
        f"{d.name} (virtual, seed {seed}); published values from the review's knowledge base",
        list(rows[0]),
        [list(r.values()) for r in rows],
    )
    comp = comparison_text(result)
    if comp:
        click.echo(comp)
    ex = result.summary.get("exact_check")
    if ex:
        click.echo(
            f"exact coupled path, {ex['patients']} patients: median PFS "
            f"{ex['median_pfs_exact']:.2f} vs fast {ex['median_pfs_fast']:.2f} months "
            f"({100 * ex['median_pfs_rel_diff']:.2f}% apart)"
        )
    note = result.summary["provenance"].get("note")
    if note:
        click.echo(f"note: {note}")
    click.echo(f"wrote {', '.join(Path(f).name for f in files.values())} to {out}")


# ----------------------------------------------------------------- calibration, validation


def _say(as_json: bool) -> Callable[[str], None]:
    return (lambda _m: None) if as_json else (lambda m: click.echo(m, err=True))


@main.command("calibrate")
@click.argument("design", default="bolero-2")
@click.option("--quick", is_flag=True, help="Small setting (150 patients, 1 seed) for CI.")
@click.option("--patients", type=int, default=None, help="Patients per cohort (default 724).")
@click.option("--max-evals", type=int, default=None, help="Optimiser evaluations.")
@click.option("--bootstrap", type=int, default=None, help="Bootstrap refits for uncertainty.")
@click.option("--write", is_flag=True, help="Save the record as the package default.")
@json_option
def calibrate_cmd(
    design: str,
    quick: bool,
    patients: int | None,
    max_evals: int | None,
    bootstrap: int | None,
    write: bool,
    as_json: bool,
) -> None:
    """Fit the virtual-trial population parameters to BOLERO-2 (the only calibration trial)."""
    from mtorsim.trials.calibrate import Settings, calibrate, write_record

    if design != "bolero-2":
        raise MtorsimError(
            f"calibration is defined on bolero-2 only (got {design!r}); the other trials are "
            "predictions (mtorsim validate)"
        )
    st = Settings.quick() if quick else Settings()
    if patients is not None:
        st.n_patients = patients
    if max_evals is not None:
        st.max_evals = max_evals
    if bootstrap is not None:
        st.bootstrap = bootstrap
    rec = calibrate(st, progress=_say(as_json))
    if write:
        path = write_record(rec)
        rec["written_to"] = str(path)
    if as_json:
        echo_json(rec)
        return
    print_table(
        f"BOLERO-2 calibration (objective {rec['objective']['start']:.3g} -> "
        f"{rec['objective']['fitted']:.3g}, {rec['objective']['evaluations']} evaluations, "
        f"{rec['runtime_s']} s)",
        ["parameter", "start", "fitted", "bootstrap SD (log10)"],
        [
            [k, f"{v['start']:.4g}", f"{v['value']:.4g}", _num(v["bootstrap_sd_log10"])]
            for k, v in rec["parameters"].items()
        ],
    )
    print_table(
        "targets",
        ["target", "published", "simulated", "SE (log)", "SE source"],
        [
            [
                t["name"],
                t["value"],
                f"{rec['simulated'][t['name']]:.3g}",
                f"{t['se_log']:.3f}",
                t["se_source"],
            ]
            for t in rec["targets"]
        ],
    )
    if write:
        click.echo(f"wrote {rec['written_to']}")


def _num(x: Any, nd: int = 3) -> str:
    return "-" if x is None else f"{x:.{nd}g}" if isinstance(x, float) else str(x)


@main.command("validate")
@click.option(
    "--replicates", type=int, default=10, show_default=True, help="Replicate trials per design."
)
@click.option(
    "--patients", type=int, default=None, help="Patients per trial (default: each design's N)."
)
@click.option("--design", "designs", multiple=True, help="Only these designs (repeatable).")
@click.option(
    "--ida/--no-ida",
    default=True,
    show_default=True,
    help="Add the independent-drug-action baseline.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="mtorsim-out/validation",
    show_default=True,
    help="Folder for validation.json, validation.csv and validation.png.",
)
@json_option
def validate_cmd(
    replicates: int,
    patients: int | None,
    designs: tuple[str, ...],
    ida: bool,
    out_dir: str,
    as_json: bool,
) -> None:
    """Predict every built-in trial except BOLERO-2 with the calibrated parameters."""
    import pandas as pd

    from mtorsim.reports.validation import validation_figure
    from mtorsim.trials import load_design
    from mtorsim.trials.compare import ida_comparison
    from mtorsim.trials.design import builtin_designs
    from mtorsim.trials.validate import validate

    if replicates < 1:
        raise MtorsimError("--replicates must be at least 1")
    rep = validate(list(designs) or None, replicates, n_patients=patients, progress=_say(as_json))
    if ida:
        rep["ida"] = []
        for key in list(designs) or list(builtin_designs()):
            d = load_design(key)
            arm = d.arm(d.experimental) if d.experimental else d.arms[0]
            if len(arm.doses) == 2 and ("PFS" in d.endpoints or "TTP" in d.endpoints):
                _say(as_json)(f"IDA baseline: {d.name}")
                rep["ida"].append(ida_comparison(d, patients))
    out = Path(out_dir)
    write_atomic(out / "validation.json", json.dumps(rep, indent=2, default=str))
    flat = pd.DataFrame(
        [
            r | {"sim_low": r["simulation_interval"][0], "sim_high": r["simulation_interval"][1]}
            for r in rep["rows"]
        ]
    ).drop(columns=["simulation_interval", "published_ci"])
    write_atomic(out / "validation.csv", flat.to_csv(index=False))
    _save_plot(validation_figure(rep), str(out / "validation.png"))
    if as_json:
        echo_json(rep)
        return
    print_table(
        f"validation: {replicates} replicate trials per design, calibrated on BOLERO-2 only",
        [
            "trial",
            "endpoint",
            "arm",
            "simulated (95% interval)",
            "published (95% CI)",
            "error",
            "inside",
        ],
        [
            [
                r["design"],
                r["endpoint"],
                r["arm"],
                f"{_num(r['simulated'])} ({_num(r['simulation_interval'][0])}-"
                f"{_num(r['simulation_interval'][1])})",
                _num(r["published"])
                + (
                    f" ({_num(r['published_ci'][0])}-{_num(r['published_ci'][1])})"
                    if r["published_ci"][0] is not None
                    else ""
                ),
                _num(r["error"]),
                {True: "yes", False: "NO", None: "-"}[r["published_inside_simulated_interval"]],
            ]
            for r in rep["rows"]
        ],
    )
    cov = rep["coverage"]
    click.echo(
        f"published value inside the simulated interval: {cov['inside']} of {cov['compared']}"
    )
    if rep.get("ida"):
        print_table(
            "combination median PFS/TTP (months): mechanistic vs independent drug action",
            ["trial", "arm", "monotherapies", "IDA", "mechanistic", "published", "closer"],
            [
                [
                    i["design"] + (" (calibration trial)" if i["design"] == "bolero-2" else ""),
                    i["arm"],
                    ", ".join(
                        f"{k} {_num(v)}" for k, v in i.get("monotherapy_median_months", {}).items()
                    ),
                    _num(i.get("ida_median_months")),
                    _num(i.get("mechanistic_median_months")),
                    _num(i.get("published_median_months")),
                    i.get("closer", i.get("note", "-")),
                ]
                for i in rep["ida"]
            ],
        )
    click.echo(f"wrote validation.json, validation.csv, validation.png to {out}")


@trial.command("subgroups")
@click.argument("design", default="bolero-2")
@click.option(
    "--patients", type=int, default=None, help="Virtual patients (default: 3x the design's N)."
)
@click.option("--seed", type=int, default=20131, show_default=True)
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Forest plot PNG.")
@json_option
def trial_subgroups(
    design: str, patients: int | None, seed: int, plot_path: str | None, as_json: bool
) -> None:
    """Hazard ratio by genotype and context subgroup (which patients benefit most)."""
    from mtorsim.reports.validation import forest_figure
    from mtorsim.trials import load_design, run_trial
    from mtorsim.trials.compare import subgroups

    d = load_design(design)
    res = run_trial(d, patients or 3 * d.n_patients, seed)
    rows = subgroups(res)
    if plot_path:
        _save_plot(
            forest_figure(rows, f"{d.name}: virtual subgroups (N = {len(res.patients)})"), plot_path
        )
    if as_json:
        echo_json(rows)
        return
    print_table(
        f"{d.name}: hazard ratio by subgroup (virtual, N = {len(res.patients)})",
        ["subgroup", "n exp/ctl", "HR (95% CI)", "p (Cox)"],
        [
            [
                r["subgroup"],
                f"{r['n_experimental']}/{r['n_control']}",
                f"{r['hazard_ratio']:.2f} ({r['ci_low']:.2f}-{r['ci_high']:.2f})"
                if "hazard_ratio" in r
                else "too few",
                _num(r.get("cox_p"), 2),
            ]
            for r in rows
        ],
    )


@trial.command("sensitivity")
@click.argument("design", default="bolero-2")
@click.option("--trajectories", type=int, default=6, show_default=True)
@click.option("--patients", type=int, default=300, show_default=True)
@json_option
def trial_sensitivity(design: str, trajectories: int, patients: int, as_json: bool) -> None:
    """Morris global sensitivity of the hazard ratio (SALib)."""
    from mtorsim.trials.sensitivity import morris_hr

    res = morris_hr(design, trajectories, patients)
    if as_json:
        echo_json(res)
        return
    print_table(
        f"{design}: Morris sensitivity of the HR ({res['runs']} runs x {patients} patients)",
        ["rank", "factor", "mu*", "sigma", "range (x default)"],
        [
            [
                i + 1,
                r["factor"],
                f"{r['mu_star']:.3f}",
                f"{r['sigma']:.3f}",
                f"{r['range'][0]}-{r['range'][1]}",
            ]
            for i, r in enumerate(res["ranking"])
        ],
    )
