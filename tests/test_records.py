"""Every public verb returns a record that round-trips through JSON (and files)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from mtorsim.inference import (
    CalibrationResult,
    SensitivityResult,
    ValidationReport,
    calibrate_pathway,
    calibrate_trial,
    morris_hr,
    validate,
)
from mtorsim.trials import SubgroupTable, TrialResult, run_trial, subgroups


@pytest.fixture(scope="module")
def trial() -> TrialResult:
    return run_trial("bolero-2", n_patients=60, seed=4, exact_subsample=1)


def _same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False
    )


def test_trial_result_round_trips_through_json_and_files(
    trial: TrialResult, tmp_path: Path
) -> None:
    text = trial.to_json()
    json.loads(text)  # valid JSON (no NaN, no Infinity)
    back = TrialResult.from_json(text)
    assert back.summary == trial.summary and back.design == trial.design
    assert back.curves == trial.curves
    _same_frames(back.patients, trial.patients)
    trial.save(tmp_path)
    loaded = TrialResult.load(tmp_path)
    assert loaded.summary == trial.summary
    _same_frames(loaded.patients, trial.patients)
    # the record is typed: attributes, not string keys
    assert trial.comparison is not None and 0 < trial.comparison.hazard_ratio < 2
    assert trial.summary.exact_check is not None and trial.summary.exact_check.patients == 1
    frame = trial.to_frame()
    assert list(frame["arm"]) == ["eve-exe", "pbo-exe"]
    assert frame["n"].sum() == 60
    assert trial.provenance.n_patients == 60 and trial.provenance.seed == 4


def test_subgroup_table_round_trips(trial: TrialResult) -> None:
    table = subgroups(trial)
    assert table is not None
    assert SubgroupTable.from_json(table.to_json()) == table
    assert len(table.to_frame()) == len(table.rows)


def test_calibration_results_round_trip(tmp_path: Path) -> None:
    trial_fit = calibrate_trial(
        overrides={
            "n_patients": 40,
            "cohort_seeds": [1],
            "n_starts": 1,
            "max_evals": 4,
            "ensemble_size": 0,
        }
    )
    pathway_fit = calibrate_pathway(overrides={"n_starts": 1, "max_evals": 3})
    for rec in (trial_fit, pathway_fit):
        assert CalibrationResult.from_json(rec.to_json()) == rec
        path = rec.save(tmp_path / f"{rec.problem}.json")
        assert CalibrationResult.load(path) == rec
        assert list(rec.to_frame()["id"]) == [p.id for p in rec.parameters]
        assert math.isfinite(rec.objective)


def test_validation_and_sensitivity_round_trip(tmp_path: Path) -> None:
    rep = validate(["everolimus-capecitabine"], replicates=1, n_patients=12, ida=True)
    assert ValidationReport.from_json(rep.to_json()) == rep
    assert ValidationReport.load(rep.save(tmp_path / "v.json")) == rep
    assert rep.ida and rep.ida[0].design == "everolimus-capecitabine"
    assert "error" in rep.to_frame().columns
    sens = morris_hr("bolero-2", trajectories=1, n_patients=30)
    assert SensitivityResult.from_json(sens.to_json()) == sens
    assert SensitivityResult.load(sens.save(tmp_path / "s.json")) == sens


def test_a_record_file_of_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    from mtorsim.errors import DataFileError

    p = tmp_path / "x.json"
    p.write_text('{"kind": "validation"}')
    with pytest.raises(DataFileError, match=r"x\.json"):
        CalibrationResult.load(p)
