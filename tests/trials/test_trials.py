"""Virtual trials: RECIST rules, statistics against lifelines and closed forms,
reproducibility, fast vs exact path, bad designs, the main-job command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mtorsim.pharmacology import Exposure
from mtorsim.response import CellResponseModel
from mtorsim.response.effect import SurfaceEffect
from mtorsim.trials import (
    DEFAULT_SEED,
    DesignError,
    builtin_designs,
    design_schema,
    load_design,
    run_trial,
)
from mtorsim.trials.engine import arm_drugs, effect_models, simulate_patient
from mtorsim.trials.patients import sample_patient
from mtorsim.trials.stats import cox_hazard_ratio, km_summary, rate_ci
from mtorsim.tumour import TumourModel, assess, load_tumour_population


@pytest.fixture(scope="module")
def model() -> CellResponseModel:
    return CellResponseModel()


# ---------------------------------------------------------------------- RECIST 1.1
def test_recist_partial_response_and_progression_from_nadir() -> None:
    # 100 -> 70 (-30%: PR) -> 60 (nadir) -> 71 (+18% of nadir: SD) -> 73 (+21.7%, +13 mm: PD)
    r = assess([42, 84, 126, 168, 210], [70, 60, 71, 73, 90], 100.0)
    assert r.categories == ["PR", "PR", "SD", "PD"]
    assert r.best_response == "PR" and r.progression_day == 168
    assert r.best_change_pct == pytest.approx(-40.0)


def test_recist_pd_needs_five_millimetres() -> None:
    # nadir 20 mm: 24 mm is +20% but only +4 mm, so not PD; 25 mm is PD
    r = assess([42, 84, 126], [20, 24, 25], 20.0)
    assert r.categories == ["SD", "SD", "PD"]
    assert r.progression_day == 126


def test_recist_new_lesion_confirmation_sd_duration_and_cbr() -> None:
    r = assess([42, 84], [100, 100], 100.0, new_lesion_day=50)
    assert r.categories == ["SD", "PD"] and r.progression_day == 84
    # SD at day 28 only (before the 35-day minimum) then PD: best response PD
    assert assess([28, 56], [100, 150], 100.0).best_response == "PD"
    # unconfirmed PR becomes SD with confirmation
    assert assess([42, 84], [60, 95], 100.0, confirm=True).best_response == "SD"
    assert assess([42, 84], [60, 60], 100.0, confirm=True).best_response == "PR"
    # clinical benefit: non-PD at 24 weeks (168 d), a week's window allowed
    assert assess([42, 84, 126, 162], [100] * 4, 100.0).cbr
    assert not assess([42, 84, 126], [100] * 3, 100.0).cbr
    assert assess([1, 2], [1.0, 1.0], 100.0, cr_threshold_mm=2.0).categories == ["CR", "CR"]


# ---------------------------------------------------------------------- statistics
def test_km_median_closed_form_and_lifelines() -> None:
    """No censoring: the KM median is the smallest time with S(t) <= 0.5."""
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(1)
    t = np.round(rng.exponential(5.0, 41), 3)
    s = km_summary(t, np.ones_like(t, bool))
    ts = np.sort(t)
    surv = 1 - np.arange(1, len(ts) + 1) / len(ts)
    assert s["median"] == pytest.approx(ts[np.argmax(surv <= 0.5)])
    e = rng.random(41) < 0.7
    kmf = KaplanMeierFitter().fit(t, e)
    assert km_summary(t, e)["median"] == pytest.approx(kmf.median_survival_time_)


def test_cox_and_logrank_match_lifelines_directly() -> None:
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(2)
    n = 200
    arm = np.where(np.arange(n) % 2 == 0, "exp", "ctl")
    t = rng.exponential(np.where(arm == "exp", 8.0, 4.0))
    e = rng.random(n) < 0.8
    st = rng.random(n) < 0.5
    frame = pd.DataFrame({"arm": arm, "pfs_months": t, "event": e, "stratum:s": st})
    ours = cox_hazard_ratio(frame, "exp", "ctl", ["stratum:s"])
    df = pd.DataFrame({"T": t, "E": e, "treat": (arm == "exp") * 1.0, "s": st * 1})
    cph = CoxPHFitter().fit(df, "T", "E", strata=["s"])
    # our Newton steps converge to 1e-10; lifelines stops at its own precision (~1e-8)
    assert ours["hazard_ratio"] == pytest.approx(math.exp(cph.params_["treat"]), rel=1e-6)
    lr = logrank_test(t[arm == "exp"], t[arm == "ctl"], e[arm == "exp"], e[arm == "ctl"])
    assert ours["logrank_p"] == pytest.approx(lr.p_value, rel=1e-9)
    # true HR 0.5: the estimate's CI should cover it for this seed
    assert ours["ci_low"] < 0.5 < ours["ci_high"]


def test_stratified_logrank_hand_example_and_lifelines() -> None:
    """Two strata of two patients.  Stratum A: group 1 dies at 1, group 0 at 2; stratum B:
    group 1 at 3, group 0 at 1.  By hand: stratified O - E = (1 - 1/2) + (0 - 1/2) = 0, so
    chi2 = 0 and p = 1; pooled: O - E = (1 - 1) + (0 - 1/2) = -1/2 with V = 1/3 + 1/4,
    chi2 = 0.25 / (7/12) = 3/7."""
    from lifelines.statistics import logrank_test

    from mtorsim.trials.stats import stratified_logrank

    t = np.array([1.0, 2.0, 3.0, 1.0])
    e = np.ones(4, bool)
    g = np.array([True, False, True, False])
    st = np.array(["A", "A", "B", "B"])
    assert stratified_logrank(t, e, g, st)["chi2"] == pytest.approx(0.0)
    assert stratified_logrank(t, e, g)["chi2"] == pytest.approx(3 / 7)
    rng = np.random.default_rng(4)
    tt = np.round(rng.exponential(5, 300), 1)
    ee = rng.random(300) < 0.75
    gg = rng.random(300) < 0.5
    ours = stratified_logrank(tt, ee, gg)["p"]
    assert ours == pytest.approx(logrank_test(tt[gg], tt[~gg], ee[gg], ee[~gg]).p_value, rel=1e-9)


def test_exact_ci_reproduces_tamrad_published_interval() -> None:
    """TAMRAD CBR 33/54 = 61.1% (46.9-74.1) in the review (ref 77)."""
    r = rate_ci(33, 54)
    assert (round(r["pct"], 1), round(r["ci_low"], 1), round(r["ci_high"], 1)) == (61.1, 46.9, 74.1)


# ---------------------------------------------------------------------- engine pieces
def test_pk_on_grid_equals_closed_form_superposition() -> None:
    """The fast path's FFT convolution on the 2-h grid equals closed-form superposition
    averaged over each grid interval (doses fall on the grid), the means here by scipy's
    adaptive quadrature of the closed form (a second engine), to 1e-6 relative, for a
    virtual BOLERO-2 patient's own PK."""
    from scipy.integrate import quad

    d = load_design("bolero-2")
    tum = load_tumour_population()
    pt = sample_patient(d, 3, 7, tum)
    ex = Exposure(arm_drugs(d, "eve-exe"), pt.pk, pt.body, 40.0)
    n = 24 * 4 // 2
    grid = ex.on_grid(n, 2.0)
    assert set(grid) == {"everolimus", "exemestane"}
    for agent in grid:
        doses = [e.time_h for e in ex.events[agent]]

        def mean(k: int, agent: str = agent, doses: list[float] = doses) -> float:
            a, b = max((k - 0.5) * 2.0, 0.0), (k + 0.5) * 2.0
            pts = [t for t in doses if a < t < b] or None
            val, _ = quad(
                lambda t: float(ex.at(np.array([t]))[agent][0]),
                a,
                b,
                points=pts,
                epsabs=0.0,
                epsrel=1e-10,
                limit=200,
            )
            return val / 2.0

        means = np.array([mean(k) for k in range(n)])
        np.testing.assert_allclose(grid[agent], means, rtol=1e-6, atol=1e-9 * means.max())


