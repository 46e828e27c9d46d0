"""Write the fitted values of a cell-lines calibration record into the files a human edits.

    python scripts/apply_cell_line_record.py src/mtorsim/inference/data/calibrations/cell-lines.json

* ``context.<LINE>.tau_tr`` -> ``pathway/contexts/<LINE>.yaml`` parameter ``tau_tr`` (and
  the derived states that inherit it: BT474_TR from BT474, MCF7_LTED from MCF7);
* ``context.<LINE>.cytotoxic_sensitivity`` -> the context's ``cytotoxic_sensitivity``;
* ``cytotoxic.<agent>.ec50_nM`` -> ``response/data/cytotoxics.yaml``.

A test keeps the shipped record and these files equal.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "mtorsim"
#: derived contexts that inherit their parent line's fitted values
DERIVED = {"BT474": ["BT474_TR"], "MCF7": ["MCF7_LTED"]}


def _set_context(name: str, key: str, value: float, source: str) -> None:
    path = ROOT / "pathway" / "contexts" / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    line_param = f'  {key}: {{value: {value:g}, source: "{source}"}}\n'
    line_top = f'{key}: {{value: {value:g}, source: "{source}"}}\n'
    if key == "tau_tr":
        pat = re.compile(r"^  tau_tr: .*\n", re.M)
        if pat.search(text):
            text = pat.sub(line_param, text)
        else:
            text = re.sub(
                r"^parameters:\n", "parameters:\n" + line_param, text, count=1, flags=re.M
            )
    else:
        pat = re.compile(rf"^{key}: .*\n", re.M)
        text = pat.sub(line_top, text) if pat.search(text) else text + line_top
    path.write_text(text, encoding="utf-8")


def main(record_path: str) -> int:
    rec = json.loads(Path(record_path).read_text(encoding="utf-8"))
    if rec["problem"] != "cell-lines":
        print(f"{record_path} is a record of {rec['problem']}, not cell-lines", file=sys.stderr)
        return 2
    cyto = ROOT / "response" / "data" / "cytotoxics.yaml"
    cyto_text = cyto.read_text(encoding="utf-8")
    for p in rec["parameters"]:
        kind, who, name = p["id"].split(".")
        v = float(p["fitted"])
        if kind == "context":
            what = "tau_tr" if name == "tau_tr" else "cytotoxic_sensitivity"
            for ctx in [who, *DERIVED.get(who, [])]:
                src = (
                    f"calibrated: cell-lines problem, measured ICBP GI50s of {who} "
                    "(Heiser 2012 PNAS 109:2724); record "
                    "inference/data/calibrations/cell-lines.json"
                )
                if ctx != who:
                    src = (
                        f"inherited from the parent line {who} (assumed: unchanged by the "
                        f"derived state), whose value is {src}"
                    )
                _set_context(ctx, what, v, src)
        else:
            src = (
                f"calibrated: cell-lines problem, {who} kill EC50 in MCF7 (reference line) fitted "
                "to measured ICBP GI50s of six lines (Heiser 2012 PNAS 109:2724); record "
                "inference/data/calibrations/cell-lines.json"
            )
            pat = re.compile(rf"(^  {re.escape(who)}:\n    ec50_nM: )\{{[^\n]*\}}", re.M)
            if not pat.search(cyto_text):
                print(f"cytotoxics.yaml has no ec50_nM line for {who}", file=sys.stderr)
                return 1
            new = f'{{value: {v:g}, source: "{src}"}}'
            cyto_text = pat.sub(lambda m, new=new: m.group(1) + new, cyto_text)
    cyto.write_text(cyto_text, encoding="utf-8")
    print(f"applied {len(rec['parameters'])} values from {record_path}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
