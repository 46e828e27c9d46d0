"""Reports: figures, tables and the HTML report of a virtual trial."""

from mtorsim.reports.trial_report import summary_rows, write_trial_outputs

__all__ = ["summary_rows", "write_trial_outputs"]
