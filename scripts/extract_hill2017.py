"""Extract drug/DMSO readout ratios from the Hill et al. 2017 RPPA time courses.

Source: Hill SM, Nesser NK, Johnson-Camacho K, et al. Context specificity in causal
signaling networks revealed by phosphoprotein profiling. Cell Systems 2017;4:73-83.e10,
doi:10.1016/j.cels.2016.11.013 (the data of the HPN-DREAM challenge, Hill et al. 2016 Nat
Methods 13:310).  The authors' repository holds their MAT conversion of Data S1:
``Steven-M-Hill/causal-signaling-networks-CellSystems2016`` at commit ``COMMIT`` below,
files ``data/<LINE>_log2_complete.mat`` (log2 RPPA, protein x time x stimulus x inhibitor x
replicate).

Recipe (fixed before any comparison with the model): for each line, inhibitor, antibody
and time, ratio = 2^(mean log2 inhibitor - mean log2 DMSO) per stimulus (replicates
averaged), then the median over the stimuli with data; the range over stimuli and the
number of stimuli are kept.  Inhibitor concentrations are not in the data files; the
notes say so.

Writes ``docs/research/hill2017_rppa.yaml`` (research notes that
``scripts/build_reference_data.py`` turns into rows of the reference readout table).
Needs the repository snapshot on disk (not available in CI; the notes are committed):

    python scripts/extract_hill2017.py /path/to/causal-signaling-networks-CellSystems2016.git
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

COMMIT = "7014a2cf90ae13e6fbe389cc52107d463eb96f56"
REPO = "Steven-M-Hill/causal-signaling-networks-CellSystems2016"
OUT = Path(__file__).resolve().parents[1] / "docs/research/hill2017_rppa.yaml"
LINES = ("MCF7", "UACC812", "BT20", "BT549")
#: inhibitor in the files -> drug as the reference table writes it
INHIBITORS = {
    "BEZ235": "dactolisib (NVP-BEZ235, dual PI3K/mTOR inhibitor)",
    "AZD8055": "AZD8055 (ATP-competitive mTORC1/2 kinase inhibitor)",
}
#: antibody -> readout as the reference table writes it
ANTIBODIES = {
    "Akt_pS473": "pAkt S473",
    "Akt_pT308": "pAkt T308",
    "p70S6K_pT389": "pS6K1 T389",
    "S6_pS235_S236": "pS6 S235/236",
    "S6_pS240_S244": "pS6 S240/244",
    "4EBP1_pS65": "p4E-BP1 S65",
    "MAPK_pT202_Y204": "pERK1/2 T202/Y204",
    "HER3": "HER3 (total)",
}
TIMES = ("0min", "60min", "4hr", "24hr", "48hr")
HOURS = {"0min": 0.0, "60min": 1.0, "4hr": 4.0, "24hr": 24.0, "48hr": 48.0}
SOURCE = {
    "authors": "Hill SM, Nesser NK, Johnson-Camacho K, et al.",
    "title": "Context specificity in causal signaling networks revealed by phosphoprotein "
    "profiling",
    "journal": "Cell Systems",
    "year": 2017,
    "volume_pages": "4:73-83.e10",
    "doi": "10.1016/j.cels.2016.11.013",
    "repository": REPO,
    "commit": COMMIT,
}


def _load(git_dir: Path, line: str) -> dict[str, np.ndarray]:
    import scipy.io

    blob = subprocess.run(
        ["git", "-C", str(git_dir), "show", f"{COMMIT}:data/{line}_log2_complete.mat"],
        check=True,
        capture_output=True,
    ).stdout
    return dict(scipy.io.loadmat(io.BytesIO(blob)))


def _names(arr: np.ndarray) -> list[str]:
    return [str(x[0]) for x in arr[0]]


def values(git_dir: Path) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for line in LINES:
        m = _load(git_dir, line)
        prot, times = _names(m["proteinNames"]), _names(m["timeStr"])
        stim, inh = _names(m["stimulus"]), _names(m["inhibitor"])
        data = m["data"]
        assert inh[0] == "DMSO", f"{line}: inhibitor 0 is {inh[0]!r}, not the DMSO vehicle"
        for drug, label in INHIBITORS.items():
            for ab, readout in ANTIBODIES.items():
                if ab not in prot:
                    continue
                for t in TIMES:
                    p, ti, ii, i0 = prot.index(ab), times.index(t), inh.index(drug), 0
                    ratios = {}
                    for si, s in enumerate(stim):
                        a, b = data[p, ti, si, ii, :], data[p, ti, si, i0, :]
                        if np.isfinite(a).any() and np.isfinite(b).any():
                            ratios[s] = float(2 ** (np.nanmean(a) - np.nanmean(b)))
                    if not ratios:
                        continue
                    r = np.array(list(ratios.values()))
                    med = float(np.median(r))
                    span = [round(float(r.min()), 3), round(float(r.max()), 3)]
                    serum = round(ratios["Serum"], 3) if "Serum" in ratios else None
                    out.append(
                        {
                            "id": f"hill2017_{line}_{drug}_{ab}_{t}".lower(),
                            "readout": readout,
                            "antibody": ab,
                            "drug": label,
                            "concentration": "not in the data files (see the paper's methods)",
                            "cell_line": line,
                            "time_h": HOURS[t],
                            "time_note": "time after ligand stimulation; the inhibitor was "
                            "added before stimulation (t = 0 is after the pre-incubation)",
                            "fold_change_vs_vehicle": round(med, 3),
                            "fold_change_method": "derived here: median over stimuli of "
                            "2^(mean log2 inhibitor - mean log2 DMSO) at the same time and "
                            "stimulus (scripts/extract_hill2017.py)",
                            "range_over_stimuli": span,
                            "n_stimuli": len(ratios),
                            "serum_stimulus": serum,
                            "kind": "quantitative",
                            "assay": "reverse-phase protein array (log2, RPPA compresses "
                            "dynamic range: folds are conservative)",
                            "verified": True,
                            "source": dict(SOURCE, path=f"data/{line}_log2_complete.mat"),
                            "snippet": f"computed from data: {line} {drug} {ab} t={t}: median "
                            f"{med:.3f} over {len(ratios)} stimuli (range "
                            f"{r.min():.3f}-{r.max():.3f})",
                        }
                    )
    return out


def main(git_dir: Path, out: Path = OUT) -> int:
    header = (
        "# RESEARCH NOTE - not read by the mtorsim package or its tests.\n"
        "# Made by scripts/extract_hill2017.py from the authors' data files (see its "
        "docstring);\n# do not edit by hand.\n"
    )
    body = yaml.safe_dump({"values": values(git_dir)}, sort_keys=False, width=100)
    out.write_text(header + body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
