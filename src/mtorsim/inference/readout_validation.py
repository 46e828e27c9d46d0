"""The signalling model's time courses beside the measured pathway readouts it was fitted
to, and the behaviour checklist as validation.

The measured readouts are the quantitative rows of the reference table
(``pathway_readouts.csv``) whose cell line is a model context and whose drug the model has:
today the Hill et al. 2017 RPPA time courses in MCF-7 (Cell Systems 4:73,
doi:10.1016/j.cels.2016.11.013; drug / DMSO, median over eight ligand stimuli).  They are
the data of the ``pathway-readouts`` problem (:mod:`mtorsim.inference.readout_calibration`),
so the rows here show the quality of the fit, not a prediction: the model is run from its
untreated steady state with the drug held from t = 0 at the fitted effective
concentration of the experiment (not in its data files), AZD8055 as its class member
PP242, and each fold is read through the fitted RPPA compression.

The checklist (:mod:`mtorsim.pathway.checks`) is reported with its margins and, for each
check, whether a calibration problem fits it: checks 1, 7, 10 and 11 are the objective of
``pathway-checklist`` (no measured readout informs them); the others are in no objective,
so they are validation.  Where the review's claim and the measured readouts disagree (a
check fails after the fit to data), the data win and the failure is reported.

The rapalog magnitudes (Akt S473 rebound, S6K1 and 4E-BP1 residuals) are read beside two
single-time-point RPPA data sets that are in no objective (:data:`PUBLISHED`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.trials.results import Record

#: reference-table drug (first word, lower case) -> (model agent, why)
DRUG_MAP: dict[str, tuple[str, str]] = {
    "dactolisib": ("nvp-bez235", "the same drug"),
    "azd8055": ("pp242", "class proxy: both ATP-competitive mTORC1/2 kinase inhibitors"),
}
#: reference-table readout -> model readout
READOUT_MAP: dict[str, str] = {
    "pAkt S473": "pAkt_S473",
    "pAkt T308": "pAkt_T308",
    "pS6K1 T389": "pS6K1_T389",
    "pS6 S235/236": "pS6",
    "pS6 S240/244": "pS6",
    "p4E-BP1 S65": "p4EBP1_S65",
    "pERK1/2 T202/Y204": "pERK",
}

#: measured readouts that are not fitted (held out) -> model symbol: total HER3 under the
#: drugs measures the FOXO -> RTK re-expression loop (RTK_exp), which the folds fitted
#: (phospho-sites) only constrain indirectly
HELD_OUT_MAP: dict[str, str] = {"HER3 (total)": "RTK_exp"}

#: magnitudes the model's steady states are read beside, each against the range of a set of
#: rows of the reference table (dataset, readouts, cell lines left out).  Both rapalog data
#: sets are single time points, in no objective: Korkut et al. 2015 (eLife 4:e04640,
#: temsirolimus in SKMEL-133 melanoma, two doses, 24 h) and Mukherjee et al. 2022 (J Pers
#: Med 12:1277, everolimus in six triple-negative breast lines; dose and time not in the
#: data files).  The range is the span over lines and doses, so "inside" says whether the
#: model falls where the measured cells fall, not that it matches one of them.  The model
#: is read at its steady state under everolimus 10 nM (the checklist's rapalog dose).
_KORKUT = (
    "Korkut 2015 eLife 4:e04640 (doi:10.7554/eLife.04640): temsirolimus in SKMEL-133 "
    "melanoma, 2 doses, 24 h, RPPA ratio to the no-drug control (another tissue)"
)
_MUKHERJEE = (
    "Mukherjee 2022 J Pers Med 12:1277 (doi:10.3390/jpm12081277): everolimus in 6 "
    "triple-negative breast lines, RPPA mean ratio to DMSO over 4 replicates; dose and "
    "time not in the data files"
)
PUBLISHED: dict[str, dict[str, Any]] = {
    "pAkt S473 fold, MCF7 / melanoma": {
        "model": ("MCF7", {"everolimus": 10.0}, "pAkt_S473"),
        "rows": ("korkut2015", ("pAkt S473",), ()),
        "source": _KORKUT,
    },
    "pAkt S473 fold, MDAMB231 / TNBC": {
        "model": ("MDAMB231", {"everolimus": 10.0}, "pAkt_S473"),
        "rows": ("mukherjee2022", ("pAkt S473",), ("MCF10A",)),
        "source": _MUKHERJEE,
    },
    "pAkt S473 fold, MDAMB468 / TNBC": {
        "model": ("MDAMB468", {"everolimus": 10.0}, "pAkt_S473"),
        "rows": ("mukherjee2022", ("pAkt S473",), ("MCF10A",)),
        "source": _MUKHERJEE,
    },
    "pS6K1 T389 residual, MDAMB231 / TNBC": {
        "model": ("MDAMB231", {"everolimus": 10.0}, "pS6K1_T389"),
        "rows": ("mukherjee2022", ("pS6K1 T389",), ("MCF10A",)),
        "source": _MUKHERJEE,
    },
    "p4E-BP1 T37/46 residual, MCF7 / melanoma": {
        "model": ("MCF7", {"everolimus": 10.0}, "p4EBP1"),
        "rows": ("korkut2015", ("p4E-BP1 T37",), ()),
        "source": _KORKUT + "; the T37 epitope",
    },
    "p4E-BP1 S65 residual, MCF7 / melanoma": {
        "model": ("MCF7", {"everolimus": 10.0}, "p4EBP1_S65"),
        "rows": ("korkut2015", ("p4E-BP1 S65",), ()),
        "source": _KORKUT,
    },
}


def published_range(
    dataset: str, readouts: Sequence[str], left_out: Sequence[str] = ()
) -> tuple[float, float, int]:
    """Lowest and highest measured fold of the reference rows of ``dataset`` with one of
    ``readouts``, cell lines in ``left_out`` excepted, and the number of rows."""
    from mtorsim.inference.reference import pathway_readouts

    folds = [
        float(r["fold_change"])
        for r in pathway_readouts()
        if dataset_of(r) == dataset
        and r["readout"] in readouts
        and r["fold_change"]
        and not any(r["cell_line"].startswith(x) for x in left_out)
    ]
    if not folds:
        raise MtorsimError(
            f"no reference readouts of dataset {dataset!r} with readouts {list(readouts)} in "
            "pathway_readouts.csv; rebuild it with scripts/build_reference_data.py"
        )
    return min(folds), max(folds), len(folds)


class ReadoutRow(Record):
    """One measured readout beside the model's (``simulated``: the fold as the antibody
    reads it, i.e. through the fitted RPPA compression ``gamma``; ``nM``: the experiment's
    fitted effective concentration, dactolisib with the experiment's p110alpha potency)."""

    id: str
    context: str
    drug: str
    agent: str
    agent_note: str
    nM: float
    readout: str
    model_readout: str
    time_h: float
    measured: float
    simulated: float
    gamma: float = 1.0
    citation: str

    @property
    def log2_error(self) -> float:
        return math.log2(max(self.simulated, 1e-9) / self.measured)


