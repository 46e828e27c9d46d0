"""Calibration of the cell response to measured cell-line potencies, as a PEtab problem.

The datum is a measured GI50 (ICBP panel, Heiser et al. 2012 PNAS 109:2724, 72-h growth
relative to time zero, the NCI-60 definition).  At the GI50 the treated culture grew half
as much as the untreated one over the assay,

    (exp(r k0 T) - 1) / (exp(k0 T) - 1) = 1/2,     k0 = ln 2 / Td,  T = 72 h,

so the model's relative net growth rate r = net / k0 must there equal

    rho50(Td) = ln(1 + (2^(T/Td) - 1) / 2) / (T ln 2 / Td).

The model's r is the cell-response link of :mod:`mtorsim.response.cells`
(division (1 + phi) P/P0 minus death (phi + kill/k0 + k_E (1 + phi) D_E) (S0/S)^theta),
written into the exported SBML as assignment rules, with the untreated P0, S0, E0 held in
three reference states that follow the model during the untreated pre-equilibration and
are frozen after it (``track``).  So the problem is plain PEtab: a pre-equilibration
condition per cell line (no drug), a simulation condition per datum (drug at the measured
GI50), one observable ``r_growth`` at 72 h with normal noise of SD ``sigma``.
Any PEtab tool can re-fit it from ``mtorsim pathway petab --out DIR``
(:mod:`mtorsim.inference.petab_export`); mtorsim fits it by :func:`calibrate_cell_lines`.

What is fitted, what is held out, and why some values are excluded, is stated in the
calibration set (problem ``cell-lines``), nowhere else.  The held-out publication
(GDSC1: IC50 at 50% viability relative to the untreated control at 72 h) is predicted
from the fitted model by :mod:`mtorsim.inference.cell_validation`, through the
cell-response layer's own steady states (a second engine; the two agree at the fitted
data to the tolerance a test states).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.inference.calibration_set import (
    Problem,
    calibration_set_path,
    load_calibration_set,
)
from mtorsim.inference.reference import DoseResponseValue, dose_response_values

PROBLEM_ID = "cell-lines"
#: assay length of the potency data (h): ICBP and GDSC1 both report 72-h assays
ASSAY_HOURS = 72.0
#: observable id of the exported problem
OBSERVABLE = "r_growth"
#: the exported model's relative net growth rate (the observable's formula)
GROWTH = "growth_rel"


def rho50(doubling_time_h: float, t_h: float = ASSAY_HOURS) -> float:
    """Relative net growth rate at which a time-zero-referenced 72-h growth is halved."""
    k0t = t_h * math.log(2.0) / doubling_time_h
    return math.log(1.0 + 0.5 * (math.exp(k0t) - 1.0)) / k0t


def petab_id(name: str) -> str:
    """A calibration-set id as a PEtab/SBML identifier (as ParameterTable.to_petab)."""
    import re

    return re.sub(r"[^A-Za-z0-9_]", "_", name.replace(".", "__"))


# ---------------------------------------------------------------------------- data
@dataclass(frozen=True)
class DataSplit:
    """The potencies the problem fits, those it holds out, and those it cannot use."""

    fitted: tuple[DoseResponseValue, ...]
    held_out: tuple[DoseResponseValue, ...]
    censored: tuple[DoseResponseValue, ...]
    excluded: tuple[tuple[DoseResponseValue, str], ...]
    #: values of the held-out cell lines (any dataset of the problem; censored ones too),
    #: predicted with the model's default per-line parameters, never fitted
    held_out_lines: tuple[DoseResponseValue, ...] = ()


def split_data(problem: Problem | None = None) -> DataSplit:
    """Apply the calibration set's data selection of the problem to the reference table."""
    problem = problem or load_calibration_set().problem(PROBLEM_ID)
    sel = problem.data
    if sel is None:
        raise MtorsimError(f"{calibration_set_path()}: problem {problem.id} gives no data")
    fitted, held, cens, excl, lines = [], [], [], [], []
    for v in dose_response_values():
        if not v.simulable:
            continue
        reason = sel.excluded_agents.get(v.agent)
        in_fit = v.dataset in sel.datasets and v.metric in sel.metrics
        in_holdout = v.dataset in sel.held_out_datasets
        if not (in_fit or in_holdout):
            continue
        if v.context in sel.held_out_contexts:
            if reason is None:
                lines.append(v)
            else:
                excl.append((v, reason))
            continue
        if v.context not in sel.contexts:
            continue
        if reason is not None:
            excl.append((v, reason))
        elif v.censored or v.extrapolated:
            cens.append(v)
        elif in_fit:
            fitted.append(v)
        else:
            held.append(v)
    return DataSplit(tuple(fitted), tuple(held), tuple(cens), tuple(excl), tuple(lines))


