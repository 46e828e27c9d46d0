"""Pharmacology and cell-response commands: pk, combo, synergy."""

from __future__ import annotations

from typing import Any

import click

from mtorsim.cli.common import (
    domain_type,
    echo_json,
    json_option,
    plot_option,
    print_table,
    save_plot,
)
from mtorsim.errors import MtorsimError
from mtorsim.response.plots import synergy_heatmaps


@click.command("pk")
@click.option("--drug", required=True, help="Agent name, e.g. everolimus.")
@click.option("--regimen", required=True, help='Regimen text, e.g. "10 mg daily".')
@click.option(
    "--days", type=domain_type("pk days"), default=28.0, show_default=True, help="Days (0-730]."
)
@click.option(
    "--weight",
    type=domain_type("weight_kg"),
    default=70.0,
    show_default=True,
    help="Body weight (20-300 kg).",
)
@click.option(
    "--height",
    type=domain_type("height_cm"),
    default=165.0,
    show_default=True,
    help="Height (100-250 cm).",
)
@click.option(
    "--gfr",
    type=domain_type("gfr_mL_min"),
    default=90.0,
    show_default=True,
    help="GFR (1-250 mL/min).",
)
@plot_option("Write a PNG.")
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
        save_plot(prof.plot(), plot_path)
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


@click.command("combo")
@click.option("--context", required=True, help="Cell context, e.g. BT474 (see pathway contexts).")
@click.option("--drugs", required=True, help="Two agents, comma-separated: everolimus,paclitaxel.")
@click.option("--doses1", help="Doses of the first agent, comma-separated, zero first (nM).")
@click.option("--doses2", help="Doses of the second agent, comma-separated, zero first (nM).")
@click.option(
    "--hours",
    type=domain_type("assay hours"),
    default=72.0,
    show_default=True,
    help="Assay time (0-720 h).",
)
@click.option("--baseline-correction", is_flag=True, help="SynergyFinder's baseline correction.")
@plot_option("Heatmaps (PNG).")
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
        save_plot(synergy_heatmaps(m, results), plot_path)
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


@click.command("synergy")
@click.argument("csv_path", type=click.Path(dir_okay=False))
@click.option(
    "--method",
    "methods",
    multiple=True,
    type=click.Choice(["zip", "bliss", "hsa", "loewe"]),
    help="Scores (default: all four).",
)
@click.option("--baseline-correction", is_flag=True, help="SynergyFinder's baseline correction.")
@plot_option("Heatmaps of the first pair (PNG).")
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
            save_plot(synergy_heatmaps(m, results), plot_path)
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


COMMANDS = [pk_cmd, combo_cmd, synergy_cmd]
