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
Any PEtab tool can re-fit it from ``mtorsim pathway petab --out DIR``; mtorsim fits it with
pyPESTO's RoadRunner objective (:func:`calibrate_cell_lines`).

What is fitted, what is held out, and why some values are excluded, is stated in the
calibration set (problem ``cell-lines``), nowhere else.  The held-out publication
(GDSC1: IC50 at 50% viability relative to the untreated control at 72 h) is predicted
from the fitted model by :func:`validate_cell_lines`, through the cell-response layer's
own steady states (a second engine; the two agree at the fitted data to the tolerance a
test states).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
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
from mtorsim.trials.results import Record

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


def split_data(problem: Problem | None = None) -> DataSplit:
    """Apply the calibration set's data selection of the problem to the reference table."""
    problem = problem or load_calibration_set().problem(PROBLEM_ID)
    sel = problem.data
    if sel is None:
        raise MtorsimError(f"{calibration_set_path()}: problem {problem.id} gives no data")
    fitted, held, cens, excl = [], [], [], []
    for v in dose_response_values():
        if not v.simulable or v.context not in sel.contexts:
            continue
        reason = sel.excluded_agents.get(v.agent)
        in_fit = v.dataset in sel.datasets and v.metric in sel.metrics
        in_holdout = v.dataset in sel.held_out_datasets
        if not (in_fit or in_holdout):
            continue
        if reason is not None:
            excl.append((v, reason))
        elif v.censored or v.extrapolated:
            cens.append(v)
        elif in_fit:
            fitted.append(v)
        else:
            held.append(v)
    return DataSplit(tuple(fitted), tuple(held), tuple(cens), tuple(excl))


# ---------------------------------------------------------------------------- PEtab
def _context_parameter_names(contexts: Sequence[str]) -> list[str]:
    from mtorsim.pathway.contexts import load_context

    names: set[str] = {"tau_tr"}
    for c in contexts:
        names |= set(load_context(c).values())
    return sorted(names)


def export_sbml(cytotoxics: Sequence[str]) -> str:
    """The signalling model's SBML with the cell-response link added for PEtab (module
    docstring): reference states, growth-rate constants, kill terms and ``r_growth``."""
    import libsbml

    from mtorsim.pathway.build import sbml_string
    from mtorsim.response.cells import load_cytotoxics

    doc = libsbml.readSBMLFromString(sbml_string())
    model = doc.getModel()
    link = load_cytotoxics()
    f_d = link.link.basal_death_fraction.value

    def param(pid: str, value: float, constant: bool = True) -> None:
        p = model.createParameter()
        p.setId(pid)
        p.setValue(float(value))
        p.setConstant(constant)

    def rule(kind: str, var: str, formula: str) -> None:
        r = model.createAssignmentRule() if kind == "assign" else model.createRateRule()
        r.setVariable(var)
        math_ast = libsbml.parseL3Formula(formula)
        if math_ast is None:
            raise MtorsimError(
                f"internal: cannot parse {formula!r}: {libsbml.getLastParseL3Error()}"
            )
        r.setMath(math_ast)

    param("track", 0.0)
    param("k_track", 0.1)  # 1/min: the reference states settle within the pre-equilibration
    param("g0", math.log(2.0) / 40.0)
    param("phi", f_d / (1.0 - f_d))
    param("theta", link.link.survival_exponent.value)
    param("k_E", link.link.er_deprivation_death.value)
    param("cytotoxic_sensitivity", 1.0)
    for ref in ("P_ref", "S_ref", "E_ref"):
        param(ref, 1.0, constant=False)
    rule("rate", "P_ref", "track * k_track * (proliferation - P_ref)")
    rule("rate", "S_ref", "track * k_track * (survival - S_ref)")
    rule("rate", "E_ref", "track * k_track * (f_ER_activity - E_ref)")
    terms = []
    for a in cytotoxics:
        p = link.agents[a]
        assert p.ec50_nM and p.hill and p.kmax_per_h
        tag = petab_id(a)
        param(f"C_{tag}", 0.0)
        param(petab_id(f"cytotoxic.{a}.ec50_nM"), p.ec50_nM.value)
        param(f"hill_{tag}", p.hill.value)
        param(f"kmax_{tag}", p.kmax_per_h.value)
        terms.append(
            f"kmax_{tag} * (cytotoxic_sensitivity * C_{tag})^hill_{tag} / "
            f"((cytotoxic_sensitivity * C_{tag})^hill_{tag} + "
            f"{petab_id(f'cytotoxic.{a}.ec50_nM')}^hill_{tag})"
        )
    param("kill", 0.0, constant=False)
    rule("assign", "kill", " + ".join(terms) if terms else "0")
    param(GROWTH, 1.0, constant=False)
    rule(
        "assign",
        GROWTH,
        "(1 + phi) * proliferation / P_ref - (phi + kill / g0 + k_E * (1 + phi) * "
        "max(0, (E_ref - f_ER_activity) / (E_ref + 1e-9))) * (S_ref / survival)^theta",
    )
    return str(libsbml.writeSBMLToString(doc))


