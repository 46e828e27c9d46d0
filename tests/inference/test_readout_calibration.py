"""The network's calibration to measured readouts (problem pathway-readouts): objective,
shipped record, sources in step, and recovery of known parameters from synthetic data."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mtorsim.errors import MtorsimError
from mtorsim.inference import load_calibration, load_calibration_set
from mtorsim.inference.readout_calibration import (
    BEZ_PI3K,
    EXPERIMENT,
    ReadoutObjective,
    calibrate_readouts,
    check_parameter_ids,
)
from mtorsim.inference.readout_validation import READOUT_MAP
from mtorsim.pathway.build import model_source, parameter_values

pytest.importorskip("pypesto")


@pytest.fixture(scope="module")
def problem():  # type: ignore[no-untyped-def]
    return load_calibration_set().problem("pathway-readouts")


@pytest.fixture(scope="module")
def record():  # type: ignore[no-untyped-def]
    return load_calibration("pathway-readouts")


def _objective(problem, record) -> ReadoutObjective:  # type: ignore[no-untyped-def]
    st = record.settings
    return ReadoutObjective(problem, float(st["sigma_log2"]), float(st["prior_sd_log10"]))


def test_sources_hold_the_record_values(record) -> None:  # type: ignore[no-untyped-def]
    """The model source holds exactly the fitted network values of the record; the
    experiment's parameters stay out of the package (the knowledge base keeps dactolisib's
    biochemical p110alpha IC50 of ref 33, whatever this experiment's fit says)."""
    from mtorsim.knowledge.base import load_knowledge_base

    model = parameter_values()
    for k, v in record.values.items():
        if not k.startswith(EXPERIMENT):
            assert model[k] == v, k
        else:
            assert k not in model
    pi3k = next(t for t in load_knowledge_base().agent("nvp-bez235").targets if t.node == "PI3K")
    assert pi3k.potency_nM == 4 and "ref 33" in pi3k.potency_source
    assert BEZ_PI3K in record.values


def test_unknown_parameter_ids_are_refused(problem) -> None:  # type: ignore[no-untyped-def]
    bad = problem.model_copy(
        update={
            "parameters": [
                *problem.parameters,
                problem.parameters[0].model_copy(update={"id": "hill2017.dose.azd8055_uM"}),
            ]
        }
    )
    with pytest.raises(MtorsimError, match=r"calibration_set\.yaml.*hill2017\.dose\.azd8055_uM"):
        check_parameter_ids(bad)


def test_calibrated_labels_name_their_problem(problem) -> None:  # type: ignore[no-untyped-def]
    """Every model parameter labelled [calibrated: Hill 2017 ...] is free in this problem,
    every one labelled [calibrated: check ...] in the checklist problem, and nothing else
    is labelled calibrated (one list of what is fitted)."""
    src = model_source()
    hill = set(re.findall(r"^\s*(\w+)\s*=.*\[calibrated: Hill 2017", src, re.MULTILINE))
    check = set(re.findall(r"^\s*(\w+)\s*=.*\[calibrated: check", src, re.MULTILINE))
    every = set(re.findall(r"^\s*(\w+)\s*=.*\[calibrated", src, re.MULTILINE))
    free = {i for i in problem.table.ids if not i.startswith(EXPERIMENT)}
    assert hill == free and len(free) == 18
    assert check == set(load_calibration_set().problem("pathway-checklist").table.ids)
    assert every == hill | check and not hill & check


def test_record_objective_is_reproduced(problem, record) -> None:  # type: ignore[no-untyped-def]
    j = _objective(problem, record)
    x = problem.table.scaled(record.values)
    assert j(x) == pytest.approx(record.objective, rel=1e-6)
    assert record.objective < record.objective_start
    for row in record.fit:
        assert row.fitted_value is not None and row.fitted_value > 0


def test_objective_is_the_closed_form_likelihood(problem, record) -> None:  # type: ignore[no-untyped-def]
    """J = 1/2 sum(((gamma log2 fold - log2 y) / sigma)^2) + prior, recomputed from the
    validation rows (the ordinary drug path through agents.yaml, a 1-min grid) to 1e-3."""
    from mtorsim.inference.readout_validation import validate_readouts

    v = validate_readouts()
    st = record.settings
    nll = 0.5 * sum(
        ((math.log2(r.simulated) - math.log2(r.measured)) / st["sigma_log2"]) ** 2 for r in v.rows
    )
    j = _objective(problem, record)
    x = problem.table.scaled(record.values)
    prior = 0.5 * float(np.sum(((x - j.log_start)[j.prior_mask] / st["prior_sd_log10"]) ** 2))
    assert j(x) == pytest.approx(nll + prior, rel=1e-3)


def test_known_parameters_are_recovered_from_synthetic_data(problem, record) -> None:  # type: ignore[no-untyped-def]
    """Data made by the model at known values: a fit of two parameters from a start half
    a decade away recovers them (within 5%), the prior switched off."""
    from scipy.optimize import minimize

    j = _objective(problem, record)
    j.prior_mask = np.zeros_like(j.prior_mask)
    truth = dict(record.values)
    values = j.all_values(truth)
    folds = j.predicted(values, j.simulate(values) or [])
    j.rows = [({**r, "fold_change": str(f)}, t) for (r, t), f in zip(j.rows, folds, strict=True)]
    ids = ["hill2017.dose.dactolisib_nM", "k_s473"]
    idx = [problem.table.ids.index(i) for i in ids]
    x_true = problem.table.scaled(truth)

    def f(u: np.ndarray) -> float:
        x = x_true.copy()
        x[idx] = u
        return j(x)

    start = x_true[idx] + np.array([0.5, -0.5])
    res = minimize(f, start, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-10})
    got = 10**res.x
    assert got == pytest.approx(10 ** x_true[idx], rel=0.05)
    assert f(start) > 10 * max(res.fun, 1e-9)


