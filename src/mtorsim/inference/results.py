"""Result records of calibration, validation and sensitivity analysis.

Each record is typed (pydantic), carries its provenance, has ``to_frame()``, ``to_json()``
/ ``from_json()``, ``save(path)`` / ``load(path)`` and, where a figure fits,
``plot(ax=None)``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from mtorsim.trials.results import Record

RECORD_FORMAT = "1.0"


# ---------------------------------------------------------------------- calibration
class ParameterFit(Record):
    """One free parameter: start, fitted value, bounds and uncertainty (linear scale)."""

    id: str
    scale: str
    start: float
    fitted: float
    lower: float
    upper: float
    sd_scaled: float | None = Field(
        default=None,
        description="SD in the optimiser's scale (log10 for log10): bootstrap "
        "or Gauss-Newton, as the record's method says",
    )
    source: str

    @model_validator(mode="after")
    def _inside_bounds(self) -> ParameterFit:
        # a record is input too (--calibration FILE): its values must be usable
        for name in ("start", "fitted", "lower", "upper"):
            v = getattr(self, name)
            if not math.isfinite(v):
                raise ValueError(f"parameter {self.id}: {name} = {v!r} is not finite")
        if not self.lower <= self.fitted <= self.upper:
            raise ValueError(
                f"parameter {self.id}: fitted {self.fitted:g} outside its bounds "
                f"[{self.lower:g}, {self.upper:g}]"
            )
        return self


class StartRecord(Record):
    """One optimiser start (values in the optimiser's scale)."""

    start: int
    x0: list[float]
    x: list[float]
    objective: float
    evaluations: int
    message: str


class FitRow(Record):
    """How well one target is met, at the start and at the fit.

    Trial targets give the published value, the simulated values and the log-scale SE;
    checklist criteria give the bound, the values and the relative margin (> 0: met).
    """

    name: str
    target: float | str
    start_value: float | None
    fitted_value: float | None
    se_log: float | None = None
    margin_start: float | None = None
    margin: float | None = None
    met: bool | None = None
    source: str = ""


class CalibrationResult(Record):
    """A calibration: the problem from the calibration set, every start, the fit."""

    format_version: Literal["1.0"] = "1.0"
    kind: Literal["calibration"] = "calibration"
    problem: str
    problem_kind: Literal["trial", "pathway", "pathway-readouts", "cell-lines"]
    method: str
    parameters: list[ParameterFit]
    objective_start: float
    objective: float
    evaluations: int
    starts: list[StartRecord]
    fit: list[FitRow]
    settings: dict[str, Any]
    provenance: dict[str, Any]
    seconds: float
    ensemble: list[dict[str, float]] = Field(
        default_factory=list,
        description="parameter sets (linear values by id) drawn from the fit's uncertainty: the "
        "parameter uncertainty that runs draw from",
    )
    n_data: int | None = Field(default=None, description="published data fitted")

    @property
    def values(self) -> dict[str, float]:
        """Fitted values by parameter id (linear scale)."""
        return {p.id: p.fitted for p in self.parameters}

    @property
    def passed(self) -> bool:
        """Every target met (checklist problems; trial problems have no pass mark)."""
        return all(r.met is not False for r in self.fit)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([p.model_dump() for p in self.parameters])

    def plot(self, ax: Any = None) -> Any:
        """Objective of every start, best first (pyPESTO's waterfall plot)."""
        from mtorsim.inference.plots import calibration_plot

        return calibration_plot(self, ax)


# ---------------------------------------------------------------------- validation
class ValidationRow(Record):
    """One endpoint of one predicted trial: simulated (median and 95% interval of
    replicate trials) beside the published value."""

    design: str
    endpoint: str
    arm: str
    simulated: float | None
    sim_low: float | None
    sim_high: float | None
    published: float | str | None
    pub_low: float | None = None
    pub_high: float | None = None
    source: str
    unit: str

    @property
    def error(self) -> float | None:
        if self.simulated is None or not isinstance(self.published, int | float):
            return None
        return self.simulated - float(self.published)

    @property
    def inside(self) -> bool | None:
        """Published value inside the simulated interval (qualitative "no benefit": the
        simulated HR interval contains 1)."""
        if self.sim_low is None or self.sim_high is None:
            return None
        if isinstance(self.published, str):
            return self.sim_low <= 1.0 <= self.sim_high if self.endpoint == "hazard_ratio" else None
        if self.published is None:
            return None
        return self.sim_low <= float(self.published) <= self.sim_high


class IDAComparison(Record):
    """Median PFS of a combination arm: mechanistic, independent drug action from the
    simulated monotherapies (Palmer & Sorger 2017 Cell 171:1678), and published."""

    design: str
    arm: str
    rho: float
    monotherapy_median_months: dict[str, float | None] = Field(default_factory=dict)
    ida_median_months: float | None = None
    mechanistic_median_months: float | None = None
    published_median_months: float | None = None
    calibration_trial: bool = False
    note: str | None = None
    #: IDA from published monotherapy medians (inference/data/monotherapy.yaml), which
    #: does not use the model; the entries it was built from
    ida_published_median_months: float | None = None
    published_monotherapy: dict[str, Any] = Field(default_factory=dict)

    @staticmethod
    def _closer(pub: float | None, ida: float | None, mech: float | None) -> str | None:
        if pub is None or ida is None or mech is None:
            return None
        return "mechanistic" if abs(mech - pub) < abs(ida - pub) else "IDA"

    @property
    def closer(self) -> str | None:
        """Mechanistic model or IDA from the simulated monotherapy arms."""
        return self._closer(
            self.published_median_months, self.ida_median_months, self.mechanistic_median_months
        )

    @property
    def closer_than_published_ida(self) -> str | None:
        """Mechanistic model or IDA from published monotherapy medians."""
        return self._closer(
            self.published_median_months,
            self.ida_published_median_months,
            self.mechanistic_median_months,
        )


class ValidationReport(Record):
    """Predictions of every design not in the calibration set, beside published values."""

    format_version: Literal["1.0"] = "1.0"
    kind: Literal["validation"] = "validation"
    rows: list[ValidationRow]
    replicates: int
    seed: int
    calibration: dict[str, Any]
    ida: list[IDAComparison] = Field(default_factory=list)
    provenance: dict[str, Any]

    @property
    def coverage(self) -> tuple[int, int]:
        """(published values inside the simulated interval, values compared)."""
        judged = [r.inside for r in self.rows if r.inside is not None]
        return int(sum(judged)), len(judged)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [r.model_dump() | {"error": r.error, "inside": r.inside} for r in self.rows]
        )

    def plot(self, ax: Any = None) -> Any:
        """Simulated against published values, one panel per unit; returns the axes."""
        from mtorsim.inference.plots import validation_plot

        return validation_plot(self, ax)


# ---------------------------------------------------------------------- sensitivity
class SensitivityRow(Record):
    factor: str
    mu_star: float
    sigma: float | None = Field(description="None with one trajectory (a single effect)")
    low: float
    high: float


class SensitivityResult(Record):
    """Morris elementary effects of a trial's hazard ratio (SALib), ranked by mu*."""

    format_version: Literal["1.0"] = "1.0"
    kind: Literal["sensitivity"] = "sensitivity"
    design: str
    output: str
    method: str
    trajectories: int
    runs: int
    n_patients: int
    seed: int
    ranking: list[SensitivityRow]
    provenance: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in self.ranking])

    def plot(self, ax: Any = None) -> Any:
        """mu* and sigma of every factor (horizontal bars); returns the axes."""
        from mtorsim.inference.plots import sensitivity_plot

        return sensitivity_plot(self, ax)


__all__ = [
    "CalibrationResult",
    "FitRow",
    "IDAComparison",
    "ParameterFit",
    "SensitivityResult",
    "SensitivityRow",
    "StartRecord",
    "ValidationReport",
    "ValidationRow",
]
