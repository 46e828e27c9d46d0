"""Seeded calibration of the signalling network's kinetics to measured pathway readouts.

The data are the quantitative MCF-7 rows of the reference table ``pathway_readouts.csv``
that the model can simulate (:func:`~mtorsim.inference.readout_validation.measured_rows`):
today the Hill et al. 2017 RPPA time courses of dactolisib (NVP-BEZ235) and AZD8055
(Cell Systems 4:73, doi:10.1016/j.cels.2016.11.013), 56 values of seven antibodies at 1,
4, 24 and 48 h.  The behaviour checklist is *not* in this objective: checks 2-6, 8, 9 and
12 are validation (:func:`~mtorsim.inference.readout_validation.validate_readouts`).

Observation model (antibody ``a``, drug ``d``, time ``t``)::

    y_adt = (x_a(t; d) / x_a(untreated)) ** gamma  *  2 ** eps,   eps ~ N(0, sigma^2)

with ``sigma`` in log2 units, fixed (the setting ``sigma_log2``, assumed; ``calibrate-readouts``
prints the root-mean-square residual beside it).  The model starts at its untreated
steady state with the drug held from t = 0.  ``gamma`` in [0.5, 1] is the RPPA compression
(assumed bounds), one exponent for all antibodies so that no antibody's discrepancy is
absorbed by a scale of its own.  The data's clock is not the model's: Hill et al. starved
the cells, pre-incubated them with the inhibitor and counted time from ligand stimulation,
so the fitted time constants of the slow feedbacks (IRS-1 turnover, RTK re-expression)
absorb that difference; the data's t = 0 rows are not used.  Each value is a median over
eight stimuli, treated as one independent observation.

Parameters of the experiment, not of the model (ids ``hill2017.*``): the effective
concentration of each drug (not in the data files) and, because only concentration /
potency is identifiable, dactolisib's p110alpha potency with its mTOR potency kept at the
biochemical IC50 (ref 33).  AZD8055, which the model lacks, enters as PP242-equivalent (both
ATP-competitive mTORC1/2 inhibitors).  Nothing of the experiment is written into the
knowledge base.

The objective is the negative log-likelihood plus a normal prior of ``prior_sd_log10``
decades around each network parameter's start (PEtab ``parameterScaleNormal``; the starts
are the model's hand-set values from before any calibration)::

    J = 1/2 sum ((log2 y_sim - log2 y_obs) / sigma)^2
        + 1/2 sum_j ((log10 theta_j - log10 theta0_j) / prior_sd)^2

The checklist-only parameters (``pathway-checklist``) are held at their values here, and
they act on MCF-7 too (``w_amp``, the ER terms through ``w_er_rtk``), so the two problems
are fitted in turn; a record re-scored after the other problem moved says so in its
provenance.  Optimisation is pyPESTO's seeded multistart of scipy's bounded Powell method.
The result is a record; nothing in the package changes (``scripts/apply_pathway_record.py``
writes the values into the model source; tests keep them equal).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.inference.calibration_set import Problem, calibration_set_path, load_calibration_set
from mtorsim.inference.optimize import (
    file_hash,
    minimize,
    parameter_fits,
    pypesto_version,
    require_pypesto,
    start_records,
)
from mtorsim.inference.pathway_calibration import rounded
from mtorsim.inference.readout_validation import DRUG_MAP
from mtorsim.inference.results import CalibrationResult, FitRow
from mtorsim.pathway.build import model_hash, parameter_values
from mtorsim.pathway.simulate import PathwaySimulator, SolverFailure

#: objective where the model has no steady state or the integrator fails
PENALTY = 1e6
#: prefix of the parameters of the experiment (not of the model)
EXPERIMENT = "hill2017."
DOSE, GAMMA = EXPERIMENT + "dose.", EXPERIMENT + "gamma"
#: dactolisib's p110alpha potency in this experiment (nM)
BEZ_PI3K = EXPERIMENT + "bez235_pi3k_potency_nM"
#: reference-table drug (first word) -> (model agent whose slots it takes, dose parameter)
DRUGS: dict[str, tuple[str, str]] = {
    first: (agent, f"{DOSE}{first}_nM") for first, (agent, _why) in DRUG_MAP.items()
}
#: every parameter of the experiment the objective reads
EXPERIMENT_IDS = frozenset({BEZ_PI3K, GAMMA, *(d for _, d in DRUGS.values())})


class ReadoutObjective:
    """J of the module docstring on the scaled parameter vector (picklable: the simulator
    is made on first use in each process)."""

    times_min = np.arange(0.0, 48 * 60.0 + 1, 60.0)

    def __init__(self, problem: Problem, sigma_log2: float, prior_sd_log10: float) -> None:
        from mtorsim.inference.readout_validation import measured_rows
        from mtorsim.knowledge.base import load_knowledge_base
        from mtorsim.pathway.drugs import agent_slots, slot_reference_nM

        self.table = problem.table
        self.fixed = {r.id: r.nominal for r in problem.parameters if not r.estimate}
        self.sigma, self.prior_sd = float(sigma_log2), float(prior_sd_log10)
        self.prior_mask = np.array([not r.id.startswith(EXPERIMENT) for r in self.table.free])
        self.log_start = self.table.nominal_scaled()
        sel = problem.data
        if (
            sel is None
            or sel.table != "pathway_readouts"
            or len(sel.contexts) != 1
            or sel.metrics != ["fold_change"]
            or sel.held_out_datasets
        ):
            raise MtorsimError(
                f"{calibration_set_path()}: problem {problem.id}: data must select the "
                "pathway_readouts table, metrics [fold_change], one context (the fitted "
                "cell line) and no held-out datasets (hold out lines with "
                "held_out_contexts); fix its 'data' entry"
            )
        #: the fitted cell line (the held-out ones, ``sel.held_out_contexts``, are predicted
        #: by validate-readouts and never enter this objective)
        self.context = sel.contexts[0]
        self.rows = [
            (r, t)
            for r, _, t in measured_rows(contexts=sel.contexts, datasets=sel.datasets)
            if r["drug"].split(" ")[0].lower() in DRUGS
        ]
        if not self.rows:
            raise MtorsimError(
                f"no measured readouts of {self.context} in datasets {sel.datasets} to fit "
                "in pathway_readouts.csv"
            )
        kb = load_knowledge_base()
        self.slot_ref = slot_reference_nM()
        self.potency = {a: agent_slots(kb.agent(a)) for a, _ in DRUGS.values()}
        self._sim: PathwaySimulator | None = None

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__ | {"_sim": None}

    @property
    def sim(self) -> PathwaySimulator:
        if self._sim is None:
            self._sim = PathwaySimulator()
        return self._sim

    def all_values(self, free: Mapping[str, float]) -> dict[str, float]:
        return self.fixed | dict(free)

    def slots(self, agent: str, values: Mapping[str, float], nM: float) -> dict[str, float]:
        """The agent's slot concentrations at ``nM`` (dactolisib with this experiment's
        p110alpha potency when it is a parameter)."""
        out = {}
        for slot, k in self.potency[agent].items():
            if agent == "nvp-bez235" and slot == "C_pi3k_atp":
                k = values.get(BEZ_PI3K, k)
            out[slot] = nM * self.slot_ref[slot] / k
        return out

    def simulate(self, values: Mapping[str, float]) -> list[float] | None:
        """The model's folds (before compression) at every data row, or None on failure."""
        from mtorsim.inference.readout_validation import READOUT_MAP

        self.sim.parameters = {k: v for k, v in values.items() if not k.startswith(EXPERIMENT)}
        try:
            base = self.sim.steady_state(self.context, {}).readouts
            courses = {}
            for first, (agent, dose_id) in DRUGS.items():
                tc = self.sim.time_course(
                    self.context,
                    {},
                    t_end_min=float(self.times_min[-1]),
                    n_points=len(self.times_min),
                    slots=self.slots(agent, values, values[dose_id]),
                )
                courses[first] = tc.readouts
        except (SolverFailure, RuntimeError):
            return None
        out = []
        for r, t in self.rows:
            name = READOUT_MAP[r["readout"]]
            course = courses[r["drug"].split(" ")[0].lower()][name]
            v = float(np.interp(t * 60.0, self.times_min, course)) / base[name]
            if not (math.isfinite(v) and v > 0):
                return None
            out.append(v)
        return out

    def predicted(self, values: Mapping[str, float], folds: list[float]) -> list[float]:
        """Folds as the antibody reads them (compressed by its gamma)."""
        return [f ** values.get(GAMMA, 1.0) for f in folds]

    def value(self, values: Mapping[str, float], x: np.ndarray) -> float:
        folds = self.simulate(values)
        if folds is None:
            return PENALTY
        pred = self.predicted(values, folds)
        res = [
            (math.log2(p) - math.log2(float(r["fold_change"]))) / self.sigma
            for (r, _), p in zip(self.rows, pred, strict=True)
        ]
        prior = (x - self.log_start)[self.prior_mask] / self.prior_sd
        return float(0.5 * np.sum(np.square(res)) + 0.5 * np.sum(np.square(prior)))

    def __call__(self, x: np.ndarray) -> float:
        x = np.asarray(x, float)
        return self.value(self.all_values(self.table.values(x)), x)


