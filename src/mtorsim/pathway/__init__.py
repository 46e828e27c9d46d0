"""Mechanistic PI3K/Akt/mTOR, MAPK and ER signalling model (review Fig. 1).

The model source is Antimony text (``models/mtor_network.ant``), compiled to SBML
Level 3 and simulated with libRoadRunner behind :class:`PathwaySimulator`.
"""

from mtorsim.pathway.build import export_sbml, model_hash, sbml_string
from mtorsim.pathway.contexts import Context, context_key, list_contexts, load_context
from mtorsim.pathway.drugs import DrugDose, parse_dose, slot_concentrations
from mtorsim.pathway.simulate import (
    READOUTS,
    PathwaySimulator,
    SteadyStateResult,
    TimeCourseResult,
)

__all__ = [
    "READOUTS",
    "Context",
    "DrugDose",
    "PathwaySimulator",
    "SteadyStateResult",
    "TimeCourseResult",
    "context_key",
    "export_sbml",
    "list_contexts",
    "load_context",
    "model_hash",
    "parse_dose",
    "sbml_string",
    "slot_concentrations",
]
