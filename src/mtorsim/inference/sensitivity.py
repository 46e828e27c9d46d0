"""Global sensitivity of a trial's hazard ratio (SALib, Morris elementary effects).

Factors: the calibrated tumour medians and their CVs, the new-lesion hazard, the baseline
tumour size, the weight of the endocrine-resistant context and the PIK3CA-mutation
prevalence, each over a stated range around its default.  Each Morris run simulates the
whole trial (same seed for all runs: common random numbers).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.inference.results import SensitivityResult, SensitivityRow
from mtorsim.pathway.build import model_hash
from mtorsim.response.cells import CellResponseModel
from mtorsim.trials.design import Design, load_design
from mtorsim.trials.run import DEFAULT_SEED, run_trial
from mtorsim.tumour.model import PopulationTumour, load_tumour_population

_MEDIANS = ("growth_rate_per_day", "effect_scale", "resistance_rate_per_day")

#: factor -> (low, high) as multiples of the default (assumed: +/- a factor of about 2,
#: proportions within [0, 1])
FACTORS: dict[str, tuple[float, float]] = {
    "growth_rate_per_day.median": (0.5, 2.0),
    "effect_scale.median": (0.5, 2.0),
    "resistance_rate_per_day.median": (0.5, 2.0),
    "growth_rate_per_day.cv": (0.5, 1.5),
    "effect_scale.cv": (0.5, 1.5),
    "resistance_rate_per_day.cv": (0.5, 1.5),
    "new_lesion_hazard_per_day.median": (0.25, 4.0),
    "baseline_sld.median": (0.5, 2.0),
    "resistant_context.weight": (0.5, 1.3),
    "PIK3CA_mutation.prevalence": (0.5, 1.5),
}


def _apply(d: Design, t: PopulationTumour, x: dict[str, float]) -> tuple[Design, PopulationTumour]:
    tu: dict[str, Any] = {}
    for key, mult in x.items():
        name, attr = key.split(".")
        if hasattr(t, name):
            dist = tu.get(name, getattr(t, name))
            tu[name] = dist.model_copy(update={attr: getattr(dist, attr) * mult})
    t2 = t.model_copy(update=tu)
    pop = d.population
    sld = pop.baseline_sld_mm.model_copy(
        update={"median": pop.baseline_sld_mm.median * x.get("baseline_sld.median", 1.0)}
    )
    contexts = list(pop.contexts)
    if contexts and "resistant_context.weight" in x:
        w0 = contexts[0].weight
        v = min(1.0, w0.value * x["resistant_context.weight"])
        contexts[0] = contexts[0].model_copy(update={"weight": w0.model_copy(update={"value": v})})
    genotypes = []
    for g in pop.genotypes:
        if g.name == "PIK3CA mutation" and "PIK3CA_mutation.prevalence" in x:
            p = min(1.0, g.prevalence.value * x["PIK3CA_mutation.prevalence"])
            g = g.model_copy(update={"prevalence": g.prevalence.model_copy(update={"value": p})})
        genotypes.append(g)
    pop2 = pop.model_copy(
        update={"baseline_sld_mm": sld, "contexts": contexts, "genotypes": genotypes}
    )
    return d.model_copy(update={"population": pop2}), t2


def morris_hr(
    design: str = "bolero-2",
    trajectories: int = 6,
    n_patients: int = 300,
    seed: int = DEFAULT_SEED,
    levels: int = 4,
    progress: Callable[[int, int], None] | None = None,
    tumour: PopulationTumour | None = None,
    model: CellResponseModel | None = None,
    calibration: str | None = None,
) -> SensitivityResult:
    """Morris mu* and sigma of the hazard ratio for each factor, ranked by mu*."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    if trajectories < 1 or n_patients < 20 or levels < 2:
        raise MtorsimError(
            f"Morris needs >= 1 trajectory, >= 20 patients and >= 2 levels (got {trajectories}, "
            f"{n_patients}, {levels})"
        )
    d0 = load_design(design)
    t0 = tumour if tumour is not None else load_tumour_population()
    names = list(FACTORS)
    problem = {"num_vars": len(names), "names": names, "bounds": [list(FACTORS[k]) for k in names]}
    X = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    model = model if model is not None else CellResponseModel()
    y = np.empty(len(X))
    for i, row in enumerate(X):
        d, t = _apply(d0, t0, dict(zip(names, row, strict=True)))
        c = run_trial(d, n_patients, seed, tumour=t, model=model).comparison
        y[i] = c.hazard_ratio if c is not None and c.hazard_ratio is not None else np.nan
        if progress:
            progress(i + 1, len(X))
    if not np.all(np.isfinite(y)):
        raise MtorsimError(
            f"{design}: some Morris runs gave no hazard ratio (no events); use more patients"
        )
    with warnings.catch_warnings():  # one trajectory: sigma is undefined (reported as None)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = morris_analyze.analyze(problem, X, y, num_levels=levels, seed=seed)
    ranking = [
        SensitivityRow(
            factor=k,
            mu_star=float(ms),
            sigma=float(sg) if np.isfinite(sg) else None,
            low=FACTORS[k][0],
            high=FACTORS[k][1],
        )
        for k, ms, sg in zip(names, res["mu_star"], res["sigma"], strict=True)
    ]
    ranking.sort(key=lambda r: -r.mu_star)
    return SensitivityResult(
        design=d0.id,
        output="hazard ratio",
        method="Morris elementary effects (SALib)",
        trajectories=trajectories,
        runs=len(X),
        n_patients=n_patients,
        seed=seed,
        ranking=ranking,
        provenance={
            "mtorsim_version": __version__,
            "model_hash": model_hash(),
            "calibration": calibration or "shipped (tumour/data/tumour.yaml)",
            "tumour_medians": {k: getattr(t0, k).median for k in _MEDIANS},
            "pathway_parameters": dict(model.sim.parameters),
        },
    )
