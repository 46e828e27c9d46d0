"""Recompute a shipped trial calibration record's uncertainty at its own fit.

Used when the ensemble sampler changes (not the fit): the record's objective is first
reproduced with the current model, then the Jacobian, SDs and ensemble are made again.

    python scripts/redraw_ensemble.py src/mtorsim/inference/data/calibrations/clinical.json
"""

from __future__ import annotations

import sys
from pathlib import Path

from mtorsim.inference.results import CalibrationResult
from mtorsim.inference.uncertainty import redraw_ensemble


def main(path: Path) -> None:
    result = CalibrationResult.load(path)
    new = redraw_ensemble(result, progress=print)
    new.save(path)
    for a, b in zip(result.parameters, new.parameters, strict=True):
        print(f"{a.id:48s} sd {a.sd_scaled} -> {b.sd_scaled}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
