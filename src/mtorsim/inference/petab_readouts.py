"""The readout problem (:mod:`mtorsim.inference.readout_calibration`) exported as PEtab.

The SBML is the signalling model's with three additions, so that a PEtab tool computes
exactly mtorsim's observable:

* the two drug slots the experiment uses become assignment rules of PEtab parameters,
  ``C_pi3k_atp = on_bez * dose_bez * K_pi3k_atp / potency_bez`` and
  ``C_mtor_atp = on_bez * dose_bez * K_mtor_atp / K_bez + on_azd * dose_azd * K_mtor_atp /
  K_pp242`` (``K_bez``, ``K_pp242``: the knowledge base's mTOR potencies, written in as
  numbers; the condition table switches each drug on);
* the drug is added by an event at ``T_DRUG_MIN`` after an untreated run long enough to
  reach the untreated steady state (measurement times are counted from the start of the
  run), and each readout ``f_X`` gets a memory ``base_X`` that follows it until then and
  is frozen after, so the observable ``(f_X / base_X) ** gamma`` is the fold over the
  untreated state;
* the fitted parameters appear under their PEtab ids (dots -> ``__``).

Measurements are the 56 Hill 2017 folds, observable transformation ``log10`` with normal
noise of ``sigma_log2 * log10(2)``, and every network parameter has PEtab's
``parameterScaleNormal`` prior of the problem's ``prior_sd_log10``.  The PEtab negative
log-posterior therefore differs from mtorsim's objective by a constant only.
``mtorsim pathway petab --problem pathway-readouts --out DIR`` writes the files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mtorsim.errors import MtorsimError
from mtorsim.inference.calibration_set import Problem, load_calibration_set
from mtorsim.inference.cell_lines import petab_id
from mtorsim.inference.petab_export import (
    EVENT_RESET,
    T_DRUG_MIN,
    PetabTables,
    add_drug_event,
)

PROBLEM_ID = "pathway-readouts"
TRACK_RATE = 0.1  # 1/min: the memories settle long before the drug is added


def export_sbml(bez_mtor_nM: float, azd_mtor_nM: float, readouts: list[str]) -> str:
    """The model's SBML with the slot rules and readout memories of the module docstring."""
    import libsbml

    from mtorsim.inference.readout_calibration import BEZ_PI3K, DRUGS
    from mtorsim.pathway.build import sbml_string

    doc = libsbml.readSBMLFromString(sbml_string())
    model = doc.getModel()

    def param(pid: str, value: float, constant: bool = True) -> None:
        p = model.createParameter()
        p.setId(pid)
        p.setValue(float(value))
        p.setConstant(constant)

    def rule(kind: str, var: str, formula: str) -> None:
        r = model.createAssignmentRule() if kind == "assign" else model.createRateRule()
        r.setVariable(var)
        ast = libsbml.parseL3Formula(formula)
        if ast is None:
            raise MtorsimError(f"internal: cannot parse {formula!r}")
        r.setMath(ast)

    bez, azd = (petab_id(DRUGS[k][1]) for k in ("dactolisib", "azd8055"))
    pot = petab_id(BEZ_PI3K)
    # placeholders: the PEtab parameter table gives every one of them its value
    for pid in (bez, azd, pot):
        param(pid, 1.0)
    for pid in ("on_bez", "on_azd"):
        param(pid, 0.0)
    add_drug_event(
        model,
        ["C_pi3k_atp", "C_mtor_atp"],
        {
            "C_pi3k_atp": f"on_bez * {bez} * K_pi3k_atp / {pot}",
            "C_mtor_atp": f"on_bez * {bez} * K_mtor_atp / {bez_mtor_nM!r} + on_azd * {azd} * "
            f"K_mtor_atp / {azd_mtor_nM!r}",
        },
    )
    param("k_track", TRACK_RATE)
    for sym in readouts:
        param(f"base_{sym}", 0.5, constant=False)
        rule("rate", f"base_{sym}", f"track * k_track * ({sym} - base_{sym})")
    return str(libsbml.writeSBMLToString(doc))


