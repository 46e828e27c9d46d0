"""Result records of virtual trials: typed, with provenance, and they load back.

:class:`TrialResult` is what :func:`~mtorsim.trials.run.run_trial` returns: the design,
a :class:`TrialSummary` (per-arm endpoints, comparisons, published values, provenance),
the per-patient table and a few tumour curves.  ``to_json``/``from_json`` round-trip it;
``save(folder)``/``load(folder)`` write and read ``summary.json`` and ``patients.csv``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mtorsim.errors import DataFileError
from mtorsim.fileio import write_atomic
from mtorsim.knowledge import names as N
from mtorsim.knowledge.documents import load_document, read_mapping, validation_problems
from mtorsim.trials.design import Design

RESULT_FORMAT = "1.0"


class Record(BaseModel):
    """Base of result records: unknown fields are errors; JSON in and out."""

    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> str:
        """JSON (non-finite numbers written as null)."""
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> Any:
        return cls.model_validate_json(text)

    def save(self, path: str | Path) -> Path:
        """Write the record as JSON (atomically)."""
        return write_atomic(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Any:
        """Read a record written by :meth:`save`; errors name the file and field."""
        path = Path(path)
        if path.is_dir():
            raise DataFileError(str(path), ["is a folder; give the record's .json file"])
        return load_document(path, cls)


def finite_or_none(x: Any) -> Any:
    """JSON has no infinity or NaN: non-finite numbers become ``None`` (null), in nested
    dicts and lists too."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: finite_or_none(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [finite_or_none(v) for v in x]
    return x


# ---------------------------------------------------------------------- pieces
class Estimate(Record):
    """Kaplan-Meier median (months) with its 95% CI (None where not reached)."""

    median: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    events: int


class Rate(Record):
    """A proportion (%) with its exact (Clopper-Pearson) 95% CI."""

    k: int
    n: int
    pct: float | None
    ci_low: float | None
    ci_high: float | None


class ArmSummary(Record):
    id: str
    label: str
    n: int
    events: int = 0
    pfs: Estimate | None = None
    #: overall survival (PFS plus survival after progression)
    os: Estimate | None = None
    ORR: Rate | None = None
    DCR: Rate | None = None
    CBR: Rate | None = None
    RESPONSE_AT: Rate | None = None
    best_response_counts: dict[str, int] = Field(default_factory=dict)

    def rate(self, key: str) -> Rate | None:
        value = getattr(self, key, None)
        return value if isinstance(value, Rate) else None


class Comparison(Record):
    """Experimental vs control: Cox HR (stratified as the design says) and log-rank p."""

    experimental: str
    control: str
    hazard_ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    cox_p: float | None = None
    logrank_p: float | None = None
    stratified_logrank_p: float | None = None
    stratified_by: list[str] = Field(default_factory=list)
    note: str | None = None
    #: overall-survival HR and 95% CI (designs with an OS endpoint)
    os_hazard_ratio: float | None = None
    os_ci_low: float | None = None
    os_ci_high: float | None = None

    @property
    def key(self) -> str:
        return f"{self.experimental} vs {self.control}"


class PublishedValue(Record):
    """A published result beside which a simulated endpoint is shown."""

    value: float | str | None
    ci_low: float | None = None
    ci_high: float | None = None
    unit_as_reported: str | None = None
    endpoint: str
    refs: list[int] = Field(default_factory=list)
    source: str = Field(description="knowledge-base outcome id or the design's citation")


class PublishedResults(Record):
    """Published values by arm and by comparison (``"exp vs ctl"``), keyed by endpoint
    (:data:`~mtorsim.knowledge.names.PFS_MEDIAN`, ``ORR``, ``hazard_ratio``, ...)."""

    arms: dict[str, dict[str, PublishedValue]] = Field(default_factory=dict)
    comparisons: dict[str, dict[str, PublishedValue]] = Field(default_factory=dict)

    def arm(self, arm_id: str, key: str) -> PublishedValue | None:
        return self.arms.get(arm_id, {}).get(key)

    def comparison(self, key: str, endpoint: str = N.HAZARD_RATIO) -> PublishedValue | None:
        return self.comparisons.get(key, {}).get(endpoint)


class ExactRow(Record):
    patient: int
    arm: str
    pfs_fast: float
    pfs_exact: float
    event_fast: bool
    event_exact: bool
    best_change_fast: float
    best_change_exact: float


