"""Pharmacology: dosing regimens, linear pharmacokinetics and a patient's exposure
(unbound concentrations over time)."""

from mtorsim.knowledge.vocab import Route
from mtorsim.pharmacology.drugpk import (
    DrugPK,
    PKProfile,
    drug_pk,
    load_pk_data,
    simulate_pk,
)
from mtorsim.pharmacology.exposure import DosedDrug, Exposure, concentration_on_grid, dosed_drug
from mtorsim.pharmacology.pk import LinearPK, PKError, PKParameters
from mtorsim.pharmacology.regimen import (
    DoseEvent,
    DoseTrain,
    Modification,
    Patient,
    Regimen,
    RegimenError,
    parse_regimen,
)

__all__ = [
    "DoseEvent",
    "DoseTrain",
    "DosedDrug",
    "DrugPK",
    "Exposure",
    "LinearPK",
    "Modification",
    "PKError",
    "PKParameters",
    "PKProfile",
    "Patient",
    "Regimen",
    "RegimenError",
    "Route",
    "concentration_on_grid",
    "dosed_drug",
    "drug_pk",
    "load_pk_data",
    "parse_regimen",
    "simulate_pk",
]
