"""One module of names: units, response categories and the column names of results.

Everything that more than one module spells (a column of ``patients.csv``, a RECIST
category, the days in a month) is a constant here, imported everywhere else.
"""

from __future__ import annotations

from typing import Final, TypeVar

import numpy as np

from mtorsim.knowledge.vocab import ResponseCategory

T = TypeVar("T", float, np.ndarray)

# ---------------------------------------------------------------------- time
#: days per year (Julian year; the convention of survival analyses in months)
DAYS_PER_YEAR: Final = 365.25
#: days per month, so that 12 months make a year
DAYS_PER_MONTH: Final = DAYS_PER_YEAR / 12.0
DAYS_PER_WEEK: Final = 7.0
HOURS_PER_DAY: Final = 24.0
MINUTES_PER_DAY: Final = 1440.0

# ---------------------------------------------------------------------- RECIST
CR: Final = ResponseCategory.CR.value
PR: Final = ResponseCategory.PR.value
SD: Final = ResponseCategory.SD.value
PD: Final = ResponseCategory.PD.value
#: not evaluable (no assessment counted)
NE: Final = "NE"
#: best-response order, best first
RESPONSE_ORDER: Final = {CR: 0, PR: 1, SD: 2, PD: 3, NE: 4}
#: categories that count as objective response and as disease control
RESPONDERS: Final = (CR, PR)
DISEASE_CONTROL: Final = (CR, PR, SD)

# ---------------------------------------------------------------------- endpoints
#: keys of simulated and published endpoint values, per arm and per comparison
PFS_MEDIAN: Final = "pfs_median"
HAZARD_RATIO: Final = "hazard_ratio"
ORR: Final = "ORR"
DCR: Final = "DCR"
CBR: Final = "CBR"
RESPONSE_AT: Final = "RESPONSE_AT"
OS_MEDIAN: Final = "os_median"
OS_HAZARD_RATIO: Final = "os_hazard_ratio"
#: unit of each endpoint key, in the order tables list them
ENDPOINT_UNITS: Final = {
    PFS_MEDIAN: "months",
    ORR: "%",
    CBR: "%",
    DCR: "%",
    RESPONSE_AT: "%",
    HAZARD_RATIO: "ratio",
    OS_MEDIAN: "months",
    OS_HAZARD_RATIO: "ratio",
}

# ---------------------------------------------------------------------- patients table
PATIENT: Final = "patient"
ARM: Final = "arm"
CONTEXT: Final = "context"
CONTEXT_FULL: Final = "context_full"
#: the patient's endocrine trait (sensitive, acquired, de-novo)
ENDOCRINE_TRAIT: Final = "endocrine_trait"
BASELINE_SLD: Final = "baseline_sld_mm"
BEST_RESPONSE: Final = "best_response"
BEST_CHANGE: Final = "best_change_pct"
CLINICAL_BENEFIT: Final = "clinical_benefit"
RESPONSE_AT_VISIT: Final = "response_at"
PFS_MONTHS: Final = "pfs_months"
EVENT: Final = "event"
#: overall survival: months from randomisation to death (or censoring) and death observed
OS_MONTHS: Final = "os_months"
OS_EVENT: Final = "os_event"
#: day a new lesion appears, if on or before the PFS day (progression or last assessment;
#: the course is not followed beyond it: empty), the same on the fast and exact paths
NEW_LESION_DAY: Final = "new_lesion_day"
ASSESSMENTS: Final = "assessments"
#: column prefixes: ``genotype:PIK3CA mutation``, ``stratum:visceral metastases``, ...
GENOTYPE: Final = "genotype:"
STRATUM: Final = "stratum:"
EXPOSURE: Final = "exposure_unbound_nM:"
DOSE_INTENSITY: Final = "dose_intensity_mg_day:"
DOSE_MODIFIED: Final = "dose_modified:"


def months(days: T) -> T:
    """Days to months (:data:`DAYS_PER_MONTH`)."""
    return days / DAYS_PER_MONTH
