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
    # fast vs exact on 32 calibrated patients, with their PFS agreement
    from mtorsim.trials.run import exact_check

    n_ex = 32
    res = run_trial(design, n_patients=n_ex, model=model)
    t_fast = best_of(
        lambda: [
            simulate_patient(design, pt, sims[pt.arm], cr)
            for pt in (sample_patient(design, i, res.provenance.seed, tumour) for i in range(n_ex))
        ],
        3,
    )
    t0 = time.perf_counter()
    ex = exact_check(design, res.patients, n_ex, res.provenance.seed, tumour, model)
    t_exact = time.perf_counter() - t0
    figures[f"trial: fast path, ms per patient ({n_ex} patients)"] = 1e3 * t_fast / n_ex
    figures[f"trial: exact coupled path, ms per patient ({n_ex} patients)"] = 1e3 * t_exact / n_ex
    figures["trial: exact / fast path time, same patients, same run (ratio)"] = t_exact / t_fast
    figures[f"trial: PFS identical fast vs exact (of {n_ex})"] = ex.pfs_identical
    figures["trial: median PFS fast / exact (ratio)"] = ex.median_pfs_fast / ex.median_pfs_exact

    # response surfaces: built (empty cache) vs read back from the cache
    import os
    import subprocess
    import sys
    import tempfile

    from mtorsim.response.effect import SurfaceEffect
    from mtorsim.trials.run import prepare_surfaces

    with tempfile.TemporaryDirectory() as cache:
        old = os.environ.get("MTORSIM_CACHE")
        os.environ["MTORSIM_CACHE"] = cache
        try:
            t0 = time.perf_counter()
            prepare_surfaces(design, effect_models(design, CellResponseModel(kb=kb)))
            t_build = time.perf_counter() - t0
            t0 = time.perf_counter()
            prepare_surfaces(design, effect_models(design, CellResponseModel(kb=kb)))
            t_cached = time.perf_counter() - t0
        finally:
            if old is None:
                os.environ.pop("MTORSIM_CACHE")
            else:
                os.environ["MTORSIM_CACHE"] = old
    n_surf = sum(len(e.surfaces) for e in sims.values() if isinstance(e, SurfaceEffect))
    figures[f"surfaces: BOLERO-2's {n_surf}, built, empty cache (s)"] = t_build
    figures["surfaces: the same, read from the cache (s)"] = t_cached
    figures["surfaces: built / cached time (ratio)"] = t_build / t_cached

    # the main job as a user runs it: a new process each time
    exe = [sys.executable, "-m", "mtorsim", "trial", "run", "bolero-2", "--json"]

    def main_job(out: str, cache: str) -> float:
        env = os.environ | {"MTORSIM_CACHE": cache}
        t0 = time.perf_counter()
        subprocess.run([*exe, "--out", out], env=env, check=True, capture_output=True)
        return time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        cache = f"{tmp}/cache"
        figures["main job: 724 patients, new process, empty cache (s)"] = main_job(
            f"{tmp}/a", cache
        )
        figures["main job: cold (new output folder, surfaces cached) (s)"] = min(
            main_job(f"{tmp}/b{i}", cache) for i in range(3)
        )
        figures["main job: warm (same folder: chunks checkpointed) (s)"] = min(
            main_job(f"{tmp}/b0", cache) for _ in range(3)
        )

    # engines: the same 2000 patients on 1 and 2 worker processes (identical tables)
    from mtorsim.trials.execution import ProcessEngine

    times = {}
    for w in (1, 2):
        with ProcessEngine(w) as eng:
            t0 = time.perf_counter()
            run_trial(design, n_patients=2000, seed=5, engine=eng)
            times[w] = time.perf_counter() - t0
    figures["engine: 2000 patients, 1 worker process (s)"] = times[1]
    figures["engine: 2000 patients, 2 worker processes (s)"] = times[2]
    figures["engine: 1 / 2 workers time (speed-up)"] = times[1] / times[2]
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
