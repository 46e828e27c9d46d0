"""Scale-out benchmark: BOLERO-2 at N = 10^3 ... 10^6 virtual patients on a Dask
LocalCluster (2 single-threaded workers), columnar (each worker writes its chunks as
Parquet), with wall time, time per patient and peak memory of the client and of each
worker.  Each N runs in a fresh process and a fresh cluster, so the peaks are its own.

    python benchmarks/scale.py                 # 1e3 1e4 1e5 1e6 (the last takes ~1 h here)
    python benchmarks/scale.py 1000 10000      # chosen sizes
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(n: int) -> dict[str, float]:
    from mtorsim.trials.execution import DaskEngine
    from mtorsim.trials.run import run_trial

    with tempfile.TemporaryDirectory() as d, DaskEngine(workers=2) as eng:
        t0 = time.perf_counter()
        r = run_trial(
            "bolero-2", n_patients=n, seed=11, engine=eng, checkpoint_dir=Path(d), columnar=True
        )
        wall = time.perf_counter() - t0
        peaks = eng.client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return {
        "n": n,
        "wall_s": wall,
        "ms_per_patient": 1e3 * wall / n,
        "client_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mb": max(peaks.values()) / 1024,
        "hr": r.comparison.hazard_ratio if r.comparison else float("nan"),
        "patients": len(r.patients),
    }


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(
            f"N = {n:>8}: {r['wall_s']:8.1f} s, {r['ms_per_patient']:6.2f} ms/patient, "
            f"client peak {r['client_peak_mb']:6.0f} MB, "
            f"worker peak {r['worker_peak_mb']:5.0f} MB, "
            f"HR {r['hr']:.3f}",
            flush=True,
        )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(
            f"time ratio N={b['n']} / N={a['n']}: {b['wall_s'] / a['wall_s']:.1f} "
            f"(linear: {b['n'] / a['n']:.0f}); worker peak ratio "
            f"{b['worker_peak_mb'] / a['worker_peak_mb']:.2f}"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]))))
    else:
        main([int(float(x)) for x in sys.argv[1:]] or [1000, 10_000, 100_000, 1_000_000])
