"""Measured cell-line reference data shipped with mtorsim (``data/reference/``).

Three tables, each made by ``scripts/build_reference_data.py`` from the cited research
notes in ``docs/research/`` (every row carries its citation, the file and commit it was
read from, and the verbatim snippet):

* ``dose_response.csv``: single-agent GI50 / IC50 of breast cancer cell lines (ICBP panel,
  Heiser et al. 2012 PNAS doi:10.1073/pnas.1018854108 / Daemen et al. 2013 Genome Biol
  doi:10.1186/gb-2013-14-10-r110; GDSC1, Garnett et al. 2012 Nature
  doi:10.1038/nature11005 / Iorio et al. 2016 Cell doi:10.1016/j.cell.2016.06.017);
* ``pathway_readouts.csv``: phospho-protein changes after drug (LINCS LDS-1511 fold
  changes; statements of the feedback papers the review cites);
* ``combinations.csv``: measured synergy scores of mTOR-inhibitor pairs (O'Neil et al.
  2016 Mol Cancer Ther doi:10.1158/1535-7163.MCT-15-0843, Loewe scores as published by
  Preuer et al. 2018 Bioinformatics doi:10.1093/bioinformatics/btx806) and statements.

What of these tables a model is fitted to is decided in the calibration set only.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mtorsim.errors import DataFileError


def reference_dir() -> Path:
    return Path(str(resources.files("mtorsim.inference") / "data" / "reference"))


def _bool(text: str) -> bool:
    return text.strip().lower() == "true"


@dataclass(frozen=True)
class DoseResponseValue:
    """One measured single-agent potency (GI50 or IC50) of one cell line."""

    id: str
    dataset: str
    drug: str
    agent: str
    cell_line: str
    context: str
    metric: str
    value_nM: float | None
    censored: bool
    extrapolated: bool
    citation: str
    location: str

    @property
    def simulable(self) -> bool:
        """The model has the agent and the cell line, and the value is a number in nM."""
        return bool(self.agent and self.context and self.value_nM is not None)


@dataclass(frozen=True)
class SynergyValue:
    """One measured synergy score (or statement) of a drug pair in one cell line."""

    id: str
    dataset: str
    agent_a: str
    agent_b: str
    drug_a: str
    drug_b: str
    cell_line: str
    context: str
    measure: str
    value: float | None
    statement: str
    citation: str


def _rows(name: str) -> list[dict[str, str]]:
    path = reference_dir() / name
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise DataFileError(str(path), [f"cannot read the reference table: {exc}"]) from None


@functools.cache
def dose_response_values() -> tuple[DoseResponseValue, ...]:
    """Every measured single-agent potency (``dose_response.csv``)."""
    out = []
    for r in _rows("dose_response.csv"):
        out.append(
            DoseResponseValue(
                id=r["id"],
                dataset=r["dataset"],
                drug=r["drug"],
                agent=r["agent"],
                cell_line=r["cell_line"],
                context=r["context"],
                metric=r["metric"],
                value_nM=float(r["value_nM"]) if r["value_nM"] else None,
                censored=_bool(r["censored"]),
                extrapolated=_bool(r["extrapolated"]),
                citation=r["citation"],
                location=r["location"],
            )
        )
    return tuple(out)


@functools.cache
def synergy_values() -> tuple[SynergyValue, ...]:
    """Every measured combination score or statement (``combinations.csv``)."""
    return tuple(
        SynergyValue(
            id=r["id"],
            dataset=r["dataset"],
            agent_a=r["agent_a"],
            agent_b=r["agent_b"],
            drug_a=r["drug_a"],
            drug_b=r["drug_b"],
            cell_line=r["cell_line"],
            context=r["context"],
            measure=r["measure"],
            value=float(r["value"]) if r["value"] else None,
            statement=r["statement"],
            citation=r["citation"],
        )
        for r in _rows("combinations.csv")
    )


@functools.cache
def pathway_readouts() -> tuple[dict[str, str], ...]:
    """Every measured or stated pathway readout (``pathway_readouts.csv``), as rows."""
    return tuple(_rows("pathway_readouts.csv"))


__all__ = [
    "DoseResponseValue",
    "SynergyValue",
    "dose_response_values",
    "pathway_readouts",
    "reference_dir",
    "synergy_values",
]
