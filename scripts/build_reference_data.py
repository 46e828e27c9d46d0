"""Build the package's measured reference tables from the cited research notes.

Inputs (committed, human-curated, every value with its source and the verbatim snippet it
was read from): ``docs/research/cell_dose_response_sources.yaml``,
``docs/research/pathway_readout_sources.yaml``, ``docs/research/hill2017_rppa.yaml`` (made
from the authors' data files by ``scripts/extract_hill2017.py``),
``docs/research/rapalog_rppa.yaml`` (by ``scripts/extract_rapalog_rppa.py``) and
``docs/research/combination_sources.yaml``.
Outputs (package data, read by :mod:`mtorsim.inference.reference`):
``src/mtorsim/inference/data/reference/{dose_response,pathway_readouts,combinations}.csv``
and ``MANIFEST.yaml`` (input SHA-256, row counts, this script's name).

Only what the notes state is carried over; the cell-line and agent names are mapped to the
model's contexts and knowledge-base ids where one exists (blank where none: the value is
kept as reference, it cannot be simulated).  Run from the repository root::

    python scripts/build_reference_data.py
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "docs" / "research"
OUT = ROOT / "src" / "mtorsim" / "inference" / "data" / "reference"

#: cell line as written in the sources -> model context (only lines the model has)
CONTEXTS = {
    "bt20": "BT20",
    "bt474": "BT474",
    "bt549": "BT549",
    "cama1": "CAMA1",
    "hcc1954": "HCC1954",
    "mcf7": "MCF7",
    "mdamb231": "MDAMB231",
    "mdamb453": "MDAMB453",
    "mdamb468": "MDAMB468",
    "skbr3": "SKBR3",
    "t47d": "T47D",
    "uacc812": "UACC812",
    "zr751": "ZR751",
}
#: drug as written in the sources (lower case, first word) -> knowledge-base agent id
AGENTS = {
    "everolimus": "everolimus",
    "rapamycin": "sirolimus",
    "temsirolimus": "temsirolimus",
    "dactolisib": "nvp-bez235",
    "lapatinib": "lapatinib",
    "tamoxifen": "tamoxifen",
    "paclitaxel": "paclitaxel",
    "vinorelbine": "vinorelbine",
    "cisplatin": "cisplatin",
    "carboplatin": "carboplatin",
    "5-fluorouracil": "5-fluorouracil",
    "ridaforolimus": "ridaforolimus",
    "pd-0325901": "mek-inhibitor",
    "trastuzumab": "trastuzumab",
}
#: dataset label -> short citation of the publication behind it
DATASETS = {
    "mumtahena/bild_signatures": "icbp",
    "CancerRxGene/gdsctools": "gdsc1",
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def context_of(cell_line: str) -> str:
    return CONTEXTS.get(_key(cell_line.split("(")[0]), "")


def agent_of(drug: str) -> str:
    first = drug.lower().split("(")[0].strip().split(" ")[0]
    return AGENTS.get(first, "")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _to_nM(value: float, unit: str) -> float | None:
    if unit.startswith("-log10"):
        return 10 ** (9 - value)
    if unit.startswith("ln(IC50 [uM])"):
        import math

        return math.exp(value) * 1000.0
    return None


def _one_line(text: object) -> str:
    return " ".join(str(text or "").split())


def dose_response_rows() -> list[dict[str, object]]:
    notes = yaml.safe_load((NOTES / "cell_dose_response_sources.yaml").read_text(encoding="utf-8"))
    rows = []
    for i, v in enumerate(notes["values"]):
        src = v["source"]
        dataset = DATASETS.get(src.get("repository", ""), "literature")
        nM = _to_nM(float(v["value"]), str(v["unit"]))
        if src.get("kind") == "repository_file":
            citation = src["dataset"]
            location = f"github:{src['repository']}@{src['commit']}:{src['path']}"
        else:
            citation = src.get("citation", "")
            location = src.get("seen_in", "")
        rows.append(
            {
                "id": f"dr{i + 1:03d}",
                "dataset": dataset,
                "drug": v["drug"],
                "agent": agent_of(v["drug"]),
                "drug_class": v.get("drug_class", ""),
                "cell_line": v["cell_line"],
                "context": context_of(v["cell_line"]),
                "genotype_note": v.get("genotype_note", ""),
                "metric": v["metric"],
                "value": v["value"],
                "unit": v["unit"],
                "value_nM": "" if nM is None else f"{nM:.6g}",
                "censored": bool(v.get("censored", False)),
                "extrapolated": bool(v.get("extrapolated", False)),
                "verified": bool(v.get("verified", False)),
                "assay": _one_line(v.get("assay")),
                "citation": _one_line(citation),
                "location": _one_line(location),
                "snippet": _one_line(v.get("snippet")),
            }
        )
    return rows


PATHWAY_NOTES = ("pathway_readout_sources.yaml", "hill2017_rppa.yaml", "rapalog_rppa.yaml")


def pathway_rows() -> list[dict[str, object]]:
    rows = []
    notes = [yaml.safe_load((NOTES / f).read_text(encoding="utf-8")) for f in PATHWAY_NOTES]
    for v in (v for n in notes for v in n["values"]):
        src = v["source"]
        cite = ", ".join(
            str(src[k])
            for k in ("authors", "title", "journal", "year", "volume_pages")
            if src.get(k)
        )
        if src.get("doi"):
            cite += f", doi:{src['doi']}"
        loc = (
            f"github:{src['repository'].removeprefix('github:')}@{src['commit']}:{src['path']}"
            if src.get("repository")
            else src.get("url", "")
        )
        rows.append(
            {
                "id": v["id"],
                "readout": v["readout"],
                "drug": v["drug"],
                "concentration": v.get("concentration", ""),
                "cell_line": v["cell_line"],
                "context": context_of(v["cell_line"]),
                "time_h": v.get("time_h", v.get("time_point", "")),
                "fold_change": v.get("fold_change_vs_vehicle", v.get("fold_change")) or "",
                "direction": v.get("direction", ""),
                "kind": v.get("kind", "quantitative"),
                "verified": bool(v.get("verified", False)),
                "citation": _one_line(cite),
                "location": _one_line(loc),
                "snippet": _one_line(v.get("snippet")),
            }
        )
    return rows


def combination_rows() -> list[dict[str, object]]:
    notes = yaml.safe_load((NOTES / "combination_sources.yaml").read_text(encoding="utf-8"))
    rows = []
    for i, v in enumerate(notes["values"]):
        ctx = context_of(v["cell_line"]) if len(v["cell_line"]) < 12 else ""
        rows.append(
            {
                "id": f"cb{i + 1:03d}",
                "dataset": v.get("dataset", "literature"),
                "drug_a": v["drug_a"],
                "agent_a": agent_of(v["drug_a"]),
                "drug_b": v["drug_b"],
                "agent_b": agent_of(v["drug_b"]),
                "cell_line": v["cell_line"],
                "context": ctx,
                "measure": _one_line(v["measure_type"]),
                "value": v["value"] if isinstance(v["value"], int | float) else "",
                "statement": "" if isinstance(v["value"], int | float) else _one_line(v["value"]),
                "verified": bool(v.get("verified", False)),
                "citation": _one_line(v["source"]),
                "snippet": _one_line(v.get("snippet")),
            }
        )
    return rows


def _write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def main(out: Path = OUT) -> int:
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "dose_response.csv": (dose_response_rows(), ("cell_dose_response_sources.yaml",)),
        "pathway_readouts.csv": (pathway_rows(), PATHWAY_NOTES),
        "combinations.csv": (combination_rows(), ("combination_sources.yaml",)),
    }
    manifest: dict[str, object] = {"generator": "scripts/build_reference_data.py", "tables": {}}
    for name, (rows, srcs) in tables.items():
        _write_csv(out / name, rows)
        manifest["tables"][name] = {  # type: ignore[index]
            "rows": len(rows),
            "inputs": {f"docs/research/{src}": _sha(NOTES / src) for src in srcs},
        }
    (out / "MANIFEST.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    for name, (rows, _) in tables.items():
        print(f"{name}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
