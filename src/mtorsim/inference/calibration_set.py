"""The calibration set (``data/calibration_set.yaml``): every calibration problem, its
targets and its free parameters, as PEtab-style parameter tables.

This is the one list of what mtorsim is fitted to.  A parameter table row has PEtab's
columns (``parameterId``, ``parameterScale``, ``lowerBound``, ``upperBound``,
``nominalValue``, ``estimate``) and a source; :meth:`ParameterTable.to_petab` gives the
table PEtab tools read.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mtorsim.errors import MtorsimError, UnknownNameError
from mtorsim.knowledge.documents import load_cached
from mtorsim.knowledge.sourced import Sourced

CALIBRATION_SET_FORMAT = "1.0"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ParameterRow(_Strict):
    """One parameter of a calibration problem (PEtab parameter-table columns)."""

    id: str = Field(description="parameterId: a model parameter or 'tumour.<median>'")
    scale: Literal["lin", "log10"] = Field(description="parameterScale of the optimiser")
    lower: float = Field(allow_inf_nan=False, description="lowerBound (linear)")
    upper: float = Field(allow_inf_nan=False, description="upperBound (linear)")
    nominal: float = Field(allow_inf_nan=False, description="nominalValue: the start")
    estimate: bool = True
    source: str = Field(min_length=3)

    @model_validator(mode="after")
    def _bounds(self) -> ParameterRow:
        if not self.lower < self.upper:
            raise ValueError(f"{self.id}: lower {self.lower} must be below upper {self.upper}")
        if not self.lower <= self.nominal <= self.upper:
            raise ValueError(f"{self.id}: nominal {self.nominal} outside its bounds")
        if self.scale == "log10" and self.lower <= 0:
            raise ValueError(f"{self.id}: a log10-scaled parameter needs lower > 0")
        return self

    def to_scale(self, v: float) -> float:
        return math.log10(v) if self.scale == "log10" else v

    def from_scale(self, x: float) -> float:
        return 10.0**x if self.scale == "log10" else x


class ParameterTable(_Strict):
    rows: list[ParameterRow]

    @model_validator(mode="after")
    def _unique(self) -> ParameterTable:
        ids = [r.id for r in self.rows]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"parameter ids listed twice: {dup}")
        return self

    @property
    def free(self) -> list[ParameterRow]:
        return [r for r in self.rows if r.estimate]

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.free]

    def bounds_scaled(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.array([r.to_scale(r.lower) for r in self.free]),
            np.array([r.to_scale(r.upper) for r in self.free]),
        )

    def nominal_scaled(self) -> np.ndarray:
        return np.array([r.to_scale(r.nominal) for r in self.free])

    def scaled(self, values: dict[str, float]) -> np.ndarray:
        """The optimiser's vector for linear values of the free parameters."""
        return np.array([r.to_scale(values[r.id]) for r in self.free])

    def values(self, x: np.ndarray) -> dict[str, float]:
        """Linear values of the free parameters at the scaled vector ``x``."""
        return {r.id: r.from_scale(float(v)) for r, v in zip(self.free, x, strict=True)}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in self.rows])

    def to_petab(self, values: dict[str, float] | None = None) -> pd.DataFrame:
        """The PEtab parameter table; with ``values``, their nominal values (e.g. fitted)."""
        values = values or {}
        return pd.DataFrame(
            {
                # PEtab ids are identifiers: dots become "__", other characters "_"
                "parameterId": [
                    re.sub(r"[^A-Za-z0-9_]", "_", r.id.replace(".", "__")) for r in self.rows
                ],
                "parameterScale": [r.scale for r in self.rows],
                "lowerBound": [r.lower for r in self.rows],
                "upperBound": [r.upper for r in self.rows],
                "nominalValue": [values.get(r.id, r.nominal) for r in self.rows],
                "estimate": [int(r.estimate) for r in self.rows],
                "parameterName": [r.id for r in self.rows],
            }
        ).set_index("parameterId")


TargetEndpoint = Literal["pfs_median", "hazard_ratio", "os_median", "ORR", "CBR", "RESPONSE_AT"]


