"""Extract rapalog/vehicle readout ratios from two public RPPA data sets.

1. Korkut A, Wang W, Demir E, et al. Perturbation biology nominates upstream-downstream
   drug combinations in RAF inhibitor resistant melanoma cells. eLife 2015;4:e04640,
   doi:10.7554/eLife.04640.  SKMEL-133 melanoma cells, temsirolimus (code ``Tm``) alone at
   two doses.  File ``Korkut et al. Data 12122016.xlsx`` of ``ndexbio/BigMech_Phase3``, sheet
   "Protein Data", whose first cell says "control normalized values, i.e. sample value /no
   drug control"; the doses (0.3 and 0.6, "nM" in the repository's ``drugs_hugo.txt``, whose
   units are inconsistent across drugs) and the time (24 h, as the re-processing of the same
   data by Rukhlenko et al. 2022 Nature, doi:10.1038/s41586-022-05194-y, encodes it:
   ``OleksiiR/cSTAR_Nature`` ``SKMEL-133_preproc/dose1_mTORinh.exp``, row 86400 s) are
   noted, not trusted.  The log2 copy in ``sanderlab/CellBox`` (``data/expr.csv``) agrees.
2. Mukherjee N, Browne A, Ivers L, et al. A systems biology approach to investigate kinase
   signal transduction networks that are involved in triple negative breast cancer
   resistance to cisplatin. J Pers Med 2022;12:1277, doi:10.3390/jpm12081277.  Seven lines
   (six triple-negative, MCF10A non-tumorigenic), everolimus vs DMSO, four replicates.
   File ``processeddata/dataFoldChange.xlsx`` of ``dirkfey/TNBC-RPPA``, sheet "FC all"
   (mean treated / mean DMSO, by the authors' ``load_RPPA_data.m``), p-values from the
   sheet "p-values" (two-sample t-test).  Dose and time are not in the repository.

Both are single time points, so neither enters a fitted objective: they are the published
magnitudes ``validate-readouts`` reads the model beside.  Writes
``docs/research/rapalog_rppa.yaml``.  Needs the two snapshots on disk and openpyxl (not a
dependency of mtorsim; the notes are committed)::

    python scripts/extract_rapalog_rppa.py /path/to/BigMech_Phase3.git /path/to/TNBC-RPPA.git
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parents[1] / "docs/research/rapalog_rppa.yaml"
KORKUT = {
    "repository": "ndexbio/BigMech_Phase3",
    "commit": "c4b267407cc2168786baed08acd49cb30b6f10b6",
    "path": "Korkut et al. Data 12122016.xlsx",
    "authors": "Korkut A, Wang W, Demir E, et al.",
    "title": "Perturbation biology nominates upstream-downstream drug combinations in RAF "
    "inhibitor resistant melanoma cells",
    "journal": "eLife",
    "year": 2015,
    "volume_pages": "4:e04640",
    "doi": "10.7554/eLife.04640",
}
MUKHERJEE = {
    "repository": "dirkfey/TNBC-RPPA",
    "commit": "ed58d776a2a9a7a015779cd06667be2420bf455b",
    "path": "processeddata/dataFoldChange.xlsx",
    "authors": "Mukherjee N, Browne A, Ivers L, et al.",
    "title": "A systems biology approach to investigate kinase signal transduction networks "
    "that are involved in triple negative breast cancer resistance to cisplatin",
    "journal": "J Pers Med",
    "year": 2022,
    "volume_pages": "12:1277",
    "doi": "10.3390/jpm12081277",
}
#: Korkut column -> readout as the reference table writes it
KORKUT_READOUTS = {
    "AKT_pS473_V": "pAkt S473",
    "AKT_pT308_V": "pAkt T308",
    "4EBP1_pT37_V": "p4E-BP1 T37",
    "4EBP1_pS65_V": "p4E-BP1 S65",
    "4EBP1_pT70": "p4E-BP1 T70",
    "p70S6K_pT389_V": "pS6K1 T389",
    "S6_pS235_V": "pS6 S235/236",
    "S6_pS240_V": "pS6 S240/244",
}
MUKHERJEE_READOUTS = {
    "AKT_S473_": "pAkt S473",
    "AKT_T308_": "pAkt T308",
    "P70_S6K_T389_": "pS6K1 T389",
    "S6RIB_S235_": "pS6 S235/236",
    "S6RIB_S240_": "pS6 S240/244",
    "MAPK_T202_": "pERK1/2 T202/Y204",
}


def _xlsx(git_dir: str, commit: str, path: str) -> io.BytesIO:
    blob = subprocess.run(
        ["git", "--git-dir", git_dir, "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
    ).stdout
    return io.BytesIO(blob)


def korkut_values(git_dir: str) -> list[dict[str, object]]:
    import pandas as pd

    sheet = pd.read_excel(
        _xlsx(git_dir, str(KORKUT["commit"]), str(KORKUT["path"])),
        sheet_name="Protein Data",
        header=None,
    )
    header_note = str(sheet.iloc[0, 0])
    assert "sample value /no drug control" in header_note, header_note
    cols = [str(c) for c in sheet.iloc[1].tolist()]
    data = sheet.iloc[2:].copy()
    data.columns = cols
    sample = cols[1]
    out = []
    for dose in ("0.3", "0.6"):
        row = data[data[sample].astype(str) == f"Tm|{dose}"]
        assert len(row) == 1, dose
        for col, readout in KORKUT_READOUTS.items():
            v = float(row[col].iloc[0])
            name = col.lower().removesuffix("_v")
            out.append(
                {
                    "id": f"korkut2015_skmel133_tm{dose.replace('.', '')}_{name}",
                    "readout": readout,
                    "antibody": col,
                    "drug": "temsirolimus",
                    "concentration": f"{dose} (nM per the repository's drugs_hugo.txt, whose "
                    "units are inconsistent across drugs; check the paper's methods)",
                    "cell_line": "SKMEL-133 (BRAF V600E melanoma, not a breast line)",
                    "time_h": 24.0,
                    "time_note": "not in this file; 24 h is how the re-processing of the "
                    "same data by Rukhlenko et al. 2022 (Nature, "
                    "doi:10.1038/s41586-022-05194-y; OleksiiR/cSTAR_Nature@bfb092f2 "
                    "SKMEL-133_preproc/dose1_mTORinh.exp, row 86400 s) encodes it",
                    "fold_change_vs_vehicle": round(v, 3),
                    "kind": "quantitative",
                    "assay": "reverse-phase protein array (ratio to the no-drug control)",
                    "verified": True,
                    "source": dict(KORKUT),
                    "snippet": f"sheet 'Protein Data' ({header_note.strip()}), row "
                    f"'Tm|{dose}', column {col}: {v:.6g}",
                }
            )
    return out


def mukherjee_values(git_dir: str) -> list[dict[str, object]]:
    import pandas as pd

    raw = _xlsx(git_dir, str(MUKHERJEE["commit"]), str(MUKHERJEE["path"]))
    fc = pd.read_excel(raw, sheet_name="FC all")
    raw.seek(0)
    pv = pd.read_excel(raw, sheet_name="p-values")
    out = []
    for _, row in fc[fc["Treatment"] == "Everolimus"].iterrows():
        line = str(row["CellLine"])
        p_row = pv[(pv["cellLines"] == line) & (pv["treatments"] == "Everolimus")]
        assert len(p_row) == 1, line
        key = line.lower().replace("-", "")
        for col, readout in MUKHERJEE_READOUTS.items():
            v, p = float(row[col]), float(p_row[col].iloc[0])
            out.append(
                {
                    "id": f"mukherjee2022_{key}_everolimus_{col.lower().removesuffix('_')}",
                    "readout": readout,
                    "antibody": col,
                    "drug": "everolimus",
                    "concentration": "not in the repository (see the paper's methods)",
                    "cell_line": line
                    + (" (non-tumorigenic breast epithelial)" if line == "MCF10A" else ""),
                    "time_h": None,
                    "time_note": "not in the repository (see the paper's methods)",
                    "fold_change_vs_vehicle": round(v, 3),
                    "p_value": round(p, 4),
                    "n_replicates": 4,
                    "kind": "quantitative",
                    "assay": "reverse-phase protein array; mean of 4 treated / mean of 4 DMSO "
                    "replicates (the authors' load_RPPA_data.m)",
                    "verified": True,
                    "source": dict(MUKHERJEE),
                    "snippet": f"sheet 'FC all', CellLine {line}, Treatment Everolimus, "
                    f"column {col}: {v:.6g}; sheet 'p-values': {p:.3g}",
                }
            )
    return out


def main(korkut_git: str, mukherjee_git: str) -> int:
    values = korkut_values(korkut_git) + mukherjee_values(mukherjee_git)
    head = (
        "# RESEARCH NOTE - not read by the mtorsim package or its tests.\n"
        "# Made by scripts/extract_rapalog_rppa.py from the authors' data files (see its\n"
        "# docstring); do not edit by hand.\n"
    )
    OUT.write_text(
        head + yaml.safe_dump({"values": values}, sort_keys=False, width=100), encoding="utf-8"
    )
    print(f"wrote {len(values)} values to {OUT}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
