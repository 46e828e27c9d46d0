"""Cell-level response: growth and death under drugs, simulated assays, synergy scores."""

from mtorsim.response.assays import DoseResponse, combination_matrix, dose_response, dose_series
from mtorsim.response.cells import CellResponseModel, GrowthRates
from mtorsim.response.synergy import (
    LL4,
    DoseMatrix,
    SynergyInputError,
    SynergyResult,
    fit_ll4,
    score,
)
from mtorsim.response.synergy_io import read_synergyfinder_csv, write_synergyfinder_csv

__all__ = [
    "LL4",
    "CellResponseModel",
    "DoseMatrix",
    "DoseResponse",
    "GrowthRates",
    "SynergyInputError",
    "SynergyResult",
    "combination_matrix",
    "dose_response",
    "dose_series",
    "fit_ll4",
    "read_synergyfinder_csv",
    "score",
    "write_synergyfinder_csv",
]
