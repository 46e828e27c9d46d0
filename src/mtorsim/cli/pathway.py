"""Signalling-model commands: simulate, contexts, export-sbml, check, the calibrations
(calibrate, calibrate-readouts, calibrate-cells) and petab; the validation commands are in
:mod:`mtorsim.cli.pathway_validation`."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from mtorsim.cli.common import (
    F,
    domain_type,
    echo_json,
    json_option,
    plot_option,
    print_pair,
    print_table,
    save_plot,
    say,
)
from mtorsim.knowledge.domains import DOMAINS


@click.group()
def pathway() -> None:
    """The PI3K/Akt/mTOR signalling model and its cell-line calibration."""


def _parse_time_min(text: str) -> float:
    import re

    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(min|m|h|d)?\s*", text)
    if not m:
        raise click.BadParameter(f"cannot read time {text!r}; write e.g. 30min, 24h or 2d")
    factor = {"min": 1.0, "m": 1.0, "h": 60.0, "d": 1440.0, None: 60.0}[m.group(2)]
    hours = float(m.group(1)) * factor / 60.0
    dom = DOMAINS["assay hours"]
    if not dom.contains(hours):
        raise click.BadParameter(
            f"{text!r} = {hours:g} h: allowed {dom.describe()}; give e.g. 30min, 24h or 2d",
            param_hint="--time",
        )
    return hours * 60.0


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


def multistart_options(fn: F) -> F:
    """--seed, --n-starts and --max-evals of a seeded multistart (default: the set's)."""
    for opt in reversed(
        [
            click.option(
                "--seed",
                type=domain_type("seed"),
                default=None,
                help="Seed of the multistart (default: the set's).",
            ),
            click.option(
                "--n-starts",
                type=domain_type("starts"),
                default=None,
                help="Optimiser starts (default: the set's).",
            ),
            click.option(
                "--max-evals",
                type=domain_type("max evals"),
                default=None,
                help="Evaluations per start.",
            ),
        ]
    ):
        fn = opt(fn)
    return fn


@pathway.command("calibrate")
@multistart_options
@click.option("--quick", is_flag=True, help="The calibration set's small setting (1 start, 60).")
@click.option(
    "--workers", type=domain_type("workers"), default=1, show_default=True, help="Parallel starts."
)
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
    """Fit the checklist-only parameters ([calibrated: check N]) to checks 1, 7, 10, 11.

    These are the parameters no measured readout informs (pathway-checklist of the
    calibration set; pyPESTO, seeded); the other checks are validation.  The record goes
    to --out; the package is not changed (adopt values with
    scripts/apply_pathway_record.py, or edit the lines it prints in the model source).
    Exits 1 when a fitted criterion is not met.
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


@pathway.command("calibrate-readouts")
@multistart_options
@click.option("--quick", is_flag=True, help="The calibration set's small setting (1 start, 40).")
@click.option(
    "--workers", type=domain_type("workers"), default=1, show_default=True, help="Parallel starts."
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record file (default: mtorsim-out/calibration/pathway-readouts.json).",
)
@json_option
def pathway_calibrate_readouts(
    seed: int | None,
    n_starts: int | None,
    max_evals: int | None,
    quick: bool,
    workers: int,
    out_path: str | None,
    as_json: bool,
) -> None:
    """Fit the network's kinetics to measured MCF-7 readouts (Hill 2017 RPPA; pyPESTO).

    Problem pathway-readouts of the calibration set: 56 drug/vehicle folds of dactolisib
    and AZD8055 at 1-48 h.  The checklist is not in this objective (validate-readouts
    runs it).  The record goes to --out; the package is not changed (adopt values with
    scripts/apply_pathway_record.py).
    """
    from mtorsim.inference.readout_calibration import calibrate_readouts
    from mtorsim.inference.records import DEFAULT_OUT
    from mtorsim.reports import write_calibration_outputs
    from mtorsim.reports.tables import calibration_tables

    result = calibrate_readouts(
        quick=quick,
        overrides={"seed": seed, "n_starts": n_starts, "max_evals": max_evals},
        workers=workers,
        progress=say(as_json),
    )
    out = Path(out_path) if out_path else DEFAULT_OUT / "pathway-readouts.json"
    files = write_calibration_outputs(result, out)
    if as_json:
        echo_json(result.model_dump(mode="json") | {"files": files})
        return
    params, fit = calibration_tables(result)
    print_pair(
        f"calibration: objective {result.objective_start:.4g} -> {result.objective:.4g} "
        f"({result.evaluations} evaluations, {result.seconds:.0f} s)",
        params,
    )
    print_pair("measured readouts (drug / vehicle) at the start and at the fit", fit)
    res = [math.log2(float(r.fitted_value) / float(r.target)) for r in result.fit if r.fitted_value]
    click.echo(
        f"root-mean-square log2 residual {math.sqrt(sum(x * x for x in res) / len(res)):.3f} "
        f"(noise assumed: sigma {result.settings['sigma_log2']} log2)"
    )
    click.echo(f"wrote {files['record']} and {files['figure']}")


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
@click.option(
    "--problem",
    "problem_id",
    type=click.Choice(["cell-lines", "pathway-readouts"]),
    default="cell-lines",
    show_default=True,
    help="Calibration problem to export.",
)
@json_option
def pathway_petab(out_dir: str, start: bool, problem_id: str, as_json: bool) -> None:
    """Export a calibration problem as PEtab (any PEtab tool can re-fit it).

    cell-lines: measured ICBP GI50s of six breast cancer lines, the signalling model
    with the cell-response link as SBML rules, one observable (relative net growth rate
    at the measured GI50).  pathway-readouts: the Hill 2017 MCF-7 RPPA time courses of
    dactolisib and AZD8055, the drugs added by an event after an untreated run, seven
    observables (fold over untreated), priors on the network parameters.
    """
    from mtorsim.inference.petab_export import build_petab
    from mtorsim.inference.petab_readouts import build_readout_petab
    from mtorsim.inference.records import load_calibration

    values = None if start else load_calibration(problem_id).values
    build = build_petab if problem_id == "cell-lines" else build_readout_petab
    tables = build(values=values)
    path = tables.write(out_dir)
    info = {
        "problem": str(path),
        "conditions": len(tables.conditions),
        "measurements": len(tables.measurements),
        "estimated_parameters": int(tables.parameters["estimate"].sum()),
        "nominal_values": "calibration-set starts" if start else f"shipped fit ({problem_id}.json)",
    }
    if as_json:
        echo_json(info)
    else:
        click.echo(
            f"wrote {path}: {info['measurements']} measurements, {info['conditions']} "
            f"conditions, {info['estimated_parameters']} estimated parameters "
            f"(nominal values: {info['nominal_values']}); check it with `petablint {path}`"
        )


@pathway.command("calibrate-cells")
@click.option("--quick", is_flag=True, help="The calibration set's small setting.")
@click.option(
    "--workers", type=domain_type("workers"), default=1, show_default=True, help="Parallel starts."
)
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


COMMANDS = [pathway]
