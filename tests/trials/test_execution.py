"""Execution engines and what makes them possible: serial, process and Dask runs give
byte-identical patient tables; columnar (Parquet) runs give the same table and resume;
response surfaces come back from the on-disk cache equal to freshly built ones, without
building a simulator, and a damaged cache file is rebuilt."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mtorsim.trials import run as run_module
from mtorsim.trials.execution import get_engine
from mtorsim.trials.run import run_trial

N_SMALL = 60
CHUNK_SMALL = 20  # three chunks: order of completion could matter, and must not


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


@pytest.fixture(scope="module")
def serial_table() -> pd.DataFrame:
    mp = pytest.MonkeyPatch()
    mp.setattr(run_module, "CHUNK", CHUNK_SMALL)
    try:
        return run_trial("bolero-2", n_patients=N_SMALL, seed=8).patients
    finally:
        mp.undo()


@pytest.mark.parametrize("engine", ["processes", "dask"])
def test_engines_give_byte_identical_patient_tables(
    engine: str, serial_table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_module, "CHUNK", CHUNK_SMALL)
    with get_engine(engine, workers=2) as eng:
        table = run_trial("bolero-2", n_patients=N_SMALL, seed=8, engine=eng).patients
    assert _digest(table) == _digest(serial_table)


def test_columnar_run_equals_the_in_memory_table_and_resumes(
    serial_table: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parquet chunks read back give the same rows and values (exposure columns are left
    in the files); a second run reuses every file (same inode), and a file of another run
    is recomputed with a warning."""
    from mtorsim.knowledge import names as N
    from mtorsim.knowledge.domains import SuspectInputWarning

    monkeypatch.setattr(run_module, "CHUNK", CHUNK_SMALL)
    r = run_trial("bolero-2", n_patients=N_SMALL, seed=8, checkpoint_dir=tmp_path, columnar=True)
    want = serial_table[[c for c in serial_table if not c.startswith(N.EXPOSURE)]]
    got = r.patients[list(want.columns)]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    assert len(r.curves) == min(N_SMALL, run_module.CURVES_KEPT)
    files = sorted(tmp_path.rglob("chunk-*.parquet"))
    assert len(files) == N_SMALL // CHUNK_SMALL
    inodes = [f.stat().st_ino for f in files]
    again = run_trial(
        "bolero-2", n_patients=N_SMALL, seed=8, checkpoint_dir=tmp_path, columnar=True
    )
    assert [f.stat().st_ino for f in files] == inodes
    assert _digest(again.patients) == _digest(r.patients)
    # a chunk written by another run (another seed) in this run's place is not reused
    other = tmp_path / "other"
    run_trial("bolero-2", n_patients=CHUNK_SMALL, seed=9, checkpoint_dir=other, columnar=True)
    foreign = next(other.rglob("chunk-000000.parquet"))
    os.replace(foreign, files[0])
    with pytest.warns(SuspectInputWarning, match="another run"):
        third = run_trial(
            "bolero-2", n_patients=N_SMALL, seed=8, checkpoint_dir=tmp_path, columnar=True
        )
    assert _digest(third.patients) == _digest(r.patients)
    # a large run's record keeps its patients as Parquet and loads back the same
    from mtorsim.trials.results import TrialResult

    third.save(tmp_path / "record", "parquet")
    assert not (tmp_path / "record" / "patients.csv").exists()
    back = TrialResult.load(tmp_path / "record")
    pd.testing.assert_frame_equal(back.patients, third.patients)
    assert back.comparison == third.comparison


