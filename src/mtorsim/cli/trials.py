"""Virtual-trial commands: trial list, schema, run, subgroups, sensitivity."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from mtorsim.cli.common import (
    command_line,
    domain_type,
    echo_json,
    echo_wrapped,
    json_option,
    plot_option,
    print_pair,
    print_table,
    progress_bar,
    save_plot,
    say,
)
from mtorsim.fileio import ensure_writable, write_atomic
from mtorsim.trials.run import DEFAULT_SEED


def calibration_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--calibration",
        "calibrations",
        multiple=True,
        help="Calibration record to use (a shipped name or the .json `mtorsim calibrate` "
        "wrote); repeat for a trial and a pathway record.  Default: the shipped values.",
    )(fn)


def engine_options(fn: Callable[..., Any], columnar: bool = True) -> Callable[..., Any]:
    """--engine, --workers, --scheduler (and --columnar where patients are written)."""
    from mtorsim.trials.execution import ENGINES

    options = [
        click.option(
            "--engine",
            type=click.Choice(ENGINES),
            default="serial",
            show_default=True,
            help="Where patients are simulated: this process, worker processes, or a "
            "Dask cluster (mtorsim[scale]).  Results do not depend on it.",
        ),
        click.option(
            "--workers",
            type=domain_type("workers"),
            default=None,
            help="Worker processes (processes, or a local Dask cluster; default: CPUs).",
        ),
        click.option(
            "--scheduler",
            default=None,
            help="Address of a running Dask scheduler (tcp://host:8786); default: a "
            "local cluster started for the run.",
        ),
    ]
    if columnar:
        options.append(
            click.option(
                "--columnar",
                is_flag=True,
                help="Workers write the patients as Parquet files (out/.chunks/KEY/), read "
                "back column by column: for 10^5-10^6 patients (mtorsim[scale]).",
            )
        )
    for opt in reversed(options):
        fn = opt(fn)
    return fn


def open_engine(engine: str, workers: int | None, scheduler: str | None) -> Any:
    """The engine the options name (a context manager that closes it)."""
    from mtorsim.trials.execution import get_engine

    if scheduler and engine != "dask":
        raise click.BadParameter(
            f"a scheduler address is for --engine dask, not {engine}", param_hint="--scheduler"
        )
    return get_engine(engine, workers, scheduler)


@click.group()
def trial() -> None:
    """Virtual clinical trials: built-in designs from the review, or your own YAML."""


@trial.command("list")
@json_option
def trial_list(as_json: bool) -> None:
    """The built-in trial designs."""
    from mtorsim.inference import calibration_trials
    from mtorsim.trials.design import builtin_designs, load_design

    fitted = calibration_trials()
    designs = [load_design(k) for k in builtin_designs()]
    if as_json:
        echo_json(
            [
                {
                    "id": d.id,
                    "name": d.name,
                    "phase": d.phase,
                    "n": d.n_patients,
                    "arms": [a.label for a in d.arms],
                    "calibration_data": d.id in fitted,
                    "source": d.source,
                }
                for d in designs
            ]
        )
        return
    print_table(
        "built-in trial designs (mtorsim trial run ID; * calibration data)",
        ["id", "phase", "N", "arms"],
        [
            [
                d.id + (" *" if d.id in fitted else ""),
                d.phase,
                d.n_patients,
                " | ".join(a.label for a in d.arms),
            ]
            for d in designs
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
    type=domain_type("patients"),
    default=None,
    help="Virtual patients (default: design's N).",
)
@click.option(
    "--seed", type=domain_type("seed"), default=DEFAULT_SEED, show_default=True, help="Random seed."
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
    type=domain_type("exact patients"),
    default=0,
    show_default=True,
    help="Also run the exact coupled path on this many patients and report the difference.",
)
@click.option(
    "--uncertainty",
    "replicates",
    type=domain_type("replicates"),
    default=0,
    show_default=True,
    help="Also run this many replicate trials, each with a parameter set of the "
    "calibration's ensemble, and print every endpoint's 95% interval (parameter and "
    "sampling uncertainty; use at least twice the ensemble's size).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Rewrite the outputs even if the folder holds this same run, finished and "
    "unchanged (by default such a folder is kept as it is).",
)
@calibration_option
@engine_options
@json_option
def trial_run(
    design: str,
    patients: int | None,
    seed: int,
    out_dir: str | None,
    exact_n: int,
    replicates: int,
    calibrations: tuple[str, ...],
    engine: str,
    workers: int | None,
    scheduler: str | None,
    columnar: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Run a virtual trial (built-in id such as bolero-2, or a design YAML path)."""
    from mtorsim.inference.records import apply_calibrations
    from mtorsim.reports import arm_table, comparison_text, write_trial_outputs
    from mtorsim.trials.design import load_design
    from mtorsim.trials.run import run_trial

    if replicates == 1 or replicates < 0:
        raise click.BadParameter(
            f"{replicates}: an interval needs at least 2 replicate trials (0: none)",
            param_hint="--uncertainty",
        )
    d = load_design(design)
    tumour, cells, label = apply_calibrations(calibrations)
    out = ensure_writable(Path(out_dir) if out_dir else Path("mtorsim-out") / d.id)
    interval = None
    with open_engine(engine, workers, scheduler) as eng:
        with progress_bar(f"{d.name}: virtual patients", as_json) as update:
            result = run_trial(
                d,
                n_patients=patients,
                seed=seed,
                checkpoint_dir=out / ".chunks",
                exact_subsample=exact_n,
                tumour=tumour,
                model=cells,
                calibration=label,
                progress=update,
                engine=eng,
                columnar=columnar,
            )
        if replicates > 0:
            from mtorsim.inference.validation import ensemble_interval

            interval = ensemble_interval(
                d, replicates, seed, patients, calibrations, progress=say(as_json), engine=eng
            )
    from mtorsim.fileio import sha256_file, up_to_date
    from mtorsim.reports.trial_report import trial_inputs

    cal_hashes = {f"calibration {c}": sha256_file(c) for c in calibrations if Path(c).is_file()}
    kept = None
    if not force and not interval:
        kept = up_to_date(out, command_line(), trial_inputs(result, cal_hashes))
    files = kept or write_trial_outputs(
        result,
        out,
        command_line(),
        {"uncertainty": interval} if interval else None,
        cal_hashes,
        "parquet" if columnar else "csv",
    )
    if as_json:
        extra = {"uncertainty": interval.model_dump(mode="json")} if interval else {}
        echo_json(result.to_dict(include_patients=False) | {"files": files} | extra)
        return
    print_pair(
        f"{d.name} (virtual, seed {seed}, N {len(result.patients)}); "
        "[published]: knowledge base or design",
        arm_table(result),
    )
    for line in comparison_text(result):
        echo_wrapped(line)
    ex = result.summary.exact_check
    if ex:
        echo_wrapped(
            f"exact coupled path, {ex.patients} patients: median PFS {ex.median_pfs_exact:.2f}"
            f" vs fast {ex.median_pfs_fast:.2f} months ({100 * ex.median_pfs_rel_diff:.2f}% apart)"
        )
    if interval is not None:
        from mtorsim.reports.tables import validation_tables

        for _, table in validation_tables(interval):
            print_pair(
                f"{replicates} replicate trials with {interval.calibration['ensemble_members']}"
                " calibrated parameter sets: median and 95% interval",
                table,
            )
    else:
        echo_wrapped(
            "the intervals above are one trial's sampling CIs; --uncertainty 12 adds 95% "
            "intervals over the calibration's parameter ensemble (12 replicate trials)"
        )
    if result.provenance.note:
        click.echo(f"note: {result.provenance.note}")
    names = ", ".join(Path(f).name for f in files.values())
    if kept:
        echo_wrapped(
            f"{out} already holds this run, finished and unchanged ({names}); kept as it "
            "is (--force rewrites it)"
        )
    else:
        echo_wrapped(f"wrote {names} to {out}")


