"""Benchmarks: run with ``python benchmarks/run.py`` and read the figures it prints.

Measured here rather than in timed tests (tests assert science, benchmarks
measure speed).  Each figure is the best of several repeats.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mtorsim.knowledge import base, find_outcomes, find_trials, lint


def best_of(fn: Callable[[], object], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    folder = base.default_data_dir()
    figures = {
        "knowledge base: load and validate all files (s)": best_of(
            lambda: base.load_knowledge_base(folder)
        ),
    }
    kb = base.load_knowledge_base(folder)
    figures["knowledge base: lint, all checks (s)"] = best_of(lambda: lint(kb))
    figures["query: HER2+ trials with trastuzumab + mTOR inhibitor (ms)"] = 1e3 * best_of(
        lambda: find_trials(
            kb, drugs=["trastuzumab"], classes=["mtor_inhibitor"], receptor="HER2+"
        ),
        20,
    )
    figures["query: BOLERO-2 PFS outcomes (ms)"] = 1e3 * best_of(
        lambda: find_outcomes(kb, trial="BOLERO-2", endpoint="PFS"), 20
    )
    from mtorsim.pathway import PathwaySimulator

    sim = PathwaySimulator(kb)
    sim.steady_state("MCF7")  # warm-up (JIT compilation of the model)
    figures["pathway: one steady state, MCF7 + everolimus (ms)"] = 1e3 * best_of(
        lambda: sim.steady_state("MCF7", {"everolimus": 10}), 10
    )
    figures["pathway: 24 h time course, 241 points (ms)"] = 1e3 * best_of(
        lambda: sim.time_course("MCF7", {"everolimus": 10}, t_end_min=1440), 5
    )

    def grid() -> None:
        for e in [0, 0.3, 1, 2, 3, 10, 30, 100, 300, 1000]:
            for m in [0, 0.3, 1, 2, 3, 10, 30, 100, 300, 1000]:
                sim.steady_state("MCF7", {"everolimus": e, "mek-inhibitor": m})

    figures["pathway: 10 x 10 two-drug steady-state grid (s)"] = best_of(grid, 3)
    from mtorsim.pathway.checks import run_checks

    figures["pathway: full behaviour checklist (s)"] = best_of(lambda: run_checks(sim), 3)

    from mtorsim.pharmacology import simulate_pk

    figures["pk: everolimus 10 mg daily, 28-day profile at 15 min (ms)"] = 1e3 * best_of(
        lambda: simulate_pk("everolimus", "10 mg daily", 28, kb=kb), 5
    )

    import numpy as np

    from mtorsim.pharmacology import dosed_drug, parse_regimen
    from mtorsim.pharmacology.exposure import concentration_on_grid
    from mtorsim.pharmacology.regimen import Patient

    dd = dosed_drug("exemestane", parse_regimen("25 mg daily"), kb)
    events = dd.regimen.events(730.0, Patient())
    n_grid = 730 * 12
    for mean in (True, False):
        figures[
            f"exposure: 2-y exemestane grid, {'interval means' if mean else 'point samples'} (ms)"
        ] = 1e3 * best_of(
            lambda mean=mean: concentration_on_grid(
                dd.record.parameters(), events, n_grid, 2.0, mean
            ),
            5,
        )
    figures["exposure: interval means / point samples, same run (time ratio)"] = (
        figures["exposure: 2-y exemestane grid, interval means (ms)"]
        / figures["exposure: 2-y exemestane grid, point samples (ms)"]
    )

    from mtorsim.response import CellResponseModel, DoseMatrix, combination_matrix, score

    def matrix_and_scores() -> None:
        m = combination_matrix("BT474", "everolimus", "lapatinib", model=CellResponseModel(kb=kb))
        score(m)

    figures["response: 7 x 7 simulated matrix + ZIP/Bliss/HSA/Loewe, cold (s)"] = best_of(
        matrix_and_scores, 3
    )
    c = np.concatenate([[0.0], 10 ** np.linspace(-1, 2, 9)])
    e1, e2 = c / (c + 3.0), c**1.5 / (c**1.5 + 10.0**1.5)
    y = (
        100
        * (e1[:, None] + e2[None, :] - e1[:, None] * e2[None, :])
        * (1 + 0.02 * np.sin(c[:, None] + c[None, :]))
    )
    measured = DoseMatrix("A", "B", c, c, np.clip(y, 0, 100))
    figures["synergy: score a 10 x 10 measured matrix, all four (s)"] = best_of(
        lambda: score(measured), 3
    )
    # ---------------------------------------------------------------- virtual trials
    from mtorsim.response.effect import DynamicEffect
    from mtorsim.trials.design import load_design
    from mtorsim.trials.engine import effect_models, simulate_patient
    from mtorsim.trials.patients import sample_patient
    from mtorsim.trials.run import run_trial
    from mtorsim.tumour import TumourModel, load_tumour_population

    design = load_design("bolero-2")
    tumour = load_tumour_population()
    model = CellResponseModel(kb=kb)
    sims = effect_models(design, model)
    cr = TumourModel(tumour)
    pts = [sample_patient(design, i, 1, tumour) for i in range(200)]
    for pt in pts[:20]:  # build the surfaces first: this figure is per patient, warm
        simulate_patient(design, pt, sims[pt.arm], cr)
    t0 = time.perf_counter()
    for pt in pts:
        simulate_patient(design, pt, sims[pt.arm], cr)
    figures["trial: fast path, virtual patients per second (warm)"] = len(pts) / (
        time.perf_counter() - t0
    )
    t0 = time.perf_counter()
    exact = effect_models(design, model, DynamicEffect)
    for pt in pts[:4]:
        simulate_patient(design, pt, exact[pt.arm], cr)
    t_exact = time.perf_counter() - t0
    figures["trial: exact coupled path, virtual patients per second"] = 4 / t_exact
    t_fast = best_of(lambda: [simulate_patient(design, pt, sims[pt.arm], cr) for pt in pts[:4]])
    figures["trial: exact / fast path time, same 4 patients, same run (ratio)"] = t_exact / t_fast
    for n in (181, 362, 724):
        t0 = time.perf_counter()
        run_trial(design, n_patients=n, model=CellResponseModel(kb=kb))
        figures[f"trial: BOLERO-2 run, {n} patients, all layers, cold (s)"] = (
            time.perf_counter() - t0
        )
    from mtorsim.inference import load_calibration_set
    from mtorsim.inference.trial_calibration import TrialObjective, resolve_targets

    problem = load_calibration_set().problem("clinical")
    cfg = problem.settings
    j = TrialObjective(
        problem, cfg["n_patients"], tuple(cfg["cohort_seeds"]), resolve_targets(problem)
    )
    t0 = time.perf_counter()
    j.cohorts  # noqa: B018 - builds the cohorts
    n_cal = sum(len(c.patients) for cs in j.cohorts.values() for c in cs)
    figures[f"calibration: build {len(j.cohorts)} design cohorts, {n_cal} patients (s)"] = (
        time.perf_counter() - t0
    )
    x0 = problem.table.nominal_scaled()
    j(x0)  # the simulation SEs, once
    figures[f"calibration: one objective evaluation, {n_cal} patients (s)"] = best_of(
        lambda: j(x0), 3
    )
    from mtorsim.inference.pathway_calibration import ChecklistObjective

    pj = ChecklistObjective(load_calibration_set().problem("pathway-checklist"), 0.15, 0.01)
    px = pj.table.nominal_scaled()
    pj(px)  # builds the simulator
    figures["pathway calibration: one objective evaluation (s)"] = best_of(lambda: pj(px), 3)
    import tempfile

    from mtorsim.inference.cell_lines import CellLineObjective, signalling_points
    from mtorsim.inference.petab_export import build_petab

    cp = load_calibration_set().problem("cell-lines")
    t0 = time.perf_counter()
    pts = signalling_points(cp)
    figures[f"cell-lines: network steady states at {len(pts)} data (s)"] = time.perf_counter() - t0
    cj = CellLineObjective(cp, pts, float(cp.settings["sigma"]), str(cp.settings["noise"]))
    cx = cp.table.nominal_scaled()
    t_closed = best_of(lambda: cj(cx), 5)
    figures["cell-lines: one objective evaluation, closed form (s)"] = t_closed
    import petab.v1 as petab
    import pypesto.petab

    with tempfile.TemporaryDirectory() as tmp:
        pp = petab.Problem.from_yaml(build_petab(cp).write(tmp))
        rr = pypesto.petab.PetabImporter(pp, simulator_type="roadrunner").create_problem()
        t0 = time.perf_counter()
        rr.objective(np.asarray(pp.x_nominal_free_scaled))
        t_rr = time.perf_counter() - t0
    figures["cell-lines: one evaluation, pyPESTO RoadRunner on the PEtab files (s)"] = t_rr
    figures["cell-lines: PEtab-RoadRunner / closed-form evaluation time (ratio)"] = t_rr / t_closed
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:10.4f}")
    print(f"(agents {len(kb.agents)}, trials {len(kb.trials)}, outcomes {len(kb.outcomes)})")


if __name__ == "__main__":
    main()
