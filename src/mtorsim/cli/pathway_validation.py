"""Signalling-model validation commands: validate-cells, validate-readouts,
validate-synergy (registered on the ``pathway`` group)."""

from __future__ import annotations

import textwrap
from typing import Any

import click

from mtorsim.cli.common import echo_json, json_option, plot_option, print_table, save_plot, say
from mtorsim.cli.pathway import pathway


@pathway.command("validate-cells")
@plot_option("PNG of model against measured potency.")
@json_option
def pathway_validate_cells(plot_path: str | None, as_json: bool) -> None:
    """The model's potencies beside the measured ones: ICBP GI50 (fitted), GDSC1 IC50 (held
    out, never fitted) and both of the lines outside the fit (held-out line: CAMA1,
    HCC1954, MDAMB453, ZR751), with Spearman rank agreement per drug across lines."""
    from mtorsim.inference.cell_validation import HELD_OUT_LINE, validate_cell_lines

    ROLES = ("fitted", "held out", HELD_OUT_LINE)

    v = validate_cell_lines(progress=say(as_json))
    if plot_path:
        save_plot(v.plot(), plot_path)
    if as_json:
        echo_json(
            v.model_dump(mode="json") | {"summary": {role: v.summary(role) for role in ROLES}}
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
    for role in ROLES:
        s = v.summary(role)
        med = s["median_abs_log10_error"]
        within = s["within_one_decade"]
        click.echo(
            textwrap.fill(
                f"{role}: {s['n']} potencies, {s['n_reached']} reached by the model; median "
                f"|log10 error| {'-' if med is None else f'{med:.2f}'}; within one decade "
                f"{'-' if within is None else f'{within:.0%}'}",
                width=80,
                subsequent_indent="  ",
            )
        )
    if plot_path:
        click.echo(f"wrote {plot_path}")


@pathway.command("validate-readouts")
@plot_option("PNG of model against measured time courses.")
@json_option
def pathway_validate_readouts(plot_path: str | None, as_json: bool) -> None:
    """The fitted model's time courses beside the measured readouts (Hill 2017 RPPA, MCF-7:
    the data of pathway-readouts), its predictions for the experiment's held-out lines
    (UACC812, BT20, BT549), the behaviour checklist as validation, and published
    magnitudes."""
    from mtorsim.inference.readout_validation import validate_readouts

    v = validate_readouts(progress=say(as_json))
    if plot_path:
        save_plot(v.plot(), plot_path)
    if as_json:
        echo_json(
            v.model_dump(mode="json")
            | {"summary": v.summary(), "prediction_summary": v.prediction_summary()}
        )
        return
    print_table(
        "measured readouts (drug / vehicle, 1-48 h) against the fitted model",
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
    fitted_line = ", ".join(sorted({r.context for r in v.rows}))

    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}"

    print_table(
        f"held-out lines (never fitted), median |log2 err| of the model and of predictors "
        f"that ignore genotype: the model in {fitted_line}, {fitted_line}'s data, no change",
        ["line", "n", "model", f"model {fitted_line}", f"{fitted_line} data", "1", "direction"],
        [
            [
                s["context"],
                s["n"],
                num(s["median_abs_log2_error"]),
                num(s["model_fitted_line"]),
                num(s["measured_fitted_line"]),
                num(s["no_change"]),
                f"{s['direction_agreement']:.0%}",
            ]
            for s in v.prediction_summary()
        ],
    )
    print_table(
        "held out (never fitted): total HER3 beside the model's RTK expression",
        ["drug", "hours", "measured", "model"],
        [
            [r.drug.split(" ")[0], f"{r.time_h:g}", f"{r.measured:.3g}", f"{r.simulated:.3g}"]
            for r in v.held_out
        ],
    )
    print_table(
        "measured rapalog magnitudes (in no objective): the model's steady state under "
        "everolimus 10 nM beside the span of measured values over lines and doses",
        ["quantity", "model", "measured", "inside"],
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
    role = {True: "fitted", False: "validation"}

    def worst(chk: dict[str, Any]) -> str:
        m = min(chk["criteria"], key=lambda m: m["margin"])
        return f"{m['criterion'].split(' ')[0][:22]} {m['margin']:+.2f}"

    print_table(
        "behaviour checklist (fitted: pathway-checklist; validation: in no objective)",
        ["check", "role", "pass", "worst criterion, margin"],
        [
            [
                chk["id"],
                role[chk["id"] in v.fitted_checks],
                "yes" if chk["passed"] else "NO",
                worst(chk),
            ]
            for chk in v.checklist["checks"]
        ],
    )
    val = [chk for chk in v.checklist["checks"] if chk["id"] not in v.fitted_checks]
    click.echo(
        f"validation checks: {sum(chk['passed'] for chk in val)}/{len(val)} pass; fitted "
        f"checks: {v.checklist['n_passed'] - sum(chk['passed'] for chk in val)}/"
        f"{v.checklist['n_checks'] - len(val)}"
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
    roles = sorted({r.role for r in f.rows})
    if as_json:
        echo_json(
            f.model_dump(mode="json")
            | {"agreement": {m: f.agreement(m) for m in methods}}
            | {
                "agreement_by_role": {
                    role: {m: f.agreement(m, role) for m in methods} for role in roles
                }
            }
        )
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
    for role in [None, *roles] if len(roles) > 1 else [None]:
        for m in methods:
            a = f.agreement(m, role)
            rho = "-" if a["spearman"] is None else f"{a['spearman']:+.2f}"
            share = "-" if a["sign_agreement"] is None else f"{a['sign_agreement']:.0%}"
            who = "all lines" if role is None else f"{role}s"
            click.echo(f"{m}, {who}: n={a['n']}, sign agreement {share}, Spearman {rho}")


#: registered on the pathway group (mtorsim.cli.pathway.COMMANDS)
COMMANDS: list[click.Command] = []
