"""Write a trial calibration record's fitted values into tumour/data/tumour.yaml.

A text edit that keeps the file's comments: each fitted parameter's value and source are
replaced where the parameter lives.  Run by a developer after `mtorsim calibrate PROBLEM
--out src/mtorsim/inference/data/calibrations/PROBLEM.json`; a test keeps the shipped
records and tumour.yaml equal.

    python scripts/apply_tumour_record.py src/mtorsim/inference/data/calibrations/clinical.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

TUMOUR = Path(__file__).resolve().parents[1] / "src/mtorsim/tumour/data/tumour.yaml"


def apply(record: Path, path: Path = TUMOUR) -> None:
    rec = json.loads(record.read_text(encoding="utf-8"))
    problem = rec["problem"]
    label = (
        f"calibrated: {problem} calibration set (inference/data/calibration_set.yaml; "
        f"record inference/data/calibrations/{problem}.json)"
    )
    s = path.read_text(encoding="utf-8")
    for p in rec["parameters"]:
        pid = p["id"].removeprefix("tumour.")
        v = repr(float(p["fitted"]))
        parts = pid.split(".")
        if len(parts) == 1 and parts[0] == "endocrine_restoration":
            pat = r"(^endocrine_restoration: \{value: )([^,]+)(, source: )\"[^\"]*\""
        elif len(parts) == 1:  # a median block
            pat = rf"(^{parts[0]}:\n  median: )([^\n]+)(\n  cv: [^\n]+\n  source: )\"[^\"]*\""
        elif parts[0] == "classes":
            pat = (
                rf"(^  {parts[1]}:\n(?:    [^\n]*\n)*?    {parts[2]}: \{{value: )([^,]+)"
                r"(, source: )\"[^\"]*\""
            )
        elif parts[0] == "endocrine_sensitivity":
            pat = rf"(^  {parts[1]}: \{{value: )([^,]+)(, source: )\"[^\"]*\""
        else:  # settings.<setting>.<field>
            pat = (
                rf"(^  {parts[1]}:\n(?:    [^\n]*\n)*?    {parts[2]}: \{{value: )([^,]+)"
                r"(, source: )\"[^\"]*\""
            )

        def put(m: re.Match[str], v: str = v) -> str:
            return m.group(1) + v + m.group(3) + '"' + label + '"'

        s, n = re.subn(pat, put, s, flags=re.M)
        if n != 1:
            raise SystemExit(f"{pid}: found {n} places in {path}")
    path.write_text(s, encoding="utf-8")
    print(f"wrote {len(rec['parameters'])} values of {record} into {path}")


if __name__ == "__main__":
    apply(Path(sys.argv[1]))