@trial.command("subgroups")
@click.argument("design", default="bolero-2")
@click.option(
    "--patients",
    type=domain_type("patients"),
    default=None,
    help="Virtual patients (default: 3x N).",
)
@click.option("--seed", type=domain_type("seed"), default=DEFAULT_SEED, show_default=True)
@plot_option("Forest plot PNG.")
@calibration_option
@json_option
def trial_subgroups(
    design: str,
    patients: int | None,
    seed: int,
    plot_path: str | None,
    calibrations: tuple[str, ...],
    as_json: bool,
) -> None:
    """Hazard ratio by genotype, context and dose-intensity subgroup."""
    from mtorsim.errors import MtorsimError
    from mtorsim.inference.records import apply_calibrations
    from mtorsim.reports.tables import subgroup_table
    from mtorsim.trials import load_design, run_trial, subgroups

    d = load_design(design)
    tumour, cells, label = apply_calibrations(calibrations)
    n = patients or 3 * d.n_patients
    how = "" if patients else f" (3 x the design's N = {d.n_patients}, for subgroup precision)"
    with progress_bar(f"{d.name}: {n} virtual patients{how}", as_json) as update:
        res = run_trial(d, n, seed, tumour=tumour, model=cells, calibration=label, progress=update)
    table = subgroups(res)
    if table is None:
        raise MtorsimError(f"{d.id} has no experimental and control arm to compare")
    if plot_path:
        save_plot(table.plot(), plot_path)
    if as_json:
        echo_json(table.model_dump(mode="json"))
        return
    print_pair(
        f"{d.name}: hazard ratio by subgroup (virtual, N = {table.n_patients})",
        subgroup_table(table),
    )
    if plot_path:
        click.echo(f"wrote {plot_path}")


@trial.command("sensitivity")
@click.argument("design", default="bolero-2")
@click.option("--trajectories", type=domain_type("trajectories"), default=6, show_default=True)
@click.option("--patients", type=domain_type("patients"), default=300, show_default=True)
@click.option("--seed", type=domain_type("seed"), default=DEFAULT_SEED, show_default=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for sensitivity.json and .png (default: mtorsim-out/DESIGN-sensitivity).",
)
@calibration_option
@json_option
def trial_sensitivity(
    design: str,
    trajectories: int,
    patients: int,
    seed: int,
    out_dir: str | None,
    calibrations: tuple[str, ...],
    as_json: bool,
) -> None:
    """Morris global sensitivity of the hazard ratio (SALib)."""
    from mtorsim.inference import morris_hr
    from mtorsim.inference.records import apply_calibrations
    from mtorsim.reports import write_sensitivity_outputs
    from mtorsim.reports.tables import sensitivity_table

    tumour, cells, label = apply_calibrations(calibrations)
    with progress_bar(
        f"{design}: Morris trajectories x {patients} patients per run", as_json
    ) as update:
        res = morris_hr(
            design,
            trajectories,
            patients,
            seed,
            tumour=tumour,
            model=cells,
            calibration=label,
            progress=update,
        )
    out = Path(out_dir) if out_dir else Path("mtorsim-out") / f"{res.design}-sensitivity"
    files = write_sensitivity_outputs(res, out)
    if as_json:
        echo_json(res.model_dump(mode="json") | {"files": files})
        return
    print_pair(
        f"{res.design}: Morris sensitivity of the HR ({res.runs} runs x {patients} patients)",
        sensitivity_table(res),
    )
    click.echo(f"wrote {files['record']} and {files['figure']}")


COMMANDS = [trial]