def test_calibration_is_deterministic_and_improves(problem) -> None:  # type: ignore[no-untyped-def]
    a = calibrate_readouts(overrides={"n_starts": 1, "max_evals": 15})
    b = calibrate_readouts(overrides={"n_starts": 1, "max_evals": 15})
    assert a.values == b.values and a.objective == b.objective
    assert a.objective < a.objective_start
    assert a.n_data == 56 and {r.source for r in a.fit} <= {
        r.source for r in load_calibration("pathway-readouts").fit
    }


def test_every_fitted_readout_maps_to_the_model(record) -> None:  # type: ignore[no-untyped-def]
    names = {row.name.split(" ", 1)[1].rsplit(" ", 2)[0] for row in record.fit}
    assert names <= set(READOUT_MAP)


# ---------------------------------------------------------------------- PEtab
def _petab_constant(problem, record) -> float:  # type: ignore[no-untyped-def]
    """PEtab's NLL minus mtorsim's: the normalisation terms mtorsim drops, in closed form
    (log10-normal noise: 1/2 log(2 pi sigma10^2 y^2 ln(10)^2) per datum; a normal prior:
    1/2 log(2 pi sd^2) per network parameter)."""
    st = record.settings
    s10 = st["sigma_log2"] * math.log10(2.0)
    data = sum(
        0.5 * math.log(2 * math.pi * s10**2 * row.target**2 * math.log(10.0) ** 2)  # type: ignore[operator]
        for row in record.fit
    )
    n_prior = sum(1 for r in problem.table.free if not r.id.startswith(EXPERIMENT))
    return data + n_prior * 0.5 * math.log(2 * math.pi * st["prior_sd_log10"] ** 2)


def test_readout_petab_passes_the_linter(problem, record, tmp_path) -> None:  # type: ignore[no-untyped-def]
    petab = pytest.importorskip("petab.v1")
    from mtorsim.inference.petab_readouts import build_readout_petab

    p = petab.Problem.from_yaml(build_readout_petab(values=record.values).write(tmp_path))
    assert not petab.lint_problem(p)
    est = p.parameter_df[p.parameter_df["estimate"] == 1]
    assert sorted(est["parameterName"]) == sorted(record.values)
    assert len(p.measurement_df) == record.n_data == 56


def test_exported_readout_objective_is_mtorsim_objective(problem, record) -> None:  # type: ignore[no-untyped-def]
    """A second engine: pyPESTO's RoadRunner objective on the exported files (event-driven
    drug addition, readout memories, log10 noise, PEtab priors) equals mtorsim's objective
    plus the closed-form normalisation constant, at the fit, at the start and at the
    corner of the box with the slowest relaxations (0.01 absolute: the untreated run is
    long, not an exact steady state)."""
    pytest.importorskip("pypesto.petab")
    from mtorsim.inference.petab_readouts import build_readout_petab, petab_objective

    pp, _ = petab_objective(build_readout_petab(values=record.values))
    j = _objective(problem, record)
    const = _petab_constant(problem, record)
    corner = problem.table.scaled(record.values)
    # the slowest relaxations of the box: IRS-1 turnover and RTK re-expression at bounds
    for pid, bound in (("k_irs_deg", "lower"), ("RTK_half_h", "upper")):
        row = next(r for r in problem.table.free if r.id == pid)
        corner[problem.table.ids.index(pid)] = row.to_scale(getattr(row, bound))
    for x in (problem.table.scaled(record.values), problem.table.nominal_scaled(), corner):
        assert pp.objective(x) == pytest.approx(j(x) + const, abs=0.01)


@pytest.mark.slow
def test_exported_readout_problem_refits_to_the_same_optimum(problem, record) -> None:  # type: ignore[no-untyped-def]
    """Re-fit from the exported files alone (pyPESTO, RoadRunner, scipy Powell) from the
    shipped optimum moved 0.05 decades in every coordinate: it returns to the shipped
    objective within 0.5 (a likelihood-ratio distance far below one parameter's chi2)."""
    pytest.importorskip("pypesto")
    import pypesto.optimize

    from mtorsim.inference.petab_readouts import build_readout_petab, petab_objective

    pp, _ = petab_objective(build_readout_petab(values=record.values))
    x_fit = problem.table.scaled(record.values)
    lb, ub = problem.table.bounds_scaled()
    rng = np.random.default_rng(7)
    x0 = np.clip(x_fit + rng.choice([-0.05, 0.05], size=len(x_fit)), lb, ub)
    pp.set_x_guesses(x0[None, :])
    res = pypesto.optimize.minimize(
        pp,
        optimizer=pypesto.optimize.ScipyOptimizer(method="Powell", options={"maxfev": 3000}),
        n_starts=1,
        progress_bar=False,
    )
    best = res.optimize_result.list[0]
    target = record.objective + _petab_constant(problem, record)
    assert pp.objective(x0) > target + 0.5
    assert best.fval == pytest.approx(target, abs=0.5)
