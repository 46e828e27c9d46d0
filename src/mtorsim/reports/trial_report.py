"""The files of a virtual-trial run, built from its record: ``summary.json`` and
``patients.csv`` (:meth:`TrialResult.save`), ``km.png``, ``waterfall.png``, ``spider.png``,
``forest.png`` and ``subgroups.csv`` (randomised designs) and a self-contained
``report.html``."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from mtorsim.fileio import figure_png, write_atomic
from mtorsim.reports.tables import comparison_text, summary_rows
from mtorsim.trials.plots import km_plot, spider_plot, waterfall_plot
from mtorsim.trials.results import TrialResult
from mtorsim.trials.subgroups import subgroups

#: outputs only some runs make; removed from a reused folder when a run does not make them
OPTIONAL = ("forest.png", "subgroups.csv")
DPI = 110


def write_trial_outputs(result: TrialResult, out: Path) -> dict[str, str]:
    """Write every output file into ``out`` (each atomically); returns name -> path."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out)
    files = {k: str(v) for k, v in result.save(out).items()}
    pngs = {}
    for name, fn in (("km", km_plot), ("waterfall", waterfall_plot), ("spider", spider_plot)):
        pngs[name] = figure_png(fn(result), DPI)
    table = subgroups(result)
    made = set()
    if table is not None and sum(r.estimated for r in table.rows) > 1:
        pngs["forest"] = figure_png(table.plot(), DPI)
        frame = table.to_frame()[
            ["subgroup", "n_experimental", "n_control", "hazard_ratio", "ci_low", "ci_high"]
        ]
        files["subgroups"] = str(write_atomic(out / "subgroups.csv", frame.to_csv(index=False)))
        made |= {"forest.png", "subgroups.csv"}
    for name, data in pngs.items():
        files[name] = str(write_atomic(out / f"{name}.png", data))
    for stale in set(OPTIONAL) - made:
        (out / stale).unlink(missing_ok=True)
    files["report"] = str(write_atomic(out / "report.html", html_report(result, pngs)))
    return files


def html_report(result: TrialResult, pngs: dict[str, bytes]) -> str:
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
    exact = result.summary.exact_check
    exact_html = (
        f"<p>Exact coupled path on {exact.patients} patients: median PFS "
        f"{exact.median_pfs_exact:.2f} vs fast path {exact.median_pfs_fast:.2f} months "
        f"({100 * exact.median_pfs_rel_diff:.2f}% apart).</p>"
        if exact
        else ""
    )
    comps = "".join(f"<p>{html.escape(t)}</p>" for t in comparison_text(result))
    d = result.design
    prov = result.provenance.model_dump_json(indent=2)
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
{comps}
{exact_html}
<h2>Figures</h2>{imgs}
<h2>Provenance</h2><pre>{html.escape(prov)}</pre>
<p>Simulated values come from a mechanistic model with calibrated and assumed parameters
(see each data file's sources); published values from the review's knowledge base or the
design.</p>
</body></html>
"""


__all__ = ["html_report", "write_trial_outputs"]
