"""The files of a virtual-trial run, built from its record: ``summary.json`` and
``patients.csv`` (:meth:`TrialResult.save`), ``km.png``, ``waterfall.png``, ``spider.png``,
``forest.png`` and ``subgroups.csv`` (randomised designs), a self-contained
``report.html`` and, last, the manifest ``run.json``.  The data files are byte-identical on
a re-run with the same seed; the report and the manifest carry the date."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mtorsim.fileio import (
    begin_run,
    figure_png,
    package_digest,
    write_atomic,
    write_manifest,
)
from mtorsim.reports.tables import comparison_text, summary_rows
from mtorsim.trials.plots import km_plot, spider_plot, waterfall_plot
from mtorsim.trials.results import TrialResult
from mtorsim.trials.subgroups import subgroups

#: outputs only some runs make; removed from a reused folder when a run does not make them
OPTIONAL = ("forest.png", "subgroups.csv", "patients.csv", "patients.parquet")
DPI = 110


def trial_inputs(result: TrialResult, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a run's outputs depend on, as the manifest records it: design, model, tumour
    parameters, seed, N, calibration, the code (:func:`mtorsim.fileio.package_digest`)
    and ``extra`` (e.g. calibration files' hashes)."""
    prov = result.provenance
    return {
        **(extra or {}),
        "design": prov.design,
        "design_hash": prov.design_hash,
        "model_hash": prov.model_hash,
        "tumour_parameters_hash": prov.tumour_parameters_hash,
        "seed": str(prov.seed),
        "n_patients": str(prov.n_patients),
        "calibration": str(prov.calibration),
        "code": package_digest(),
    }


def write_trial_outputs(
    result: TrialResult,
    out: Path,
    command: str = "",
    records: Mapping[str, Any] | None = None,
    inputs: Mapping[str, str] | None = None,
    patients_format: str = "csv",
) -> dict[str, str]:
    """Write every output file into ``out`` (each atomically), then the manifest
    ``run.json`` last (:func:`mtorsim.fileio.write_manifest`); returns name -> path.
    ``patients_format``: ``csv`` or ``parquet`` (:meth:`TrialResult.save`).
    ``records`` are further records (with ``save``) written as ``<name>.json``; ``command``
    is the command line that made the run (for the manifest and the report); ``inputs``
    adds to the manifest's input hashes (e.g. calibration files)."""
    out = Path(out)
    inputs = trial_inputs(result, inputs)
    import matplotlib

    matplotlib.use("Agg")
    previous = begin_run(out, command, inputs)
    files = {k: str(v) for k, v in result.save(out, patients_format).items()}
    for name, rec in (records or {}).items():
        files[name] = str(rec.save(out / f"{name}.json"))
    pngs = {}
    for name, fn in (("km", km_plot), ("waterfall", waterfall_plot), ("spider", spider_plot)):
        pngs[name] = figure_png(fn(result), DPI)
    table = subgroups(result)
    made = {Path(files["patients"]).name}
    if table is not None and sum(r.estimated for r in table.rows) > 1:
        pngs["forest"] = figure_png(table.plot(), DPI)
        frame = table.to_frame()[
            ["subgroup", "n_experimental", "n_control", "hazard_ratio", "ci_low", "ci_high"]
        ]
        files["subgroups"] = str(write_atomic(out / "subgroups.csv", frame.to_csv(index=False)))
        made |= {"forest.png", "subgroups.csv"}
    for name, data in pngs.items():
        files[name] = str(write_atomic(out / f"{name}.png", data))
    for stale in set(OPTIONAL) - made:  # folders written before manifests existed
        (out / stale).unlink(missing_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    files["report"] = str(
        write_atomic(out / "report.html", html_report(result, pngs, command, stamp))
    )
    write_manifest(out, files, command, inputs, previous, finished_at=stamp)
    return files


#: what each figure shows (the report's captions)
CAPTIONS = {
    "km": "Kaplan-Meier estimate of progression-free survival per arm, with 95% confidence "
    "bands, censoring marks and the number at risk; the hazard ratio is the Cox estimate of "
    "the primary comparison.",
    "waterfall": "Best change in the sum of target-lesion diameters from baseline, one bar "
    "per patient, per arm (above 2000 patients an arm, every k-th of the sorted arm, as its "
    "title says); dashed lines at +20% (progression) and -30% (partial response), "
    "RECIST 1.1.",
    "spider": "Change in the sum of diameters over time for the first patients of the run, "
    "to progression or censoring.",
    "forest": "Hazard ratio (experimental vs control, Cox, stratified as the design says) "
    "in each subgroup with 95% CI; subgroups with fewer than 10 patients per arm or 10 "
    "events are not shown.",
}


def html_report(
    result: TrialResult, pngs: dict[str, bytes], command: str = "", stamp: str = ""
) -> str:
    rows = summary_rows(result)
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0]) if rows else ""
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r.values()) + "</tr>" for r in rows
    )
    imgs = "".join(
        f'<figure><img alt="{k}" src="data:image/png;base64,{base64.b64encode(v).decode()}">'
        f"<figcaption><b>Figure {i}.</b> {html.escape(CAPTIONS.get(k, k))}</figcaption>"
        "</figure>"
        for i, (k, v) in enumerate(pngs.items(), start=1)
    )
    made = (
        f"<p>Made by <code>{html.escape(command)}</code>"
        + (f" on {html.escape(stamp)}" if stamp else "")
        + f" (mtorsim {html.escape(result.provenance.mtorsim_version)}, seed "
        f"{result.provenance.seed}, N {result.provenance.n_patients}).</p>"
        if command
        else ""
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
{made}
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


__all__ = ["CAPTIONS", "html_report", "write_trial_outputs"]
