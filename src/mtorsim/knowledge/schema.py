"""JSON Schema export of every knowledge-base file format.

The schemas are generated from the pydantic models, never written by hand;
``mtorsim schema --out DIR`` writes them, and copies are shipped in
``mtorsim/knowledge/schemas`` (a test keeps them in step with the models).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mtorsim.fileio import write_atomic
from mtorsim.knowledge.models import DOCUMENTS


def json_schemas() -> dict[str, dict[str, Any]]:
    """``{"agents.schema.json": {...}, ...}`` for every data file format."""
    out: dict[str, dict[str, Any]] = {}
    for fname, model in DOCUMENTS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://mtorsim.invalid/schemas/{fname.replace('.yaml', '.schema.json')}"
        out[fname.replace(".yaml", ".schema.json")] = schema
    return out


def write_json_schemas(folder: str | Path) -> list[Path]:
    """Write every schema into ``folder`` (created if needed); returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, schema in json_schemas().items():
        text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
        paths.append(write_atomic(folder / name, text))
    return paths