@dataclass
class PetabTables:
    """The PEtab problem as data frames and an SBML string."""

    sbml: str
    conditions: Any
    measurements: Any
    observables: Any
    parameters: Any

    def problem(self) -> Any:
        """A :class:`petab.v1.Problem`, read back from the files :meth:`write` makes (so
        mtorsim fits exactly what it exports)."""
        import tempfile

        import petab.v1 as petab

        with tempfile.TemporaryDirectory(prefix="mtorsim-petab-") as tmp:
            return petab.Problem.from_yaml(self.write(tmp))

    def write(self, out_dir: str | Path) -> Path:
        """Write the five files and the PEtab YAML (atomically each); returns the YAML."""
        import yaml

        from mtorsim.fileio import write_atomic

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files = {
            "model.xml": self.sbml,
            "conditions.tsv": self.conditions.to_csv(sep="\t", index=False),
            "measurements.tsv": self.measurements.to_csv(sep="\t", index=False),
            "observables.tsv": self.observables.to_csv(sep="\t", index=False),
            "parameters.tsv": self.parameters.to_csv(sep="\t", index=False),
        }
        for name, text in files.items():
            write_atomic(out / name, text)
        spec = {
            "format_version": 1,
            "parameter_file": "parameters.tsv",
            "problems": [
                {
                    "sbml_files": ["model.xml"],
                    "condition_files": ["conditions.tsv"],
                    "measurement_files": ["measurements.tsv"],
                    "observable_files": ["observables.tsv"],
                }
            ],
        }
        path = out / "problem.yaml"
        write_atomic(path, yaml.safe_dump(spec, sort_keys=False))
        return path


def _split_id(pid: str) -> tuple[str, str, str]:
    parts = pid.split(".")
    if len(parts) != 3 or parts[0] not in ("context", "cytotoxic"):
        raise MtorsimError(
            f"{calibration_set_path()}: problem {PROBLEM_ID} names parameter {pid!r}; use "
            "context.<CONTEXT>.<parameter> or cytotoxic.<agent>.ec50_nM"
        )
    return parts[0], parts[1], parts[2]


