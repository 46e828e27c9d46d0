"""Pharmacology: dosing regimens and linear pharmacokinetics (concentration over time)."""

from mtorsim.knowledge.vocab import Route
from mtorsim.pharmacology.drugpk import (
    DrugPK,
    PKProfile,
    drug_pk,
    load_pk_data,
    simulate_pk,
)
from mtorsim.pharmacology.pk import LinearPK, PKError, PKParameters
from mtorsim.pharmacology.regimen import (
    DoseEvent,
    Modification,
    Patient,
    Regimen,
    RegimenError,
    parse_regimen,
)

__all__ = [
    "DoseEvent",
    "DrugPK",
    "LinearPK",
    "Modification",
    "PKError",
    "PKParameters",
    "PKProfile",
    "Patient",
    "Regimen",
    "RegimenError",
    "Route",
    "drug_pk",
    "load_pk_data",
    "parse_regimen",
    "simulate_pk",
]
