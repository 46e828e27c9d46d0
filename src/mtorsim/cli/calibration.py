"""Calibration and validation commands: calibrate, validate."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from mtorsim.cli.common import (
    domain_type,
    echo_json,
    echo_wrapped,
    json_option,
    print_pair,
    progress_bar,
    say,
)
from mtorsim.cli.trials import calibration_option, engine_options, open_engine
from mtorsim.errors import MtorsimError


@click.command("calibrate")
@click.argument("problem", default="clinical")
@click.option("--quick", is_flag=True, help="The calibration set's small setting (CI, a look).")
@click.option("--patients", type=domain_type("patients"), default=None, help="Patients per cohort.")
@click.option(
    "--starts",
    type=domain_type("starts"),
    default=None,
    help="Optimiser starts (seeded multistart).",
)
@click.option(
    "--max-evals", type=domain_type("max evals"), default=None, help="Evaluations per start."
)
@click.option(
    "--ensemble-size",
    "ensemble_size",
    type=domain_type("ensemble size"),
    default=None,
    help="Parameter sets drawn from the fit's Gauss-Newton covariance (0: no uncertainty).",
)
@click.option(
    "--workers", type=domain_type("workers"), default=1, show_default=True, help="Parallel starts."
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record file (default: mtorsim-out/calibration/PROBLEM.json).",
)
@json_option
def calibrate_cmd(
    problem: str,
    quick: bool,
    patients: int | None,
    starts: int | None,
    max_evals: int | None,
    ensemble_size: int | None,
    workers: int,
    out_path: str | None,
    as_json: bool,
) -> None:
    """Fit a trial problem of the calibration set (BOLERO-2 and trials without an mTOR
    inhibitor) with pyPESTO.

    The record goes to --out and is used with `--calibration FILE`; nothing in the
    package changes.  Every trial not in the calibration set is a prediction.
    """
    from mtorsim.inference import calibrate_trial, load_calibration_set
    from mtorsim.inference.records import DEFAULT_OUT
    from mtorsim.reports import write_calibration_outputs
    from mtorsim.reports.tables import calibration_tables

    trial_problems = [p.id for p in load_calibration_set().problems if p.kind == "trial"]
    if problem not in trial_problems:
        raise MtorsimError(
            f"{problem!r} is not a trial problem of the calibration set (those are: "
            f"{', '.join(trial_problems)}); other trials are predictions (mtorsim validate), "
            "and the signalling model is calibrated by `mtorsim pathway calibrate`"
        )
    result = calibrate_trial(
        problem,
        quick=quick,
        overrides={
            "n_patients": patients,
            "n_starts": starts,
            "max_evals": max_evals,
            "ensemble_size": ensemble_size,
        },
        workers=workers,
        progress=say(as_json),
    )
    out = Path(out_path) if out_path else DEFAULT_OUT / f"{problem}.json"
    files = write_calibration_outputs(result, out)
    if as_json:
        echo_json(result.model_dump(mode="json") | {"files": files})
        return
    params, fit = calibration_tables(result)
    print_pair(
        f"{problem} calibration: objective {result.objective_start:.3g} -> "
        f"{result.objective:.3g} ({len(result.starts)} starts, {result.seconds:.0f} s)",
        params,
    )
    print_pair("targets", fit)
    if quick:
        echo_wrapped(
            "note: --quick runs a few evaluations on small cohorts: the optimiser has not "
            "converged, so the fitted values are a look, not a calibration, and the SDs "
            "(Gauss-Newton at a point that is not an optimum; 0 or blank where the objective "
            "did not move) do not measure uncertainty"
        )
    elif any(p.sd_scaled == 0 for p in result.parameters):
        echo_wrapped(
            "note: an SD of 0 means the objective did not move with that parameter near the "
            "fit (unidentified there), not that it is known exactly"
        )
    click.echo(f"wrote {files['record']} (use it with --calibration) and {files['figure']}")


@click.command("validate")
@click.option(
    "--replicates",
    type=domain_type("validate replicates"),
    default=12,
    show_default=True,
    help="Trials per design.",
)
@click.option(
    "--patients",
    type=domain_type("patients"),
    default=None,
    help="Patients per trial (default: N).",
)
@click.option("--design", "designs", multiple=True, help="Only these designs (id or YAML).")
@click.option("--ida/--no-ida", default=True, show_default=True, help="Add the IDA baseline.")
@click.option(
    "--ensemble/--no-ensemble",
    default=True,
    show_default=True,
    help="Draw each replicate's parameters from the calibration's ensemble (parameter "
    "uncertainty); --no-ensemble: the fitted values only (sampling uncertainty).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="mtorsim-out/validation",
    show_default=True,
    help="Folder for validation.json, validation.csv and validation.png.",
)
@calibration_option
@functools.partial(engine_options, columnar=False)
@json_option
def validate_cmd(
    replicates: int,
    patients: int | None,
    designs: tuple[str, ...],
    ida: bool,
    ensemble: bool,
    out_dir: str,
    calibrations: tuple[str, ...],
    engine: str,
    workers: int | None,
    scheduler: str | None,
    as_json: bool,
) -> None:
    """Predict every trial that is not calibration data, beside its published values."""
    from mtorsim.inference import validate
    from mtorsim.inference.records import (
        apply_calibrations,
        ensemble_populations,
        fitted_counts,
        trial_record,
    )
    from mtorsim.reports import write_validation_outputs
    from mtorsim.reports.tables import ida_tables, validation_tables

    tumour, cells, label = apply_calibrations(calibrations)
    record = trial_record(calibrations)
    members = ensemble_populations(record) if ensemble else None
    with (
        open_engine(engine, workers, scheduler) as eng,
        progress_bar(f"validate: {replicates} replicate trials per design", as_json) as bar,
    ):
        rep = validate(
            list(designs) or None,
            replicates,
            n_patients=patients,
            ida=ida,
            tumour=tumour,
            calibration=label,
            progress=None if sys.stderr.isatty() else say(as_json),
            model=cells,
            ensemble=members,
            fitted_counts=fitted_counts(record),
            step=bar,
            engine=eng,
        )
    files = write_validation_outputs(rep, Path(out_dir))
    if as_json:
        echo_json(rep.model_dump(mode="json") | {"files": files})
        return
    unc = (
        f"parameter uncertainty from {len(members)} calibrated parameter sets"
        if members and len(members) > 1
        else "sampling uncertainty only"
    )
    echo_wrapped(
        f"validation: {replicates} replicate trials per design ({unc}), calibration: "
        f"{rep.calibration['label']} ({rep.calibration['parameters_fitted']} parameters "
        f"fitted to {rep.calibration['data_fitted']} published data); every design below "
        "is a prediction"
    )
    if members and len(members) > 1 and replicates < len(members):
        click.echo(
            f"note: {replicates} replicates for {len(members)} parameter sets; use at least "
            f"{len(members)} so that every set is used",
            err=True,
        )
    for design, table in validation_tables(rep):
        print_pair(design, table)
    inside, compared = rep.coverage
    click.echo(f"published value inside the simulated interval: {inside} of {compared}")
    if rep.ida:
        combos, monos = ida_tables(rep)
        print_pair("combination median PFS/TTP (months): mechanistic vs IDA", combos)
        print_pair("monotherapy arms the IDA baseline is built from", monos)
    click.echo(f"wrote {', '.join(Path(f).name for f in files.values())} to {out_dir}")


COMMANDS = [calibrate_cmd, validate_cmd]