def check_parameter_ids(problem: Problem) -> None:
    """Refuse a parameter id that is neither a model parameter nor one of the experiment's
    (a typo would otherwise be 'fitted' with no effect)."""
    model = set(parameter_values())
    bad = [
        r.id
        for r in problem.parameters
        if (r.id.startswith(EXPERIMENT) and r.id not in EXPERIMENT_IDS)
        or (not r.id.startswith(EXPERIMENT) and r.id not in model)
    ]
    if bad:
        raise MtorsimError(
            f"{calibration_set_path()}: problem {problem.id}, parameters {bad}: not a model "
            f"parameter (PathwaySimulator().parameter_ids()) nor one of the experiment's "
            f"{sorted(EXPERIMENT_IDS)}; fix the id or remove the row"
        )


def calibrate_readouts(
    problem_id: str = "pathway-readouts",
    quick: bool = False,
    overrides: dict[str, Any] | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Fit the readout problem of the calibration set (deterministic for its settings)."""
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    problem = load_calibration_set().problem(problem_id)
    if problem.kind != "pathway-readouts":
        raise MtorsimError(f"{problem_id} is a {problem.kind} problem, not a readout problem")
    require_pypesto()
    st = problem.settings_for(quick, overrides)
    check_parameter_ids(problem)
    j = ReadoutObjective(problem, float(st["sigma_log2"]), float(st["prior_sd_log10"]))
    x_start = problem.table.nominal_scaled()
    f_start = j(x_start)
    if f_start >= PENALTY:
        raise MtorsimError("the starting parameters give no solution for the readout data")
    say(f"fitting {len(j.rows)} readouts: {st['n_starts']} start(s), objective {f_start:.4g}")
    starts = minimize(
        j,
        problem.table,
        str(st["optimizer"]),
        dict(st.get("options", {})) | {"maxfev": int(st["max_evals"])},
        int(st["n_starts"]),
        int(st["seed"]),
        float(st["start_spread_log10"]),
        workers,
    )
    for s in sorted(starts, key=lambda s: s.index):
        say(f"start {s.index + 1}/{len(starts)}: objective {s.fval:.4g} ({s.n_evals} evals)")
    best_x = starts[0].x if starts[0].fval < f_start else x_start
    values = rounded(problem.table.values(best_x))
    return _record(
        problem,
        st,
        j,
        values,
        starts=start_records(starts),
        evaluations=sum(s.n_evals for s in starts) + 3,  # + start, fit, rounded fit
        seconds=round(time.perf_counter() - t0, 1),
    )


def _record(
    problem: Problem,
    st: dict[str, Any],
    j: ReadoutObjective,
    values: dict[str, float],
    starts: list[Any],
    evaluations: int,
    seconds: float,
) -> CalibrationResult:
    """The record at ``values`` (objective and fit rows computed now, with the sources as
    they are)."""
    x_start = problem.table.nominal_scaled()
    f_start, f_fit = j(x_start), j(problem.table.scaled(values))
    start_all, fit_all = j.all_values(problem.table.values(x_start)), j.all_values(values)
    folds0, folds1 = j.simulate(start_all), j.simulate(fit_all)
    if folds1 is None or folds0 is None:
        raise MtorsimError("the rounded fitted values give no solution; rerun with another seed")
    p0, p1 = j.predicted(start_all, folds0), j.predicted(fit_all, folds1)
    provenance: dict[str, Any] = {
        "mtorsim_version": __version__,
        "model_hash": model_hash(),
        "calibration_set_hash": file_hash(calibration_set_path()),
    }
    return CalibrationResult(
        problem=problem.id,
        problem_kind="pathway-readouts",
        method=f"pyPESTO {pypesto_version()} multistart of scipy {st['optimizer']} (bounded); "
        f"objective = negative log-likelihood of log2 folds (sigma {st['sigma_log2']} log2, "
        f"one RPPA compression exponent) + normal prior of {st['prior_sd_log10']} decades "
        "on each network parameter around its start",
        parameters=parameter_fits(problem.table, values),
        objective_start=f_start,
        objective=f_fit,
        evaluations=evaluations,
        starts=starts,
        fit=[
            FitRow(
                name=f"{r['drug'].split(' ')[0]} {r['readout']} {t:g} h",
                target=float(r["fold_change"]),
                start_value=a,
                fitted_value=b,
                source=r["id"],
            )
            for (r, t), a, b in zip(j.rows, p0, p1, strict=True)
        ],
        settings=st,
        provenance=provenance,
        seconds=seconds,
        n_data=len(j.rows),
    )


def rescore_readouts(record: CalibrationResult) -> CalibrationResult:
    """The record with its objective and fit rows recomputed at its own values, after
    parameters of another problem changed (the checklist-only ones): the values are not
    re-optimised, and the record's provenance says so."""
    problem = load_calibration_set().problem(record.problem)
    st = dict(record.settings)
    j = ReadoutObjective(problem, float(st["sigma_log2"]), float(st["prior_sd_log10"]))
    before = record.objective
    out = _record(
        problem,
        st,
        j,
        record.values,
        starts=list(record.starts),
        evaluations=record.evaluations,
        seconds=record.seconds,
    )
    note = (
        f"objective and fit rows recomputed at the record's values after the checklist-only "
        f"parameters were refitted (values not re-optimised): {before:.6g} -> "
        f"{out.objective:.6g}"
    )
    return out.model_copy(update={"provenance": out.provenance | {"rescored": note}})


__all__ = [
    "ReadoutObjective",
    "calibrate_readouts",
    "check_parameter_ids",
    "rescore_readouts",
]
