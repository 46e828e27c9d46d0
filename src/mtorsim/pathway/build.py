"""Antimony source -> SBML Level 3 (generated, never edited by hand)."""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

from mtorsim.errors import MtorsimError

MODEL_NAME = "mtor_network"


def model_source() -> str:
    """The Antimony text of the signalling model."""
    path = resources.files("mtorsim.pathway") / "models" / f"{MODEL_NAME}.ant"
    return path.read_text(encoding="utf-8")


@functools.cache
def parameter_values() -> dict[str, float]:
    """Every global parameter with a numeric value, as the model source sets it (read from
    the compiled SBML with libsbml; parameters defined by rules are not listed)."""
    import libsbml

    doc = libsbml.readSBMLFromString(sbml_string())
    model = doc.getModel()
    return {
        p.getId(): float(p.getValue())
        for p in model.getListOfParameters()
        if p.isSetValue() and model.getAssignmentRule(p.getId()) is None
    }


def parameter_default(name: str) -> float:
    """A numeric parameter's own value in the model source."""
    values = parameter_values()
    if name not in values:
        raise MtorsimError(
            f"the signalling model has no numeric parameter {name!r}; see "
            "mtorsim.pathway.build.parameter_values()"
        )
    return values[name]


@functools.cache
def model_hash() -> str:
    """First 16 hex digits of the SHA-256 of the compiled SBML (provenance): a change of a
    value, a rate law or a species changes it; editing a comment of the source does not."""
    return hashlib.sha256(sbml_string().encode()).hexdigest()[:16]


@functools.cache
def sbml_string() -> str:
    """Compile the Antimony model to SBML Level 3 Version 2."""
    import antimony

    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(model_source()) < 0:
        raise MtorsimError(f"the pathway model does not compile: {antimony.getLastError()}")
    antimony.setBareNumbersAreDimensionless(True)
    sbml = antimony.getSBMLString(MODEL_NAME)
    if not sbml:
        raise MtorsimError(f"Antimony produced no SBML: {antimony.getLastError()}")
    return str(sbml)


def export_sbml(path: str | Path) -> Path:
    """Write the SBML to ``path`` (atomically) and return it."""
    from mtorsim.fileio import write_atomic

    return write_atomic(path, sbml_string())