def build_readout_petab(
    problem: Problem | None = None, values: Mapping[str, float] | None = None
) -> PetabTables:
    """The readout problem as PEtab tables; ``values`` set nominal values (e.g. a fitted
    record's), otherwise the calibration set's starts."""
    import pandas as pd

    from mtorsim.inference.readout_calibration import (
        EXPERIMENT,
        GAMMA,
        ReadoutObjective,
        check_parameter_ids,
    )
    from mtorsim.inference.readout_validation import READOUT_MAP
    from mtorsim.pathway.contexts import load_context
    from mtorsim.pathway.simulate import READOUTS

    problem = problem or load_calibration_set().problem(PROBLEM_ID)
    check_parameter_ids(problem)
    st = problem.settings
    j = ReadoutObjective(problem, float(st["sigma_log2"]), float(st["prior_sd_log10"]))
    bez_mtor = j.potency["nvp-bez235"]["C_mtor_atp"]
    azd_mtor = j.potency["pp242"]["C_mtor_atp"]
    syms = sorted({READOUTS[READOUT_MAP[r["readout"]]] for r, _ in j.rows})
    sbml = export_sbml(bez_mtor, azd_mtor, syms)
    line = j.context
    ctx = load_context(line).values()
    conditions = [
        {"conditionId": f"{line}_dactolisib", "conditionName": f"{line} dactolisib (Hill 2017)"}
        | ctx
        | {"on_bez": 1.0, "on_azd": 0.0}
        | EVENT_RESET,
        {"conditionId": f"{line}_azd8055", "conditionName": f"{line} AZD8055 (Hill 2017)"}
        | ctx
        | {"on_bez": 0.0, "on_azd": 1.0}
        | EVENT_RESET,
    ]
    gamma = petab_id(GAMMA)
    observables, measurements = {}, []
    for r, t in j.rows:
        sym = READOUTS[READOUT_MAP[r["readout"]]]
        oid = "obs_" + petab_id(r["readout"])
        observables[oid] = {
            "observableId": oid,
            "observableName": f"{r['readout']} / vehicle (RPPA)",
            "observableFormula": f"({sym} / base_{sym})^{gamma}",
            "noiseFormula": float(st["sigma_log2"]) * math.log10(2.0),
            "noiseDistribution": "normal",
            "observableTransformation": "log10",
        }
        drug = r["drug"].split(" ")[0].lower()
        measurements.append(
            {
                "observableId": oid,
                "simulationConditionId": f"{line}_{drug}",
                "measurement": float(r["fold_change"]),
                "time": T_DRUG_MIN + t * 60.0,
                "datasetId": "hill2017",
                "replicateId": r["id"],
            }
        )
    params = problem.table.to_petab(dict(values or {})).reset_index()
    prior_sd = float(st["prior_sd_log10"])
    # the same mask as mtorsim's objective (ReadoutObjective.prior_mask)
    model_rows = [not r.id.startswith(EXPERIMENT) for r in problem.table.rows]
    if any(m and r.scale != "log10" for r, m in zip(problem.table.rows, model_rows, strict=True)):
        raise MtorsimError(f"{PROBLEM_ID}: network parameters must be log10-scaled (priors)")
    params["objectivePriorType"] = ["parameterScaleNormal" if m else "" for m in model_rows]
    params["objectivePriorParameters"] = [
        f"{math.log10(r.nominal)!r};{prior_sd!r}" if m else ""
        for r, m in zip(problem.table.rows, model_rows, strict=True)
    ]
    # conditions and measurements in the order of the condition ids: pyPESTO 0.7's
    # RoadRunner objective pairs its per-condition data (in order of appearance) with
    # parameter mappings (sorted by id), so any other order swaps the drugs
    conditions.sort(key=lambda c: str(c["conditionId"]))
    measurements.sort(key=lambda m: str(m["simulationConditionId"]))
    return PetabTables(
        sbml=sbml,
        conditions=pd.DataFrame(conditions),
        measurements=pd.DataFrame(measurements),
        observables=pd.DataFrame(list(observables.values())),
        parameters=params,
    )


def petab_objective(tables: PetabTables) -> Any:
    """pyPESTO's RoadRunner objective of the exported files (a second engine) and the
    PEtab problem."""
    from pypesto.petab import PetabImporter

    problem = tables.problem()
    importer = PetabImporter(problem, simulator_type="roadrunner")
    return importer.create_problem(), problem


__all__ = ["build_readout_petab", "export_sbml", "petab_objective"]