class PublishedMagnitude(Record):
    """A quantity of the model beside the range of measured values (None: no number found)."""

    name: str
    simulated: float
    low: float | None
    high: float | None
    inside: bool | None
    source: str


class ReadoutValidation(Record):
    """Model time courses against measured readouts, checklist margins, published ranges."""

    format_version: str = "1.0"
    kind: str = "readout-validation"
    rows: list[ReadoutRow]
    held_out: list[ReadoutRow] = Field(
        default_factory=list, description="measured readouts not fitted (HER3 total)"
    )
    predicted: list[ReadoutRow] = Field(
        default_factory=list,
        description="readouts of the held-out cell lines (never fitted), predicted with the "
        "experiment's parameters fitted on the fitted line",
    )
    checklist: dict[str, Any]
    fitted_checks: list[str] = Field(
        default_factory=list, description="checks in a calibration objective"
    )
    published: list[PublishedMagnitude]
    provenance: dict[str, Any]

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([r.model_dump() | {"log2_error": r.log2_error} for r in self.rows])

    def prediction_summary(self) -> list[dict[str, Any]]:
        """Per held-out line (and all together): n, median |log2 error| of the model and of
        three predictors that know no genotype, and the model's direction agreement.

        The baselines are ``no_change`` (every fold 1), ``measured_fitted_line`` (the fold
        measured in the fitted line for the same drug, antibody and time) and
        ``model_fitted_line`` (the model's fold in the fitted line's context): the model's
        genotype contexts add information only where ``median_abs_log2_error`` beats the
        last, and the model adds information about the line only where it beats the
        second."""
        measured = {(r.drug, r.readout, r.time_h): r.measured for r in self.rows}
        model = {(r.drug, r.readout, r.time_h): r.simulated for r in self.rows}

        def med(values: list[float]) -> float | None:
            return float(np.median(values)) if values else None

        def baseline(
            source: dict[tuple[str, str, float], float], rs: list[ReadoutRow]
        ) -> float | None:
            errors = []
            for r in rs:
                key = (r.drug, r.readout, r.time_h)
                if key not in source:
                    raise MtorsimError(
                        f"held-out readout {r.id} has no fitted-line row of the same drug, "
                        f"antibody and time ({key}): the baselines would cover other rows "
                        "than the model's error"
                    )
                errors.append(abs(math.log2(source[key] / r.measured)))
            return med(errors)

        def row(name: str, rs: list[ReadoutRow]) -> dict[str, Any]:
            return {
                "context": name,
                "n": len(rs),
                "median_abs_log2_error": med([abs(r.log2_error) for r in rs]),
                "no_change": med([abs(math.log2(r.measured)) for r in rs]),
                "measured_fitted_line": baseline(measured, rs),
                "model_fitted_line": baseline(model, rs),
                "direction_agreement": float(
                    np.mean([_side(r.measured) == _side(r.simulated) for r in rs])
                ),
            }

        lines = sorted({r.context for r in self.predicted})
        out = [row(c, [r for r in self.predicted if r.context == c]) for c in lines]
        if len(lines) > 1:
            out.append(row("all", list(self.predicted)))
        return out

    def summary(self) -> list[dict[str, Any]]:
        """Per drug and readout: n, median |log2 error|, direction agreement (both above,
        both below or both within 10% of 1)."""
        out = []
        for key in sorted({(r.drug.split(" ")[0], r.readout) for r in self.rows}):
            rs = [r for r in self.rows if (r.drug.split(" ")[0], r.readout) == key]
            out.append(
                {
                    "drug": key[0],
                    "readout": key[1],
                    "n": len(rs),
                    "median_abs_log2_error": float(np.median([abs(r.log2_error) for r in rs])),
                    "direction_agreement": float(
                        np.mean([_side(r.measured) == _side(r.simulated) for r in rs])
                    ),
                }
            )
        return out

    def plot(self, ax: Any = None) -> Any:
        """One row of panels per cell line (the fitted line first, then the held-out ones),
        one column per drug: measured folds (o) and the model's (x) over time."""
        import matplotlib.pyplot as plt

        drugs = sorted({r.drug.split(" ")[0] for r in self.rows})
        fitted_lines = sorted({r.context for r in self.rows})
        lines = fitted_lines + sorted({r.context for r in self.predicted})
        rows_of = {c: [r for r in self.rows + self.predicted if r.context == c] for c in lines}
        axes: list[list[Any]]
        if ax is None:
            _, grid = plt.subplots(
                len(lines),
                len(drugs),
                figsize=(5.0 * len(drugs) + 1.8, 3.6 * len(lines)),
                layout="constrained",
                squeeze=False,
                sharex=True,
            )
            axes = [list(g) for g in grid]
        else:
            axes = [[ax] * len(drugs) for _ in lines]
        names = sorted({r.readout for r in self.rows})
        for line, ax_row in zip(lines, axes, strict=True):
            role = "fitted" if line in fitted_lines else "held out, predicted"
            for a, drug in zip(ax_row, drugs, strict=True):
                rows = [r for r in rows_of[line] if r.drug.split(" ")[0] == drug]
                for k, name in enumerate(names):
                    rs = sorted((r for r in rows if r.readout == name), key=lambda r: r.time_h)
                    if not rs:
                        continue
                    t = [r.time_h for r in rs]
                    a.plot(t, [r.measured for r in rs], "o-", color=f"C{k}", label=name)
                    a.plot(t, [r.simulated for r in rs], "x--", color=f"C{k}")
                a.axhline(1.0, color="grey", lw=0.8)
                a.set(
                    yscale="log",
                    xscale="log",
                    ylabel="readout / vehicle",
                    title=f"{line} {drug} ({role})"
                    + (f"\nmodel: {rows[0].agent} {rows[0].nM:.3g} nM" if rows else ""),
                )
        for a in axes[-1]:
            a.set_xlabel("hours on drug")
        axes[0][-1].legend(
            title="o measured (Hill 2017 RPPA)\nx model",
            fontsize=7,
            title_fontsize=7,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
        )
        return axes[0][0]


