"""The one document loader: every YAML (or JSON) data file mtorsim reads goes through
:func:`load_document`, which validates it against a pydantic model and turns every
problem into a :class:`~mtorsim.errors.DataFileError` naming the file, the record and
the field.

>>> from mtorsim.knowledge.documents import load_document
>>> from mtorsim.tumour.model import PopulationTumour, default_tumour_path
>>> load_document(default_tumour_path(), PopulationTumour).format_version
'1.0'
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel, ValidationError

from mtorsim.errors import DataFileError

D = TypeVar("D", bound=BaseModel)

#: libyaml's C loader when PyYAML was built with it (several times faster); same safety
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _format_loc(loc: tuple[int | str, ...], raw: Any) -> str:
    """Turn a pydantic error location into 'record #3 (id: x), field targets.0.node'."""
    parts = list(loc)
    where = ".".join(str(p) for p in parts)
    if len(parts) >= 2 and isinstance(parts[1], int) and isinstance(raw, dict):
        items = raw.get(str(parts[0]))
        record = ""
        if isinstance(items, list) and parts[1] < len(items) and isinstance(items[parts[1]], dict):
            rid = items[parts[1]].get("id") or items[parts[1]].get("number")
            record = f" (id: {rid})" if rid is not None else ""
        field_path = ".".join(str(p) for p in parts[2:]) or "(the record itself)"
        return f"{parts[0]} record #{parts[1] + 1}{record}, field {field_path}"
    return f"field {where}" if where else "top level"


def validation_problems(exc: ValidationError, raw: Any) -> list[str]:
    """One line per pydantic error: where, what, and the value found."""
    problems = []
    for err in exc.errors():
        loc = _format_loc(tuple(err["loc"]), raw)
        got = err.get("input")
        got_s = "" if isinstance(got, dict | list) else f" (got {got!r})"
        problems.append(f"{loc}: {err['msg']}{got_s}")
    return problems


def read_mapping(path: str | Path) -> dict[str, Any]:
    """The top-level mapping of a YAML or JSON (``.json``) file, nothing validated yet."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(str(path), [f"cannot read file: {exc.strerror}"]) from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(
            str(path), [f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"]
        ) from exc
    if path.suffix.lower() == ".json":
        # JSON is read as JSON: PyYAML would read 1e-6 (no dot) as a string
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise DataFileError(str(path), [f"not valid JSON: {exc}"]) from exc
        if not isinstance(raw, dict):
            raise DataFileError(str(path), ["expected a JSON object at the top"])
        return raw
    try:
        raw = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(str(path), [f"not valid YAML{where}: {problem}"]) from exc
    if not isinstance(raw, dict):
        raise DataFileError(
            str(path), [f"expected a mapping of fields at the top, got {type(raw).__name__}"]
        )
    return raw


def load_document(path: str | Path, model: type[D], format_version: str | None = None) -> D:
    """Read and validate one data file against ``model``.

    Parameters
    ----------
    path
        A YAML (or JSON) file.
    model
        The pydantic model of the document.
    format_version
        If given, the file's ``format_version`` must equal it.

    Raises
    ------
    DataFileError
        If the file is missing, is not UTF-8 YAML, has the wrong format version, or a
        record does not validate.  The message names the file, the record and the field.
    """
    raw = read_mapping(path)
    if format_version is not None and str(raw.get("format_version")) != format_version:
        raise DataFileError(
            str(path),
            [
                f"field format_version: {raw.get('format_version')!r}, expected "
                f"{format_version!r} (this mtorsim reads format {format_version})"
            ],
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise DataFileError(str(path), validation_problems(exc, raw)) from exc


@functools.cache
def _cached(path: str, model: type[BaseModel], format_version: str | None) -> BaseModel:
    return load_document(Path(path), model, format_version)


def load_cached(path: str | Path, model: type[D], format_version: str | None = None) -> D:
    """:func:`load_document` once per (file, model): for the package's own data files,
    which do not change while mtorsim runs (the records are frozen)."""
    return cast(D, _cached(str(path), model, format_version))


__all__ = ["load_cached", "load_document", "read_mapping", "validation_problems"]
