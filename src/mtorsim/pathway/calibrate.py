"""Seeded calibration of the checklist-constrained parameters of the signalling model.

The free parameters are exactly those the model source labels
``[calibrated: ...]``; everything else keeps its cited or assumed value.  The
objective asks every criterion of the behaviour checklist (:mod:`checks`) to
hold with a relative margin of at least ``target_margin``, and keeps the
parameters close to their starting values (a ridge in log10 space), so that a
criterion is met by the smallest change rather than by pushing one parameter to
a bound::

    J(theta) = sum_i max(0, target_margin - margin_i(theta))^2
               + ridge * sum_j (log10 theta_j - log10 start_j)^2

Optimisation is in log10 space within bounds (one decade either side of the
start unless :data:`BOUNDS` says otherwise), by scipy's bounded Powell method
from the start and from ``n_starts - 1`` further points drawn with a seeded
generator; the best result wins.  The whole record (specification, result, the
margin of every criterion before and after) is written to
``models/calibration.yaml`` and the fitted values are written back into the
Antimony source, so the shipped model *is* the calibrated model and a test
keeps the two in step.

Run it with ``mtorsim pathway calibrate`` (quick: ``--n-starts 1 --max-evals 60``).
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.pathway.build import MODEL_NAME, model_source, sbml_string
from mtorsim.pathway.checks import CheckReport, run_checks
from mtorsim.pathway.simulate import PathwaySimulator, SolverFailure

CALIBRATION_FORMAT = "1.0"

#: bounds that differ from one decade either side of the start, with why
BOUNDS: dict[str, tuple[float, float]] = {
    # a fraction of activity: must stay in (0, 1)
    "f_4ebp_res": (0.2, 0.98),
}

_PARAM_LINE = re.compile(
    r"^(?P<indent>\s*)(?P<name>[A-Za-z_]\w*)(?P<eq>\s*=\s*)(?P<value>[-+0-9.eE]+)"
    r"(?P<rest>;.*\[calibrated:(?P<label>[^\]]*)\].*)$",
    re.MULTILINE,
)


def calibrated_parameters(source: str | None = None) -> dict[str, tuple[float, str]]:
    """Parameters the model labels ``[calibrated: ...]``: name -> (value, label)."""
    text = source if source is not None else model_source()
    return {m["name"]: (float(m["value"]), m["label"].strip()) for m in _PARAM_LINE.finditer(text)}


@dataclass(frozen=True)
class CalibrationSpec:
    """Everything that determines a calibration run."""

    start: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    seed: int = 20131
    n_starts: int = 3
    max_evals: int = 400
    target_margin: float = 0.15
    ridge: float = 0.01

    @classmethod
    def default(cls, **overrides: Any) -> CalibrationSpec:
        """The specification of the saved record (so a rerun reproduces it), else a
        fresh one starting from the model's own values; keyword arguments override.

        Bounds come from :data:`BOUNDS`, else one decade either side of the start.
        """
        record = load_record()
        fields: dict[str, Any] = dict(record["spec"]) if record else {}
        fields.pop("bounds", None)
        if "start" not in fields:
            fields["start"] = {k: v for k, (v, _) in calibrated_parameters().items()}
        fields.update({k: v for k, v in overrides.items() if v is not None})
        start = fields["start"]
        bounds = {k: BOUNDS.get(k, (v / 10.0, v * 10.0)) for k, v in start.items()}
        return cls(bounds=bounds, **fields)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "seed": self.seed,
            "n_starts": self.n_starts,
            "max_evals": self.max_evals,
            "target_margin": self.target_margin,
            "ridge": self.ridge,
        }


def _criteria_table(report: CheckReport) -> list[dict[str, Any]]:
    return [{"check": cid, **c.to_dict()} for cid, c in report.criteria()]


@dataclass
class CalibrationResult:
    spec: CalibrationSpec
    values: dict[str, float]
    objective: float
    objective_start: float
    n_evals: int
    seconds: float
    report_start: CheckReport
    report: CheckReport
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.report.passed

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": CALIBRATION_FORMAT,
            "model": MODEL_NAME,
            "mtorsim_version": __version__,
            "what": "free parameters of the signalling model fitted to the behaviour checklist",
            "method": "scipy.optimize.minimize(method='Powell') in log10 space, seeded "
            "multistart; objective = sum of squared shortfalls of each criterion's margin "
            "below target_margin + ridge * squared log10 distance from start",
            "spec": self.spec.to_dict(),
            "result": {
                "values": {k: float(f"{v:.4g}") for k, v in self.values.items()},
                "objective": self.objective,
                "objective_at_start": self.objective_start,
                "n_evaluations": self.n_evals,
                "seconds": round(self.seconds, 1),
                "all_checks_pass": self.report.passed,
                "min_margin": min(c.margin for _, c in self.report.criteria()),
                "starts": self.history,
            },
            "criteria_at_start": _criteria_table(self.report_start),
            "criteria": _criteria_table(self.report),
        }


def objective(
    report: CheckReport, log_theta: np.ndarray, log_start: np.ndarray, spec: CalibrationSpec
) -> float:
    shortfall = sum(max(0.0, spec.target_margin - c.margin) ** 2 for _, c in report.criteria())
    ridge = spec.ridge * float(np.sum((log_theta - log_start) ** 2))
    return float(shortfall + ridge)


def calibrate(
    spec: CalibrationSpec | None = None,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Fit the calibrated parameters to the behaviour checklist (deterministic for a spec)."""
    from scipy.optimize import minimize

    spec = spec or CalibrationSpec.default()
    names = sorted(spec.start)
    unknown = set(names) - set(PathwaySimulator().parameter_ids())
    if unknown:
        raise MtorsimError(f"calibration names parameters the model lacks: {sorted(unknown)}")
    log_start = np.log10([spec.start[n] for n in names])
    lo = np.log10([spec.bounds[n][0] for n in names])
    hi = np.log10([spec.bounds[n][1] for n in names])
    sim = PathwaySimulator()
    n_evals = 0
    penalty = 1e3  # objective where the model has no steady state

    def evaluate(x: np.ndarray) -> tuple[float, CheckReport | None]:
        nonlocal n_evals
        n_evals += 1
        sim.parameters = {n: float(10.0**v) for n, v in zip(names, x, strict=True)}
        try:
            report = run_checks(sim)
        except SolverFailure:
            return penalty, None
        return objective(report, x, log_start, spec), report

    t0 = time.perf_counter()
    f_start, report_start = evaluate(log_start)
    if report_start is None:
        raise MtorsimError("the starting parameters give no steady state in the checklist")
    rng = np.random.default_rng(spec.seed)
    starts = [log_start] + [
        np.clip(log_start + rng.uniform(-0.3, 0.3, size=len(names)), lo, hi)
        for _ in range(spec.n_starts - 1)
    ]
    best_x, best_f = log_start, f_start
    history: list[dict[str, Any]] = []
    for i, x0 in enumerate(starts):
        res = minimize(
            lambda x: evaluate(x)[0],
            x0,
            method="Powell",
            bounds=list(zip(lo, hi, strict=True)),
            options={"maxfev": spec.max_evals, "xtol": 1e-3, "ftol": 1e-6},
        )
        history.append({"start": i, "objective": float(res.fun), "evaluations": int(res.nfev)})
        if progress:
            progress(f"start {i + 1}/{len(starts)}: objective {res.fun:.4g} ({res.nfev} evals)")
        if res.fun < best_f:
            best_x, best_f = np.asarray(res.x), float(res.fun)
    # report at the rounded values that will be written to the model
    values = {n: float(f"{10.0**v:.4g}") for n, v in zip(names, best_x, strict=True)}
    sim.parameters = values
    report = run_checks(sim)
    best_f = objective(report, np.log10([values[n] for n in names]), log_start, spec)
    return CalibrationResult(
        spec,
        values,
        best_f,
        f_start,
        n_evals,
        time.perf_counter() - t0,
        report_start,
        report,
        history,
    )