def split_parameter_id(pid: str) -> tuple[str, str, str]:
    parts = pid.split(".")
    if len(parts) != 3 or parts[0] not in ("context", "cytotoxic"):
        raise MtorsimError(
            f"{calibration_set_path()}: problem {PROBLEM_ID} names parameter {pid!r}; use "
            "context.<CONTEXT>.<parameter> or cytotoxic.<agent>.ec50_nM"
        )
    return parts[0], parts[1], parts[2]


# ---------------------------------------------------------------------------- objective
@dataclass(frozen=True)
class _Point:
    """Signalling outputs of one datum's condition and of its line untreated."""

    datum: DoseResponseValue
    translation: float
    mitogenic: float
    survival: float
    er: float
    translation0: float
    mitogenic0: float
    survival0: float
    er0: float
    g0: float
    target: float


class CellLineObjective:
    """The PEtab problem's negative log-likelihood, computed in closed form.

    Every fitted parameter acts downstream of the signalling network (tau_tr on the
    proliferation output, the cytotoxic terms on death), so the network's steady states
    are computed once per datum and untreated line, and each evaluation is arithmetic on
    them.  The same function the exported SBML states as assignment rules; a test checks
    the two against each other through pyPESTO's RoadRunner objective on the exported
    files.
    """

    def __init__(
        self, problem: Problem, points: Sequence[_Point], sigma: float, noise: str = "laplace"
    ) -> None:
        from mtorsim.response.cells import load_cytotoxics

        if noise not in ("laplace", "normal"):
            raise MtorsimError(f"noise must be laplace or normal, got {noise!r}")
        self.noise = noise
        self.table = problem.table
        self.points = list(points)
        self.sigma = sigma
        self.link = load_cytotoxics()
        f_d = self.link.link.basal_death_fraction.value
        self.phi = f_d / (1.0 - f_d)
        self.theta = self.link.link.survival_exponent.value
        self.k_e = self.link.link.er_deprivation_death.value

    def parameters_for(self, values: Mapping[str, float]) -> dict[str, dict[str, float]]:
        """Per context {tau_tr, cytotoxic_sensitivity} and per cytotoxic {ec50_nM}, with
        the model's values where a parameter is not free."""
        from mtorsim.pathway.build import parameter_values
        from mtorsim.pathway.contexts import load_context
        from mtorsim.response.cells import CellResponseModel

        out: dict[str, dict[str, float]] = {}
        for p in self.points:
            ctx = load_context(p.datum.context)
            out.setdefault(
                ctx.name,
                {
                    "tau_tr": ctx.values().get("tau_tr", parameter_values()["tau_tr"]),
                    "cytotoxic_sensitivity": CellResponseModel.cytotoxic_sensitivity(ctx),
                },
            )
        for a, params in self.link.agents.items():
            if params.ec50_nM is not None:
                out[a] = {"ec50_nM": params.ec50_nM.value}
        for pid, v in values.items():
            _kind, who, name = split_parameter_id(pid)
            out.setdefault(who, {})[name] = float(v)
        return out

    def growth(self, values: Mapping[str, float]) -> np.ndarray:
        """r = net / k0 at every datum (the observable ``r_growth``)."""
        par = self.parameters_for(values)
        out = np.empty(len(self.points))
        for i, p in enumerate(self.points):
            line = par[p.datum.context]
            tau = line["tau_tr"]
            prolif = ((1 - tau) + tau * p.translation) * p.mitogenic
            prolif0 = ((1 - tau) + tau * p.translation0) * p.mitogenic0
            kill = 0.0
            cyto = self.link.agents.get(p.datum.agent)
            if cyto is not None and cyto.kmax_per_h is not None and cyto.hill is not None:
                assert p.datum.value_nM is not None
                c = line["cytotoxic_sensitivity"] * p.datum.value_nM
                h = cyto.hill.value
                ec50 = par[p.datum.agent]["ec50_nM"]
                kill = cyto.kmax_per_h.value * c**h / (c**h + ec50**h)
            d_e = max(0.0, (p.er0 - p.er) / (p.er0 + 1e-9))
            out[i] = (1 + self.phi) * prolif / prolif0 - (
                self.phi + kill / p.g0 + self.k_e * (1 + self.phi) * d_e
            ) * (p.survival0 / p.survival) ** self.theta
        return out

    def residuals(self, values: Mapping[str, float]) -> np.ndarray:
        target = np.array([p.target for p in self.points])
        return np.asarray((self.growth(values) - target) / self.sigma, dtype=float)

    def nllh(self, values: Mapping[str, float]) -> float:
        """PEtab's negative log-likelihood, constants included: Laplace noise of scale
        sigma (robust to the single outlying values of a panel), or normal."""
        res = self.residuals(values)
        n = len(res)
        if self.noise == "laplace":
            return float(np.sum(np.abs(res)) + n * math.log(2 * self.sigma))
        return float(0.5 * np.sum(res**2) + n * 0.5 * math.log(2 * math.pi * self.sigma**2))

    def __call__(self, x: np.ndarray) -> float:
        return self.nllh(self.table.values(np.asarray(x, float)))