class Target(_Strict):
    """A calibration target: a published result of a design (trial problems; its value
    and citation are the design's published results, from the knowledge base or the
    design file) or a named set of criteria (the pathway checklist)."""

    name: str | None = None
    design: str | None = Field(default=None, description="design id (trial problems)")
    endpoint: TargetEndpoint | None = None
    arm: str | None = Field(default=None, description="arm id (every endpoint but the HR)")
    comparison: str | None = Field(default=None, description="'EXPERIMENTAL vs CONTROL'")
    n: int | None = Field(
        default=None, gt=0, description="patients a published rate is of (binomial SE)"
    )
    se_log: Sourced | None = Field(
        default=None, description="SE of a median on the log scale (HR: from its 95% CI)"
    )
    value: Sourced | None = Field(
        default=None,
        description="the published value with its citation, for a result the design does "
        "not carry (otherwise the design's published results give it)",
    )

    @property
    def label(self) -> str:
        if self.name is not None:
            return self.name
        return f"{self.design}:{self.endpoint}:{self.arm or self.comparison}"

    @model_validator(mode="after")
    def _complete(self) -> Target:
        if self.design is None:
            if self.name is None:
                raise ValueError("a target gives a design (trial problems) or a name")
            return self
        if self.endpoint is None:
            raise ValueError(f"{self.label}: give the endpoint")
        if self.endpoint == "hazard_ratio":
            if self.comparison is None:
                raise ValueError(f"{self.label}: a hazard_ratio target gives the comparison")
        elif self.arm is None:
            raise ValueError(f"{self.label}: give the arm")
        if self.endpoint in ("pfs_median", "os_median") and self.se_log is None:
            raise ValueError(f"{self.label}: a median target gives se_log")
        if self.endpoint in ("ORR", "CBR", "RESPONSE_AT") and self.n is None:
            raise ValueError(f"{self.label}: a rate target gives n (patients it is of)")
        return self


class DataSelection(_Strict):
    """Which rows of a reference table (:mod:`mtorsim.inference.reference`) a problem fits,
    which it holds out for prediction, and which agents it excludes (with the reason)."""

    table: Literal["dose_response", "pathway_readouts"] = "dose_response"
    datasets: list[str] = Field(min_length=1, description="datasets whose values are fitted")
    metrics: list[str] = Field(min_length=1, description="metrics fitted (e.g. GI50)")
    contexts: list[str] = Field(min_length=1, description="model contexts of the cell lines")
    held_out_datasets: list[str] = Field(
        default_factory=list, description="datasets predicted, never fitted"
    )
    held_out_contexts: list[str] = Field(
        default_factory=list,
        description="model contexts of cell lines whose values are predicted, never fitted",
    )
    excluded_agents: dict[str, str] = Field(
        default_factory=dict, description="agent id -> why its values are not used"
    )

    @model_validator(mode="after")
    def _disjoint(self) -> DataSelection:
        both = set(self.datasets) & set(self.held_out_datasets)
        if both:
            raise ValueError(f"datasets both fitted and held out: {sorted(both)}")
        lines = set(self.contexts) & set(self.held_out_contexts)
        if lines:
            raise ValueError(f"contexts both fitted and held out: {sorted(lines)}")
        return self


