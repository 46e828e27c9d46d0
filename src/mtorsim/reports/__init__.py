"""Reports: files, tables and the HTML report built from result records."""

from mtorsim.reports.inference_report import (
    write_calibration_outputs,
    write_sensitivity_outputs,
    write_validation_outputs,
)
from mtorsim.reports.tables import arm_table, comparison_text, summary_rows
from mtorsim.reports.trial_report import write_trial_outputs

__all__ = [
    "arm_table",
    "comparison_text",
    "summary_rows",
    "write_calibration_outputs",
    "write_sensitivity_outputs",
    "write_trial_outputs",
    "write_validation_outputs",
]
