"""Nothing writes into the installed package: calibrations, runs and validation with
their default output paths leave every file under the package as it was."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import mtorsim
from mtorsim.cli import main

PACKAGE = Path(mtorsim.__file__).resolve().parent


def _hashes() -> dict[str, str]:
    return {
        str(p.relative_to(PACKAGE)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(PACKAGE.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_commands_leave_the_package_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = _hashes()
    runner = CliRunner()
    for args, codes in (
        (["calibrate", "clinical", "--quick", "--max-evals", "3", "--ensemble-size", "0"], {0}),
        # exit 1 when a check still fails after 3 evaluations; a crash is not an exit
        (["pathway", "calibrate", "--quick", "--max-evals", "3"], {0, 1}),
        (["trial", "run", "bolero-2", "--patients", "20"], {0}),
        (["validate", "--design", "tamrad", "--replicates", "1", "--patients", "20"], {0}),
    ):
        res = runner.invoke(main, args)
        assert res.exception is None or isinstance(res.exception, SystemExit), res.output
        assert res.exit_code in codes, (args, res.output)
    assert _hashes() == before
    # the outputs went where the defaults say, under the working folder
    assert (tmp_path / "mtorsim-out" / "calibration" / "clinical.json").is_file()
    assert (tmp_path / "mtorsim-out" / "calibration" / "pathway-checklist.json").is_file()
    assert (tmp_path / "mtorsim-out" / "bolero-2" / "summary.json").is_file()
    assert (tmp_path / "mtorsim-out" / "validation" / "validation.json").is_file()


def test_python_dash_m_runs_every_command() -> None:
    """``python -m mtorsim`` has every command of ``mtorsim``."""
    out = subprocess.run(
        [sys.executable, "-m", "mtorsim", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for cmd in main.commands:
        assert cmd in out
    listed = subprocess.run(
        [sys.executable, "-m", "mtorsim", "trial", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '"bolero-2"' in listed