class ExactCheck(Record):
    """The fast path against the exact coupled path on the first patients."""

    patients: int
    median_pfs_fast: float
    median_pfs_exact: float
    median_pfs_rel_diff: float
    pfs_identical: int
    max_best_change_diff_pct_points: float
    rows: list[ExactRow]


class Provenance(Record):
    """Everything that determines a trial run (its hash keys the checkpoints)."""

    mtorsim_version: str
    design: str
    design_hash: str
    model_hash: str
    pathway_parameters: dict[str, float] = Field(
        default_factory=dict, description="signalling-model values set over the model's own"
    )
    tumour_parameters_hash: str
    tumour_medians: dict[str, float]
    effects: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per arm: effect strategy, class links, settings"
    )
    exposure_scales: dict[str, str] = Field(
        default_factory=dict, description="in-patient scale of each drug, with its source"
    )
    seed: int
    n_patients: int
    n_design: int
    path: str
    calibration: str | None = None
    note: str | None = None
    #: digest of mtorsim's code and data (:func:`mtorsim.fileio.package_digest`): a
    #: checkpoint written by other code is never reused
    code: str | None = None
    #: digest of every context the design's patients can have (a context given as a file
    #: path counts by its content, not its name)
    contexts_hash: str | None = None


class Curve(Record):
    day: list[float]
    sld_mm: list[float]


class TrialSummary(Record):
    """Per-arm endpoints, comparisons and published values of one simulated trial."""

    trial: str
    name: str
    endpoints: list[str]
    arms: list[ArmSummary]
    comparisons: list[Comparison] = Field(default_factory=list)
    published: PublishedResults = Field(default_factory=PublishedResults)
    exact_check: ExactCheck | None = None
    provenance: Provenance

    def arm(self, arm_id: str) -> ArmSummary:
        for a in self.arms:
            if a.id == arm_id:
                return a
        raise KeyError(f"no arm {arm_id!r}; arms: {[a.id for a in self.arms]}")

    @property
    def comparison(self) -> Comparison | None:
        """The first comparison: the design's experimental vs control when it names them,
        else the first of its ``comparisons``; None without any."""
        return self.comparisons[0] if self.comparisons else None


