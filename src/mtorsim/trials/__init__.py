"""Virtual clinical trials: designs, virtual patients, simulation and statistics.

>>> from mtorsim.trials import run_trial
>>> result = run_trial("bolero-2", n_patients=30)          # doctest: +SKIP
>>> result.comparison.hazard_ratio                         # doctest: +SKIP
"""

from mtorsim.trials.design import (
    Design,
    DesignError,
    builtin_designs,
    design_schema,
    load_design,
    parse_design,
)
from mtorsim.trials.results import TrialResult, TrialSummary
from mtorsim.trials.run import DEFAULT_SEED, run_trial
from mtorsim.trials.subgroups import SubgroupTable, subgroups

__all__ = [
    "DEFAULT_SEED",
    "Design",
    "DesignError",
    "SubgroupTable",
    "TrialResult",
    "TrialSummary",
    "builtin_designs",
    "design_schema",
    "load_design",
    "parse_design",
    "run_trial",
    "subgroups",
]
