"""Validation without refitting, subgroups, sensitivity and their commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mtorsim.cli import main
from mtorsim.errors import MtorsimError
from mtorsim.inference import morris_hr, validate
from mtorsim.trials import load_design, run_trial, subgroups


def test_validation_uses_the_shipped_values_unchanged() -> None:
    """No refitting: validation runs with the shipped clinical record's fitted medians and
    leaves the tumour file as it was."""
    from mtorsim.inference import load_calibration
    from mtorsim.tumour.model import default_tumour_path

    before = default_tumour_path().read_bytes()
    rep = validate(["tamrad"], replicates=1, n_patients=30)
    fitted = load_calibration("clinical").values
    for k, v in rep.calibration["tumour_medians"].items():
        assert v == fitted[f"tumour.{k}"]
    assert default_tumour_path().read_bytes() == before
    assert rep.calibration["pathway_parameters"] == {}
    row = next(r for r in rep.rows if r.endpoint == "CBR" and r.arm == "tam-eve")
    assert row.published == pytest.approx(61.1)
    assert (row.pub_low, row.pub_high) == (46.9, 74.1)


def test_validation_designs_exclude_the_calibration_trial() -> None:
    rep = validate(["bolero-2", "everolimus-capecitabine"], replicates=1, n_patients=12)
    assert {r.design for r in rep.rows} == {"everolimus-capecitabine"}
    orr = next(r for r in rep.rows if r.endpoint == "ORR")
    assert orr.published == pytest.approx(100 * 2 / 12)  # 2 PR of 12 (review)
    assert load_design("everolimus-capecitabine").n_patients == 12


@pytest.mark.slow
def test_ensemble_interval_is_wider_than_sampling_only() -> None:
    """The same replicate trials (same seeds, same patients' draws) with the calibrated
    ensemble's parameter sets in turn spread wider than with the fitted values alone:
    the interval adds parameter uncertainty to sampling uncertainty."""
    from mtorsim.inference.records import ensemble_populations, load_calibration

    members = ensemble_populations(load_calibration("clinical"))
    assert len(members) >= 2
    r = 2 * len(members)
    same = validate(["tamrad"], replicates=r, n_patients=60, ensemble=None)
    ens = validate(["tamrad"], replicates=r, n_patients=60, ensemble=members)

    def width(rep: object) -> float:
        rows = [x for x in rep.rows if x.endpoint in ("pfs_median", "hazard_ratio")]
        return sum(x.sim_high - x.sim_low for x in rows if x.sim_low is not None)

    assert width(ens) > width(same) > 0
    assert ens.calibration["ensemble_members"] == len(members)


def test_qualitative_no_benefit_is_judged_by_the_hr_interval() -> None:
    """A qualitative "no benefit" (the review's words for the first-line temsirolimus
    trial) is met when the simulated HR interval contains 1; a published number written
    into the design (Wolff 2013: HR 0.90) takes precedence over it."""
    from mtorsim.inference.results import ValidationRow

    def row(lo: float, hi: float) -> ValidationRow:
        return ValidationRow(
            design="x",
            endpoint="hazard_ratio",
            arm="a vs b",
            simulated=(lo + hi) / 2,
            sim_low=lo,
            sim_high=hi,
            published="no benefit (qualitative)",
            pub_low=None,
            pub_high=None,
            source="test",
            unit="ratio",
        )

    assert row(0.8, 1.1).inside is True and row(0.5, 0.9).inside is False
    rep = validate(["temsirolimus-letrozole-phase3"], replicates=2, n_patients=60)
    hr = next(r for r in rep.rows if r.endpoint == "hazard_ratio")
    assert hr.published == 0.90 and (hr.pub_low, hr.pub_high) == (0.76, 1.07)
    assert hr.sim_low is not None and hr.sim_high is not None
    assert hr.inside == (hr.sim_low <= 0.90 <= hr.sim_high)


@pytest.mark.slow
def test_subgroups_and_sensitivity() -> None:
    r = run_trial("bolero-2", n_patients=240, seed=3)
    table = subgroups(r)
    assert table is not None
    names = [x.subgroup for x in table.rows]
    assert "PIK3CA mutation: yes" in names and "all patients" in names
    # the 'all patients' row is the trial's own HR
    assert table.rows[0].hazard_ratio == pytest.approx(r.comparison.hazard_ratio)
    s = morris_hr("bolero-2", trajectories=2, n_patients=40)
    assert s.runs == 22 and len(s.ranking) == 10
    assert s.ranking[0].mu_star >= s.ranking[-1].mu_star
    assert list(s.to_frame().columns) == ["factor", "mu_star", "sigma", "low", "high"]


def test_bad_settings_are_refused_with_the_reason() -> None:
    with pytest.raises(MtorsimError, match="trajectory"):
        morris_hr("bolero-2", trajectories=0)
    with pytest.raises(MtorsimError, match="built-in designs"):
        validate(["no-such-trial"], replicates=1)
    with pytest.raises(MtorsimError, match="replicates"):
        validate(["tamrad"], replicates=0)


def test_cli_calibrate_quick_validate_subgroups(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cal.json"
    cal = runner.invoke(
        main,
        [
            "calibrate",
            "clinical",
            "--quick",
            "--max-evals",
            "6",
            "--ensemble-size",
            "0",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert cal.exit_code == 0, cal.output
    rec = json.loads(cal.stdout)
    assert rec["problem"] == "clinical" and Path(rec["files"]["record"]) == out
    # the record is usable at once by name of its file
    run = runner.invoke(
        main,
        [
            "trial",
            "run",
            "tamrad",
            "--patients",
            "20",
            "--calibration",
            str(out),
            "--uncertainty",
            "3",
            "--out",
            str(tmp_path / "t"),
            "--json",
        ],
    )
    assert run.exit_code == 0, run.output
    unc = json.loads(run.stdout)["uncertainty"]  # stderr has the few-replicates warning
    from mtorsim.inference.results import ValidationReport

    back = ValidationReport.load(tmp_path / "t" / "uncertainty.json")
    assert back.model_dump(mode="json") == unc and back.replicates == 3
    cbr = next(r for r in back.rows if r.endpoint == "CBR" and r.arm == "tam-eve")
    assert cbr.published == pytest.approx(61.1)  # TAMRAD's published CBR beside it
    prov = json.loads(run.stdout)["summary"]["provenance"]
    assert prov["calibration"].startswith("clinical")
    assert prov["tumour_medians"]["effect_scale"] == pytest.approx(rec["parameters"][1]["fitted"])
    # a pathway record reaches the signalling model (and so the checkpoint key)
    run2 = runner.invoke(
        main,
        [
            "trial",
            "run",
            "tamrad",
            "--patients",
            "20",
            "--calibration",
            "pathway-checklist",
            "--out",
            str(tmp_path / "t2"),
            "--json",
        ],
    )
    assert run2.exit_code == 0, run2.output
    prov2 = json.loads(run2.stdout)["summary"]["provenance"]
    from mtorsim.inference import load_calibration

    # the run's signalling model carries exactly the record's fitted values
    shipped = load_calibration("pathway-checklist").values
    assert prov2["pathway_parameters"] == pytest.approx(shipped)
    bad = runner.invoke(main, ["calibrate", "tamrad"])
    assert bad.exit_code == 2 and "not a trial problem of the calibration set" in bad.output
    val = runner.invoke(
        main,
        [
            "validate",
            "--design",
            "everolimus-capecitabine",
            "--replicates",
            "2",
            "--patients",
            "12",
            "--out",
            str(tmp_path / "val"),
        ],
    )
    assert val.exit_code == 0, val.output
    assert "inside the simulated interval" in val.output
    for f in ("validation.json", "validation.csv", "validation.png"):
        assert (tmp_path / "val" / f).stat().st_size > 0
    sub = runner.invoke(
        main,
        ["trial", "subgroups", "bolero-2", "--patients", "200", "--plot", str(tmp_path / "f.png")],
    )
    assert sub.exit_code == 0, sub.output
    assert (tmp_path / "f.png").stat().st_size > 0