def test_response_surface_against_direct_steady_states(model: CellResponseModel) -> None:
    d = load_design("bolero-2")
    tum = load_tumour_population()
    sim = SurfaceEffect(arm_drugs(d, "eve-exe"), model)
    pt = sample_patient(d, 0, 1, tum, arm="eve-exe")
    surf = sim.surface(pt.context)
    assert surf is not None
    rng = np.random.default_rng(0)
    for _ in range(5):
        c = [float(np.exp(rng.uniform(np.log(lo), np.log(hi / 20)))) for lo, hi in sim.ranges]
        p, _s, er, s6k = surf(np.array([c]))
        direct = model.sim.steady_state(pt.context, dict(zip(surf.agents, c, strict=True)))
        assert p[0] == pytest.approx(direct["proliferation"], rel=0.05)
        assert er[0] == pytest.approx(direct["ER_activity"], rel=0.05)
        # mTORC1 output: small near full inhibition, so an absolute tolerance
        assert s6k[0] == pytest.approx(direct["pS6K1_T389"], rel=0.05, abs=0.01)


# ---------------------------------------------------------------------- reproducibility
def test_same_seed_same_result_and_a_then_b_equals_b(model: CellResponseModel) -> None:
    a = run_trial("bolero-2", n_patients=12, seed=5, model=model)
    b = run_trial("bolero-2", n_patients=12, seed=5, model=model)
    pd.testing.assert_frame_equal(a.patients, b.patients)
    c = run_trial("bolero-2", n_patients=12, seed=6, model=model)
    assert not a.patients["pfs_months"].equals(c.patients["pfs_months"])
    # patient 11 simulated alone equals patient 11 after 0..10
    d = load_design("bolero-2")
    tum = load_tumour_population()  # what run_trial uses by default
    pt = sample_patient(d, 11, 5, tum)
    effect = effect_models(d, CellResponseModel())[pt.arm]
    alone = simulate_patient(d, pt, effect, TumourModel(tum)).row()
    row = a.patients.set_index("patient").loc[11]
    assert alone["pfs_months"] == row["pfs_months"]
    assert alone["best_change_pct"] == pytest.approx(row["best_change_pct"], abs=0)


