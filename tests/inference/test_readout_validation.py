"""The model's time courses against measured pathway readouts (Hill 2017 RPPA, MCF-7)."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from mtorsim.inference.readout_validation import READOUT_MAP, validate_readouts
from mtorsim.inference.reference import pathway_readouts
from mtorsim.pathway.simulate import PathwaySimulator


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return validate_readouts()


def test_every_usable_measured_readout_is_compared(result) -> None:  # type: ignore[no-untyped-def]
    usable = [
        r
        for r in pathway_readouts()
        if r["context"] == "MCF7"
        and r["readout"] in READOUT_MAP
        and r["id"].startswith("hill2017_mcf7_")
        and float(r["time_h"]) > 0
    ]
    # two inhibitors x 7 antibodies x 4 times
    assert len(usable) == 56
    assert {r.id for r in result.rows} == {r["id"] for r in usable}
    assert all(r.measured > 0 and math.isfinite(r.simulated) for r in result.rows)


def test_time_course_at_48_h_matches_the_steady_state_solver(result) -> None:  # type: ignore[no-untyped-def]
    # a second engine: the steady-state solver against 48 h of integration (the network's
    # slowest relaxation is hours); 2% relative
    sim = PathwaySimulator()
    base = sim.steady_state("MCF7", {}).readouts
    for r in (r for r in result.rows if r.time_h == 48.0):
        ss = sim.steady_state("MCF7", {r.agent: r.nM}).readouts[r.model_readout]
        assert r.simulated == pytest.approx(ss / base[r.model_readout], rel=0.02, abs=1e-4)


def test_published_ranges_come_from_the_reference_table(result) -> None:  # type: ignore[no-untyped-def]
    # the T308 range under AZD8055 at 1-48 h, read here straight from the CSV file
    import csv

    from mtorsim.inference.reference import reference_dir

    with (reference_dir() / "pathway_readouts.csv").open(encoding="utf-8") as f:
        t308 = [
            float(r["fold_change"])
            for r in csv.DictReader(f)
            if r["id"].startswith("hill2017_mcf7_azd8055_akt_pt308_")
            and not r["id"].endswith("_0min")
        ]
    assert len(t308) == 4
    p = {q.name: q for q in result.published}["TORKi pAkt T308 (fold, 1-48 h)"]
    assert (p.low, p.high) == (min(t308), max(t308))
    # the rapalog magnitudes have no readable number: reported as such, never invented
    for q in result.published:
        if q.name.startswith("rapalog"):
            assert q.low is None and q.inside is None and "no number" in q.source


def test_cli_validate_readouts_json_and_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mtorsim.cli import main

    png = tmp_path / "r.png"
    out = CliRunner().invoke(main, ["pathway", "validate-readouts", "--json", "--plot", str(png)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert len(data["rows"]) == 56 and data["checklist"]["n_checks"] == 12
    assert png.stat().st_size > 10_000
    table = CliRunner().invoke(main, ["pathway", "validate-readouts"], env={"COLUMNS": "80"})
    assert table.exit_code == 0
    assert max(len(line) for line in table.output.splitlines()) <= 80


def test_record_loads_back(result, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mtorsim.inference.readout_validation import ReadoutValidation

    path = result.save(tmp_path / "readouts.json")
    back = ReadoutValidation.load(path)
    assert back == result
    assert len(back.to_frame()) == len(result.rows)
