"""Files of validation, calibration and sensitivity runs, built from their records."""

from __future__ import annotations

from pathlib import Path

from mtorsim.fileio import save_figure, write_atomic
from mtorsim.inference.results import CalibrationResult, SensitivityResult, ValidationReport


def write_validation_outputs(report: ValidationReport, out: Path) -> dict[str, str]:
    """``validation.json`` (the record), ``validation.csv`` and ``validation.png``."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out)
    return {
        "record": str(report.save(out / "validation.json")),
        "table": str(write_atomic(out / "validation.csv", report.to_frame().to_csv(index=False))),
        "figure": str(save_figure(report.plot(), out / "validation.png")),
    }


def write_calibration_outputs(result: CalibrationResult, path: Path) -> dict[str, str]:
    """The record at ``path`` (``.json``) and its starts plot beside it (``.png``)."""
    import matplotlib

    matplotlib.use("Agg")
    path = Path(path)
    return {
        "record": str(result.save(path)),
        "figure": str(save_figure(result.plot(), path.with_suffix(".png"))),
    }


def write_sensitivity_outputs(result: SensitivityResult, out: Path) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out)
    return {
        "record": str(result.save(out / "sensitivity.json")),
        "figure": str(save_figure(result.plot(), out / "sensitivity.png")),
    }


__all__ = ["write_calibration_outputs", "write_sensitivity_outputs", "write_validation_outputs"]