# ---------------------------------------------------------------------- the record on disk
def record_path() -> Path:
    return Path(str(resources.files("mtorsim.pathway") / "models" / "calibration.yaml"))


def model_path() -> Path:
    return Path(str(resources.files("mtorsim.pathway") / "models" / f"{MODEL_NAME}.ant"))


def load_record(path: Path | None = None) -> dict[str, Any] | None:
    """The saved calibration record, or None if there is none."""
    path = path or record_path()
    if not path.exists():
        return None
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or "result" not in doc or "spec" not in doc:
        raise MtorsimError(f"{path}: not a calibration record (needs 'spec' and 'result')")
    return doc


def rewrite_model_values(source: str, values: Mapping[str, float]) -> str:
    """The model source with the calibrated parameters set to ``values``."""
    missing = set(values) - set(calibrated_parameters(source))
    if missing:
        raise MtorsimError(f"no [calibrated] line in the model for {sorted(missing)}")

    def sub(m: re.Match[str]) -> str:
        if m["name"] not in values:
            return m.group(0)
        head = f"{m['indent']}{m['name']}{m['eq']}{values[m['name']]:.4g};"
        comment = m["rest"][1:].lstrip()
        column = len(m.group(0)) - len(comment)  # keep the comment where it was
        return head + " " * max(1, column - len(head)) + comment

    return _PARAM_LINE.sub(sub, source)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_calibration(
    result: CalibrationResult, record: Path | None = None, model: Path | None = None
) -> tuple[Path, Path]:
    """Write the record and put the fitted values into the model source (both atomic)."""
    record = record or record_path()
    model = model or model_path()
    new_source = rewrite_model_values(model.read_text(encoding="utf-8"), result.values)
    doc = result.to_dict()
    _write_atomic(model, new_source)
    doc["result"]["model_hash"] = semantic_hash(new_source)
    header = (
        "# Calibration record of the signalling model: written by `mtorsim pathway calibrate"
        " --write`.\n# Do not edit by hand; rerun the command (same spec -> same result).\n"
    )
    _write_atomic(record, header + yaml.safe_dump(doc, sort_keys=False, width=100))
    sbml_string.cache_clear()
    return record, model


def semantic_hash(source: str) -> str:
    """Hash of the model source with comments and whitespace removed.

    Editing a comment does not invalidate a calibration; changing a value,
    a rate law or a species does.
    """
    lines = (re.sub(r"//.*", "", line) for line in source.splitlines())
    text = "\n".join(" ".join(line.split()) for line in lines if line.strip())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record_matches_model(record: Mapping[str, Any] | None = None) -> list[str]:
    """Differences between the saved calibrated values and the model source (empty if none)."""
    record = record if record is not None else load_record()
    if record is None:
        return ["no calibration record"]
    in_model = {k: v for k, (v, _) in calibrated_parameters().items()}
    saved = record["result"]["values"]
    problems = [
        f"{k}: model {in_model.get(k)} vs record {v}"
        for k, v in saved.items()
        if k not in in_model or not math.isclose(in_model[k], v, rel_tol=1e-9)
    ]
    problems += [
        f"{k}: labelled calibrated but not in the record" for k in set(in_model) - set(saved)
    ]
    if record["result"].get("model_hash") != semantic_hash(model_source()):
        problems.append(
            "the model changed since the calibration (its hash, comments aside, differs): "
            "rerun `mtorsim pathway calibrate --write`"
        )
    return problems
