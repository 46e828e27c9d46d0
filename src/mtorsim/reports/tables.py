"""Tables people read, built from result records: rows of strings for the command line
(narrow enough for 80 columns) and for the HTML report."""

from __future__ import annotations

import math
from typing import Any

from mtorsim.inference.results import CalibrationResult, SensitivityResult, ValidationReport
from mtorsim.knowledge import names as N
from mtorsim.trials.results import Estimate, PublishedValue, Rate, TrialResult
from mtorsim.trials.subgroups import SubgroupTable

Table = tuple[list[str], list[list[str]]]


def num(x: Any, nd: int = 3) -> str:
    """A number in ``nd`` significant figures, '-' for missing."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.{nd}g}"
    return str(x)


def _fmt(x: float | None, nd: int = 1) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def _ci(value: float | None, lo: float | None, hi: float | None, nd: int = 1) -> str:
    if value is None:
        return "-"
    if lo is None and hi is None:
        return _fmt(value, nd)
    return f"{_fmt(value, nd)} ({_fmt(lo, nd)}-{_fmt(hi, nd)})"


def _est(e: Estimate | None) -> str:
    return "-" if e is None else _ci(e.median, e.ci_low, e.ci_high)


def _rate(r: Rate | None, with_ci: bool = True) -> str:
    if r is None:
        return "-"
    return _ci(r.pct, r.ci_low, r.ci_high) if with_ci else _fmt(r.pct)


def _pub(p: PublishedValue | None, nd: int = 1) -> str:
    if p is None:
        return "-"
    if not isinstance(p.value, int | float):
        return str(p.value)
    return _ci(float(p.value), p.ci_low, p.ci_high, nd)


# ---------------------------------------------------------------------- trials
def summary_rows(result: TrialResult) -> list[dict[str, str]]:
    """One row per arm with every endpoint and its published value (HTML report)."""
    pub = result.summary.published
    rows = []
    for a in result.arms:
        row = {
            "arm": a.id,
            "label": a.label,
            "N": str(a.n),
            "events": str(a.events),
            "median PFS, months (95% CI)": _est(a.pfs),
            "published median": _pub(pub.arm(a.id, N.PFS_MEDIAN), 2),
            "ORR % (95% CI)": _rate(a.ORR),
            "published ORR": _pub(pub.arm(a.id, N.ORR)),
            "CBR % (95% CI)": _rate(a.CBR),
            "published CBR": _pub(pub.arm(a.id, N.CBR)),
        }
        if a.RESPONSE_AT is not None:
            row["response at visit % (95% CI)"] = _rate(a.RESPONSE_AT)
            row["published response"] = _pub(pub.arm(a.id, N.RESPONSE_AT))
        if "OS" in result.summary.endpoints:
            row["median OS, months (95% CI)"] = _est(a.os)
            row["published OS"] = _pub(pub.arm(a.id, N.OS_MEDIAN), 2)
        rows.append(row)
    return rows


def arm_table(result: TrialResult) -> Table:
    """Per-arm endpoints for the terminal: simulated, with the published value in
    brackets where there is one."""
    pub = result.summary.published
    response_at = any(a.RESPONSE_AT is not None for a in result.arms)
    cols = ["arm", "N", "events", "median PFS mo (95% CI)", "published", "ORR %", "CBR %"]
    if response_at:
        cols.append("resp. at visit %")
    with_os = "OS" in result.summary.endpoints
    if with_os:
        cols.append("median OS mo")
    rows = []
    for a in result.arms:

        def with_pub(r: Rate | None, key: str, arm: str = a.id) -> str:
            p = pub.arm(arm, key)
            text = _rate(r, with_ci=False)
            return text if p is None else f"{text} [{_pub(p)}]"

        row = [
            a.id,
            str(a.n),
            str(a.events),
            _est(a.pfs),
            _pub(pub.arm(a.id, N.PFS_MEDIAN), 2),
            with_pub(a.ORR, N.ORR),
            with_pub(a.CBR, N.CBR),
        ]
        if response_at:
            row.append(with_pub(a.RESPONSE_AT, N.RESPONSE_AT))
        if with_os:
            p = pub.arm(a.id, N.OS_MEDIAN)
            text = _est(a.os).split(" (")[0]
            row.append(text if p is None else f"{text} [{_pub(p, 2)}]")
        rows.append(row)
    return cols, rows


def comparison_text(result: TrialResult) -> list[str]:
    """One sentence per comparison: HR with CI, how it was stratified, p, published."""
    out = []
    for c in result.summary.comparisons:
        if c.hazard_ratio is None:
            out.append(f"{c.key}: no hazard ratio ({c.note or 'no events'})")
            continue
        strat = (
            f", stratified by {', '.join(x.split(':', 1)[1] for x in c.stratified_by)}"
            if c.stratified_by
            else ""
        )
        text = (
            f"HR {c.key}: {c.hazard_ratio:.2f} (95% CI {c.ci_low:.2f}-{c.ci_high:.2f}; "
            f"Cox{strat}), log-rank p = {c.logrank_p:.2g}"
            + (f" (stratified {c.stratified_logrank_p:.2g})" if c.stratified_by else "")
        )
        p = result.summary.published.comparison(c.key)
        if p is not None:
            text += f"; published {_pub(p, 2)}"
        if c.note:
            text += f" (note: {c.note})"
        out.append(text)
        if c.os_hazard_ratio is not None:
            text = (
                f"OS HR {c.key}: {c.os_hazard_ratio:.2f} "
                f"(95% CI {c.os_ci_low:.2f}-{c.os_ci_high:.2f}; Cox{strat})"
            )
            p = result.summary.published.comparison(c.key, N.OS_HAZARD_RATIO)
            if p is not None:
                text += f"; published {_pub(p, 2)}"
            out.append(text)
    return out


def subgroup_table(table: SubgroupTable) -> Table:
    return (
        ["subgroup", "n exp/ctl", "HR (95% CI)", "p (Cox)"],
        [
            [
                r.subgroup,
                f"{r.n_experimental}/{r.n_control}",
                _ci(r.hazard_ratio, r.ci_low, r.ci_high, 2)
                if r.estimated
                else ("too few" if r.note is None else "not estimable"),
                num(r.cox_p, 2),
            ]
            for r in table.rows
        ],
    )


# ---------------------------------------------------------------------- inference
def calibration_tables(result: CalibrationResult) -> tuple[Table, Table]:
    """(parameters, fit) tables of a calibration."""
    params = (
        ["parameter", "start", "fitted", "bounds", "SD (scaled)"],
        [
            [
                p.id,
                f"{p.start:.4g}",
                f"{p.fitted:.4g}",
                f"{p.lower:.3g}-{p.upper:.3g}",
                num(p.sd_scaled),
            ]
            for p in result.parameters
        ],
    )
    if result.problem_kind == "trial":
        fit = (
            ["target", "published", "at start", "fitted", "SE (log)"],
            [
                [r.name, num(r.target), num(r.start_value), num(r.fitted_value), num(r.se_log)]
                for r in result.fit
            ],
        )
    elif result.problem_kind == "pathway-readouts":
        fit = (
            ["readout (drug, antibody, time)", "measured", "at start", "fitted", "log2 err"],
            [
                [
                    r.name,
                    num(r.target),
                    num(r.start_value),
                    num(r.fitted_value),
                    f"{math.log2(r.fitted_value / float(r.target)):+.2f}"
                    if r.fitted_value and float(r.target) > 0
                    else "-",
                ]
                for r in result.fit
            ],
        )
    else:
        fit = (
            ["criterion", "value", "margin at start", "margin", "met"],
            [
                [
                    r.name,
                    num(r.fitted_value),
                    "-" if r.margin_start is None else f"{r.margin_start:+.1%}",
                    "-" if r.margin is None else f"{r.margin:+.1%}",
                    {True: "yes", False: "NO", None: "-"}[r.met],
                ]
                for r in result.fit
            ],
        )
    return params, fit


#: readable names of endpoint keys
ENDPOINT_NAMES = {
    N.PFS_MEDIAN: "median PFS (mo)",
    N.HAZARD_RATIO: "HR",
    N.ORR: "ORR %",
    N.CBR: "CBR %",
    N.DCR: "DCR %",
    N.RESPONSE_AT: "response at visit %",
    N.OS_MEDIAN: "median OS (mo)",
    N.OS_HAZARD_RATIO: "OS HR",
}


def validation_tables(report: ValidationReport) -> list[tuple[str, Table]]:
    """One table per predicted design: endpoint, arm, simulated median (95% interval of
    replicate trials), published value (95% CI), whether it falls inside."""
    out: list[tuple[str, Table]] = []
    for design in dict.fromkeys(r.design for r in report.rows):
        rows = [r for r in report.rows if r.design == design]
        out.append(
            (
                design,
                (
                    ["endpoint", "arm", "simulated (95% int.)", "published (95% CI)", "inside"],
                    [
                        [
                            ENDPOINT_NAMES.get(r.endpoint, r.endpoint),
                            r.arm,
                            f"{num(r.simulated)} ({num(r.sim_low)}-{num(r.sim_high)})",
                            num(r.published)
                            + (
                                f" ({num(r.pub_low)}-{num(r.pub_high)})"
                                if r.pub_low is not None
                                else ""
                            ),
                            {True: "yes", False: "NO", None: "-"}[r.inside],
                        ]
                        for r in rows
                    ],
                ),
            )
        )
    return out


def ida_tables(report: ValidationReport) -> tuple[Table, Table]:
    """(combination medians: IDA from simulated and from published monotherapy vs
    mechanistic vs published, and the monotherapy medians each IDA was built from)."""
    combos = (
        ["trial", "IDA sim", "IDA pub", "mech.", "published", "closer (sim/pub)"],
        [
            [
                i.design + (" (calibration)" if i.calibration_trial else ""),
                num(i.ida_median_months),
                num(i.ida_published_median_months),
                num(i.mechanistic_median_months),
                num(i.published_median_months),
                (
                    f"{i.closer or '-'} / {i.closer_than_published_ida or '-'}"
                    if i.note is None
                    else i.note
                ),
            ]
            for i in report.ida
        ],
    )
    monos = (
        ["trial", "drug alone", "simulated (mo)", "published (mo)"],
        [
            [
                i.design,
                drug,
                num(v),
                num(i.published_monotherapy.get(drug, {}).get("median_pfs_months")),
            ]
            for i in report.ida
            for drug, v in i.monotherapy_median_months.items()
        ],
    )
    return combos, monos


def sensitivity_table(result: SensitivityResult) -> Table:
    return (
        ["rank", "factor", "mu*", "sigma", "range (x default)"],
        [
            [
                str(i + 1),
                r.factor,
                f"{r.mu_star:.3f}",
                "-" if r.sigma is None else f"{r.sigma:.3f}",
                f"{r.low:g}-{r.high:g}",
            ]
            for i, r in enumerate(result.ranking)
        ],
    )


__all__ = [
    "arm_table",
    "calibration_tables",
    "comparison_text",
    "ida_tables",
    "num",
    "sensitivity_table",
    "subgroup_table",
    "summary_rows",
    "validation_tables",
]
