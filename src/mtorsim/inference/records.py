"""Calibration records by name, and what they change when applied.

A calibration writes its :class:`CalibrationResult` to a file the user chooses (default:
``mtorsim-out/calibration/<problem>.json``).  The shipped records
(``data/calibrations/<problem>.json``) are the fits whose values the model files hold;
``mtorsim calibrate`` regenerates them into any folder.  :func:`load_calibration` takes a
shipped name or a path.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import cast

from mtorsim.errors import MtorsimError, UnknownNameError
from mtorsim.inference.results import CalibrationResult
from mtorsim.inference.trial_calibration import tumour_parameters
from mtorsim.pathway.simulate import PathwaySimulator
from mtorsim.response.cells import CellResponseModel
from mtorsim.tumour.model import PopulationTumour, load_tumour_population

DEFAULT_OUT = Path("mtorsim-out") / "calibration"


def shipped_dir() -> Path:
    return Path(str(resources.files("mtorsim.inference") / "data" / "calibrations"))


def shipped_calibrations() -> dict[str, Path]:
    """Name -> path of every shipped calibration record."""
    return {p.stem: p for p in sorted(shipped_dir().glob("*.json"))}


def load_calibration(name_or_path: str | Path) -> CalibrationResult:
    """A shipped record by name (``clinical``, ``pathway-checklist``) or a record file."""
    text = str(name_or_path)
    shipped = shipped_calibrations()
    if text in shipped:
        return cast(CalibrationResult, CalibrationResult.load(shipped[text]))
    path = Path(text)
    if path.is_file():
        return cast(CalibrationResult, CalibrationResult.load(path))
    raise UnknownNameError(
        "calibration",
        text,
        list(shipped),
        hint="give a shipped name or the .json record that `mtorsim calibrate` wrote",
    )


def apply_to_tumour(
    result: CalibrationResult, base: PopulationTumour | None = None
) -> PopulationTumour:
    """The tumour population with a trial calibration's fitted values."""
    base = base if base is not None else load_tumour_population()
    label = f"calibrated: {result.problem} (calibration record, objective {result.objective:.3g})"
    return base.with_parameters(tumour_parameters(result.values), label)


def ensemble_populations(
    result: CalibrationResult, base: PopulationTumour | None = None
) -> list[PopulationTumour]:
    """One tumour population per parameter set of the record's ensemble (draws of the
    fit's Gauss-Newton covariance, misfit-inflated); the fitted values alone when the
    record has none."""
    base = base if base is not None else load_tumour_population()
    if not result.ensemble:
        return [apply_to_tumour(result, base)]
    label = f"calibrated: {result.problem} (ensemble member of the calibration record)"
    return [base.with_parameters(tumour_parameters(v), label) for v in result.ensemble]


#: the shipped trial calibration runs use by default
DEFAULT_TRIAL_CALIBRATION = "clinical"


def trial_record(names: list[str] | tuple[str, ...] = ()) -> CalibrationResult:
    """The trial calibration among ``names`` (shipped names or files), else the shipped
    default one (whose values tumour/data/tumour.yaml holds)."""
    for name in names:
        rec = load_calibration(name)
        if rec.problem_kind == "trial":
            return rec
    return load_calibration(DEFAULT_TRIAL_CALIBRATION)


def fitted_counts(record: CalibrationResult) -> tuple[int, int]:
    """(parameters fitted, published data fitted) of the tumour population in use: the
    trial record and, when it is not the survival problem itself, the shipped survival
    record (survival after progression; it does not touch PFS or response)."""
    recs = [record]
    shipped = shipped_calibrations()
    if record.problem != "survival" and "survival" in shipped:
        recs.append(load_calibration("survival"))
    return (
        sum(len(r.parameters) for r in recs),
        sum(r.n_data or len(r.fit) for r in recs),
    )


def apply_calibrations(
    names: list[str] | tuple[str, ...],
) -> tuple[PopulationTumour | None, CellResponseModel | None, str | None]:
    """What runs use from calibration records (shipped names or files): the tumour
    population of a trial calibration and a cell model with a pathway calibration's
    values; ``None`` where none is given, and a label for provenance."""
    tumour: PopulationTumour | None = None
    cells: CellResponseModel | None = None
    labels = []
    kinds: dict[str, str] = {}
    for name in names:
        rec = load_calibration(name)
        if rec.problem_kind in kinds:
            raise MtorsimError(
                f"two {rec.problem_kind} calibrations given ({kinds[rec.problem_kind]} and "
                f"{name}); give at most one of each kind"
            )
        kinds[rec.problem_kind] = str(name)
        labels.append(f"{rec.problem} ({name})")
        if rec.problem_kind == "trial":
            tumour = apply_to_tumour(rec)
        else:
            cells = CellResponseModel(PathwaySimulator(parameters=rec.values))
    return tumour, cells, "; ".join(labels) or None


__all__ = [
    "DEFAULT_OUT",
    "DEFAULT_TRIAL_CALIBRATION",
    "apply_calibrations",
    "apply_to_tumour",
    "ensemble_populations",
    "fitted_counts",
    "load_calibration",
    "shipped_calibrations",
    "shipped_dir",
    "trial_record",
]
