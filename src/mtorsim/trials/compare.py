"""Biomarker subgroups and the independent-drug-action comparison of a trial."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mtorsim.response.cells import CellResponseModel
from mtorsim.trials.design import Arm, Design
from mtorsim.trials.ida import DEFAULT_RHO, ida_survival, km_on_grid, median_of
from mtorsim.trials.run import DEFAULT_SEED, TrialResult, published_values, run_trial
from mtorsim.trials.stats import cox_hazard_ratio
from mtorsim.tumour.model import PopulationTumour

#: dose-intensity split of the experimental arm (mg/day): the review's BOLERO-2 analysis
#: (knowledge base outcomes bolero-2.dose-intensity.pfs.hr.lt-7.5 / .ge-7.5)
DOSE_SPLITS_MG_DAY = {"everolimus": 7.5}


def subgroups(result: TrialResult) -> list[dict[str, Any]]:
    """HR (experimental vs control) with 95% CI in each genotype and context subgroup, and
    by the experimental arm's dose intensity (those patients vs the whole control arm)."""
    d, f = result.design, result.patients
    if not (d.experimental and d.control):
        return []
    groups: list[tuple[str, pd.Series]] = [("all patients", pd.Series(True, index=f.index))]
    control = f["arm"] == d.control
    for agent, cut in DOSE_SPLITS_MG_DAY.items():
        col = f"dose_intensity_mg_day:{agent}"
        if col in f:
            di = f[col].astype(float)
            exp = f["arm"] == d.experimental
            groups += [
                (f"{agent} dose intensity < {cut:g} mg/day", control | (exp & (di < cut))),
                (f"{agent} dose intensity >= {cut:g} mg/day", control | (exp & (di >= cut))),
            ]
    for g in d.population.genotypes:
        col = f"genotype:{g.name}"
        groups += [(f"{g.name}: yes", f[col].astype(bool)), (f"{g.name}: no", ~f[col].astype(bool))]
    for ctx in sorted(f["context"].unique()):
        groups.append((f"context {ctx}", f["context"] == ctx))
    strata = [f"stratum:{s.name}" for s in d.stratification]
    out = []
    for name, mask in groups:
        sub = f[mask]
        n_e = int((sub["arm"] == d.experimental).sum())
        n_c = int((sub["arm"] == d.control).sum())
        row: dict[str, Any] = {"subgroup": name, "n_experimental": n_e, "n_control": n_c}
        if min(n_e, n_c) >= 10 and sub["event"].sum() >= 10:
            row |= cox_hazard_ratio(sub, d.experimental, d.control, strata)
        out.append(row)
    return out


def _monotherapy(d: Design, arm: Arm, dose_index: int, n: int) -> Design:
    dose = arm.doses[dose_index]
    mono = Arm(id=f"{dose.drug}-alone", label=f"{dose.drug} alone", doses=[dose])
    return d.model_copy(
        update={
            "arms": [mono],
            "experimental": None,
            "control": None,
            "n_patients": n,
            "stratification": [],
        }
    )


def ida_comparison(
    d: Design,
    n_patients: int | None = None,
    seed: int = DEFAULT_SEED,
    rho: float = DEFAULT_RHO,
    tumour: PopulationTumour | None = None,
    model: CellResponseModel | None = None,
) -> dict[str, Any]:
    """Median PFS of the combination arm: mechanistic simulation, IDA from simulated
    monotherapy arms, and the published value; which prediction is closer."""
    model = model if model is not None else CellResponseModel()
    arm = d.arm(d.experimental) if d.experimental else d.arms[0]
    out: dict[str, Any] = {"design": d.id, "arm": arm.id, "rho": rho}
    if len(arm.doses) != 2:
        out["note"] = f"IDA computed for two-drug arms only ({len(arm.doses)} drugs)"
        return out
    n = n_patients or max(200, d.n_patients)
    combo = run_trial(d, n, seed, tumour=tumour, model=model)
    f = combo.patients[combo.patients["arm"] == arm.id]
    horizon = float(combo.patients["pfs_months"].max())
    grid = np.linspace(0.0, horizon, 2000)
    survs, medians = [], {}
    for i, dose in enumerate(arm.doses):
        m = run_trial(_monotherapy(d, arm, i, n), n, seed, tumour=tumour, model=model).patients
        s = km_on_grid(m["pfs_months"], m["event"], grid)
        survs.append(s)
        medians[dose.drug] = median_of(grid, s)
    ida = median_of(grid, ida_survival(survs[0], survs[1], rho))
    mech = median_of(grid, km_on_grid(f["pfs_months"], f["event"], grid))
    pub = published_values(d).get("arms", {}).get(arm.id, {}).get("pfs_median")
    out |= {
        "monotherapy_median_months": medians,
        "ida_median_months": ida,
        "mechanistic_median_months": mech,
        "published_median_months": None if pub is None else pub["value"],
    }
    if pub is not None and ida is not None and mech is not None:
        out["closer"] = (
            "mechanistic" if abs(mech - pub["value"]) < abs(ida - pub["value"]) else "IDA"
        )
    return out
