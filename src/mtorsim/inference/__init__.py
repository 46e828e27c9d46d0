"""Inference: what the models are fitted to (the calibration set), calibration as pyPESTO
problems, validation against published trials, the independent-drug-action baseline and
global sensitivity.

>>> from mtorsim.inference import load_calibration_set
>>> sorted(p.id for p in load_calibration_set().problems)
['bolero-2', 'pathway-checklist']
"""

from typing import TYPE_CHECKING, Any

# the names below are imported on first use (PEP 562): `import mtorsim.inference.records`
# then costs only that module, not every calibration and validation module with pyPESTO
# and scipy.stats behind them
_WHERE = {
    "CalibrationResult": "mtorsim.inference.results",
    "CalibrationSet": "mtorsim.inference.calibration_set",
    "IDAComparison": "mtorsim.inference.results",
    "ParameterTable": "mtorsim.inference.calibration_set",
    "SensitivityResult": "mtorsim.inference.results",
    "ValidationReport": "mtorsim.inference.results",
    "ValidationRow": "mtorsim.inference.results",
    "apply_to_tumour": "mtorsim.inference.records",
    "calibrate_pathway": "mtorsim.inference.pathway_calibration",
    "calibrate_trial": "mtorsim.inference.trial_calibration",
    "calibration_trials": "mtorsim.inference.calibration_set",
    "ida_comparison": "mtorsim.inference.ida",
    "load_calibration": "mtorsim.inference.records",
    "load_calibration_set": "mtorsim.inference.calibration_set",
    "model_differences": "mtorsim.inference.pathway_calibration",
    "morris_hr": "mtorsim.inference.sensitivity",
    "shipped_calibrations": "mtorsim.inference.records",
    "validate": "mtorsim.inference.validation",
}

if TYPE_CHECKING:
    from mtorsim.inference.calibration_set import (
        CalibrationSet,
        ParameterTable,
        calibration_trials,
        load_calibration_set,
    )
    from mtorsim.inference.ida import ida_comparison
    from mtorsim.inference.pathway_calibration import calibrate_pathway, model_differences
    from mtorsim.inference.records import apply_to_tumour, load_calibration, shipped_calibrations
    from mtorsim.inference.results import (
        CalibrationResult,
        IDAComparison,
        SensitivityResult,
        ValidationReport,
        ValidationRow,
    )
    from mtorsim.inference.sensitivity import morris_hr
    from mtorsim.inference.trial_calibration import calibrate_trial
    from mtorsim.inference.validation import validate


def __getattr__(name: str) -> Any:
    import importlib

    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'mtorsim.inference' has no attribute {name!r}")


__all__ = [
    "CalibrationResult",
    "CalibrationSet",
    "IDAComparison",
    "ParameterTable",
    "SensitivityResult",
    "ValidationReport",
    "ValidationRow",
    "apply_to_tumour",
    "calibrate_pathway",
    "calibrate_trial",
    "calibration_trials",
    "ida_comparison",
    "load_calibration",
    "load_calibration_set",
    "model_differences",
    "morris_hr",
    "shipped_calibrations",
    "validate",
]
