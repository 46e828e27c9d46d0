"""The behaviour checklist: the review's mechanistic claims as executable checks.

Each check states the claim, the review's reference numbers, the scenario
(context, drugs at stated nM) and a quantitative criterion on steady-state
readouts.  ``mtorsim pathway check`` runs them all; the tests run the same list.

Drug concentrations are "clinically relevant" free levels, each stated with
its reason in :data:`DOSES_NM`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mtorsim.pathway.simulate import PathwaySimulator, SteadyStateResult

#: concentrations used by the checklist (nM), with why
DOSES_NM: dict[str, tuple[float, str]] = {
    "everolimus": (10.0, "assumed: ~10 ng/mL whole-blood trough at 10 mg/day (~10 nM)"),
    "cixutumumab": (100.0, "assumed: antibody plasma levels of tens of ug/mL (>100 nM)"),
    "mek-inhibitor": (100.0, "assumed: 10x the class IC50"),
    "pp242": (500.0, "assumed: cell-culture concentration used in refs 34, 35"),
    "nvp-bez235": (100.0, "assumed: cell-culture concentration of the order used in refs 33, 85"),
    "trastuzumab": (100.0, "assumed: ~15 ug/mL, below clinical troughs"),
    "lapatinib": (1000.0, "assumed: ~1 uM, clinical plasma range"),
    "letrozole": (100.0, "assumed: 10x the assumed IC50, near-complete aromatase block"),
}


def dose(*agents: str) -> dict[str, float]:
    return {a: DOSES_NM[a][0] for a in agents}


@dataclass(frozen=True)
class Criterion:
    """One quantitative condition of a check: ``value op bound``.

    ``margin`` is how far the condition is from failing, relative to the bound
    (scale ``max(|bound|, 0.1)``, so criteria on fractions near 0 are not
    blown up): positive when met, negative when violated.  The calibration
    maximises these margins.
    """

    label: str
    value: float
    op: str
    bound: float

    @property
    def margin(self) -> float:
        scale = max(abs(self.bound), 0.1)
        diff = self.value - self.bound if self.op in (">=", ">") else self.bound - self.value
        return diff / scale

    @property
    def met(self) -> bool:
        return self.margin > 0 if self.op in (">", "<") else self.margin >= 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": f"{self.label} {self.op} {self.bound:.4g}",
            "value": round(self.value, 4),
            "margin": round(self.margin, 4),
            "met": self.met,
        }


def ge(label: str, value: float, bound: float) -> Criterion:
    return Criterion(label, value, ">=", bound)


def le(label: str, value: float, bound: float) -> Criterion:
    return Criterion(label, value, "<=", bound)


def lt(label: str, value: float, bound: float) -> Criterion:
    return Criterion(label, value, "<", bound)


def gt(label: str, value: float, bound: float) -> Criterion:
    return Criterion(label, value, ">", bound)


@dataclass
class CheckResult:
    id: str
    claim: str
    refs: list[int]
    criterion: str
    measured: dict[str, float]
    criteria: list[Criterion]

    @property
    def passed(self) -> bool:
        return all(c.met for c in self.criteria)

    @property
    def min_margin(self) -> float:
        return min(c.margin for c in self.criteria)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "claim": self.claim,
            "refs": self.refs,
            "criterion": self.criterion,
            "measured": self.measured,
            "criteria": [c.to_dict() for c in self.criteria],
            "min_margin": round(self.min_margin, 4),
            "passed": self.passed,
        }


@dataclass
class CheckReport:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def criteria(self) -> list[tuple[str, Criterion]]:
        """Every criterion of every check, with its check id."""
        return [(r.id, c) for r in self.results for c in r.criteria]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_checks": len(self.results),
            "n_passed": sum(r.passed for r in self.results),
            "checks": [r.to_dict() for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


class SteadyStates(Protocol):
    """What a check needs: steady states by context, drugs (nM) and overrides."""

    def steady_state(
        self,
        context: str,
        drugs: Mapping[str, float] = ...,
        overrides: Mapping[str, float] | None = ...,
    ) -> SteadyStateResult: ...


class _Memo:
    """Steady states of one simulator, computed once per scenario.

    The checklist asks for the same scenario (e.g. untreated MCF7) many times;
    one pass of the checklist reuses them.  Valid only while the simulator's
    ``parameters`` do not change, so a memo lives for one :func:`run_checks`.
    """

    def __init__(self, sim: PathwaySimulator) -> None:
        self._sim = sim
        self._cache: dict[tuple[Any, ...], SteadyStateResult] = {}

    def steady_state(
        self,
        context: str,
        drugs: Mapping[str, float] = {},
        overrides: Mapping[str, float] | None = None,
    ) -> SteadyStateResult:
        key = (context, tuple(sorted(drugs.items())), tuple(sorted((overrides or {}).items())))
        if key not in self._cache:
            self._cache[key] = self._sim.steady_state(context, drugs, overrides)
        return self._cache[key]


CheckFn = Callable[[SteadyStates], tuple[dict[str, float], list[Criterion]]]


@dataclass(frozen=True)
class Check:
    id: str
    claim: str
    refs: tuple[int, ...]
    criterion: str
    fn: CheckFn

    def run(self, sim: SteadyStates) -> CheckResult:
        measured, criteria = self.fn(sim)
        return CheckResult(
            self.id,
            self.claim,
            list(self.refs),
            self.criterion,
            {k: round(v, 4) for k, v in measured.items()},
            criteria,
        )


def _inh(base: float, treated: float) -> float:
    """Fractional inhibition relative to untreated."""
    return 1.0 - treated / base if base > 0 else 0.0


def _c1(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    b, e = sim.steady_state("MCF7"), sim.steady_state("MCF7", dose("everolimus"))
    s6k = _inh(b["pS6K1_T389"], e["pS6K1_T389"])
    s6 = _inh(b["pS6"], e["pS6"])
    bp = _inh(b["p4EBP1"], e["p4EBP1"])
    return (
        {"inh_pS6K1": s6k, "inh_pS6": s6, "inh_p4EBP1": bp},
        [ge("inh_pS6K1", s6k, 0.8), ge("inh_pS6", s6, 0.8), le("inh_p4EBP1", bp, 0.5 * s6k)],
    )


def _c2(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    b, e = sim.steady_state("MCF7"), sim.steady_state("MCF7", dose("everolimus"))
    ratio = e["pAkt_S473"] / b["pAkt_S473"]
    return (
        {"pAkt_S473_ratio": ratio, "IRS1_ratio": e["IRS1"] / b["IRS1"]},
        [ge("pAkt_S473_ratio", ratio, 1.05)],
    )


def _c3(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    b = sim.steady_state("MCF7")
    e = sim.steady_state("MCF7", dose("everolimus"))
    ei = sim.steady_state("MCF7", dose("everolimus", "cixutumumab"))
    akt = ei["pAkt_S473"] / b["pAkt_S473"]
    return (
        {
            "pAkt_S473_ratio_combo": akt,
            "prolif_eve": e["proliferation"],
            "prolif_combo": ei["proliferation"],
        },
        [
            le("pAkt_S473_ratio_combo", akt, 1.01),
            lt("prolif_combo", ei["proliferation"], e["proliferation"]),
        ],
    )


def _c4(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    b = sim.steady_state("MCF7")
    e = sim.steady_state("MCF7", dose("everolimus"))
    m = sim.steady_state("MCF7", dose("mek-inhibitor"))
    em = sim.steady_state("MCF7", dose("everolimus", "mek-inhibitor"))
    up = e["pERK"] / b["pERK"]
    combo = em["pERK"] / b["pERK"]
    return (
        {
            "pERK_ratio_eve": up,
            "pERK_ratio_combo": combo,
            "prolif_eve": e["proliferation"],
            "prolif_mek": m["proliferation"],
            "prolif_combo": em["proliferation"],
        },
        [
            ge("pERK_ratio_eve", up, 1.05),
            lt("pERK_ratio_combo", combo, 1.0),
            lt("prolif_combo", em["proliferation"], min(e["proliferation"], m["proliferation"])),
        ],
    )


def _c5(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    b, p = sim.steady_state("MCF7"), sim.steady_state("MCF7", dose("pp242"))
    inh = {f"inh_{k}": _inh(b[k], p[k]) for k in ("pS6K1_T389", "p4EBP1", "pAkt_S473")}
    return inh, [ge(k, v, 0.5) for k, v in inh.items()]


def _c6(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    b, z = sim.steady_state("MCF7"), sim.steady_state("MCF7", dose("nvp-bez235"))
    inh = {f"inh_{k}": _inh(b[k], z[k]) for k in ("pAkt_T308", "pAkt_S473", "pS6K1_T389", "p4EBP1")}
    return inh, [ge(k, v, 0.5) for k, v in inh.items()]


def _c7(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    amp = sim.steady_state("SKBR3")
    normal = sim.steady_state("SKBR3", overrides={"HER2_level": 1.0})
    r_akt = amp["pAkt_S473"] / normal["pAkt_S473"]
    r_s6k = amp["pS6K1_T389"] / normal["pS6K1_T389"]
    return (
        {"pAkt_S473_ratio": r_akt, "pS6K1_ratio": r_s6k},
        [ge("pAkt_S473_ratio", r_akt, 1.1), ge("pS6K1_ratio", r_s6k, 1.02)],
    )


def _c8(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    b, t = sim.steady_state("BT474"), sim.steady_state("BT474", dose("trastuzumab"))
    rb, rt = sim.steady_state("BT474_TR"), sim.steady_state("BT474_TR", dose("trastuzumab"))
    rte = sim.steady_state("BT474_TR", dose("trastuzumab", "everolimus"))
    inh_s = _inh(b["pAkt_S473"], t["pAkt_S473"])
    inh_r = _inh(rb["pAkt_S473"], rt["pAkt_S473"])
    inh_e = _inh(rt["pS6K1_T389"], rte["pS6K1_T389"])
    return (
        {
            "inh_pAkt_sensitive": inh_s,
            "inh_pAkt_resistant": inh_r,
            "inh_pS6K1_resistant_add_eve": inh_e,
        },
        [
            ge("inh_pAkt_sensitive", inh_s, 0.1),
            lt("inh_pAkt_resistant", inh_r, 0.05),
            ge("inh_pS6K1_resistant_add_eve", inh_e, 0.8),
        ],
    )


def _c9(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    b, lap = sim.steady_state("BT474"), sim.steady_state("BT474", dose("lapatinib"))
    inh = {f"inh_{k}": _inh(b[k], lap[k]) for k in ("pAkt_S473", "pAkt_T308", "proliferation")}
    return inh, [
        ge("inh_pAkt_S473", inh["inh_pAkt_S473"], 0.2),
        gt("inh_proliferation", inh["inh_proliferation"], 0.0),
    ]


def _c10(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    out: dict[str, float] = {}
    for ctx in ("MCF7", "MCF7_LTED"):
        b = sim.steady_state(ctx)
        let = sim.steady_state(ctx, dose("letrozole"))
        out[f"{ctx}_inh_ER"] = _inh(b["ER_activity"], let["ER_activity"])
        out[f"{ctx}_inh_prolif"] = _inh(b["proliferation"], let["proliferation"])
        if ctx == "MCF7_LTED":
            le_ = sim.steady_state(ctx, dose("letrozole", "everolimus"))
            out["MCF7_LTED_inh_prolif_add_eve"] = _inh(b["proliferation"], le_["proliferation"])
    return out, [
        ge("MCF7_inh_ER", out["MCF7_inh_ER"], 0.5),
        le("MCF7_LTED_inh_ER", out["MCF7_LTED_inh_ER"], 0.5 * out["MCF7_inh_ER"]),
        ge(
            "MCF7_LTED_inh_prolif_add_eve",
            out["MCF7_LTED_inh_prolif_add_eve"],
            out["MCF7_inh_prolif"],
        ),
    ]


def _c11(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    b = sim.steady_state("MCF7")
    s = sim.steady_state("MCF7", overrides={"energy_stress": 1.0})
    s_notsc = sim.steady_state("MCF7", overrides={"energy_stress": 1.0, "k_tsc_ampk": 0.0})
    inh = _inh(b["pS6K1_T389"], s["pS6K1_T389"])
    inh_notsc = _inh(b["pS6K1_T389"], s_notsc["pS6K1_T389"])
    return (
        {"inh_pS6K1": inh, "inh_pS6K1_without_TSC2_route": inh_notsc},
        [ge("inh_pS6K1", inh, 0.3), lt("inh_pS6K1_without_TSC2_route", inh_notsc, inh)],
    )


def _c12(sim: SteadyStates) -> tuple[dict[str, float], list[Criterion]]:
    def prolif(ctx: str, *agents: str) -> float:
        return sim.steady_state(ctx, dose(*agents))["proliferation"]

    out = {
        "eve": prolif("MCF7", "everolimus"),
        "igf1r": prolif("MCF7", "cixutumumab"),
        "eve+igf1r": prolif("MCF7", "everolimus", "cixutumumab"),
        "mek": prolif("MCF7", "mek-inhibitor"),
        "eve+mek": prolif("MCF7", "everolimus", "mek-inhibitor"),
        "bez_ptenlow": prolif("BT474_TR", "nvp-bez235"),
        "lap_ptenlow": prolif("BT474_TR", "lapatinib"),
        "bez+lap_ptenlow": prolif("BT474_TR", "nvp-bez235", "lapatinib"),
    }
    return out, [
        lt("eve+igf1r", out["eve+igf1r"], min(out["eve"], out["igf1r"])),
        lt("eve+mek", out["eve+mek"], min(out["eve"], out["mek"])),
        lt("bez+lap_ptenlow", out["bez+lap_ptenlow"], min(out["bez_ptenlow"], out["lap_ptenlow"])),
    ]


CHECKS: list[Check] = [
    Check(
        "1-rapalog-s6k-vs-4ebp1",
        "Rapalog inhibits S6K1/S6 more completely than 4E-BP1",
        (32, 35, 43),
        "MCF7, everolimus 10 nM: pS6K1 and pS6 inhibition >= 80%, "
        "p4E-BP1 inhibition <= half the pS6K1 inhibition",
        _c1,
    ),
    Check(
        "2-rapalog-akt-feedback",
        "Rapalog raises pAkt S473 through IGF-1R/IRS-1 feedback",
        (81, 82),
        "MCF7, everolimus 10 nM: pAkt S473 >= 1.05x untreated",
        _c2,
    ),
    Check(
        "3-igf1r-abolishes-feedback",
        "IGF-1R antibody abolishes the Akt rise and lowers "
        "proliferation more than the rapalog alone",
        (82,),
        "MCF7, everolimus + cixutumumab: pAkt S473 <= 1.01x untreated; proliferation below "
        "everolimus alone",
        _c3,
    ),
    Check(
        "4-rapalog-mapk-feedback",
        "Rapalog activates MAPK; a MEK inhibitor blocks it and "
        "the combination lowers proliferation more than either",
        (83,),
        "MCF7: pERK(eve) >= 1.05x untreated; pERK(eve + MEKi) < untreated; proliferation of "
        "the combination below both single agents",
        _c4,
    ),
    Check(
        "5-torki-both-complexes",
        "PP242 inhibits pS6K1, p4E-BP1 and pAkt S473",
        (34, 35),
        "MCF7, PP242 500 nM: each readout inhibited >= 50%",
        _c5,
    ),
    Check(
        "6-bez235-no-rebound",
        "NVP-BEZ235 lowers pAkt T308/S473, pS6K1 and p4E-BP1 (no Akt rebound)",
        (33, 41, 85),
        "MCF7, BEZ235 100 nM: each readout inhibited >= 50%",
        _c6,
    ),
    Check(
        "7-her2-amplification",
        "HER2 amplification raises PI3K/Akt/mTOR activity",
        (22,),
        "SKBR3 vs the same cells at HER2-normal level: pAkt S473 >= 1.1x, pS6K1 >= 1.02x",
        _c7,
    ),
    Check(
        "8-trastuzumab-pten",
        "Trastuzumab lowers pAkt in HER2-amplified cells but not with "
        "PTEN loss, where adding everolimus still lowers mTORC1 output",
        (25, 26, 28),
        "BT474: pAkt S473 inhibition >= 10%; BT474_TR: < 5%; BT474_TR + everolimus: pS6K1 "
        "inhibition >= 80% vs trastuzumab alone",
        _c8,
    ),
    Check(
        "9-lapatinib",
        "Lapatinib inhibits HER2-driven PI3K/Akt/mTOR signalling",
        (27,),
        "BT474, lapatinib 1 uM: pAkt S473 inhibition >= 20%; proliferation lowered",
        _c9,
    ),
    Check(
        "10-estrogen-deprivation",
        "Estrogen deprivation lowers ER activity in "
        "estrogen-dependent cells much more than in LTED cells, where adding everolimus "
        "restores the drop",
        (64, 65, 66, 67, 68, 69),
        "letrozole 100 nM: MCF7 ER inhibition >= 50%; LTED ER inhibition <= half of MCF7's; "
        "LTED letrozole + everolimus proliferation drop >= MCF7 letrozole drop",
        _c10,
    ),
    Check(
        "11-ampk-tsc2",
        "AMPK activation (energy stress) lowers mTORC1 output through TSC2",
        (13,),
        "MCF7, energy stress 1: pS6K1 inhibition >= 30%, and smaller without the "
        "AMPK -> TSC2 route",
        _c11,
    ),
    Check(
        "12-dual-blockade",
        "Dual blockade beats single blockade: rapalog + IGF-1R "
        "antibody, rapalog + MEK inhibitor, BEZ235 + lapatinib with low PTEN",
        (82, 83, 84),
        "proliferation of each combination below both of its single agents",
        _c12,
    ),
]


def run_checks(sim: PathwaySimulator | None = None) -> CheckReport:
    """Run every check of the behaviour checklist."""
    memo = _Memo(sim if sim is not None else PathwaySimulator())
    return CheckReport([c.run(memo) for c in CHECKS])
