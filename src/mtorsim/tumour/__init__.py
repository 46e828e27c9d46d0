"""Tumour layer: tumour size over time from drug effects, and RECIST 1.1 assessment."""

from mtorsim.tumour.model import (
    PopulationTumour,
    TumourParams,
    load_tumour_population,
    log_size_course,
    new_lesion_day,
)
from mtorsim.tumour.recist import RecistResult, assess

__all__ = [
    "PopulationTumour",
    "RecistResult",
    "TumourParams",
    "assess",
    "load_tumour_population",
    "log_size_course",
    "new_lesion_day",
]
