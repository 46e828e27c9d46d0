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
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:10.4f}")
    print(f"(agents {len(kb.agents)}, trials {len(kb.trials)}, outcomes {len(kb.outcomes)})")


if __name__ == "__main__":
    main()
