"""The calibration set (``data/calibration_set.yaml``): every calibration problem, its
targets and its free parameters, as PEtab-style parameter tables.

This is the one list of what mtorsim is fitted to.  A parameter table row has PEtab's
columns (``parameterId``, ``parameterScale``, ``lowerBound``, ``upperBound``,
``nominalValue``, ``estimate``) and a source; :meth:`ParameterTable.to_petab` gives the
table PEtab tools read.
"""

from __future__ import annotations

import math
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
    model_config = ConfigDict(extra="forbid", frozen=True)


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
                "parameterId": [r.id.replace(".", "__") for r in self.rows],
                "parameterScale": [r.scale for r in self.rows],
                "lowerBound": [r.lower for r in self.rows],
                "upperBound": [r.upper for r in self.rows],
                "nominalValue": [values.get(r.id, r.nominal) for r in self.rows],
                "estimate": [int(r.estimate) for r in self.rows],
                "parameterName": [r.id for r in self.rows],
            }
        ).set_index("parameterId")


class Target(_Strict):
    """A calibration target: a knowledge-base outcome (trial problems) or a named set of
    criteria (the pathway checklist)."""

    name: str
    outcome: str | None = Field(default=None, description="knowledge-base outcome id")
    se_log: Sourced | None = Field(
        default=None, description="SE on the log scale (default: from the outcome's 95% CI)"
    )


class Problem(_Strict):
    """One calibration problem: ``trial`` and ``pathway`` problems are fitted by an
    optimiser; ``closed-form`` ones are set by an exact inversion where they are used
    (listed here so that this file names everything that is fitted)."""

    id: str
    kind: Literal["trial", "pathway", "closed-form"]
    description: str
    design: str | None = None
    targets: list[Target]
    parameters: list[ParameterRow] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    quick: dict[str, Any] = Field(default_factory=dict)

    @property
    def table(self) -> ParameterTable:
        return ParameterTable(rows=self.parameters)

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
        if p.kind == "trial" and p.design is None:
            raise MtorsimError(f"{calibration_set_path()}: problem {p.id} needs a design")
    return doc


def calibration_trials() -> set[str]:
    """Design ids that are calibration data (their results are not predictions)."""
    return {p.design for p in load_calibration_set().problems if p.design is not None}


__all__ = [
    "CalibrationSet",
    "ParameterRow",
    "ParameterTable",
    "Problem",
    "Target",
    "calibration_set_path",
    "calibration_trials",
    "load_calibration_set",
]
