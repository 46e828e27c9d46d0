"""Inference: what the models are fitted to (the calibration set), calibration as pyPESTO
problems, validation against published trials, the independent-drug-action baseline and
global sensitivity.

>>> from mtorsim.inference import load_calibration_set
>>> sorted(p.id for p in load_calibration_set().problems)
['bolero-2', 'pathway-checklist']
"""

from mtorsim.inference.calibration_set import (
    CalibrationSet,
    ParameterTable,
    calibration_trials,
    load_calibration_set,
)
from mtorsim.inference.ida import ida_comparison
from mtorsim.inference.pathway_calibration import calibrate_pathway, model_differences
from mtorsim.inference.records import (
    apply_to_tumour,
    load_calibration,
    shipped_calibrations,
)
from mtorsim.inference.results import (
    CalibrationResult,
    IDAComparison,
    SensitivityResult,
    ValidationReport,
    ValidationRow,
)
from mtorsim.inference.sensitivity import morris_hr
from mtorsim.inference.trial_calibration import calibrate_trial
from mtorsim.inference.validate import validate

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
