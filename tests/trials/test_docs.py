"""The trial-design example in docs/trial-designs.md loads and runs (skips without docs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mtorsim.trials import load_design, run_trial

DOC = Path(__file__).resolve().parents[2] / "docs" / "trial-designs.md"


def test_documented_design_runs(tmp_path: Path) -> None:
    if not DOC.is_file():
        pytest.skip("docs/ not present")
    block = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    path = tmp_path / "my-trial.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    d = load_design(path)
    r = run_trial(d, n_patients=40, seed=1)
    assert {a.id for a in r.arms} == {"eve5-exe", "eve10-exe"}
    di = r.patients.groupby("arm")["dose_intensity_mg_day:everolimus"].median()
    # 5 mg daily gives about 5 mg/day (a partial last day adds a little), 10 mg about 10
    assert 4.5 < di["eve5-exe"] < 5.6 and 9.0 < di["eve10-exe"] < 11.0
