"""Tumour layer: tumour size over time from drug effects, and RECIST 1.1 assessment."""

from mtorsim.tumour.model import (
    ENDOCRINE_TRAITS,
    PATIENT_FIELD,
    SETTINGS,
    LogNormal,
    PopulationTumour,
    TumourModel,
    TumourParams,
    load_tumour_population,
)
from mtorsim.tumour.recist import RecistResult, assess

__all__ = [
    "ENDOCRINE_TRAITS",
    "PATIENT_FIELD",
    "SETTINGS",
    "LogNormal",
    "PopulationTumour",
    "RecistResult",
    "TumourModel",
    "TumourParams",
    "assess",
    "load_tumour_population",
]
