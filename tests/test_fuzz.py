"""Property-based tests (hypothesis) of every input format at the boundary: regimens, trial
designs, SynergyFinder CSVs and CLI options.  The property is always the same: a typed
error (:class:`~mtorsim.errors.MtorsimError`, or click's usage error for an option) or a
finite, sane result; never a traceback, never a hang (each example runs under an alarm).

The default profile (``ci``) runs about 600 generated cases in well under a minute; the
``nightly`` profile runs ten times as many (``HYPOTHESIS_PROFILE=nightly pytest
tests/test_fuzz.py``).  ``pytest -s`` prints the outcome counts by category at the end.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtorsim.cli import main
from mtorsim.errors import MtorsimError

settings.register_profile(
    "ci", max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "nightly", max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: outcome counts by category (printed by conftest's terminal summary)
TALLY: Counter[str] = Counter()
#: seconds one example may take before it counts as a hang
HANG_S = 20


@contextlib.contextmanager
def no_hang(seconds: int = HANG_S) -> Iterator[None]:
    def fire(*_: Any) -> None:
        raise TimeoutError(f"an example ran over {seconds} s (a hang)")

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _finite(obj: Any) -> bool:
    """Every number in a nested structure is finite."""
    if isinstance(obj, dict):
        return all(_finite(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return all(_finite(v) for v in obj)
    if isinstance(obj, float):
        return math.isfinite(obj)
    return True


# ---------------------------------------------------------------------- numbers
#: the numbers a careless or hostile input gives: ordinary, zero, negative, tiny, huge,
#: non-finite
nasty_floats = st.one_of(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e-300, -1.0, 1e9, 1e300, math.nan, math.inf, -math.inf]),
    st.floats(allow_nan=True, allow_infinity=True),
)


def mostly(valid: st.SearchStrategy[Any], nasty: st.SearchStrategy[Any]) -> Any:
    """Valid three times in four, else nasty (hypothesis does not weight ``one_of``)."""
    # the nasty branch is the last, not the first: hypothesis favours small integers
    return st.integers(0, 3).flatmap(lambda k: nasty if k == 3 else valid)


nasty_text_numbers = st.one_of(
    nasty_floats.map(repr),
    st.sampled_from(["", " ", "abc", "1e999", "-1e999", "0x10", "1,5", "NaN", "+inf", "½"]),
)


# ---------------------------------------------------------------------- regimens
def _regimen_text() -> st.SearchStrategy[str]:
    # mostly legal parts (so that parsing is exercised past the first error), some nasty
    dose = st.one_of(
        st.floats(0.1, 2000).map(lambda x: f"{x:.1f}"),
        st.floats(0.1, 2000).map(lambda x: f"{x:.1f}"),
        nasty_floats.map(lambda x: f"{x:g}"),
        st.sampled_from(["10", "0", "1e5", "1e6"]),
    )
    unit = st.sampled_from(["mg", "mg", "mg/m2", "mg/kg", "AUC", "g", "", "ug"])
    route = st.sampled_from(
        ["", "", "", " IV over 1 h", " IV over 30 min", " IV over 0 min", " IM"]
    )
    schedule = mostly(
        st.sampled_from(
            [
                "daily",
                "twice daily",
                "weekly",
                "every 3 weeks",
                "on days 1, 8 every 21 days",
                "for 5 days every 2 weeks",
                "daily from day 8",
            ]
        ),
        st.sampled_from(["daily from day 0", "on day 0", "every 0 weeks", "every -1 days", ""]),
    )
    phase = st.builds(lambda d, u, r, s: f"{d} {u}{r} {s}".strip(), dose, unit, route, schedule)
    return st.lists(phase, min_size=1, max_size=2).map(" then ".join)


@given(text=mostly(_regimen_text(), st.text(max_size=40)))
def test_regimen_text_parses_or_is_refused(text: str) -> None:
    from mtorsim.pharmacology.regimen import parse_regimen

    with no_hang():
        try:
            events = parse_regimen(text).events(60.0)  # a typical patient's doses
        except MtorsimError:
            TALLY["regimen: refused"] += 1
            return
        assert all(math.isfinite(e.time_h) and e.time_h >= 0 for e in events)
        assert all(math.isfinite(e.amount_mg) and e.amount_mg > 0 for e in events)
        TALLY["regimen: parsed"] += 1


# ---------------------------------------------------------------------- designs
BOLERO = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "src/mtorsim/trials/designs/bolero-2.yaml").read_text()
)

#: (path into the design, what may be put there)
DESIGN_FIELDS: list[tuple[tuple[Any, ...], st.SearchStrategy[Any]]] = [
    (("n_patients",), mostly(st.integers(1, 2000), st.one_of(nasty_floats, st.integers()))),
    (("arms", 0, "ratio"), mostly(st.integers(1, 5), st.one_of(nasty_floats, st.integers()))),
    (("arms", 0, "doses", 0, "regimen"), _regimen_text()),
    (("arms", 0, "doses", 0, "drug"), st.sampled_from(["everolimus", "RAD001", "evrolimus", ""])),
    (("population", "contexts", 0, "weight", "value"), mostly(st.floats(0.01, 10), nasty_floats)),
    (("population", "contexts", 0, "context"), st.sampled_from(["MCF7", "LTED", "", "BT474"])),
    (
        ("population", "genotypes", 1, "present", "PTEN_level"),
        mostly(st.floats(0, 10), nasty_floats),
    ),
    (("population", "genotypes", 0, "prevalence", "value"), mostly(st.floats(0, 1), nasty_floats)),
    (("population", "overrides", "E2_0", "value"), mostly(st.floats(0, 1), nasty_floats)),
    (("population", "baseline_sld_mm", "median"), mostly(st.floats(10, 200), nasty_floats)),
    (("assessment", "interval_weeks"), mostly(st.floats(2, 12), nasty_floats)),
    (("assessment", "window_days"), mostly(st.floats(0, 14), nasty_floats)),
    (("follow_up", "cutoff_months"), mostly(st.floats(20, 60), nasty_floats)),
    (("follow_up", "accrual_months"), mostly(st.floats(0, 19), nasty_floats)),
    (("follow_up", "dropout_per_year"), mostly(st.floats(0, 1), nasty_floats)),
    (("stratification", 0, "prevalence", "value"), mostly(st.floats(0, 1), nasty_floats)),
    (("control",), st.sampled_from(["eve-exe", "pbo-exe", "pbo-exe", "nope", None])),
    (("endpoints",), st.sampled_from([[], ["PFS"], ["XYZ"], ["PFS", "OS"]])),
]


@st.composite
def mutated_designs(draw: st.DrawFn) -> dict[str, Any]:
    raw = copy.deepcopy(BOLERO)
    for _ in range(draw(st.integers(0, 2))):
        path, values = draw(st.sampled_from(DESIGN_FIELDS))
        node = raw
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = draw(values)
    return raw


@given(raw=mutated_designs())
def test_design_is_valid_or_refused_with_its_field(raw: dict[str, Any]) -> None:
    from mtorsim.trials.design import DesignError, parse_design

    with no_hang():
        try:
            d = parse_design(raw, "fuzz.yaml")
        except DesignError as exc:
            assert str(exc).startswith("fuzz.yaml"), exc
            TALLY["design: refused"] += 1
            return
        # what a valid design promises the engine: finite, positive, bounded numbers
        assert 1 <= d.n_patients <= 1_000_000
        assert all(1 <= a.ratio <= 100 for a in d.arms)
        assert all(
            math.isfinite(c.weight.value) and c.weight.value > 0 for c in d.population.contexts
        )
        assert math.isfinite(d.assessment.interval_weeks) and d.assessment.interval_weeks > 0
        TALLY["design: valid"] += 1


@settings(max_examples=8)
@given(raw=mutated_designs())
def test_valid_design_runs_to_a_finite_result(raw: dict[str, Any]) -> None:
    """A handful of valid mutated designs run (6 patients): every output number finite."""
    from mtorsim.trials.design import DesignError, parse_design
    from mtorsim.trials.run import run_trial

    try:
        d = parse_design(raw, "fuzz.yaml")
    except DesignError:
        TALLY["design run: refused"] += 1
        return
    with no_hang(120):
        r = run_trial(d, n_patients=6, seed=1)
    doc = json.loads(r.to_json(include_patients=True))  # allow_nan=False inside
    assert _finite(doc)
    TALLY["design run: finite result"] += 1


# ---------------------------------------------------------------------- synergy CSVs
@st.composite
def synergy_csvs(draw: st.DrawFn) -> bytes:
    n1, n2 = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    doses1 = [0.0, *sorted(draw(st.sets(st.floats(1e-3, 1e4), min_size=n1, max_size=n1)))]
    doses2 = [0.0, *sorted(draw(st.sets(st.floats(1e-3, 1e4), min_size=n2, max_size=n2)))]
    unit = draw(st.sampled_from(["nM", "uM", "µM"]))
    rows = ["PairIndex,Response,Drug1,Drug2,Conc1,Conc2,ConcUnit"]
    for a in doses1:
        for b in doses2:
            for _ in range(draw(st.integers(1, 2))):
                y = draw(st.floats(-20, 120))
                rows.append(f"1,{y!r},everolimus,paclitaxel,{a!r},{b!r},{unit}")
    if draw(st.integers(0, 3)) == 0:  # one nasty response (legal or not)
        k = draw(st.integers(1, len(rows) - 1))
        y = draw(st.sampled_from([0.0, 100.0, 150.0, 200.0, -100.0, -300.0, 1e9, math.nan]))
        rows[k] = f"1,{y!r}," + rows[k].split(",", 2)[2]
    if draw(st.integers(0, 4)) == 0 and len(rows) > 3:  # damage: a short row, a bad well
        k = draw(st.integers(1, len(rows) - 1))
        rows[k] = draw(st.sampled_from(["1,30,everolimus", "", rows[k] + ",extra"]))
    text = "\n".join(rows) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding)


@given(data=synergy_csvs())
def test_synergy_csv_scores_finite_or_is_refused(tmp_path_factory: Any, data: bytes) -> None:
    import warnings

    from mtorsim.response import read_synergyfinder_csv, score

    path = tmp_path_factory.mktemp("csv") / "m.csv"
    path.write_bytes(data)
    with no_hang(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            matrices = read_synergyfinder_csv(path)
            results = [score(m) for m in matrices]
        except MtorsimError as exc:
            assert str(path) in str(exc) or "dose" in str(exc) or "fit" in str(exc), exc
            TALLY["synergy CSV: refused"] += 1
            return
    for res in results:
        for r in res.values():
            assert np.all(np.isfinite(r.scores)) and np.all(np.isfinite(r.expected))
            assert np.isfinite(r.summary)
    TALLY["synergy CSV: scored"] += 1


# ---------------------------------------------------------------------- CLI options
PK_DAYS = st.one_of(
    st.sampled_from(["1", "28", "0", "-3", "731", "1e9", "nan", "x"]), nasty_text_numbers
)


@given(
    weight=mostly(st.floats(20, 300).map(repr), nasty_text_numbers),
    height=mostly(st.floats(100, 250).map(repr), nasty_text_numbers),
    gfr=mostly(st.floats(1, 250).map(repr), nasty_text_numbers),
    days=PK_DAYS,
)
def test_pk_options_give_finite_json_or_a_usage_error(
    weight: str, height: str, gfr: str, days: str
) -> None:
    args = ["pk", "--drug", "capecitabine", "--regimen", "1000 mg/m2 twice daily for 14 days "
            "every 3 weeks", "--weight", weight, "--height", height, "--gfr", gfr, "--days",
            days, "--json"]  # fmt: skip
    with no_hang():
        out = CliRunner().invoke(main, args)
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    if out.exit_code == 0:
        doc = json.loads(out.output, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
        assert _finite(doc) and min(doc["conc_ng_mL"]) >= 0
        TALLY["pk CLI: ran"] += 1
    else:
        assert out.exit_code == 2 and ("Invalid value" in out.output or "error:" in out.output)
        TALLY["pk CLI: refused"] += 1


@given(
    patients=mostly(st.integers(1, 10**6).map(str), nasty_text_numbers),
    seed=mostly(
        st.integers(0, 2**32 - 1).map(str),
        st.one_of(nasty_text_numbers, st.integers(-(2**40), 2**40).map(str)),
    ),
)
def test_trial_options_are_checked_before_any_work(patients: str, seed: str) -> None:
    """Bad numbers for --patients/--seed are refused by the option type (exit 2); the few
    valid draws are not run (a design that does not exist stops them first)."""
    from mtorsim.knowledge.domains import DOMAINS

    args = ["trial", "run", "no-such-design", "--patients", patients, "--seed", seed]
    with no_hang():
        out = CliRunner().invoke(main, args)
    assert out.exit_code == 2 and "Traceback" not in out.output, out.output

    def ok(text: str, name: str) -> bool:
        try:
            return DOMAINS[name].contains(float(text))
        except (ValueError, OverflowError):
            return False

    if not ok(patients, "patients"):
        assert "Invalid value for '--patients'" in out.output, out.output
        TALLY["trial CLI: bad --patients refused"] += 1
    elif not ok(seed, "seed"):
        assert "Invalid value for '--seed'" in out.output, out.output
        TALLY["trial CLI: bad --seed refused"] += 1
    else:  # both valid: the options passed, the design name stopped the run
        assert "no built-in design 'no-such-design'" in out.output, out.output
        TALLY["trial CLI: options accepted"] += 1


@given(
    doses=st.lists(
        mostly(st.floats(0, 1e6).map(repr), nasty_text_numbers), min_size=1, max_size=40
    ).map(",".join)
)
def test_combo_dose_lists_parse_or_are_refused(doses: str) -> None:
    from mtorsim.cli.pharmacology import _parse_doses

    with no_hang():
        try:
            values = _parse_doses(doses)
        except MtorsimError:
            TALLY["combo doses: refused"] += 1
            return
    assert values is not None and all(math.isfinite(v) and 0 <= v <= 1e7 for v in values)
    TALLY["combo doses: parsed"] += 1