def test_cached_surface_equals_a_built_one_without_a_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mtorsim.knowledge.domains import SuspectInputWarning
    from mtorsim.response.cells import CellResponseModel
    from mtorsim.response.effect import SurfaceEffect
    from mtorsim.trials.design import load_design
    from mtorsim.trials.engine import arm_drugs
    from mtorsim.trials.patients import population_contexts

    monkeypatch.setenv("MTORSIM_CACHE", str(tmp_path))
    d = load_design("bolero-2")
    ctx = population_contexts(d)[0]

    def fresh() -> SurfaceEffect:
        cells = CellResponseModel()
        return SurfaceEffect(arm_drugs(d, "eve-exe", cells.kb), cells)

    built = fresh()
    s1 = built.surface(ctx)
    assert s1 is not None
    assert built.cells.sim.built  # it had to simulate
    cached = fresh()
    s2 = cached.surface(ctx)
    assert s2 is not None
    assert not cached.cells.sim.built  # read back: no RoadRunner built
    for a, b in zip(s1.grids(), s2.grids(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert tuple(cached.cells.signals(ctx)) == tuple(built.cells.signals(ctx))
    assert not cached.cells.sim.built  # the untreated state came with the surface
    # a damaged file is rebuilt, with a warning, to the same values
    (path,) = (tmp_path / "surfaces").glob("*.npz")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(SuspectInputWarning, match="damaged"):
        s3 = fresh().surface(ctx)
    assert s3 is not None
    np.testing.assert_array_equal(s3.grids()[0], s1.grids()[0])
    # and the cache can be switched off
    monkeypatch.setenv("MTORSIM_CACHE", "off")
    path.unlink()
    fresh().surface(ctx)
    assert not path.exists()


def test_validation_replicates_run_on_an_engine_with_the_same_report() -> None:
    """validate's replicate trials on two worker processes give the same rows."""
    from mtorsim.inference.validation import validate

    kw = {"designs": ["bolero-6"], "replicates": 2, "n_patients": 30, "ida": False}
    serial = validate(**kw)  # type: ignore[arg-type]
    with get_engine("processes", workers=2) as eng:
        parallel = validate(engine=eng, **kw)  # type: ignore[arg-type]
    assert [r.model_dump() for r in parallel.rows] == [r.model_dump() for r in serial.rows]
    assert len(serial.rows) > 3


def test_surfaces_built_as_tasks_on_workers_equal_those_built_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prepare_surfaces on two worker processes into an empty cache: every (arm,
    context) surface arrives as arrays, the parent never builds a simulator, the files
    are cached, and one of them equals a surface built here, exactly."""
    from mtorsim.pathway.contexts import context_key
    from mtorsim.response.effect import SurfaceEffect
    from mtorsim.trials.design import load_design
    from mtorsim.trials.engine import effect_models
    from mtorsim.trials.patients import population_contexts
    from mtorsim.trials.run import prepare_surfaces

    monkeypatch.setenv("MTORSIM_CACHE", str(tmp_path))
    d = load_design("bolero-2")
    effects = effect_models(d)
    with get_engine("processes", workers=2) as eng:
        prepare_surfaces(d, effects, eng)
    contexts = population_contexts(d)
    eve = effects["eve-exe"]
    assert isinstance(eve, SurfaceEffect)
    assert set(eve.surfaces) == {context_key(c) for c in contexts}
    assert not eve.cells.sim.built
    assert len(list((tmp_path / "surfaces").glob("*.npz"))) == 2 * len(contexts)
    monkeypatch.setenv("MTORSIM_CACHE", "off")
    here = effect_models(d)["eve-exe"]
    assert isinstance(here, SurfaceEffect)
    built = here.surface(contexts[-1])
    assert built is not None
    for a, b in zip(eve.surfaces[context_key(contexts[-1])].grids(), built.grids(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_stopping_soon_after_progression_changes_no_outcome() -> None:
    """The fast path stops a patient's course after the block that shows progression:
    PFS, event, best response, best change and the new-lesion day equal those of the
    whole course run to the horizon, for 60 BOLERO-2 patients of both arms."""
    from mtorsim.trials.design import load_design
    from mtorsim.trials.engine import drive, effect_models, outcome
    from mtorsim.trials.patients import sample_patient
    from mtorsim.tumour.model import TumourModel, load_tumour_population

    d = load_design("bolero-2")
    pop = load_tumour_population()
    tm = TumourModel(pop)
    effects = effect_models(d)
    stopped_early = 0
    for i in range(60):
        pt = sample_patient(d, i, 4, pop)
        short = drive(d, pt, effects[pt.arm], tm, stop_at_progression=True)
        full = drive(d, pt, effects[pt.arm], tm, stop_at_progression=False)
        stopped_early += short.t_days[-1] < full.t_days[-1]
        a, b = outcome(d, pt, short, tm), outcome(d, pt, full, tm)
        assert (a.pfs_day, a.event, a.recist.best_response) == (
            b.pfs_day,
            b.event,
            b.recist.best_response,
        )
        assert a.recist.best_change_pct == pytest.approx(b.recist.best_change_pct, abs=1e-9)
        assert a.new_lesion_day == b.new_lesion_day
    assert stopped_early > 20  # the case is exercised, not skipped