class Problem(_Strict):
    """One calibration problem: ``trial`` and ``pathway`` problems are fitted by an
    optimiser; ``closed-form`` ones are set by an exact inversion where they are used
    (listed here so that this file names everything that is fitted)."""

    id: str
    kind: Literal["trial", "pathway", "pathway-readouts", "cell-lines", "closed-form"]
    description: str
    targets: list[Target]
    data: DataSelection | None = Field(
        default=None, description="reference data fitted (cell-lines problems)"
    )
    parameters: list[ParameterRow] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    quick: dict[str, Any] = Field(default_factory=dict)

    @property
    def table(self) -> ParameterTable:
        return ParameterTable(rows=self.parameters)

    @property
    def designs(self) -> list[str]:
        """The designs whose published results are targets, in order of first use."""
        out: list[str] = []
        for t in self.targets:
            if t.design is not None and t.design not in out:
                out.append(t.design)
        return out

    def settings_for(
        self, quick: bool = False, overrides: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The problem's settings, its quick setting over them if asked, then the
        overrides that are given (None means: keep)."""
        st = dict(self.settings) | (dict(self.quick) if quick else {})
        return st | {k: v for k, v in (overrides or {}).items() if v is not None}


class CalibrationSet(_Strict):
    format_version: str
    problems: list[Problem]

    def problem(self, problem_id: str) -> Problem:
        for p in self.problems:
            if p.id == problem_id:
                return p
        raise UnknownNameError(
            "calibration problem",
            problem_id,
            [p.id for p in self.problems],
            hint="the calibration set lists what mtorsim is fitted to",
        )


def calibration_set_path() -> str:
    return str(resources.files("mtorsim.inference") / "data" / "calibration_set.yaml")


def load_calibration_set() -> CalibrationSet:
    """The calibration set shipped with mtorsim."""
    doc = load_cached(calibration_set_path(), CalibrationSet, CALIBRATION_SET_FORMAT)
    for p in doc.problems:
        ParameterTable(rows=p.parameters)  # ids unique
        if p.kind == "trial" and not p.designs:
            raise MtorsimError(f"{calibration_set_path()}: problem {p.id} needs design targets")
    return doc


#: the one trial that gave an mTOR inhibitor whose results may be fitted
CALIBRATION_MTOR_TRIAL = "bolero-2"


#: what of BOLERO-2 may be fitted: PFS (medians, HR), ORR and CBR (ref 72 and the review)
BOLERO2_ENDPOINTS: tuple[str, ...] = ("pfs_median", "hazard_ratio", "ORR", "CBR")


def check_calibration_set(doc: CalibrationSet | None = None) -> None:
    """Refuse a calibration set that fits a result of a trial that gave an mTOR
    inhibitor, other than BOLERO-2: those are what the model must predict.  A design is
    refused if any arm gives an mTOR inhibitor, or if its published results come from a
    knowledge-base trial (the review's trials, which all tested one) other than BOLERO-2."""
    from mtorsim.knowledge.base import load_knowledge_base
    from mtorsim.knowledge.vocab import CLASS_GROUPS
    from mtorsim.trials.design import load_design

    doc = doc if doc is not None else load_calibration_set()
    kb = load_knowledge_base()
    for p in doc.problems:
        for t in p.targets:
            if t.design == CALIBRATION_MTOR_TRIAL and t.endpoint not in BOLERO2_ENDPOINTS:
                raise MtorsimError(
                    f"{calibration_set_path()}: problem {p.id} fits {t.label}; of "
                    f"{CALIBRATION_MTOR_TRIAL} only {', '.join(BOLERO2_ENDPOINTS)} (as the "
                    "review and ref 72 report them) may be fitted, its other results are "
                    "predictions"
                )
        for name in p.designs:
            d = load_design(name)
            if d.id == CALIBRATION_MTOR_TRIAL:
                continue
            mtor = sorted(
                {
                    x.drug
                    for a in d.arms
                    for x in a.doses
                    if kb.agent(x.drug).drug_class in CLASS_GROUPS["mtor_inhibitor"]
                }
            )
            if mtor:
                raise MtorsimError(
                    f"{calibration_set_path()}: problem {p.id} fits results of {d.id}, a trial "
                    f"that gave an mTOR inhibitor ({', '.join(mtor)}); only "
                    f"{CALIBRATION_MTOR_TRIAL}'s results may be fitted, every other mTOR trial "
                    "is a prediction (mtorsim validate)"
                )
            if d.published is not None and d.published.trial is not None:
                raise MtorsimError(
                    f"{calibration_set_path()}: problem {p.id} fits {d.id}, whose published "
                    f"results are the review's trial {d.published.trial!r}; only "
                    f"{CALIBRATION_MTOR_TRIAL}'s results may be fitted (the review's other "
                    "trials are predictions, mtorsim validate)"
                )


def calibration_trials() -> set[str]:
    """Design ids that are calibration data (their results are not predictions); the set
    is checked first (:func:`check_calibration_set`)."""
    check_calibration_set()
    return {d for p in load_calibration_set().problems for d in p.designs}


__all__ = [
    "CALIBRATION_MTOR_TRIAL",
    "CalibrationSet",
    "DataSelection",
    "ParameterRow",
    "ParameterTable",
    "Problem",
    "Target",
    "calibration_set_path",
    "calibration_trials",
    "check_calibration_set",
    "load_calibration_set",
]
