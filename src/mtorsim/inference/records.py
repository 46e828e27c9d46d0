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
from mtorsim.inference.trial_calibration import tumour_medians
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
    """A shipped record by name (``bolero-2``, ``pathway-checklist``) or a record file."""
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
    """The tumour population with a trial calibration's fitted medians."""
    base = base if base is not None else load_tumour_population()
    upd = {}
    label = f"calibrated: {result.problem} (calibration record, objective {result.objective:.3g})"
    for k, v in tumour_medians(result.values).items():
        upd[k] = getattr(base, k).model_copy(update={"median": v, "source": label})
    return base.model_copy(update=upd)


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
    "apply_calibrations",
    "apply_to_tumour",
    "load_calibration",
    "shipped_calibrations",
    "shipped_dir",
]