def _side(v: float) -> int:
    """-1, 0 or 1: a fold below, within 10% of, or above 1."""
    if v <= 0:
        return -1
    return 0 if abs(math.log(v)) < math.log(1.1) else (1 if v > 1 else -1)


def _model_agent(drug: str) -> tuple[str, str] | None:
    first = drug.lower().split("(")[0].strip().split(" ")[0]
    return DRUG_MAP.get(first)


def dataset_of(row: dict[str, str]) -> str:
    """The dataset a reference readout belongs to: the first word of its id
    (``hill2017_mcf7_...`` -> ``hill2017``)."""
    return row["id"].split("_")[0]


def measured_rows(
    readouts: dict[str, str] | None = None,
    contexts: Sequence[str] | None = None,
    datasets: Sequence[str] | None = None,
) -> list[tuple[dict[str, str], tuple[str, str], float]]:
    """The quantitative reference readouts the model can simulate, after t = 0: (row,
    (model agent, why), hours); of the fitted antibodies (:data:`READOUT_MAP`) unless
    ``readouts`` names others, of any model context unless ``contexts`` names some, of any
    dataset unless ``datasets`` names some."""
    from mtorsim.inference.reference import pathway_readouts

    names = READOUT_MAP if readouts is None else readouts
    out = []
    for r in pathway_readouts():
        mapped = _model_agent(r["drug"])
        if (
            not r["context"]
            or (contexts is not None and r["context"] not in contexts)
            or (datasets is not None and dataset_of(r) not in datasets)
            or mapped is None
            or r["readout"] not in names
            or not r["fold_change"]
            or not r["time_h"]  # a single unstated time point: no course to read
            or r["kind"] != "quantitative"
        ):
            continue
        t = float(r["time_h"])
        if t > 0:
            out.append((r, mapped, t))
    return out


