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


def model_hash() -> str:
    """First 16 hex digits of the SHA-256 of the model source (provenance)."""
    return hashlib.sha256(model_source().encode()).hexdigest()[:16]


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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(sbml_string(), encoding="utf-8")
    tmp.replace(path)
    return path