def build_petab(
    problem: Problem | None = None, values: Mapping[str, float] | None = None
) -> PetabTables:
    """The cell-line problem as PEtab tables; ``values`` set the parameters' nominal values
    (e.g. a fitted record's), otherwise the calibration set's starts."""
    import pandas as pd

    from mtorsim.knowledge.base import load_knowledge_base
    from mtorsim.knowledge.vocab import SiteOfAction
    from mtorsim.pathway.build import parameter_values
    from mtorsim.pathway.contexts import load_context
    from mtorsim.pathway.drugs import SLOTS, slot_concentrations
    from mtorsim.response.cells import CellResponseModel

    problem = problem or load_calibration_set().problem(PROBLEM_ID)
    sel = problem.data
    assert sel is not None
    split = split_data(problem)
    table = problem.table
    estimated = {r.id for r in table.rows}
    for pid in estimated:
        kind, who, name = _split_id(pid)
        if kind == "context" and who not in sel.contexts:
            raise MtorsimError(f"{calibration_set_path()}: {pid}: {who} is not a data context")
    kb = load_knowledge_base()
    cytotoxics = sorted(
        {
            v.agent
            for v in split.fitted
            if kb.agent(v.agent).site_of_action is SiteOfAction.CYTOTOXIC
        }
    )
    sbml = export_sbml(cytotoxics)
    defaults = parameter_values()
    ctx_params = _context_parameter_names(sel.contexts)

    def context_columns(name: str) -> dict[str, Any]:
        ctx = load_context(name)
        vals = ctx.values()
        row: dict[str, Any] = {}
        for k in ctx_params:
            fitted = f"context.{name}.{k}"
            row[k] = petab_id(fitted) if fitted in estimated else vals.get(k, defaults[k])
        sens = f"context.{name}.cytotoxic_sensitivity"
        row["cytotoxic_sensitivity"] = (
            petab_id(sens) if sens in estimated else CellResponseModel.cytotoxic_sensitivity(ctx)
        )
        row["g0"] = math.log(2.0) / CellResponseModel.doubling_time_h(ctx)
        return row

    blank = dict.fromkeys(SLOTS, 0.0) | {f"C_{petab_id(a)}": 0.0 for a in cytotoxics}
    conditions, measurements = [], []
    for name in sel.contexts:
        conditions.append(
            {"conditionId": f"pre_{name}", "conditionName": f"{name} untreated"}
            | context_columns(name)
            | blank
            | {"track": 1.0}
        )
    for v in split.fitted:
        assert v.value_nM is not None
        drugs = blank.copy()
        if v.agent in cytotoxics:
            drugs[f"C_{petab_id(v.agent)}"] = v.value_nM
        else:
            drugs |= slot_concentrations({v.agent: v.value_nM}, kb)
        conditions.append(
            {
                "conditionId": f"c_{v.id}",
                "conditionName": f"{v.context} {v.agent} {v.value_nM:.4g} nM",
            }
            | context_columns(v.context)
            | drugs
            | {"track": 0.0}
        )
        ctx = load_context(v.context)
        measurements.append(
            {
                "observableId": OBSERVABLE,
                "preequilibrationConditionId": f"pre_{v.context}",
                "simulationConditionId": f"c_{v.id}",
                "measurement": rho50(CellResponseModel.doubling_time_h(ctx)),
                "time": ASSAY_HOURS * 60.0,
                "datasetId": v.dataset,
                "replicateId": v.id,
            }
        )
    sigma = float(problem.settings.get("sigma", 0.05))
    observables = pd.DataFrame(
        [
            {
                "observableId": OBSERVABLE,
                "observableName": "net growth rate relative to untreated at the measured GI50",
                "observableFormula": GROWTH,
                "noiseFormula": sigma,
                "noiseDistribution": str(problem.settings.get("noise", "laplace")),
                "observableTransformation": "lin",
            }
        ]
    )
    values = dict(values or {})
    params = table.to_petab(values).reset_index()
    return PetabTables(
        sbml=sbml,
        conditions=pd.DataFrame(conditions),
        measurements=pd.DataFrame(measurements),
        observables=observables,
        parameters=params,
    )


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
            _kind, who, name = _split_id(pid)
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
    values = {k: float(f"{v:.4g}") for k, v in problem.table.values(best).items()}
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


# ---------------------------------------------------------------------------- validation
#: concentration range searched for a simulated potency (nM)
POTENCY_RANGE_NM = (1e-3, 1e6)


def simulated_potency(model: Any, context: str, agent: str, metric: str) -> float | None:
    """The model's GI50 (72-h growth halved relative to time zero; ICBP) or IC50 (72-h
    cell number halved relative to the untreated control; GDSC) in nM, by bisection on
    log concentration through the cell-response layer; None if not reached below
    POTENCY_RANGE_NM[1]."""
    from mtorsim.pathway.contexts import load_context

    ctx = load_context(context)
    k0 = model.untreated_net(ctx)
    t = ASSAY_HOURS

    def effect(c: float) -> float:
        net = model.rates(ctx, {agent: c}).net
        if metric == "GI50":
            return (math.exp(net * t) - 1.0) / (math.exp(k0 * t) - 1.0) - 0.5
        if metric == "IC50":
            return math.exp((net - k0) * t) - 0.5
        raise MtorsimError(f"unknown potency metric {metric!r}; use GI50 or IC50")

    lo, hi = (math.log10(x) for x in POTENCY_RANGE_NM)
    if effect(10**hi) > 0:
        return None
    if effect(10**lo) <= 0:
        return 10**lo
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if effect(10**mid) > 0:
            lo = mid
        else:
            hi = mid
    return float(10 ** (0.5 * (lo + hi)))


