"""Cell-level response: growth and death under drugs, simulated assays, synergy scores."""

from mtorsim.response.assays import DoseResponse, combination_matrix, dose_response, dose_series
from mtorsim.response.cells import CellResponseModel, GrowthRates
from mtorsim.response.synergy import (
    LL4,
    DoseMatrix,
    SynergyInputError,
    SynergyResult,
    fit_ll4,
    read_synergyfinder_csv,
    score,
)

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
]