# ---------------------------------------------------------------------- the trial
def patients_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The per-patient table from row dicts; missing values (None, non-finite numbers)
    are NaN in every column, as they read back from CSV."""
    return missing_as_nan(
        pd.DataFrame([{k: finite_or_none(v) for k, v in r.items()} for r in rows])
    )


def missing_as_nan(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.where(frame.notna(), np.nan) if len(frame) else frame


@dataclass
class TrialResult:
    """A simulated trial: design, summary, per-patient table and tumour curves.

    Attributes
    ----------
    design
        The design that was run.
    summary
        :class:`TrialSummary` (arms, comparisons, published values, provenance).
    patients
        One row per virtual patient (columns in :mod:`mtorsim.knowledge.names`).
    curves
        Weekly tumour size of the first patients (for spider plots).
    """

    design: Design
    summary: TrialSummary
    patients: pd.DataFrame
    curves: dict[int, Curve] = field(default_factory=dict)

    # -------------------------------------------------------------- access
    @property
    def arms(self) -> list[ArmSummary]:
        return self.summary.arms

    @property
    def comparison(self) -> Comparison | None:
        return self.summary.comparison

    @property
    def provenance(self) -> Provenance:
        return self.summary.provenance

    def arm(self, arm_id: str) -> ArmSummary:
        return self.summary.arm(arm_id)

    # -------------------------------------------------------------- views
    def to_frame(self) -> pd.DataFrame:
        """One row per arm: N, events, median PFS with CI, ORR, DCR, CBR and the
        published values beside them."""
        rows = []
        pub = self.summary.published
        for a in self.arms:
            pfs = a.pfs or Estimate(median=None, ci_low=None, ci_high=None, n=a.n, events=0)
            p = pub.arm(a.id, N.PFS_MEDIAN)
            row: dict[str, Any] = {
                "arm": a.id,
                "label": a.label,
                "n": a.n,
                "events": a.events,
                "median_pfs_months": pfs.median,
                "pfs_ci_low": pfs.ci_low,
                "pfs_ci_high": pfs.ci_high,
                "published_median_pfs_months": None if p is None else p.value,
            }
            for key in (N.ORR, N.DCR, N.CBR, N.RESPONSE_AT):
                r = a.rate(key)
                if r is not None:
                    pv = pub.arm(a.id, key)
                    row[f"{key}_pct"] = r.pct
                    row[f"published_{key}_pct"] = None if pv is None else pv.value
            rows.append(row)
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None) -> Any:
        """Kaplan-Meier curves with numbers at risk; returns the axes."""
        from mtorsim.trials.plots import km_plot

        return km_plot(self, ax)

    # -------------------------------------------------------------- JSON and files
    def to_dict(self, include_patients: bool = True) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format_version": RESULT_FORMAT,
            "kind": "trial-result",
            "design": self.design.model_dump(mode="json"),
            "summary": finite_or_none(self.summary.model_dump(mode="json")),
            "curves": {str(k): c.model_dump(mode="json") for k, c in self.curves.items()},
        }
        if include_patients:
            doc["patients"] = [
                {k: finite_or_none(v) for k, v in r.items()}
                for r in self.patients.to_dict(orient="records")
            ]
        return doc

    def to_json(self, include_patients: bool = True) -> str:
        return json.dumps(self.to_dict(include_patients), indent=2, allow_nan=False)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], patients: pd.DataFrame | None = None) -> TrialResult:
        if doc.get("kind") != "trial-result" or doc.get("format_version") != RESULT_FORMAT:
            raise ValueError(
                f"not a trial result of format {RESULT_FORMAT} (kind {doc.get('kind')!r}, "
                f"format_version {doc.get('format_version')!r})"
            )
        frame = patients if patients is not None else pd.DataFrame(doc.get("patients", []))
        frame = missing_as_nan(frame)
        return cls(
            Design.model_validate(doc["design"]),
            TrialSummary.model_validate(doc["summary"]),
            frame,
            {int(k): Curve.model_validate(v) for k, v in doc.get("curves", {}).items()},
        )

    @classmethod
    def from_json(cls, text: str) -> TrialResult:
        """The record from :meth:`to_json` (a document written without the patients gives
        an empty patients table; :meth:`load` reads them from ``patients.csv``)."""
        return cls.from_dict(json.loads(text))

    def save(self, folder: str | Path, table: str = "csv") -> dict[str, Path]:
        """Write ``summary.json`` (everything but the patients) and the patients as
        ``patients.csv``, or with ``table="parquet"`` as ``patients.parquet`` (pyarrow;
        for large runs)."""
        folder = Path(folder)
        if table == "parquet":
            import io

            from mtorsim.trials.columnar import arrow

            pa = arrow()
            buf = io.BytesIO()
            pa.parquet.write_table(pa.Table.from_pandas(self.patients, preserve_index=False), buf)
            patients = write_atomic(folder / "patients.parquet", buf.getvalue())
        elif table == "csv":
            patients = write_atomic(folder / "patients.csv", self.patients.to_csv(index=False))
        else:
            raise ValueError(f"table {table!r}: csv or parquet")
        return {
            "patients": patients,
            "summary": write_atomic(folder / "summary.json", self.to_json(False) + "\n"),
        }

    @classmethod
    def load(cls, folder: str | Path) -> TrialResult:
        """Read a run folder written by :meth:`save` (or ``mtorsim trial run``)."""
        folder = Path(folder)
        doc = read_mapping(folder / "summary.json")
        if (folder / "patients.parquet").is_file() and not (folder / "patients.csv").is_file():
            from mtorsim.trials.columnar import arrow

            try:
                frame = missing_as_nan(
                    arrow().parquet.read_table(folder / "patients.parquet").to_pandas()
                )
            except Exception as exc:  # pyarrow's own errors
                raise DataFileError(
                    str(folder / "patients.parquet"), [f"cannot read: {exc}"]
                ) from exc
        else:
            try:
                frame = pd.read_csv(folder / "patients.csv", keep_default_na=True)
            except (OSError, pd.errors.ParserError) as exc:
                raise DataFileError(str(folder / "patients.csv"), [f"cannot read: {exc}"]) from exc
        try:
            return cls.from_dict(doc, frame)
        except ValidationError as exc:
            problems = validation_problems(exc, doc)
            raise DataFileError(str(folder / "summary.json"), problems) from exc
        except (ValueError, KeyError) as exc:
            raise DataFileError(
                str(folder / "summary.json"), [f"not a trial result: {exc}"]
            ) from exc


__all__ = [
    "ArmSummary",
    "Comparison",
    "Curve",
    "Estimate",
    "ExactCheck",
    "ExactRow",
    "Provenance",
    "PublishedResults",
    "PublishedValue",
    "Rate",
    "Record",
    "TrialResult",
    "TrialSummary",
    "finite_or_none",
]
