"""Antimony source -> SBML Level 3 (generated, never edited by hand)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

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
    return dict(_compiled_facts()["parameters"])


def _read_parameter_values() -> dict[str, float]:
    import libsbml

    doc = libsbml.readSBMLFromString(sbml_string())
    model = doc.getModel()
    return {
        p.getId(): float(p.getValue())
        for p in model.getListOfParameters()
        if p.isSetValue() and model.getAssignmentRule(p.getId()) is None
    }


@functools.cache
def _compiled_facts() -> dict[str, Any]:
    """The model's hash and parameter values, kept in the cache by the hash of the
    Antimony source and the compilers' versions: compiling and reading the SBML costs
    ~0.4 s of every command that only needs these numbers (a fast-path trial)."""
    import importlib.metadata as md

    from mtorsim.fileio import cache_dir, write_atomic

    versions = [md.version(d) for d in ("antimony", "python-libsbml")]
    key = hashlib.sha256(json.dumps([model_source(), versions]).encode()).hexdigest()[:32]
    folder = cache_dir("model")
    path = folder / f"{key}.json" if folder is not None else None
    if path is not None and path.is_file():
        try:
            facts = json.loads(path.read_text(encoding="utf-8"))
            if (
                isinstance(facts, dict)
                and facts.get("key") == key
                and isinstance(facts.get("model_hash"), str)
                and isinstance(facts.get("parameters"), dict)
                and all(isinstance(v, float) for v in facts["parameters"].values())
            ):
                return dict(facts)
        except (OSError, ValueError):
            pass  # recomputed below
    facts = {
        "key": key,
        "model_hash": hashlib.sha256(sbml_string().encode()).hexdigest()[:16],
        "parameters": _read_parameter_values(),
    }
    if path is not None:
        with contextlib.suppress(MtorsimError):  # an unwritable cache is not an error
            write_atomic(path, json.dumps(facts))
    return facts


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
    return str(_compiled_facts()["model_hash"])


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
