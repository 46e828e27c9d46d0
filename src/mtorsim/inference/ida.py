"""Independent drug action (IDA; Palmer & Sorger 2017 Cell 171:1678) as a baseline.

Under IDA each patient benefits from whichever drug of a combination is better for them,
so the combination's progression-free time is the larger of the monotherapy times.  With
the monotherapy survival functions S_A, S_B and a Gaussian copula with correlation rho
between a patient's responses to the two drugs:

.. math::  S_{A+B}(t) = 1 - C_\\rho(1 - S_A(t), 1 - S_B(t)),

where C_rho is the bivariate normal copula (rho = 0: independent, F_A F_B; rho = 1:
min(F_A, F_B), so S = max(S_A, S_B)).  No interaction term exists: IDA is the null model
against which additivity and synergy in the clinic are judged.

Two baselines are built: one from the model's own simulated monotherapy arms (same
patients), and one from *published* monotherapy medians (``data/monotherapy.yaml``, with
exponential curves), which does not use the model at all; the mechanistic model has to
beat the second to show that its interactions carry information.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mtorsim.inference.calibration_set import calibration_trials
from mtorsim.inference.results import IDAComparison
from mtorsim.knowledge import names as N
from mtorsim.knowledge.base import load_knowledge_base
from mtorsim.knowledge.documents import load_cached
from mtorsim.response.cells import CellResponseModel
from mtorsim.trials.analysis import published_values
from mtorsim.trials.design import Arm, Design
from mtorsim.trials.run import DEFAULT_SEED, run_trial
from mtorsim.tumour.model import PopulationTumour, Setting

#: assumed: moderate positive correlation between a patient's responses to two drugs;
#: Palmer & Sorger 2017 report predictions over a range of correlations
DEFAULT_RHO = 0.3


def copula_cdf(u: np.ndarray, v: np.ndarray, rho: float) -> np.ndarray:
    """Gaussian copula C_rho(u, v), exact at rho = 0 and rho = 1."""
    u, v = np.clip(np.asarray(u, float), 0.0, 1.0), np.clip(np.asarray(v, float), 0.0, 1.0)
    if rho == 0.0:
        return np.asarray(u * v)
    if rho >= 1.0:
        return np.asarray(np.minimum(u, v))
    out = np.zeros(np.broadcast(u, v).shape)
    uu, vv = np.broadcast_arrays(u, v)
    inner = (uu > 0) & (vv > 0) & (uu < 1) & (vv < 1)
    out[(uu >= 1)] = vv[(uu >= 1)]
    out[(vv >= 1)] = uu[(vv >= 1)]
    if inner.any():
        from scipy.stats import multivariate_normal, norm  # ~1 s to import: only here

        z = np.column_stack([norm.ppf(uu[inner]), norm.ppf(vv[inner])])
        out[inner] = multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf(z)
    return out


def ida_survival(s_a: np.ndarray, s_b: np.ndarray, rho: float = DEFAULT_RHO) -> np.ndarray:
    """Combination survival on a common time grid from the monotherapy survivals."""
    return 1.0 - copula_cdf(1.0 - np.asarray(s_a), 1.0 - np.asarray(s_b), rho)


def km_on_grid(months: np.ndarray, events: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Kaplan-Meier survival (lifelines) evaluated on ``grid`` (right-continuous steps)."""
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(np.asarray(months, float), np.asarray(events, bool))
    return np.asarray(kmf.survival_function_at_times(grid), float)


def median_of(grid: np.ndarray, surv: np.ndarray) -> float | None:
    """First grid time where survival falls to 0.5 or below (None if never)."""
    hit = np.nonzero(np.asarray(surv) <= 0.5)[0]
    return float(grid[hit[0]]) if hit.size else None


def exponential_ida_median(median_a: float, median_b: float, rho: float) -> float:
    """Closed form check: IDA median of two exponential monotherapies (rho 0 or 1)."""
    from scipy.optimize import brentq

    la, lb = math.log(2) / median_a, math.log(2) / median_b
    if rho >= 1.0:
        return max(median_a, median_b)
    if rho != 0.0:
        raise ValueError("closed form only for rho = 0 or 1")
    return float(
        brentq(
            lambda t: math.exp(-la * t) + math.exp(-lb * t) - math.exp(-(la + lb) * t) - 0.5,
            1e-9,
            100 * max(median_a, median_b),
        )
    )


