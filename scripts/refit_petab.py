"""Re-fit the readout problem from its exported PEtab files alone and compare the optimum
with the shipped record.

    python scripts/refit_petab.py [OUT_DIR]

Exports ``pathway-readouts`` at the calibration set's starts (``mtorsim pathway petab
--problem pathway-readouts --start``), builds pyPESTO's RoadRunner objective from the files,
and runs scipy's bounded Powell (the record's optimiser and evaluation budget) from the
start point of the record's best start.  Prints the PEtab objective at the record's optimum
and at the re-fit's, their difference, and the largest parameter difference in decades.
"""

from __future__ import annotations

import sys

import numpy as np


def main(out_dir: str | None = None) -> int:
    import pypesto.optimize

    from mtorsim.inference import load_calibration, load_calibration_set
    from mtorsim.inference.petab_readouts import build_readout_petab, petab_objective

    record = load_calibration("pathway-readouts")
    problem = load_calibration_set().problem("pathway-readouts")
    tables = build_readout_petab()
    if out_dir:
        tables.write(out_dir)
    pp, _ = petab_objective(tables)
    best = min(record.starts, key=lambda s: s.objective)
    x0 = np.asarray(best.x0)
    pp.set_x_guesses(x0[None, :])
    st = record.settings
    res = pypesto.optimize.minimize(
        pp,
        optimizer=pypesto.optimize.ScipyOptimizer(
            method=str(st["optimizer"]),
            options=dict(st.get("options", {})) | {"maxfev": int(st["max_evals"])},
        ),
        n_starts=1,
        progress_bar=False,
    )
    r = res.optimize_result.list[0]
    x_rec = problem.table.scaled(record.values)
    f_rec = float(pp.objective(x_rec))
    dx = np.abs(np.asarray(r.x)[pp.x_free_indices] - x_rec)
    names = [problem.table.ids[i] for i in np.argsort(-dx)[:3]]
    print(f"start {best.start}: PEtab objective at the start {pp.objective(x0):.4f}")
    print(
        f"PEtab objective at the record's optimum {f_rec:.4f}; at the re-fit {r.fval:.4f} "
        f"({r.n_fval} evaluations); difference {r.fval - f_rec:+.4f}"
    )
    print(
        "largest parameter differences (decades or linear units): "
        + ", ".join(
            f"{n} {d:.3f}" for n, d in zip(names, sorted(dx, reverse=True)[:3], strict=True)
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
