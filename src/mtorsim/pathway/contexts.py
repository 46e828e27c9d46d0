"""Cell contexts: named sets of model-parameter values (cell lines and derived states).

Each context is a YAML file (``pathway/contexts/*.yaml``; a user adds one by
writing a file and passing its path) whose parameters override the model's
defaults, each value with its source.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mtorsim.errors import DataFileError, UnknownNameError
from mtorsim.knowledge.base import normalise_name
from mtorsim.knowledge.documents import load_document
from mtorsim.knowledge.sourced import Sourced
from mtorsim.knowledge.vocab import Subtype


class Context(BaseModel):
    """A signalling context: cell line or derived resistance state."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    format_version: Literal["1.0"] = "1.0"
    name: str
    description: str
    subtype: list[Subtype] = Field(default_factory=list)
    genotype: list[str] = Field(default_factory=list)
    genotype_source: str = ""
    parameters: dict[str, Sourced] = Field(default_factory=dict)
    doubling_time_h: Sourced | None = Field(
        default=None,
        description="untreated in-vitro doubling time (h); used by the cell-response layer",
    )
    cytotoxic_sensitivity: Sourced | None = Field(
        default=None,
        description="sensitivity of the line to cytotoxic kill relative to MCF7: every "
        "cytotoxic's EC50 is divided by it (used by the cell-response layer; default 1)",
    )

    @model_validator(mode="after")
    def _in_domain(self) -> Context:
        from mtorsim.knowledge.domains import DOMAINS

        for k, p in self.parameters.items():
            if not (p.value >= 0 and p.value <= CONTEXT_SPAN * max(_default(k), 1.0)):
                raise ValueError(
                    f"parameters.{k} = {p.value:g}: allowed 0 to {CONTEXT_SPAN:g}x the "
                    f"model's value ({_default(k):g}, or 1 where it is 0); a context sets "
                    "levels and rates, never negative"
                )
        for name, dom in (
            ("doubling_time_h", DOMAINS["doubling time h"]),
            ("cytotoxic_sensitivity", DOMAINS["cytotoxic sensitivity"]),
        ):
            v = getattr(self, name)
            if v is not None and not dom.contains(v.value):
                raise ValueError(f"{name} = {v.value:g}: allowed {dom.describe()}")
        return self

    def values(self) -> dict[str, float]:
        return {k: v.value for k, v in self.parameters.items()}


#: a context may set a model parameter to at most this multiple of its default (assumed:
#: three decades; the HER2 amplification rule uses 8x)
CONTEXT_SPAN = 1000.0


def _default(name: str) -> float:
    from mtorsim.pathway.build import parameter_values

    return abs(parameter_values().get(name, 1.0))


def context_key(ctx: Context) -> tuple[str, tuple[tuple[str, float], ...]]:
    """What identifies a context's simulation: its name and every parameter value (two
    contexts of one name with other values, e.g. from two designs, are different)."""
    return ctx.name, tuple(sorted(ctx.values().items()))


def _builtin_dir() -> Path:
    return Path(str(resources.files("mtorsim.pathway") / "contexts"))


@functools.cache
def _builtin_contexts() -> tuple[Context, ...]:
    # package data does not change while mtorsim runs; contexts are frozen records
    return tuple(load_document(p, Context) for p in sorted(_builtin_dir().glob("*.yaml")))


def list_contexts() -> list[Context]:
    """The built-in contexts, by name."""
    return list(_builtin_contexts())


def load_context(name_or_path: str | Path | Context) -> Context:
    """A built-in context by name (case/punctuation-insensitive: ``MCF-7``), or a YAML path."""
    if isinstance(name_or_path, Context):
        return name_or_path
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise DataFileError(str(path), ["context file not found"])
        return load_document(path, Context)
    key = normalise_name(str(name_or_path))
    contexts = list_contexts()
    for c in contexts:
        if normalise_name(c.name) == key:
            return c
    raise UnknownNameError(
        "context",
        str(name_or_path),
        [c.name for c in contexts],
        hint="run `mtorsim pathway contexts`, or pass a path to a context YAML file",
    )