# ---------------------------------------------------------------------- published inputs
class Monotherapy(BaseModel):
    """One drug's published single-agent median PFS/TTP and the settings it is used for."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    drug: str
    settings: list[Setting] = Field(min_length=1)
    median_pfs_months: float = Field(gt=0, lt=1000, allow_inf_nan=False)
    source: str = Field(min_length=3)
    note: str = ""


class MonotherapyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    format_version: str
    entries: list[Monotherapy]


def monotherapy_path() -> Path:
    return Path(str(resources.files("mtorsim.inference") / "data" / "monotherapy.yaml"))


def published_monotherapy(drug: str, setting: str) -> Monotherapy | None:
    """The published monotherapy entry of ``drug`` (any name the knowledge base knows)
    for ``setting``, or None."""
    kb = load_knowledge_base()
    want = kb.agent(drug).id
    for e in load_cached(monotherapy_path(), MonotherapyFile, "1.0").entries:
        if kb.agent(e.drug).id == want and setting in e.settings:
            return e
    return None


def exponential_ida_survival(
    medians: tuple[float, float], grid: np.ndarray, rho: float = DEFAULT_RHO
) -> np.ndarray:
    """IDA survival of two exponential monotherapies with the given medians (months)."""
    s = [np.exp(-math.log(2.0) * grid / m) for m in medians]
    return ida_survival(s[0], s[1], rho)


# ---------------------------------------------------------------------- against a trial
def _monotherapy(d: Design, arm: Arm, dose_index: int, n: int) -> Design:
    dose = arm.doses[dose_index]
    mono = Arm(id=f"{arm.id}-mono-{dose_index + 1}", label=f"{dose.drug} alone", doses=[dose])
    return d.model_copy(
        update={
            "arms": [mono],
            "experimental": None,
            "control": None,
            "comparisons": [],
            "n_patients": n,
            "published": None,
        }
    )


def ida_comparison(
    d: Design,
    n_patients: int | None = None,
    seed: int = DEFAULT_SEED,
    rho: float = DEFAULT_RHO,
    tumour: PopulationTumour | None = None,
    model: CellResponseModel | None = None,
) -> IDAComparison:
    """Median PFS of the combination arm: mechanistic simulation, IDA from simulated
    monotherapy arms (the same seeded patients, strata and prognostic effects included),
    and the published value.  ``n_patients`` defaults to the design's N but at least 200
    (assumed: enough for a stable Kaplan-Meier median of each arm); survival curves are
    compared on a 2000-point grid (assumed: finer than any visit interval)."""
    model = model if model is not None else CellResponseModel()
    arm = d.arm(d.experimental) if d.experimental else d.arms[0]
    out = IDAComparison(
        design=d.id, arm=arm.id, rho=rho, calibration_trial=d.id in calibration_trials()
    )
    if len(arm.doses) != 2:
        out.note = f"IDA computed for two-drug arms only ({len(arm.doses)} drugs)"
        return out
    n = n_patients or max(200, d.n_patients)
    combo = run_trial(d, n, seed, tumour=tumour, model=model)
    f = combo.patients[combo.patients[N.ARM] == arm.id]
    horizon = float(combo.patients[N.PFS_MONTHS].max())
    grid = np.linspace(0.0, horizon, 2000)
    survs = []
    for i, dose in enumerate(arm.doses):
        m = run_trial(_monotherapy(d, arm, i, n), n, seed, tumour=tumour, model=model).patients
        s = km_on_grid(m[N.PFS_MONTHS], m[N.EVENT], grid)
        survs.append(s)
        out.monotherapy_median_months[dose.drug] = median_of(grid, s)
    out.ida_median_months = median_of(grid, ida_survival(survs[0], survs[1], rho))
    out.mechanistic_median_months = median_of(grid, km_on_grid(f[N.PFS_MONTHS], f[N.EVENT], grid))
    pub = published_values(d).arm(arm.id, N.PFS_MEDIAN)
    if pub is not None and isinstance(pub.value, int | float):
        out.published_median_months = float(pub.value)
    entries = [published_monotherapy(dose.drug, d.setting) for dose in arm.doses]
    if all(e is not None for e in entries):
        meds = tuple(e.median_pfs_months for e in entries if e is not None)
        out.published_monotherapy = {
            dose.drug: e.model_dump()
            for dose, e in zip(arm.doses, entries, strict=True)
            if e is not None
        }
        # grid to 20 medians in 20,000 steps, 0.1% of a median (assumed: finer than any visit)
        fine = np.linspace(0.0, 20.0 * max(meds), 20_000)
        out.ida_published_median_months = median_of(
            fine, exponential_ida_survival((meds[0], meds[1]), fine, rho)
        )
    return out
