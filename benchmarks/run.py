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
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:10.4f}")
    print(f"(agents {len(kb.agents)}, trials {len(kb.trials)}, outcomes {len(kb.outcomes)})")


if __name__ == "__main__":
    main()
