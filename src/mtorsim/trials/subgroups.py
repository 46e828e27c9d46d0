"""Biomarker subgroups of a simulated trial: which patients benefit most."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import Field

from mtorsim.knowledge import names as N
from mtorsim.trials.results import Provenance, Record, TrialResult
from mtorsim.trials.stats import cox_or_note

#: dose-intensity split of the experimental arm (mg/day): the review's BOLERO-2 analysis
#: (knowledge base outcomes bolero-2.dose-intensity.pfs.hr.lt-7.5 / .ge-7.5)
DOSE_SPLITS_MG_DAY = {"everolimus": 7.5}
#: smallest subgroup given a hazard ratio: patients per arm and events (assumed: below
#: about 10 of each a Cox estimate is too unstable to show; a common rule of thumb)
MIN_PER_ARM = 10
MIN_EVENTS = 10


class SubgroupRow(Record):
    subgroup: str
    n_experimental: int
    n_control: int
    hazard_ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    cox_p: float | None = None
    note: str | None = None

    @property
    def estimated(self) -> bool:
        return self.hazard_ratio is not None


class SubgroupTable(Record):
    """HR (experimental vs control, Cox, stratified as the design says) by subgroup."""

    design: str
    name: str
    experimental: str
    control: str
    n_patients: int
    rows: list[SubgroupRow] = Field(default_factory=list)
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in self.rows])

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of the estimated subgroups; returns the axes."""
        from mtorsim.trials.plots import forest_plot

        return forest_plot(self, ax)


def subgroups(result: TrialResult) -> SubgroupTable | None:
    """HR in each genotype and context subgroup, and by the experimental arm's dose
    intensity (those patients against the whole control arm); None without a comparison."""
    d, f = result.design, result.patients
    if not (d.experimental and d.control):
        return None
    groups: list[tuple[str, pd.Series]] = [("all patients", pd.Series(True, index=f.index))]
    control = f[N.ARM] == d.control
    for agent, cut in DOSE_SPLITS_MG_DAY.items():
        col = f"{N.DOSE_INTENSITY}{agent}"
        if col in f:
            di = f[col].astype(float)
            exp = f[N.ARM] == d.experimental
            groups += [
                (f"{agent} dose intensity < {cut:g} mg/day", control | (exp & (di < cut))),
                (f"{agent} dose intensity >= {cut:g} mg/day", control | (exp & (di >= cut))),
            ]
    for g in d.population.genotypes:
        col = f[f"{N.GENOTYPE}{g.name}"].astype(bool)
        groups += [(f"{g.name}: yes", col), (f"{g.name}: no", ~col)]
    for ctx in sorted(f[N.CONTEXT].unique()):
        groups.append((f"context {ctx}", f[N.CONTEXT] == ctx))
    strata = [f"{N.STRATUM}{s.name}" for s in d.stratification]
    rows = []
    for name, mask in groups:
        sub = f[mask]
        n_e = int((sub[N.ARM] == d.experimental).sum())
        n_c = int((sub[N.ARM] == d.control).sum())
        row = SubgroupRow(subgroup=name, n_experimental=n_e, n_control=n_c)
        main = result.comparison
        if (
            name == "all patients"
            and main is not None
            and (main.experimental, main.control) == (d.experimental, d.control)
            and main.hazard_ratio is not None
        ):
            # the main analysis already fitted this model on these patients: reuse it
            row = row.model_copy(
                update={k: getattr(main, k) for k in ("hazard_ratio", "ci_low", "ci_high")}
                | {"cox_p": main.cox_p, "note": main.note}
            )
        elif min(n_e, n_c) >= MIN_PER_ARM and sub[N.EVENT].sum() >= MIN_EVENTS:
            hr, note = cox_or_note(sub, d.experimental, d.control, strata)
            if hr is not None:
                row = row.model_copy(
                    update={k: hr[k] for k in ("hazard_ratio", "ci_low", "ci_high", "cox_p")}
                    | {"note": note}
                )
            else:
                row = row.model_copy(update={"note": note})
        rows.append(row)
    return SubgroupTable(
        design=d.id,
        name=d.name,
        experimental=d.experimental,
        control=d.control,
        n_patients=len(f),
        rows=rows,
        provenance=result.provenance,
    )


__all__ = ["SubgroupRow", "SubgroupTable", "subgroups"]