class PotencyRow(Record):
    """One measured potency beside the model's."""

    id: str
    dataset: str
    role: str
    context: str
    agent: str
    metric: str
    measured_nM: float
    simulated_nM: float | None
    censored: bool
    citation: str

    @property
    def log10_error(self) -> float | None:
        if self.simulated_nM is None:
            return None
        return math.log10(self.simulated_nM / self.measured_nM)


class DrugAgreement(Record):
    """Across cell lines, for one agent and dataset: rank agreement of potencies."""

    dataset: str
    role: str
    agent: str
    n_lines: int
    spearman: float | None
    median_abs_log10_error: float | None


class CellLineValidation(Record):
    """Fitted and held-out potencies beside the model's, with rank agreement per drug."""

    format_version: str = "1.0"
    kind: str = "cell-line-validation"
    rows: list[PotencyRow]
    agreement: list[DrugAgreement]
    provenance: dict[str, Any]

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([r.model_dump() | {"log10_error": r.log10_error} for r in self.rows])

    def summary(self, role: str) -> dict[str, float | int | None]:
        """Over one role's rows: n, median |log10 error|, share within 1 decade."""
        errs = [
            abs(e)
            for r in self.rows
            if r.role == role and not r.censored
            if (e := r.log10_error) is not None
        ]
        n = sum(1 for r in self.rows if r.role == role and not r.censored)
        return {
            "n": n,
            "n_reached": len(errs),
            "median_abs_log10_error": float(np.median(errs)) if errs else None,
            "within_one_decade": sum(e <= 1 for e in errs) / n if n else None,
        }

    def plot(self, ax: Any = None) -> Any:
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
        top = POTENCY_RANGE_NM[1]
        for role, marker, colour in (("fitted", "o", "tab:blue"), ("held out", "s", "tab:red")):
            rows = [r for r in self.rows if r.role == role and not r.censored]
            x = [r.measured_nM for r in rows]
            y = [r.simulated_nM if r.simulated_nM is not None else top for r in rows]
            ax.scatter(
                x, y, marker=marker, color=colour, alpha=0.7, label=f"{role} (n={len(rows)})"
            )
        ax.plot([1e-2, top], [1e-2, top], color="grey", lw=0.8)
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="measured potency (nM)",
            ylabel=f"model potency (nM; not reached drawn at {top:g})",
            title="cell-line potencies\nICBP GI50 (fitted), GDSC1 IC50 (held out)",
        )
        ax.legend(fontsize=8)
        return ax


def _spearman(pairs: Sequence[tuple[float, float]]) -> float | None:
    from scipy.stats import spearmanr

    if len(pairs) < 3:
        return None
    a, b = zip(*pairs, strict=True)
    if len(set(a)) < 2 or len(set(b)) < 2:
        return None
    return float(spearmanr(a, b).statistic)


def validate_cell_lines(progress: Callable[[str], None] | None = None) -> CellLineValidation:
    """The model's potencies beside every usable measured one: the fitted ICBP GI50s, the
    held-out GDSC1 IC50s (predictions: never fitted) and the censored values (bounds)."""
    from mtorsim.pathway.build import model_hash
    from mtorsim.response.cells import CellResponseModel

    say = progress or (lambda _m: None)
    split = split_data()
    model = CellResponseModel()
    rows: list[PotencyRow] = []
    groups = (("fitted", split.fitted), ("held out", split.held_out), ("censored", split.censored))
    for role, values in groups:
        say(f"{role}: {len(values)} potencies")
        for v in values:
            assert v.value_nM is not None
            rows.append(
                PotencyRow(
                    id=v.id,
                    dataset=v.dataset,
                    role=role
                    if role != "censored"
                    else ("fitted" if v.dataset != "gdsc1" else "held out"),
                    context=v.context,
                    agent=v.agent,
                    metric=v.metric,
                    measured_nM=v.value_nM,
                    simulated_nM=simulated_potency(model, v.context, v.agent, v.metric),
                    censored=role == "censored",
                    citation=v.citation[:160],
                )
            )
    agreement = []
    keys = sorted({(r.dataset, r.role, r.agent) for r in rows})
    top = POTENCY_RANGE_NM[1]
    for dataset, role, agent in keys:
        rs = [
            r
            for r in rows
            if (r.dataset, r.role, r.agent) == (dataset, role, agent) and not r.censored
        ]
        pairs = [(r.measured_nM, r.simulated_nM if r.simulated_nM is not None else top) for r in rs]
        errs = [abs(e) for r in rs if (e := r.log10_error) is not None]
        agreement.append(
            DrugAgreement(
                dataset=dataset,
                role=role,
                agent=agent,
                n_lines=len(rs),
                spearman=_spearman(pairs),
                median_abs_log10_error=float(np.median(errs)) if errs else None,
            )
        )
    return CellLineValidation(
        rows=rows,
        agreement=agreement,
        provenance={"mtorsim_version": __version__, "model_hash": model_hash()},
    )


