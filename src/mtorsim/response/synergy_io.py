"""SynergyFinder's long CSV format: reading (checked at the boundary) and writing."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mtorsim.fileio import write_atomic
from mtorsim.response.synergy import DoseMatrix, SynergyInputError

_COLUMNS = ("PairIndex", "Response", "Drug1", "Drug2", "Conc1", "Conc2", "ConcUnit")


#: largest synergy CSV read (bytes; about 10^5 wells)
MAX_CSV_BYTES = 10_000_000
#: most pairs scored in one run (each about a second: ZIP fits every row and column)
MAX_PAIRS = 500


def read_synergyfinder_csv(path: str | Path) -> list[DoseMatrix]:
    """Read SynergyFinder's long format (one row per well; replicates averaged per cell).

    Columns: PairIndex, Response (percent inhibition), Drug1, Drug2, Conc1, Conc2,
    ConcUnit (one unit per pair).  Errors name the file, the row and the column.
    """
    path = Path(path)
    from mtorsim.knowledge.domains import DOMAINS, suspect

    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise SynergyInputError(f"{path}: cannot read ({exc})") from None
    if len(raw_bytes) > MAX_CSV_BYTES:
        raise SynergyInputError(
            f"{path}: {len(raw_bytes):,} bytes, more than the {MAX_CSV_BYTES:,} a synergy file "
            "may have (about 10^5 wells); split it"
        )
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Excel on Windows saves CSV as cp1252 ("µM" as byte 0xb5)
        try:
            text = raw_bytes.decode("cp1252")
        except UnicodeDecodeError:
            raise SynergyInputError(
                f"{path}: not UTF-8 ({exc}) nor Windows-1252 text; save it as CSV UTF-8"
            ) from None
        suspect(f"{path}: not UTF-8; read as Windows-1252 (Excel's CSV); save as CSV UTF-8")
    response_domain = DOMAINS["response %"]
    reader = csv.DictReader(text.splitlines())
    cols = reader.fieldnames or []
    missing = [c for c in _COLUMNS if c not in cols]
    if missing:
        raise SynergyInputError(
            f"{path}: missing column(s) {', '.join(missing)}; SynergyFinder's long format needs "
            f"{', '.join(_COLUMNS)}"
        )
    pairs: dict[str, dict[str, Any]] = {}
    for rowno, row in enumerate(reader, start=2):
        if None in row or any(row.get(c) is None for c in _COLUMNS):
            n = len([v for k, v in row.items() if k is not None and v is not None]) + len(
                row.get(None) or []
            )
            raise SynergyInputError(
                f"{path}, row {rowno}: {n} fields, the header has {len(cols)}; every row needs "
                f"{', '.join(_COLUMNS)}"
            )
        key = row["PairIndex"].strip()

        def num(col: str, row: dict[str, str] = row, rowno: int = rowno) -> float:
            raw = (row.get(col) or "").strip()
            try:
                val = float(raw)
            except ValueError:
                raise SynergyInputError(
                    f"{path}, row {rowno}, column {col}: {raw!r} is not a number"
                ) from None
            if not math.isfinite(val):
                raise SynergyInputError(f"{path}, row {rowno}, column {col}: {raw!r} is not finite")
            return val

        c1, c2, r = num("Conc1"), num("Conc2"), num("Response")
        if not response_domain.contains(r):
            raise SynergyInputError(
                f"{path}, row {rowno}, column Response: {r:g}: allowed "
                f"{response_domain.describe()}; {response_domain.fix}"
            )
        for col, v in (("Conc1", c1), ("Conc2", c2)):
            if v < 0:
                raise SynergyInputError(f"{path}, row {rowno}, column {col}: negative dose {v:g}")
        p = pairs.setdefault(
            key,
            {
                "drug1": row["Drug1"].strip(),
                "drug2": row["Drug2"].strip(),
                "unit": row["ConcUnit"].strip(),
                "cells": {},
            },
        )
        if row["ConcUnit"].strip() != p["unit"]:
            raise SynergyInputError(
                f"{path}, row {rowno}, column ConcUnit: {row['ConcUnit']!r} differs from "
                f"{p['unit']!r} earlier in pair {key}; convert to one unit"
            )
        if (row["Drug1"].strip(), row["Drug2"].strip()) != (p["drug1"], p["drug2"]):
            raise SynergyInputError(f"{path}, row {rowno}: pair {key} changes its drugs")
        p["cells"].setdefault((c1, c2), []).append(r)
    if not pairs:
        raise SynergyInputError(f"{path}: no data rows")
    if len(pairs) > MAX_PAIRS:
        raise SynergyInputError(
            f"{path}: {len(pairs)} pairs (PairIndex values), more than the {MAX_PAIRS} scored "
            "in one run (about a second each); split the file"
        )
    out = []
    for key, p in pairs.items():
        cells: dict[tuple[float, float], list[float]] = p["cells"]
        conc1 = sorted({c for c, _ in cells})
        conc2 = sorted({c for _, c in cells})
        if conc1[0] != 0 or conc2[0] != 0:
            raise SynergyInputError(
                f"{path}: pair {key} has no zero dose of "
                f"{p['drug1'] if conc1[0] != 0 else p['drug2']} (the single-agent row/column); "
                "add the wells with that drug at 0"
            )
        resp = np.full((len(conc1), len(conc2)), np.nan)
        reps: dict[tuple[int, int], list[float]] = {}
        for (c1, c2), vals in cells.items():
            i, j = conc1.index(c1), conc2.index(c2)
            resp[i, j] = float(np.mean(vals))
            if len(vals) > 1:
                reps[(i, j)] = vals
        hole = np.argwhere(np.isnan(resp))
        if hole.size:
            i, j = hole[0]
            raise SynergyInputError(
                f"{path}: pair {key} has no well at {p['drug1']}={conc1[i]:g}, "
                f"{p['drug2']}={conc2[j]:g} {p['unit']}; the matrix must be complete"
            )
        out.append(
            DoseMatrix(
                p["drug1"], p["drug2"], np.array(conc1), np.array(conc2), resp, p["unit"], reps
            )
        )
    return out


def write_synergyfinder_csv(matrices: Sequence[DoseMatrix], path: str | Path) -> Path:
    """Write matrices in SynergyFinder's long format (atomically)."""
    fh = io.StringIO()
    w = csv.writer(fh)
    w.writerow(_COLUMNS)
    for k, m in enumerate(matrices, start=1):
        for i, c1 in enumerate(m.conc1):
            for j, c2 in enumerate(m.conc2):
                w.writerow(
                    [
                        k,
                        f"{m.response[i, j]:.6g}",
                        m.drug1,
                        m.drug2,
                        f"{c1:g}",
                        f"{c2:g}",
                        m.unit,
                    ]
                )
    return write_atomic(path, fh.getvalue())


__all__ = ["read_synergyfinder_csv", "write_synergyfinder_csv"]
