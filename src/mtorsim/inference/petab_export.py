"""The cell-line problem (:mod:`mtorsim.inference.cell_lines`) exported as PEtab files.

The SBML is the signalling model's with the cell-response link added as assignment rules
(the derivation is in :mod:`mtorsim.inference.cell_lines`); the tables are one condition
per datum (the cell line's untreated run, then the drug added by an SBML event at
:data:`T_DRUG_MIN`, :func:`add_drug_event`) and one observable ``r_growth`` 72 h after it.
``mtorsim pathway petab --out DIR`` writes them; any PEtab tool (``petablint``, pyPESTO,
AMICI, Data2Dynamics) can read and re-fit them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtorsim.errors import MtorsimError
from mtorsim.inference.calibration_set import Problem, calibration_set_path, load_calibration_set
from mtorsim.inference.cell_lines import (
    ASSAY_HOURS,
    GROWTH,
    OBSERVABLE,
    PROBLEM_ID,
    petab_id,
    rho50,
    split_data,
    split_parameter_id,
)

# ---------------------------------------------------------------------------- PEtab
#: minutes of untreated run before the drugs are added (an SBML event).  pyPESTO's
#: RoadRunner pre-equilibration stops after 1000 min, too soon for relaxations of days
#: (IRS-1 turnover, RTK re-expression), so the exported problems simulate the untreated
#: phase themselves.  The slowest relaxation anywhere in the readout problem's bounds is
#: IRS-1 turnover at its lower bound (5e-5/min: 2e4 min), so 1e6 min is 50 time constants
#: (a test checks that corner of the box).
T_DRUG_MIN = 1.0e6


def add_drug_event(
    model: Any, slots: Sequence[str], formulas: Mapping[str, str] | None = None
) -> None:
    """Make each slot ``X`` an assignment ``X = drug_on * dose_X`` (or ``drug_on * (F)``
    for a formula ``F`` in ``formulas``) and add the event that sets ``drug_on = 1`` and
    ``track = 0`` at :data:`T_DRUG_MIN` (``dose_X`` is what the condition table sets;
    ``track`` freezes the reference memories)."""
    import libsbml

    for pid, value in (("drug_on", 0.0), ("track", 1.0)):
        p = model.getParameter(pid) or model.createParameter()
        p.setId(pid)
        p.setValue(value)
        p.setConstant(False)
    formulas = dict(formulas or {})
    for slot in slots:
        if slot not in formulas:
            dose = model.createParameter()
            dose.setId(f"dose_{slot}")
            dose.setValue(0.0)
            dose.setConstant(True)
        model.getParameter(slot).setConstant(False)
        rule = model.createAssignmentRule()
        rule.setVariable(slot)
        ast = libsbml.parseL3Formula(f"drug_on * ({formulas.get(slot, f'dose_{slot}')})")
        if ast is None:
            raise MtorsimError(f"internal: cannot parse the formula of {slot}")
        rule.setMath(ast)
    event = model.createEvent()
    event.setId("add_drug")
    event.setUseValuesFromTriggerTime(True)
    trigger = event.createTrigger()
    trigger.setInitialValue(False)
    trigger.setPersistent(True)
    trigger.setMath(libsbml.parseL3Formula(f"time >= {T_DRUG_MIN!r}"))
    for var, expr in (("drug_on", "1"), ("track", "0")):
        a = event.createEventAssignment()
        a.setVariable(var)
        a.setMath(libsbml.parseL3Formula(expr))


#: condition-table entries that restart the event's targets in every condition (pyPESTO's
#: RoadRunner objective does not reset parameters an event changed)
EVENT_RESET = {"drug_on": 0.0, "track": 1.0}


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

    param("k_track", 0.1)  # 1/min: the reference states settle within the untreated run
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
    from mtorsim.pathway.drugs import SLOTS

    add_drug_event(model, [*SLOTS, *(f"C_{petab_id(a)}" for a in cytotoxics)])
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
        kind, who, _name = split_parameter_id(pid)
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
            | {f"dose_{k}": x for k, x in drugs.items()}
            | EVENT_RESET
        )
        ctx = load_context(v.context)
        measurements.append(
            {
                "observableId": OBSERVABLE,
                "simulationConditionId": f"c_{v.id}",
                "measurement": rho50(CellResponseModel.doubling_time_h(ctx)),
                "time": T_DRUG_MIN + ASSAY_HOURS * 60.0,
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
    # in the order of the condition ids: pyPESTO 0.7's RoadRunner objective pairs its
    # per-condition data (in order of appearance) with parameter mappings sorted by id
    conditions.sort(key=lambda c: str(c["conditionId"]))
    measurements.sort(key=lambda m: str(m["simulationConditionId"]))
    return PetabTables(
        sbml=sbml,
        conditions=pd.DataFrame(conditions),
        measurements=pd.DataFrame(measurements),
        observables=observables,
        parameters=params,
    )


__all__ = [
    "EVENT_RESET",
    "T_DRUG_MIN",
    "PetabTables",
    "add_drug_event",
    "build_petab",
    "export_sbml",
]