def signalling_points(problem: Problem | None = None) -> list[_Point]:
    """The network's steady states at every fitted datum's condition (one simulator)."""
    from mtorsim.pathway.contexts import load_context
    from mtorsim.pathway.simulate import PathwaySimulator
    from mtorsim.response.cells import CellResponseModel

    problem = problem or load_calibration_set().problem(PROBLEM_ID)
    split = split_data(problem)
    model = CellResponseModel()
    sim: PathwaySimulator = model.sim
    base: dict[str, dict[str, float]] = {}
    out = []
    for v in split.fitted:
        ctx = load_context(v.context)
        if ctx.name not in base:
            base[ctx.name] = sim.steady_state(ctx, {}).readouts
        b = base[ctx.name]
        signalling, _ = model.split({v.agent: v.value_nM or 0.0})
        r = sim.steady_state(ctx, signalling).readouts if signalling else b
        td = CellResponseModel.doubling_time_h(ctx)
        out.append(
            _Point(
                v,
                r["translation"],
                r["mitogenic"],
                r["survival"],
                r["ER_activity"],
                b["translation"],
                b["mitogenic"],
                b["survival"],
                b["ER_activity"],
                math.log(2.0) / td,
                rho50(td),
            )
        )
    return out


def calibrate_cell_lines(
    quick: bool = False,
    overrides: dict[str, Any] | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Any:
    """Fit the cell-line problem of the calibration set with pyPESTO (seeded multistart)."""
    from mtorsim.inference.optimize import (
        file_hash,
        minimize,
        parameter_fits,
        pypesto_version,
        require_pypesto,
        start_records,
    )
    from mtorsim.inference.pathway_calibration import rounded
    from mtorsim.inference.reference import reference_dir
    from mtorsim.inference.results import CalibrationResult, FitRow
    from mtorsim.pathway.build import model_hash

    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    problem = load_calibration_set().problem(PROBLEM_ID)
    require_pypesto()
    st = problem.settings_for(quick, overrides)
    say("steady states of the network at every datum")
    points = signalling_points(problem)
    j = CellLineObjective(problem, points, float(st["sigma"]), str(st["noise"]))
    x0 = problem.table.nominal_scaled()
    f_start = j(x0)
    r_start = j.growth(problem.table.values(x0))
    say(f"fitting: {st['n_starts']} start(s), objective at the start {f_start:.4g}")
    options = dict(st.get("options", {})) | {"maxfev": int(st["max_evals"])}
    starts = minimize(
        j,
        problem.table,
        str(st["optimizer"]),
        options,
        int(st["n_starts"]),
        int(st["seed"]),
        float(st["start_spread_log10"]),
        workers,
    )
    best = starts[0].x if starts[0].fval < f_start else x0
    values = rounded(problem.table.values(best))
    r_fit = j.growth(values)
    return CalibrationResult(
        problem=problem.id,
        problem_kind="cell-lines",
        method=f"pyPESTO {pypesto_version()} multistart of scipy {st['optimizer']} "
        "(bounded) on the PEtab problem's negative log-likelihood "
        f"({st['noise']} noise of scale {st['sigma']} in relative growth rate), computed on "
        "steady states of the network",
        parameters=parameter_fits(problem.table, values),
        objective_start=f_start,
        objective=j.nllh(values),
        evaluations=1 + sum(s.n_evals for s in starts),
        starts=start_records(starts),
        fit=[
            FitRow(
                name=f"{p.datum.context} {p.datum.agent} GI50 {p.datum.value_nM:.4g} nM",
                target=p.target,
                start_value=float(a),
                fitted_value=float(b),
                source=f"{p.datum.id}: {p.datum.citation[:120]}",
            )
            for p, a, b in zip(points, r_start, r_fit, strict=True)
        ],
        settings=st,
        provenance={
            "mtorsim_version": __version__,
            "model_hash": model_hash(),
            "calibration_set_hash": file_hash(calibration_set_path()),
            "reference_hash": file_hash(reference_dir() / "dose_response.csv"),
        },
        seconds=round(time.perf_counter() - t0, 1),
        n_data=len(points),
    )


__all__ = [
    "ASSAY_HOURS",
    "GROWTH",
    "OBSERVABLE",
    "PROBLEM_ID",
    "CellLineObjective",
    "DataSplit",
    "calibrate_cell_lines",
    "petab_id",
    "rho50",
    "signalling_points",
    "split_data",
    "split_parameter_id",
]
