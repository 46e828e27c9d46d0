"""Analysis of a simulated trial: per-arm endpoints, comparisons and the published values
they are shown beside (statistics in :mod:`mtorsim.trials.stats`)."""

from __future__ import annotations

import pandas as pd

from mtorsim.knowledge import names as N
from mtorsim.knowledge.base import load_knowledge_base
from mtorsim.trials.design import Design
from mtorsim.trials.results import (
    ArmSummary,
    Comparison,
    Estimate,
    Provenance,
    PublishedResults,
    PublishedValue,
    Rate,
    TrialSummary,
)
from mtorsim.trials.stats import cox_or_note, km_summary, rate_ci

#: response endpoints and the best-response categories they count
RESPONSE_ENDPOINTS = {N.ORR: N.RESPONDERS, N.DCR: N.DISEASE_CONTROL}


def arm_summary(design: Design, frame: pd.DataFrame, arm_id: str) -> ArmSummary:
    arm = design.arm(arm_id)
    sub = frame[frame[N.ARM] == arm.id]
    a = ArmSummary(id=arm.id, label=arm.label, n=len(sub))
    if not len(sub):
        return a
    a.events = int(sub[N.EVENT].sum())
    a.pfs = Estimate(**km_summary(sub[N.PFS_MONTHS].to_numpy(), sub[N.EVENT].to_numpy()))
    if N.OS_MONTHS in sub:
        a.os = Estimate(**km_summary(sub[N.OS_MONTHS].to_numpy(), sub[N.OS_EVENT].to_numpy()))
    for ep, cats in RESPONSE_ENDPOINTS.items():
        setattr(a, ep, Rate(**rate_ci(int(sub[N.BEST_RESPONSE].isin(cats).sum()), len(sub))))
    a.CBR = Rate(**rate_ci(int(sub[N.CLINICAL_BENEFIT].astype(bool).sum()), len(sub)))
    if design.assessment.response_at_weeks is not None:
        k = int(sub[N.RESPONSE_AT_VISIT].isin(N.RESPONDERS).sum())
        a.RESPONSE_AT = Rate(**rate_ci(k, len(sub)))
    a.best_response_counts = {
        str(k): int(v) for k, v in sub[N.BEST_RESPONSE].value_counts().items()
    }
    return a


def compare(design: Design, frame: pd.DataFrame, experimental: str, control: str) -> Comparison:
    """Cox HR of ``experimental`` vs ``control``, stratified by the design's factors."""
    strata = [f"{N.STRATUM}{f.name}" for f in design.stratification]
    sub = frame[frame[N.ARM].isin([experimental, control])]
    ok = all(
        ((sub[N.ARM] == x) & sub[N.EVENT].astype(bool)).any() and (sub[N.ARM] == x).any()
        for x in (experimental, control)
    )
    if not ok:
        return Comparison(experimental=experimental, control=control, note="no events")
    fit, note = cox_or_note(frame, experimental, control, strata)
    if fit is None:
        return Comparison(experimental=experimental, control=control, note=note)
    out = Comparison(experimental=experimental, control=control, note=note, **fit)
    deaths = sub[N.OS_EVENT].astype(bool) if N.OS_EVENT in sub else None
    if (
        "OS" in design.endpoints
        and deaths is not None
        and all((deaths & (sub[N.ARM] == x)).any() for x in (experimental, control))
    ):
        os_hr, _ = cox_or_note(frame, experimental, control, strata, N.OS_MONTHS, N.OS_EVENT)
        if os_hr is None:  # no OS HR; the PFS HR stands
            return out
        out.os_hazard_ratio = os_hr["hazard_ratio"]
        out.os_ci_low, out.os_ci_high = os_hr["ci_low"], os_hr["ci_high"]
    return out


def analyse(design: Design, frame: pd.DataFrame, provenance: Provenance) -> TrialSummary:
    """The trial's summary: every arm's endpoints and every comparison the design names."""
    return TrialSummary(
        trial=design.id,
        name=design.name,
        endpoints=list(design.endpoints),
        arms=[arm_summary(design, frame, a.id) for a in design.arms],
        comparisons=[compare(design, frame, e, c) for e, c in design.comparison_pairs()],
        published=published_values(design),
        provenance=provenance,
    )


#: (knowledge-base endpoint, statistic) -> key of the simulated value it is compared with
_EP_MAP = {
    ("PFS", "median"): N.PFS_MEDIAN,
    ("TTP", "median"): N.PFS_MEDIAN,
    ("PFS", "hazard ratio"): N.HAZARD_RATIO,
    ("TTP", "hazard ratio"): N.HAZARD_RATIO,
    ("OS", "median"): N.OS_MEDIAN,
    ("OS", "hazard ratio"): N.OS_HAZARD_RATIO,
    ("CBR", "rate"): N.CBR,
    ("ORR", "rate"): N.ORR,
    ("DCR", "rate"): N.DCR,
    ("clinical response", "rate"): N.RESPONSE_AT,
}


def published_values(design: Design) -> PublishedResults:
    """The published results of this design: the knowledge base's reported outcomes of
    its trial, then any results the design itself carries (which take precedence)."""
    out = PublishedResults()
    pub = design.published
    if pub is None:
        return out
    pairs = design.comparison_pairs()
    if pub.trial is not None:
        kb = load_knowledge_base()
        for o in kb.outcomes_of(kb.trial(pub.trial).id):
            if pub.analysis is not None and o.analysis != pub.analysis:
                continue
            key = _EP_MAP.get((o.endpoint, o.statistic))
            if key is None or o.value is None:
                continue
            scale = N.DAYS_PER_WEEK / N.DAYS_PER_MONTH if o.unit == "weeks" else 1.0
            rec = PublishedValue(
                value=o.value * scale,
                ci_low=None if o.ci_low is None else o.ci_low * scale,
                ci_high=None if o.ci_high is None else o.ci_high * scale,
                unit_as_reported=o.unit,
                endpoint=o.endpoint,
                refs=list(o.refs),
                source=o.id,
            )
            if key in (N.HAZARD_RATIO, N.OS_HAZARD_RATIO):
                exp = o.arm if o.arm else (pairs[0][0] if pairs else None)
                ctl = o.comparator if o.comparator else (pairs[0][1] if pairs else None)
                if exp is None or ctl is None:
                    continue
                out.comparisons.setdefault(f"{exp} vs {ctl}", {}).setdefault(key, rec)
            elif o.arm:
                out.arms.setdefault(o.arm, {}).setdefault(key, rec)
    for r in pub.results:
        rec = PublishedValue(
            value=r.value,
            ci_low=r.ci_low,
            ci_high=r.ci_high,
            unit_as_reported=r.unit,
            endpoint=r.endpoint,
            refs=[],
            source=r.source,
        )
        if r.comparison is not None:
            out.comparisons.setdefault(r.comparison, {})[r.key] = rec
        else:
            assert r.arm is not None
            out.arms.setdefault(r.arm, {})[r.key] = rec
    return out


__all__ = ["analyse", "arm_summary", "compare", "published_values"]
