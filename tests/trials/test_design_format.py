"""Design format: dose sources, per-drug treatment duration, published results in the
design, several comparisons, prognostic strata, genotype multipliers checked at load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from mtorsim.inference import validate
from mtorsim.knowledge import names as N
from mtorsim.trials import DesignError, builtin_designs, load_design, run_trial
from mtorsim.trials.patients import sample_patient
from mtorsim.tumour import load_tumour_population


def _design(tmp_path: Path, edit: Any = None) -> Path:
    raw = yaml.safe_load(builtin_designs()["bolero-2"].read_text())
    raw["id"] = "my-trial"
    raw.pop("published")
    if edit:
        edit(raw)
    p = tmp_path / "my-trial.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    return p


def test_a_dose_carries_its_source_and_a_treatment_duration(tmp_path: Path) -> None:
    """Everolimus stopped after 2 months: nobody gets more than 61 days x 10 mg of it."""

    def edit(raw: dict[str, Any]) -> None:
        raw["arms"][0]["doses"][0] |= {"source": "ref 72 (Baselga 2012)", "treatment_months": 2}
        raw["follow_up"]["dropout_per_year"] = 0.0

    d = load_design(_design(tmp_path, edit))
    assert d.arms[0].doses[0].source == "ref 72 (Baselga 2012)"
    r = run_trial(d, n_patients=40, seed=2)
    f = r.patients[r.patients[N.ARM] == "eve-exe"]
    total_mg = f[f"{N.DOSE_INTENSITY}everolimus"] * f[N.PFS_MONTHS] * N.DAYS_PER_MONTH
    limit = np.ceil(2 * N.DAYS_PER_MONTH) * 10.0
    assert (total_mg <= limit + 1e-6).all()
    long = f[f[N.PFS_MONTHS] > 4]
    assert len(long) and (long[f"{N.DOSE_INTENSITY}everolimus"] < 10.0 * 2.5 / 4).all()


def test_published_results_in_the_design_are_compared_by_validate(tmp_path: Path) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["published"] = {
            "results": [
                {"endpoint": "pfs_median", "arm": "pbo-exe", "value": 3.2, "source": "my paper"},
                {
                    "endpoint": "hazard_ratio",
                    "comparison": "eve-exe vs pbo-exe",
                    "value": 0.5,
                    "ci_low": 0.4,
                    "ci_high": 0.6,
                    "source": "my paper",
                },
            ]
        }

    rep = validate([_design(tmp_path, edit)], replicates=1, n_patients=40)
    rows = {(r.endpoint, r.arm): r for r in rep.rows}
    assert rows[("pfs_median", "pbo-exe")].published == 3.2
    hr = rows[("hazard_ratio", "eve-exe vs pbo-exe")]
    assert (hr.published, hr.pub_low, hr.pub_high, hr.source) == (0.5, 0.4, 0.6, "my paper")


def test_three_arm_design_reports_every_comparison(tmp_path: Path) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["arms"].append(
            {"id": "eve-alone", "label": "everolimus", "doses": [raw["arms"][0]["doses"][0]]}
        )
        raw["comparisons"] = [{"experimental": "eve-exe", "control": "eve-alone"}]

    r = run_trial(load_design(_design(tmp_path, edit)), n_patients=60, seed=1)
    keys = [c.key for c in r.summary.comparisons]
    assert keys == ["eve-exe vs pbo-exe", "eve-exe vs eve-alone"]
    assert all(c.hazard_ratio is not None for c in r.summary.comparisons)


def test_a_prognostic_stratum_multiplies_the_tumour_growth(tmp_path: Path) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["stratification"][0]["prognostic"] = {
            "multipliers": {"growth_rate_per_day": 2.0},
            "source": "assumed: for the test",
        }

    plain = load_design(builtin_designs()["bolero-2"])
    d = load_design(_design(tmp_path, edit))
    tum = load_tumour_population()
    for i in range(30):
        a, b = sample_patient(plain, i, 3, tum), sample_patient(d, i, 3, tum)
        factor = 2.0 if b.strata["visceral metastases"] else 1.0
        assert b.tumour.growth_per_day == pytest.approx(a.tumour.growth_per_day * factor)
        assert b.tumour.effect_scale == a.tumour.effect_scale


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda r: r["population"]["genotypes"][0].update(absent={"PIK3CA_gian": 0.5}),
            r"population\.genotypes\[0\]\.absent\.PIK3CA_gian: 'PIK3CA_gian' is not a model",
        ),
        (
            lambda r: r["population"]["genotypes"][1].update(present={"PTEN_level": -1}),
            r"population\.genotypes\[1\]\.present\.PTEN_level = -1: allowed a finite number "
            r"in \[0, 1,000\]",
        ),
        (
            lambda r: r["population"]["overrides"].update(E2_zero={"value": 1, "source": "x y"}),
            r"population\.overrides\.E2_zero",
        ),
        (
            lambda r: r.update(comparisons=[{"experimental": "eve-exe", "control": "nope"}]),
            r"comparisons\[0\]\.control: arm 'nope'",
        ),
        (
            lambda r: r.update(
                published={"results": [{"endpoint": "ORR", "value": 5, "source": "my paper"}]}
            ),
            r"gives the arm it belongs to",
        ),
    ],
)
def test_bad_design_fields_are_named(tmp_path: Path, edit: Any, match: str) -> None:
    p = _design(tmp_path, edit)
    with pytest.raises(DesignError, match=match) as exc:
        load_design(p)
    assert str(p) in str(exc.value)