def validate_readouts(progress: Callable[[str], None] | None = None) -> ReadoutValidation:
    """Every usable measured readout beside the model's time course, the checklist run as
    validation, and the published magnitudes beside the model's."""
    from mtorsim.inference.calibration_set import load_calibration_set
    from mtorsim.inference.readout_calibration import DRUGS, GAMMA, ReadoutObjective
    from mtorsim.inference.records import load_calibration
    from mtorsim.pathway.build import model_hash
    from mtorsim.pathway.checks import DOSES_NM, run_checks
    from mtorsim.pathway.simulate import PathwaySimulator

    say = progress or (lambda _m: None)
    sim = PathwaySimulator()
    record = load_calibration("pathway-readouts")
    fitted = record.values
    gamma = fitted.get(GAMMA, 1.0)
    objective = ReadoutObjective(
        load_calibration_set().problem(record.problem),
        float(record.settings["sigma_log2"]),
        float(record.settings["prior_sd_log10"]),
    )
    courses: dict[tuple[str, str], Any] = {}

    sel = load_calibration_set().problem(record.problem).data
    assert sel is not None  # checked by ReadoutObjective

    def compare(names: dict[str, str], contexts: list[str]) -> list[ReadoutRow]:
        rows = []
        for r, (agent, note), t in measured_rows(names, contexts, sel.datasets):
            key = (r["context"], agent)
            if key not in courses:
                say(f"{r['context']}: {agent} time course")
                first = r["drug"].split(" ")[0].lower()
                nM = fitted[DRUGS[first][1]] if first in DRUGS else DOSES_NM[agent][0]
                # the experiment's slots (dactolisib with its fitted p110alpha potency)
                tc = sim.time_course(
                    r["context"],
                    {},
                    t_end_min=48 * 60.0,
                    n_points=2881,
                    slots=objective.slots(agent, fitted, nM),
                    extra=list(HELD_OUT_MAP.values()),
                )
                courses[key] = (nM, tc)
            nM, tc = courses[key]
            model_name = names[r["readout"]]
            course = tc.readouts[model_name]
            value = float(np.interp(t * 60.0, tc.time_min, course))
            base = float(course[0])  # the untreated steady state (t = 0)
            rows.append(
                ReadoutRow(
                    id=r["id"],
                    context=r["context"],
                    drug=r["drug"],
                    agent=agent,
                    agent_note=note,
                    nM=nM,
                    readout=r["readout"],
                    model_readout=model_name,
                    time_h=t,
                    measured=float(r["fold_change"]),
                    simulated=(value / base) ** gamma if base > 0 else float("nan"),
                    gamma=gamma,
                    citation=r["citation"][:160],
                )
            )
        return [r for r in rows if math.isfinite(r.simulated)]

    rows, held_out = compare(READOUT_MAP, sel.contexts), compare(HELD_OUT_MAP, sel.contexts)
    predicted = compare(READOUT_MAP, sel.held_out_contexts)
    say("behaviour checklist")
    report = run_checks(sim)
    published = []
    for name, spec in PUBLISHED.items():
        ctx, drugs, readout = spec["model"]
        b = sim.steady_state(ctx, {}).readouts[readout]
        v = sim.steady_state(ctx, drugs).readouts[readout] / b
        lo, hi, n = published_range(*spec["rows"])
        published.append(
            PublishedMagnitude(
                name=name,
                simulated=v,
                low=lo,
                high=hi,
                inside=bool(lo <= v <= hi),
                source=f"{spec['source']} ({n} values)",
            )
        )
    return ReadoutValidation(
        rows=rows,
        held_out=held_out,
        predicted=predicted,
        checklist=report.to_dict(),
        fitted_checks=list(
            load_calibration_set().problem("pathway-checklist").settings.get("checks", [])
        ),
        published=published,
        provenance={"mtorsim_version": __version__, "model_hash": model_hash()},
    )


__all__ = ["PUBLISHED", "ReadoutValidation", "published_range", "validate_readouts"]
