"""Figures and files of a virtual-trial run: Kaplan-Meier with numbers at risk, waterfall,
spider plot, per-patient CSV, JSON summary and a self-contained HTML report."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mtorsim.fileio import write_atomic
from mtorsim.reports.validation import forest_figure
from mtorsim.trials.compare import subgroups
from mtorsim.trials.run import TrialResult

ARM_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
RESPONSE_COLOURS = {
    "CR": "#1a9850",
    "PR": "#91cf60",
    "SD": "#fee08b",
    "PD": "#d73027",
    "NE": "#999999",
}


def _fmt(x: float | None, nd: int = 1) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def _ci(d: dict[str, Any] | None, key: str = "median", nd: int = 1) -> str:
    if not d or d.get(key) is None:
        return "-"
    lo, hi = d.get("ci_low"), d.get("ci_high")
    if lo is None and hi is None:
        return _fmt(d[key], nd)
    return f"{_fmt(d[key], nd)} ({_fmt(lo, nd)}-{_fmt(hi, nd)})"


def summary_rows(result: TrialResult) -> list[dict[str, str]]:
    """One row per arm: simulated and published values side by side (strings)."""
    s = result.summary
    pub = s.get("published", {}).get("arms", {})
    rows = []
    for arm_id, a in s["arms"].items():
        p = pub.get(arm_id, {})
        rows.append(
            {
                "arm": arm_id,
                "label": a["label"],
                "N": str(a["n"]),
                "events": str(a.get("events", 0)),
                "median PFS, months (95% CI)": _ci(a.get("pfs_months")),
                "published median": _ci(p.get("pfs_median"), "value", 2),
                "ORR %": _ci(a.get("ORR"), "pct"),
                "published ORR": _ci(p.get("ORR"), "value"),
                "CBR %": _ci(a.get("CBR"), "pct"),
                "published CBR": _ci(p.get("CBR"), "value"),
                **(
                    {
                        "response at visit %": _ci(a.get("RESPONSE_AT"), "pct"),
                        "published response": _ci(p.get("RESPONSE_AT"), "value"),
                    }
                    if "RESPONSE_AT" in a
                    else {}
                ),
            }
        )
    return rows


def comparison_text(result: TrialResult) -> str:
    c = result.summary.get("comparison")
    if not c or "hazard_ratio" not in c:
        return ""
    pub = result.summary.get("published", {}).get("comparison", {}).get("hazard_ratio")
    strat = (
        f", stratified by {', '.join(x.split(':', 1)[1] for x in c['stratified_by'])}"
        if c["stratified_by"]
        else ""
    )
    text = (
        f"HR {c['experimental']} vs {c['control']}: {c['hazard_ratio']:.2f} "
        f"(95% CI {c['ci_low']:.2f}-{c['ci_high']:.2f}; Cox{strat}), "
        f"log-rank p = {c['logrank_p']:.2g}"
        + (f" (stratified {c['stratified_logrank_p']:.2g})" if c["stratified_by"] else "")
    )
    if pub:
        text += (
            f"; published {pub['value']:.2f} ({_fmt(pub['ci_low'], 2)}-{_fmt(pub['ci_high'], 2)})"
        )
    return text


# ---------------------------------------------------------------------- figures
def km_figure(result: TrialResult) -> Any:
    import matplotlib.pyplot as plt
    from lifelines import KaplanMeierFitter
    from lifelines.plotting import add_at_risk_counts

    _fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    fitters = []
    for i, arm in enumerate(result.design.arms):
        sub = result.patients[result.patients["arm"] == arm.id]
        if sub.empty:
            continue
        kmf = KaplanMeierFitter(label=arm.label)
        kmf.fit(sub["pfs_months"], sub["event"].astype(bool))
        kmf.plot_survival_function(
            ax=ax,
            ci_show=True,
            color=ARM_COLOURS[i % 5],
            show_censors=True,
            censor_styles={"ms": 4, "marker": "|"},
        )
        fitters.append(kmf)
    ax.set(
        xlabel="months from randomisation",
        ylabel="progression-free probability",
        ylim=(0, 1.02),
        title=f"{result.design.name}: progression-free survival "
        f"(virtual, N = {len(result.patients)})",
    )
    c = result.summary.get("comparison") or {}
    if "hazard_ratio" in c:
        ax.text(
            0.98,
            0.98,
            f"HR {c['hazard_ratio']:.2f} (95% CI {c['ci_low']:.2f}-{c['ci_high']:.2f}), "
            f"log-rank p = {c['logrank_p']:.2g}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
        )
    if fitters:
        add_at_risk_counts(*fitters, ax=ax, rows_to_show=["At risk"])
    return ax


def waterfall_figure(result: TrialResult) -> Any:
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    _fig, axes = plt.subplots(
        1,
        len(result.design.arms),
        figsize=(5 * len(result.design.arms), 4),
        layout="constrained",
        sharey=True,
        squeeze=False,
    )
    for ax, arm in zip(axes[0], result.design.arms, strict=True):
        sub = result.patients[result.patients["arm"] == arm.id].sort_values(
            "best_change_pct", ascending=False
        )
        y = np.clip(sub["best_change_pct"].to_numpy(), -100, 100)
        ax.bar(
            np.arange(len(y)),
            y,
            width=1.0,
            color=[RESPONSE_COLOURS.get(r, "#999") for r in sub["best_response"]],
        )
        ax.axhline(20, color="k", lw=0.6, ls="--")
        ax.axhline(-30, color="k", lw=0.6, ls="--")
        ax.set(title=arm.label, xlabel="patients", xticks=[])
    axes[0][0].set_ylabel("best change in sum of diameters (%)")
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in RESPONSE_COLOURS.values()]
    axes[0][-1].legend(
        handles, list(RESPONSE_COLOURS), title="best response", fontsize=7, loc="upper right"
    )
    return axes[0][0]


def spider_figure(result: TrialResult) -> Any:
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    colour = {a.id: ARM_COLOURS[i % 5] for i, a in enumerate(result.design.arms)}
    arm_of = dict(zip(result.patients["patient"], result.patients["arm"], strict=True))
    for pid, c in sorted(result.curves.items()):
        d, s = np.asarray(c["day"]), np.asarray(c["sld_mm"])
        if len(d) == 0:
            continue
        ax.plot(
            d / (365.25 / 12), 100 * (s / s[0] - 1), color=colour[arm_of[pid]], lw=0.8, alpha=0.7
        )
    for a in result.design.arms:
        ax.plot([], [], color=colour[a.id], label=a.label)
    ax.axhline(20, color="k", lw=0.6, ls="--")
    ax.axhline(-30, color="k", lw=0.6, ls="--")
    ax.set(
        xlabel="months",
        ylabel="change in sum of diameters from baseline (%)",
        title=f"tumour size, first {len(result.curves)} patients (to progression or censoring)",
        ylim=(-100, 150),
    )
    ax.legend(frameon=False, fontsize=8)
    return ax


def _png_bytes(ax: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=110)
    plt.close(ax.figure)
    return buf.getvalue()


# ---------------------------------------------------------------------- outputs
def write_trial_outputs(result: TrialResult, out: Path) -> dict[str, str]:
    """Write every output file into ``out`` (each atomically); returns name -> path."""
    import matplotlib

    matplotlib.use("Agg")
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    write_atomic(out / "patients.csv", result.patients.to_csv(index=False))
    files["patients"] = str(out / "patients.csv")
    write_atomic(out / "summary.json", result.to_json())
    files["summary"] = str(out / "summary.json")
    pngs = {}
    for name, fn in (("km", km_figure), ("waterfall", waterfall_figure), ("spider", spider_figure)):
        data = _png_bytes(fn(result))
        write_atomic(out / f"{name}.png", data)
        pngs[name] = data
        files[name] = str(out / f"{name}.png")
    groups = [g for g in subgroups(result) if "hazard_ratio" in g]
    if len(groups) > 1:
        title = f"{result.design.name}: hazard ratio by subgroup (virtual)"
        data = _png_bytes(forest_figure(groups, title))
        write_atomic(out / "forest.png", data)
        pngs["forest"] = data
        files["forest"] = str(out / "forest.png")
        cols = ["subgroup", "n_experimental", "n_control", "hazard_ratio", "ci_low", "ci_high"]
        table = pd.DataFrame(groups)[cols]
        write_atomic(out / "subgroups.csv", table.to_csv(index=False))
        files["subgroups"] = str(out / "subgroups.csv")
    write_atomic(out / "report.html", html_report(result, pngs))
    files["report"] = str(out / "report.html")
    return files


def html_report(result: TrialResult, pngs: dict[str, bytes]) -> str:
    s = result.summary
    rows = summary_rows(result)
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0]) if rows else ""
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r.values()) + "</tr>" for r in rows
    )
    imgs = "".join(
        f'<figure><img alt="{k}" src="data:image/png;base64,{base64.b64encode(v).decode()}">'
        f"<figcaption>{k}</figcaption></figure>"
        for k, v in pngs.items()
    )
    exact = s.get("exact_check")
    exact_html = (
        f"<p>Exact coupled path on {exact['patients']} patients: median PFS "
        f"{exact['median_pfs_exact']:.2f} vs fast path {exact['median_pfs_fast']:.2f} months "
        f"({100 * exact['median_pfs_rel_diff']:.2f}% apart).</p>"
        if exact
        else ""
    )
    d = result.design
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(d.name)} - mtorsim virtual trial</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;
color:#222}}
table{{border-collapse:collapse;font-size:0.9em}}td,th{{border:1px solid #ccc;padding:4px 8px}}
th{{background:#f0f0f0}}img{{max-width:100%}}figure{{margin:1em 0}}</style>
</head><body>
<h1>{html.escape(d.name)}: virtual trial</h1>
<p>{html.escape(d.population.description)}. Source: {html.escape(d.source)}.</p>
<h2>Results (simulated beside published)</h2>
<table><tr>{head}</tr>{body}</table>
<p>{html.escape(comparison_text(result))}</p>
{exact_html}
<h2>Figures</h2>{imgs}
<h2>Provenance</h2><pre>{html.escape(json.dumps(s.get("provenance", {}), indent=2))}</pre>
<p>Simulated values come from a mechanistic model with calibrated and assumed parameters
(see each data file's sources); published values from the review's knowledge base.</p>
</body></html>
"""