def test_resume_from_checkpoints_gives_identical_output(
    tmp_path: Path, model: CellResponseModel
) -> None:
    import warnings

    from mtorsim.knowledge.domains import SuspectInputWarning

    first = run_trial("bolero-2", n_patients=150, seed=3, checkpoint_dir=tmp_path, model=model)
    chunks = sorted(tmp_path.rglob("chunk-*.json"))
    assert len(chunks) == 2
    chunks[1].unlink()  # as if the run had stopped after the first chunk
    kept = chunks[0].stat()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SuspectInputWarning)  # the kept chunk verifies
        again = run_trial("bolero-2", n_patients=150, seed=3, checkpoint_dir=tmp_path, model=model)
    pd.testing.assert_frame_equal(first.patients, again.patients)
    # the first chunk was reused (not rewritten: an atomic write would replace its inode),
    # the second recomputed
    now = chunks[0].stat()
    assert (now.st_ino, now.st_mtime_ns) == (kept.st_ino, kept.st_mtime_ns)
    assert chunks[1].is_file()


def test_checkpoints_are_not_shared_by_different_models(
    tmp_path: Path, model: CellResponseModel
) -> None:
    """Other class-link weights are another model: a run with them does not reuse the
    first run's checkpoints (their key holds the tumour population's hash), and its
    patients differ."""
    d = load_design("bolero-2")
    first = run_trial(d, n_patients=20, seed=3, checkpoint_dir=tmp_path, model=model)
    tumour = load_tumour_population().with_parameters({"classes.signalling.weight": 0.5})
    other = run_trial(d, n_patients=20, seed=3, checkpoint_dir=tmp_path, model=model, tumour=tumour)
    assert len({p.parent for p in tmp_path.rglob("chunk-*.json")}) == 2
    assert other.provenance.tumour_parameters_hash != first.provenance.tumour_parameters_hash
    assert other.provenance.effects["eve-exe"]["classes"] == ["signalling", "endocrine"]


def test_fast_path_matches_exact_coupled_path(model: CellResponseModel) -> None:
    """Exact PK, dynamic signalling ODEs and hourly quadrature vs surfaces on a 2-h grid."""
    r = run_trial("bolero-2", n_patients=8, seed=11, exact_subsample=8, model=model)
    ex = r.summary.exact_check
    assert ex is not None and ex.patients == 8
    assert ex.median_pfs_rel_diff <= 0.02
    assert ex.max_best_change_diff_pct_points < 2.0


# ---------------------------------------------------------------------- designs
def test_builtin_designs_validate_against_exported_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = design_schema()
    for key, path in builtin_designs().items():
        raw = yaml.safe_load(path.read_text())
        jsonschema.validate(raw, schema)
        assert load_design(key).id == key


