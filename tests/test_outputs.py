"""Trustworthy output folders (issue 14): the manifest is written last and lists every file
with its hash, checkpoints are verified before reuse, stale files go, temporary files are
unique and never follow a planted link, modes follow the umask, JSON is strict."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from mtorsim.fileio import MANIFEST, begin_run, verify_run, write_atomic, write_manifest
from mtorsim.knowledge.domains import SuspectInputWarning
from mtorsim.response.cells import CellResponseModel
from mtorsim.trials.run import run_trial


@pytest.fixture(scope="module")
def model() -> CellResponseModel:
    return CellResponseModel()


# ------------------------------------------------------------------ the atomic writer
def test_write_atomic_never_follows_a_planted_symlink(tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("precious")
    # the names the old writer used for its temporary files
    for name in (".x.png.tmp.png", "x.png.tmp", ".x.png.tmp"):
        (tmp_path / name).symlink_to(target)
    write_atomic(tmp_path / "x.png", b"new")
    assert target.read_text() == "precious"
    assert (tmp_path / "x.png").read_bytes() == b"new"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()]


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_file_modes_follow_the_umask(tmp_path: Path, mask: int) -> None:
    old = os.umask(mask)
    try:
        p = write_atomic(tmp_path / f"f{mask:o}.txt", "x")
    finally:
        os.umask(old)
    assert p.stat().st_mode & 0o777 == 0o666 & ~mask


# ------------------------------------------------------------------ the manifest
def test_manifest_lists_every_file_with_its_hash_and_is_written_last(tmp_path: Path) -> None:
    a = write_atomic(tmp_path / "a.csv", "1,2\n")
    b = write_atomic(tmp_path / "sub" / "b.json", "{}")
    previous = begin_run(tmp_path, "mtorsim x", {"seed": "1"})
    assert previous == {}
    # killed here: the folder does not look finished
    assert verify_run(tmp_path) == [f"{tmp_path / MANIFEST}: the run did not finish"]
    write_manifest(tmp_path, {"a": a, "b": b}, "mtorsim x", {"seed": "1"}, previous)
    doc = json.loads((tmp_path / MANIFEST).read_text())
    assert doc["finished"] is True and doc["command"] == "mtorsim x"
    assert doc["files"]["sub/b.json"]["sha256"] == hashlib.sha256(b"{}").hexdigest()
    assert verify_run(tmp_path) == []
    b.write_text('{"edited": 1}')
    assert verify_run(tmp_path) == [f"{b}: changed since the run wrote it (SHA-256 differs)"]


def test_a_rerun_removes_the_files_only_the_earlier_run_wrote(tmp_path: Path) -> None:
    a = write_atomic(tmp_path / "a.csv", "1")
    u = write_atomic(tmp_path / "uncertainty.json", "{}")
    write_manifest(tmp_path, {"a": a, "u": u}, "first", {}, begin_run(tmp_path, "first", {}))
    previous = begin_run(tmp_path, "second", {})
    a = write_atomic(tmp_path / "a.csv", "2")
    write_manifest(tmp_path, {"a": a}, "second", {}, previous)
    assert not u.exists() and a.exists() and verify_run(tmp_path) == []


def test_trial_run_folder_is_verified_and_its_report_says_how_it_was_made(
    tmp_path: Path, model: CellResponseModel
) -> None:
    from mtorsim.reports import write_trial_outputs

    r = run_trial("bolero-2", n_patients=30, seed=4, model=model)
    files = write_trial_outputs(r, tmp_path, "mtorsim trial run bolero-2 --patients 30")
    assert verify_run(tmp_path) == []
    listed = json.loads((tmp_path / MANIFEST).read_text())["files"]
    assert set(listed) == {Path(f).name for f in files.values()}
    report = (tmp_path / "report.html").read_text()
    assert "mtorsim trial run bolero-2 --patients 30" in report
    assert "<figcaption><b>Figure 1.</b> Kaplan-Meier" in report
    # strict JSON: parsing refuses NaN and Infinity
    json.loads((tmp_path / "summary.json").read_text(), parse_constant=pytest.fail)


# ------------------------------------------------------------------ checkpoints
def _chunks(folder: Path) -> list[Path]:
    return sorted(folder.rglob("chunk-*.json"))


@pytest.mark.parametrize("damage", ["truncate", "edit", "foreign"])
def test_damaged_or_foreign_checkpoints_are_recomputed_never_reused(
    tmp_path: Path, model: CellResponseModel, damage: str
) -> None:
    first = run_trial("bolero-2", n_patients=120, seed=3, checkpoint_dir=tmp_path, model=model)
    chunk = _chunks(tmp_path)[1]
    text = chunk.read_text()
    if damage == "truncate":
        chunk.write_text(text[: len(text) // 2])
    elif damage == "edit":  # valid JSON, one patient's PFS changed
        doc = json.loads(text)
        doc["records"][0]["row"]["pfs_months"] = 99.0
        chunk.write_text(json.dumps(doc))
    else:  # a chunk of another run (another seed) copied in
        other = tmp_path / "other"
        run_trial("bolero-2", n_patients=120, seed=4, checkpoint_dir=other, model=model)
        chunk.write_text(_chunks(other)[1].read_text())
    with pytest.warns(SuspectInputWarning, match="recomputed"):
        again = run_trial("bolero-2", n_patients=120, seed=3, checkpoint_dir=tmp_path, model=model)
    pd.testing.assert_frame_equal(first.patients, again.patients)
