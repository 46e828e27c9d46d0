"""Signalling-model commands: simulate, contexts, export-sbml, check, calibrate, and the
cell-line problem: calibrate-cells, validate-cells, petab."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mtorsim.cli.common import (
    echo_json,
    json_option,
    plot_option,
    print_pair,
    print_table,
    save_plot,
    say,
)


@click.group()
def pathway() -> None:
    """The PI3K/Akt/mTOR signalling model and its cell-line calibration."""


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
@plot_option("Write a PNG of the time course.")
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
        save_plot(tc.plot(), plot_path)
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
@click.option("--seed", type=int, default=None, help="Seed of the multistart (default: the set's).")
@click.option("--n-starts", type=int, default=None, help="Optimiser starts (default: the set's).")
@click.option("--max-evals", type=int, default=None, help="Evaluations per start.")
@click.option("--quick", is_flag=True, help="The calibration set's small setting (1 start, 60).")
@click.option("--workers", type=int, default=1, show_default=True, help="Parallel starts.")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record file (default: mtorsim-out/calibration/pathway-checklist.json).",
)
@json_option
def pathway_calibrate(
    seed: int | None,
    n_starts: int | None,
    max_evals: int | None,
    quick: bool,
    workers: int,
    out_path: str | None,
    as_json: bool,
) -> None:
    """Fit the model's [calibrated] parameters to the behaviour checklist (pyPESTO, seeded).

    Without options it reruns the calibration set's specification, which reproduces the
    shipped values (a few minutes).  The record goes to --out; the package is not
    changed.  To adopt new values, edit the lines it prints in the model source.
    """
    from mtorsim.inference.pathway_calibration import calibrate_pathway, model_differences
    from mtorsim.inference.records import DEFAULT_OUT
    from mtorsim.reports import write_calibration_outputs
    from mtorsim.reports.tables import calibration_tables

    result = calibrate_pathway(
        quick=quick,
        overrides={"seed": seed, "n_starts": n_starts, "max_evals": max_evals},
        workers=workers,
        progress=say(as_json),
    )
    out = Path(out_path) if out_path else DEFAULT_OUT / "pathway-checklist.json"
    files = write_calibration_outputs(result, out)
    if as_json:
        echo_json(result.model_dump(mode="json") | {"files": files})
    else:
        params, fit = calibration_tables(result)
        print_pair(
            f"calibration: objective {result.objective_start:.4g} -> {result.objective:.4g} "
            f"({result.evaluations} evaluations, {result.seconds:.0f} s)",
            params,
        )
        print_pair("criteria (margin: relative distance from failing)", fit)
        diff = model_differences(result)
        if diff:
            click.echo("to adopt these values, set in pathway/models/mtor_network.ant:")
            for line in diff:
                click.echo(f"  {line}")
        else:
            click.echo("the model source already holds these values")
        click.echo(f"wrote {files['record']} and {files['figure']}")
    sys.exit(0 if result.passed else 1)


@pathway.command("petab")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the PEtab files (model.xml, *.tsv, problem.yaml).",
)
@click.option(
    "--start",
    is_flag=True,
    help="Nominal values at the calibration set's starts (default: the shipped fit).",
)
@json_option
def pathway_petab(out_dir: str, start: bool, as_json: bool) -> None:
    """Export the cell-line calibration problem as PEtab (any PEtab tool can re-fit it).

    The problem: measured ICBP GI50s of six breast cancer lines, the signalling model
    with the cell-response link as SBML rules, one observable (relative net growth rate
    at the measured GI50).  What is fitted is the calibration set's problem cell-lines.
    """
    from mtorsim.inference.petab_export import build_petab
    from mtorsim.inference.records import load_calibration

    values = None if start else load_calibration("cell-lines").values
    tables = build_petab(values=values)
    path = tables.write(out_dir)
    info = {
        "problem": str(path),
        "conditions": len(tables.conditions),
        "measurements": len(tables.measurements),
        "estimated_parameters": int(tables.parameters["estimate"].sum()),
        "nominal_values": "calibration-set starts" if start else "shipped fit (cell-lines.json)",
    }
    if as_json:
        echo_json(info)
    else:
        click.echo(
            f"wrote {path}: {info['measurements']} measurements, {info['conditions']} "
            f"conditions, {info['estimated_parameters']} estimated parameters "
            f"(nominal values: {info['nominal_values']}); check it with `petablint -y {path}`"
        )


@pathway.command("calibrate-cells")
@click.option("--quick", is_flag=True, help="The calibration set's small setting.")
@click.option("--workers", type=int, default=1, show_default=True, help="Parallel starts.")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record file (default: mtorsim-out/calibration/cell-lines.json).",
)
@json_option
def pathway_calibrate_cells(quick: bool, workers: int, out_path: str | None, as_json: bool) -> None:
    """Fit the cell-line problem (measured GI50s) with pyPESTO, seeded (seconds).

    The record goes to --out; the package is not changed.  To adopt its values run
    scripts/apply_cell_line_record.py RECORD.
    """
    from mtorsim.inference.cell_lines import calibrate_cell_lines
    from mtorsim.inference.records import DEFAULT_OUT

    result = calibrate_cell_lines(quick=quick, workers=workers, progress=say(as_json))
    out = Path(out_path) if out_path else DEFAULT_OUT / "cell-lines.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    result.save(out)
    if as_json:
        echo_json(result.model_dump(mode="json") | {"record": str(out)})
        return
    print_table(
        f"cell-lines: objective {result.objective_start:.4g} -> {result.objective:.4g} "
        f"({result.n_data} data, {result.evaluations} evaluations, {result.seconds:.0f} s)",
        ["parameter", "start", "fitted"],
        [[p.id, f"{p.start:.4g}", f"{p.fitted:.4g}"] for p in result.parameters],
    )
    click.echo(f"wrote {out}")


@pathway.command("validate-cells")
@plot_option("PNG of model against measured potency.")
@json_option
def pathway_validate_cells(plot_path: str | None, as_json: bool) -> None:
    """The model's potencies beside the measured ones: ICBP GI50 (fitted) and GDSC1 IC50
    (held out, never fitted), with Spearman rank agreement per drug across lines."""
    from mtorsim.inference.cell_validation import validate_cell_lines

    v = validate_cell_lines(progress=say(as_json))
    if plot_path:
        save_plot(v.plot(), plot_path)
    if as_json:
        echo_json(
            v.model_dump(mode="json")
            | {"summary": {"fitted": v.summary("fitted"), "held out": v.summary("held out")}}
        )
        return
    print_table(
        "rank agreement across cell lines (Spearman; |log10 error| median)",
        ["dataset", "role", "agent", "lines", "Spearman", "|log10 err|"],
        [
            [
                a.dataset,
                a.role,
                a.agent,
                a.n_lines,
                "-" if a.spearman is None else f"{a.spearman:+.2f}",
                "-" if a.median_abs_log10_error is None else f"{a.median_abs_log10_error:.2f}",
            ]
            for a in v.agreement
        ],
    )
    for role in ("fitted", "held out"):
        s = v.summary(role)
        med = s["median_abs_log10_error"]
        within = s["within_one_decade"]
        click.echo(
            f"{role}: {s['n']} potencies, {s['n_reached']} reached by the model; median "
            f"|log10 error| {'-' if med is None else f'{med:.2f}'}; within one decade "
            f"{'-' if within is None else f'{within:.0%}'}"
        )
    if plot_path:
        click.echo(f"wrote {plot_path}")


@pathway.command("validate-readouts")
@plot_option("PNG of model against measured time courses.")
@json_option
def pathway_validate_readouts(plot_path: str | None, as_json: bool) -> None:
    """The model's time courses beside measured readouts (Hill 2017 RPPA, MCF-7; nothing
    fitted), the behaviour checklist as validation, and published magnitudes."""
    from mtorsim.inference.readout_validation import validate_readouts

    v = validate_readouts(progress=say(as_json))
    if plot_path:
        save_plot(v.plot(), plot_path)
    if as_json:
        echo_json(v.model_dump(mode="json") | {"summary": v.summary()})
        return
    print_table(
        "measured readouts (drug / vehicle, 1-48 h) against the model",
        ["drug", "readout", "n", "|log2 err|", "direction"],
        [
            [
                s["drug"],
                s["readout"],
                s["n"],
                f"{s['median_abs_log2_error']:.2f}",
                f"{s['direction_agreement']:.0%}",
            ]
            for s in v.summary()
        ],
    )
    print_table(
        "published magnitudes",
        ["quantity", "model", "published", "inside"],
        [
            [
                p.name,
                f"{p.simulated:.3g}",
                "no number found" if p.low is None else f"{p.low:g}-{p.high:g}",
                "-" if p.inside is None else ("yes" if p.inside else "NO"),
            ]
            for p in v.published
        ],
    )
    c = v.checklist
    worst = sorted((m for chk in c["checks"] for m in chk["criteria"]), key=lambda m: m["margin"])[
        :3
    ]
    import textwrap

    click.echo(
        textwrap.fill(
            f"behaviour checklist: {c['n_passed']}/{c['n_checks']} pass (not independent: "
            "it is the pathway-checklist problem's objective); smallest margins: "
            + ", ".join(f"{m['criterion']} ({m['margin']:+.3f})" for m in worst),
            width=80,
        )
    )
    if plot_path:
        click.echo(f"wrote {plot_path}")


@pathway.command("validate-synergy")
@click.option(
    "--dataset",
    default="oneil_deepsynergy",
    show_default=True,
    help="Dataset of the reference table combinations.csv (oneil_drugcomb: DrugComb's "
    "Loewe of the same matrices).",
)
@json_option
def pathway_validate_synergy(dataset: str, as_json: bool) -> None:
    """Simulated Loewe/Bliss/ZIP beside measured synergy scores of mTOR-inhibitor pairs:
    sign agreement and Spearman rank correlation (never fitted)."""
    from mtorsim.inference.cell_validation import synergy_fidelity

    f = synergy_fidelity(dataset=dataset, progress=say(as_json))
    if not f.rows:
        raise click.UsageError(f"no simulable measured pairs in dataset {dataset!r}")
    methods = ("loewe", "bliss", "zip")
    if as_json:
        echo_json(f.model_dump(mode="json") | {"agreement": {m: f.agreement(m) for m in methods}})
        return
    print_table(
        f"synergy: model (mean score, 72-h viability) vs measured ({dataset})",
        ["line", "pair", "measured", "loewe", "bliss", "zip"],
        [
            [r.context, f"{r.agent_a}+{r.agent_b}", f"{r.measured:+.1f}"]
            + ["-" if r.simulated.get(m) is None else f"{r.simulated[m]:+.1f}" for m in methods]
            for r in f.rows
        ],
    )
    pos = sum(r.measured > 0 for r in f.rows)
    click.echo(f"measured scores > 0: {pos}/{len(f.rows)} (the base rate of sign agreement)")
    for m in methods:
        a = f.agreement(m)
        rho = "-" if a["spearman"] is None else f"{a['spearman']:+.2f}"
        share = "-" if a["sign_agreement"] is None else f"{a['sign_agreement']:.0%}"
        click.echo(f"{m}: n={a['n']}, sign agreement {share}, Spearman {rho}")


COMMANDS = [pathway]
