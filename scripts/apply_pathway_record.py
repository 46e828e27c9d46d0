"""Write the fitted values of a pathway calibration record (``pathway-readouts`` or
``pathway-checklist``) into the model source, and ship the record.

    python scripts/apply_pathway_record.py mtorsim-out/calibration/pathway-readouts.json
    python scripts/apply_pathway_record.py --rescore RECORD   # readout record, see below

* a model parameter -> its line in ``pathway/models/mtor_network.ant`` (value only; the
  provenance label stays as written); a parameter the file does not set once is an error;
* experiment parameters (``hill2017.*``: effective doses, dactolisib's p110alpha potency
  in that experiment, RPPA compression) live only in the record.

The record is copied to ``inference/data/calibrations/<problem>.json``; tests keep it
and these files equal.  With ``--rescore`` a ``pathway-readouts`` record's objective and fit
rows are first recomputed at its own values with the sources as they are (after the
checklist-only parameters were refitted); the values are not re-optimised and the record's
provenance says so.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "mtorsim"
MODEL = ROOT / "pathway" / "models" / "mtor_network.ant"


def main(record_path: str, rescore: bool = False) -> int:
    rec = json.loads(Path(record_path).read_text(encoding="utf-8"))
    if rescore:
        from mtorsim.inference.readout_calibration import rescore_readouts
        from mtorsim.inference.results import CalibrationResult

        if rec["problem"] != "pathway-readouts":
            print("--rescore is for pathway-readouts records", file=sys.stderr)
            return 2
        new = rescore_readouts(CalibrationResult.load(record_path))
        print(new.provenance["rescored"])
        new.save(record_path)
        rec = json.loads(Path(record_path).read_text(encoding="utf-8"))
    if rec["problem"] not in ("pathway-readouts", "pathway-checklist"):
        print(f"{record_path} is a record of {rec['problem']}", file=sys.stderr)
        return 2
    model = MODEL.read_text(encoding="utf-8")
    for p in rec["parameters"]:
        pid, v = p["id"], float(p["fitted"])
        if pid.startswith("hill2017."):
            continue
        pat = re.compile(rf"^(\s*{re.escape(pid)} = )([0-9.eE+-]+)(;)", re.M)
        model, n = pat.subn(lambda m, v=v: f"{m.group(1)}{v:.4g}{m.group(3)}", model)
        if n != 1:
            raise SystemExit(f"{MODEL}: no single line sets {pid}")
    MODEL.write_text(model, encoding="utf-8")
    dest = ROOT / "inference" / "data" / "calibrations" / f"{rec['problem']}.json"
    if Path(record_path).resolve() != dest.resolve():
        shutil.copyfile(record_path, dest)
    print(f"wrote {MODEL.name} and {dest.name}")
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--rescore"]
    if len(args) != 1:
        raise SystemExit(__doc__)
    sys.exit(main(args[0], rescore="--rescore" in sys.argv[1:]))