def _bad(tmp_path: Path, edit: dict[str, object] | None = None, **top: object) -> Path:
    raw = yaml.safe_load(builtin_designs()["bolero-2"].read_text())
    raw.update(top)
    if edit:
        for path, value in edit.items():
            node = raw
            keys = path.split(".")
            for k in keys[:-1]:
                node = node[int(k)] if isinstance(node, list) else node[k]
            last = keys[-1]
            if isinstance(node, list):
                node[int(last)] = value
            else:
                node[last] = value
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(raw))
    return p


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"edit": {"arms.0.doses.0.drug": "unobtainium"}}, r"arms\[0\]\.doses\[0\]\.drug"),
        ({"edit": {"arms.0.doses.0.regimen": "-10 mg daily"}}, r"regimen"),
        ({"edit": {"arms.0.doses.0.regimen": "10 mg every 0 days"}}, r"regimen"),
        ({"n_patients": 0}, r"n_patients"),
        ({"experimental": "no-such-arm"}, r"experimental arm 'no-such-arm'"),
        ({"colour": "blue"}, r"colour"),
        ({"arms": []}, r"arms"),
    ],
)
def test_bad_designs_are_rejected_naming_file_and_field(
    tmp_path: Path, kwargs: dict[str, object], match: str
) -> None:
    p = _bad(tmp_path, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(DesignError, match=match) as exc:
        load_design(p)
    assert str(p) in str(exc.value)


def test_unknown_design_name_lists_builtins() -> None:
    with pytest.raises(DesignError, match="bolero-2"):
        load_design("bolero-3")


# ---------------------------------------------------------------------- main job
def test_main_job_end_to_end(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mtorsim.cli import main

    out = tmp_path / "run"
    res = CliRunner().invoke(
        main, ["trial", "run", "bolero-2", "--patients", "40", "--out", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    prov = doc["summary"]["provenance"]
    assert prov["n_patients"] == 40 and prov["seed"] == DEFAULT_SEED
    hr = doc["summary"]["published"]["comparisons"]["eve-exe vs pbo-exe"]["hazard_ratio"]
    assert hr["value"] == pytest.approx(0.45)
    for name in (
        "patients.csv",
        "summary.json",
        "km.png",
        "waterfall.png",
        "spider.png",
        "report.html",
    ):
        assert (out / name).stat().st_size > 0
    assert "data:image/png;base64" in (out / "report.html").read_text()
    frame = pd.read_csv(out / "patients.csv")
    assert {"arm", "context", "best_response", "pfs_months", "event"} <= set(frame.columns)
    assert len(frame) == 40
    table = CliRunner().invoke(
        main, ["trial", "run", "bolero-2", "--patients", "20", "--out", str(out)]
    )
    assert table.exit_code == 0 and "published" in table.output
    # every line of the human-readable output fits 80 columns
    assert max(len(line) for line in table.output.splitlines()) <= 80
    listed = CliRunner().invoke(main, ["trial", "list", "--json"])
    assert "bolero-2" in [d["id"] for d in json.loads(listed.output)]
    bad = CliRunner().invoke(main, ["trial", "run", "nonexistent-trial"])
    assert bad.exit_code == 2 and "built-in designs" in bad.output


# ---------------------------------------------------------------------- toxicity
def test_toxicity_incidence_and_modifications_from_the_knowledge_base() -> None:
    """BOLERO-2 grade 3/4 rates 8, 6, 4, 4, 4, 3% (ref 72): P(any) = 1 - 0.92 x 0.94 x 0.96^3
    x 0.97 = 0.2578; an affected patient stops for 14 days, then takes 5 mg daily."""
    from mtorsim.pharmacology import parse_regimen
    from mtorsim.trials.toxicity import load_toxicity

    tox = load_toxicity()["everolimus"]
    assert tox.incidence == pytest.approx(1 - 0.92 * 0.94 * 0.96**3 * 0.97, rel=1e-12)
    assert tox.modifications(0.9, 1.0) == ()
    mods = tox.modifications(0.1, 0.5)  # onset at 0.5 x 56 = day 28
    reg = parse_regimen("10 mg daily")
    from dataclasses import replace

    ev = replace(reg, modifications=mods).events(60)
    by_day = {round(e.time_h / 24): e.amount_mg for e in ev}
    assert by_day[27] == 10 and 28 not in by_day and 41 not in by_day and by_day[42] == 5
    # dose intensity over 60 days: (28 x 10 + 18 x 5) / 60
    assert sum(by_day.values()) / 60 == pytest.approx((28 * 10 + 18 * 5) / 60)


def test_dose_intensity_in_results(model: CellResponseModel) -> None:
    r = run_trial("bolero-2", n_patients=60, seed=2, model=model)
    f = r.patients[r.patients["arm"] == "eve-exe"]
    di = f["dose_intensity_mg_day:everolimus"].dropna()
    modified = f.loc[di.index, "dose_modified:everolimus"].astype(bool)
    # unmodified patients take 10 mg every day: intensity 10 up to the partial last day
    assert np.all(di[~modified] >= 10.0 - 1e-9) and np.all(di[~modified] <= 10.0 * 1.2)
    assert modified.any() and float(di[modified].median()) < 10.0
    assert "dose_intensity_mg_day:everolimus" in r.patients.columns
