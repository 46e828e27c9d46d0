"""Per-patient results as Parquet, one file per chunk (pyarrow; ``mtorsim[scale]``).

A worker writes its chunk's rows itself (atomically, with the run key, the chunk's
place and the kept tumour curves in the file's metadata), so a run of 10^6 patients
never holds one Python record per patient; the table is read back column by column,
only the columns the analysis needs.  A chunk file whose key, start or size does not
match is recomputed, as JSON checkpoints are.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from mtorsim.errors import MtorsimError
from mtorsim.fileio import write_atomic
from mtorsim.knowledge import names as N
from mtorsim.trials.execution import SCALE_EXTRA

#: columns a columnar run reads back: everything but the per-drug exposure summaries
#: (the largest group, used by no statistic; they stay in the Parquet files)
SKIPPED_PREFIXES = (N.EXPOSURE,)


def arrow() -> Any:
    """pyarrow with its parquet module, or an error naming the extra."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise MtorsimError(f"columnar (Parquet) output needs pyarrow: {SCALE_EXTRA}") from None
    return pyarrow


def chunk_path(folder: Path, start: int) -> Path:
    return folder / f"chunk-{start:06d}.parquet"


def write_parquet_chunk(
    folder: Path, key: str, start: int, rows: list[dict[str, Any]], curves: list[Any]
) -> Path:
    from mtorsim.trials.results import patients_frame

    pa = arrow()
    # every column of every row (arms differ in their drugs' columns), in first-seen order
    table = pa.Table.from_pandas(patients_frame(rows), preserve_index=False)
    meta = {
        b"mtorsim_key": key.encode(),
        b"mtorsim_start": str(start).encode(),
        b"mtorsim_n": str(len(rows)).encode(),
        b"mtorsim_curves": json.dumps(curves, allow_nan=False).encode(),
    }
    table = table.replace_schema_metadata(meta)
    buf = io.BytesIO()
    pa.parquet.write_table(table, buf)
    return write_atomic(chunk_path(folder, start), buf.getvalue())


def read_parquet_chunk(folder: Path, key: str, start: int, n: int) -> list[Any] | None:
    """The chunk's kept curve records if its file is this run's, else None (redo it)."""
    from mtorsim.knowledge.domains import suspect

    path = chunk_path(folder, start)
    if not path.is_file():
        return None
    pa = arrow()
    try:
        meta = pa.parquet.read_schema(path).metadata or {}
        ok = (
            meta.get(b"mtorsim_key") == key.encode()
            and meta.get(b"mtorsim_start") == str(start).encode()
            and meta.get(b"mtorsim_n") == str(n).encode()
        )
        curves = json.loads(meta[b"mtorsim_curves"]) if ok else None
    except (OSError, ValueError, KeyError, pa.ArrowException):
        ok, curves = False, None
    if not ok:
        suspect(f"{path}: damaged, changed or of another run; its patients are recomputed")
        return None
    return list(curves or [])


def read_patient_table(folder: Path, key: str, spans: list[tuple[int, int]]) -> pd.DataFrame:
    """The run's patients from its chunk files, in order, without the skipped columns;
    each file is checked to be this run's chunk (key, start, size) before it is read."""
    pa = arrow()
    parts = []
    for start, stop in spans:
        path = chunk_path(folder, start)
        meta = pa.parquet.read_schema(path).metadata or {}
        if (
            meta.get(b"mtorsim_key") != key.encode()
            or meta.get(b"mtorsim_start") != str(start).encode()
            or meta.get(b"mtorsim_n") != str(stop - start).encode()
        ):
            raise MtorsimError(
                f"{path}: not chunk {start}-{stop - 1} of run {key} (changed while the run "
                "read it?); run again"
            )
        names = pa.parquet.read_schema(path).names
        keep = [c for c in names if not c.startswith(SKIPPED_PREFIXES)]
        parts.append(pa.parquet.read_table(path, columns=keep))
    order = list(dict.fromkeys(c for t in parts for c in t.column_names))
    table = pa.concat_tables(parts, promote_options="permissive").select(order)
    from mtorsim.trials.results import missing_as_nan

    return missing_as_nan(table.to_pandas())  # missing values as NaN, as the CSV gives


__all__ = ["arrow", "chunk_path", "read_parquet_chunk", "read_patient_table", "write_parquet_chunk"]
