"""Calibration on BOLERO-2, validation without refitting, IDA baseline, subgroups,
sensitivity: closed forms, published values and reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mtorsim.trials import load_design, run_trial
from mtorsim.trials.calibrate import (
    FREE,
    Settings,
    calibrate,
    calibrated_tumour,
    load_record,
    targets,
)
from mtorsim.trials.ida import copula_cdf, exponential_ida_median, ida_survival, median_of


# ---------------------------------------------------------------------- IDA
def test_ida_hand_computed_exponential_case() -> None:
    """Exponential monotherapies with medians 3 and 5 months, independent responses:
    S = S_A + S_B - S_A S_B; its median solves exp(-a t) + exp(-b t) - exp(-(a+b) t) = 1/2
    (by hand at t = 7.03: exp(-1.624) + exp(-0.9745) - exp(-2.599) = 0.1971 + 0.3774 - 0.0743
    = 0.5002, so the median is 7.03 months)."""
    grid = np.linspace(0, 40, 400001)
    s_a, s_b = np.exp(-math.log(2) / 3 * grid), np.exp(-math.log(2) / 5 * grid)
    m0 = median_of(grid, ida_survival(s_a, s_b, 0.0))
    assert m0 == pytest.approx(exponential_ida_median(3, 5, 0.0), abs=2e-4)
    # hand check of the closed form itself at its root
    t = exponential_ida_median(3, 5, 0.0)
    a, b = math.log(2) / 3, math.log(2) / 5
    assert math.exp(-a * t) + math.exp(-b * t) - math.exp(-(a + b) * t) == pytest.approx(0.5)
    assert t == pytest.approx(7.03, abs=0.01)
    # perfectly correlated responses: the better drug's curve, median 5
    assert median_of(grid, ida_survival(s_a, s_b, 1.0)) == pytest.approx(5.0, abs=2e-4)
    # intermediate correlation lies between the two
    m3 = median_of(grid, ida_survival(s_a, s_b, 0.3))
    assert 5.0 < m3 < m0


def test_gaussian_copula_against_monte_carlo() -> None:
    rng = np.random.default_rng(0)
    z = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=400_000)
    from scipy.stats import norm

    u = norm.cdf(z)
    for a, b in ((0.3, 0.6), (0.5, 0.5), (0.8, 0.2)):
        mc = float(np.mean((u[:, 0] <= a) & (u[:, 1] <= b)))
        assert copula_cdf(np.array([a]), np.array([b]), 0.5)[0] == pytest.approx(mc, abs=3e-3)


# ---------------------------------------------------------------------- calibration
def test_targets_come_from_the_knowledge_base() -> None:
    t = {x.name: x for x in targets()}
    assert t["hazard_ratio"].value == pytest.approx(0.45)
    assert t["hazard_ratio"].se_log == pytest.approx(
        (math.log(0.54) - math.log(0.38)) / 3.919928, rel=1e-6
    )
    assert t["median_pfs:eve-exe"].value == pytest.approx(7.82)
    assert t["median_pfs:pbo-exe"].value == pytest.approx(3.19)


def test_quick_calibration_is_reproducible_and_improves_the_fit() -> None:
    st = Settings(n_patients=90, seeds=(5,), max_evals=12, bootstrap=0)
    a, b = calibrate(st), calibrate(st)
    assert a["parameters"] == b["parameters"]
    assert a["objective"]["fitted"] <= a["objective"]["start"]
    assert set(a["parameters"]) == set(FREE)


def test_calibrated_bolero2_is_within_the_published_ci() -> None:
    """The shipped calibration reproduces BOLERO-2: HR inside 0.38-0.54, arm medians within
    20% of 7.82 and 3.19 months (the same seed as the record's first cohort)."""
    rec = load_record()
    assert rec is not None, "no calibration record shipped"
    r = run_trial("bolero-2", seed=rec["settings"]["seeds"][0])
    hr = r.summary["comparison"]["hazard_ratio"]
    assert 0.38 <= hr <= 0.54
    arms = r.summary["arms"]
    assert arms["eve-exe"]["pfs_months"]["median"] == pytest.approx(7.82, rel=0.2)
    assert arms["pbo-exe"]["pfs_months"]["median"] == pytest.approx(3.19, rel=0.2)


def test_validation_uses_the_record_unchanged() -> None:
    """No refitting: the tumour medians validation runs with are the record's values."""
    from mtorsim.trials.validate import validate

    rec = load_record()
    assert rec is not None
    rep = validate(["tamrad"], replicates=1, n_patients=30)
    for k, v in rep["tumour_medians"].items():
        assert v == rec["parameters"][k]["value"]
    assert load_record() == rec
    t = calibrated_tumour()
    assert all(getattr(t, k).median == rec["parameters"][k]["value"] for k in FREE)
    row = next(r for r in rep["rows"] if r["endpoint"] == "CBR" and r["arm"] == "tam-eve")
    assert row["published"] == pytest.approx(61.1) and row["published_ci"] == [46.9, 74.1]


def test_subgroups_and_sensitivity_run() -> None:
    from mtorsim.trials.compare import subgroups
    from mtorsim.trials.sensitivity import morris_hr

    r = run_trial("bolero-2", n_patients=240, seed=3)
    rows = subgroups(r)
    names = [x["subgroup"] for x in rows]
    assert "PIK3CA mutation: yes" in names and "all patients" in names
    overall = rows[0]
    assert overall["hazard_ratio"] == pytest.approx(r.summary["comparison"]["hazard_ratio"])
    s = morris_hr("bolero-2", trajectories=2, n_patients=40)
    assert s["runs"] == 22 and len(s["ranking"]) == 10
    assert s["ranking"][0]["mu_star"] >= s["ranking"][-1]["mu_star"]


def test_validation_designs_exclude_the_calibration_trial() -> None:
    from mtorsim.trials.validate import validate

    rep = validate(["bolero-2", "everolimus-capecitabine"], replicates=1, n_patients=12)
    assert {r["design"] for r in rep["rows"]} == {"everolimus-capecitabine"}
    orr = next(r for r in rep["rows"] if r["endpoint"] == "ORR")
    assert orr["published"] == pytest.approx(100 * 2 / 12)  # 2 PR of 12 (review)
    assert load_design("everolimus-capecitabine").n_patients == 12


def test_cli_calibrate_quick_validate_subgroups(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from click.testing import CliRunner

    from mtorsim.cli import main

    runner = CliRunner()
    cal = runner.invoke(
        main, ["calibrate", "bolero-2", "--quick", "--max-evals", "6", "--bootstrap", "0", "--json"]
    )
    assert cal.exit_code == 0, cal.output
    rec = json.loads(cal.output)
    assert rec["trial"] == "bolero-2" and "written_to" not in rec  # --write not given
    bad = runner.invoke(main, ["calibrate", "tamrad"])
    assert bad.exit_code == 2 and "bolero-2 only" in bad.output
    out = tmp_path / "val"
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
            str(out),
        ],
    )
    assert val.exit_code == 0, val.output
    assert "inside the simulated interval" in val.output
    for f in ("validation.json", "validation.csv", "validation.png"):
        assert (out / f).stat().st_size > 0
    sub = runner.invoke(
        main,
        ["trial", "subgroups", "bolero-2", "--patients", "200", "--plot", str(tmp_path / "f.png")],
    )
    assert sub.exit_code == 0, sub.output
    assert (tmp_path / "f.png").stat().st_size > 0


def test_bad_settings_are_refused_with_the_reason() -> None:
    from mtorsim.errors import MtorsimError
    from mtorsim.trials.sensitivity import morris_hr
    from mtorsim.trials.validate import validate

    with pytest.raises(MtorsimError, match="at least 20 patients"):
        calibrate(Settings(n_patients=0))
    with pytest.raises(MtorsimError, match="trajectory"):
        morris_hr("bolero-2", trajectories=0)
    with pytest.raises(MtorsimError, match="built-in designs"):
        validate(["no-such-trial"], replicates=1)