# ---------------------------------------------------------------------------- synergy
class SynergyRow(Record):
    """One measured combination score beside the model's scores of the same pair."""

    id: str
    context: str
    agent_a: str
    agent_b: str
    measured: float
    measure: str
    simulated: dict[str, float | None]
    error: str = ""


class SynergyFidelity(Record):
    """Sign agreement and rank correlation of simulated and measured synergy scores."""

    format_version: str = "1.0"
    kind: str = "synergy-fidelity"
    dataset: str
    rows: list[SynergyRow]
    provenance: dict[str, Any]

    def agreement(self, method: str) -> dict[str, float | int | None]:
        pairs = [(r.measured, v) for r in self.rows if (v := r.simulated.get(method)) is not None]
        signs = [np.sign(a) == np.sign(b) for a, b in pairs]
        return {
            "n": len(pairs),
            "sign_agreement": float(np.mean(signs)) if signs else None,
            "spearman": _spearman(pairs),
        }

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([r.model_dump(exclude={"simulated"}) | r.simulated for r in self.rows])


def synergy_fidelity(
    dataset: str = "oneil_deepsynergy",
    methods: Sequence[str] = ("loewe", "bliss", "zip"),
    progress: Callable[[str], None] | None = None,
) -> SynergyFidelity:
    """The model's synergy scores (72-h viability matrices at the assay module's default
    doses) for every measured pair of the dataset whose agents and cell line the model has,
    beside the measured score (O'Neil et al. 2016 Loewe scores as published by Preuer et
    al. 2018).  Fit failures are reported per pair, not raised."""
    from mtorsim.inference.reference import synergy_values
    from mtorsim.pathway.build import model_hash
    from mtorsim.response.assays import combination_matrix
    from mtorsim.response.cells import CellResponseModel
    from mtorsim.response.synergy import SynergyInputError, score

    say = progress or (lambda _m: None)
    model = CellResponseModel()
    rows = []
    for v in synergy_values():
        if v.dataset != dataset or not (v.agent_a and v.agent_b and v.context) or v.value is None:
            continue
        say(f"{v.context}: {v.agent_a} + {v.agent_b}")
        sim: dict[str, float | None] = dict.fromkeys(methods)
        err = ""
        try:
            m = combination_matrix(v.context, v.agent_a, v.agent_b, model=model)
            for k, res in score(m, methods).items():
                sim[k] = res.summary
        except (SynergyInputError, MtorsimError) as exc:
            err = str(exc)
        rows.append(
            SynergyRow(
                id=v.id,
                context=v.context,
                agent_a=v.agent_a,
                agent_b=v.agent_b,
                measured=v.value,
                measure=v.measure[:80],
                simulated=sim,
                error=err,
            )
        )
    return SynergyFidelity(
        dataset=dataset,
        rows=rows,
        provenance={"mtorsim_version": __version__, "model_hash": model_hash()},
    )


__all__ = [
    "PROBLEM_ID",
    "CellLineObjective",
    "CellLineValidation",
    "SynergyFidelity",
    "build_petab",
    "calibrate_cell_lines",
    "export_sbml",
    "rho50",
    "signalling_points",
    "simulated_potency",
    "split_data",
    "synergy_fidelity",
    "validate_cell_lines",
]
