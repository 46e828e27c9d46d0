"""Drug pharmacokinetic records (``data/pk.yaml``) and regimen -> concentration profiles."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mtorsim.errors import DataFileError, MtorsimError
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base
from mtorsim.knowledge.documents import load_cached
from mtorsim.knowledge.sourced import Sourced
from mtorsim.knowledge.vocab import Route
from mtorsim.pharmacology.pk import LinearPK, PKParameters
from mtorsim.pharmacology.regimen import Patient, Regimen, parse_regimen

PK_FORMAT = "1.0"


class DrugPK(BaseModel):
    """One drug's linear PK model, with where every number came from."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    molecular_weight: Sourced
    matrix: str = Field(description="what the concentrations are measured in (plasma, blood...)")
    CL: Sourced
    V1: Sourced
    Q: Sourced | None = None
    V2: Sourced | None = None
    Q3: Sourced | None = None
    V3: Sourced | None = None
    ka: Sourced | None = None
    F: Sourced | None = None
    iiv_cv: dict[str, Sourced] = Field(default_factory=dict)
    half_life_h: Sourced
    fu: Sourced = Field(
        description="unbound fraction of the drug in the measured matrix (free = fu x total); "
        "the cell layer acts on free concentrations (free-drug hypothesis)"
    )
    note: str = ""

    def parameters(self) -> PKParameters:
        def v(x: Sourced | None, default: float = 0.0) -> float:
            return x.value if x is not None else default

        return PKParameters(
            CL=self.CL.value,
            V1=self.V1.value,
            Q=v(self.Q),
            V2=v(self.V2),
            ka=self.ka.value if self.ka else None,
            F=v(self.F, 1.0),
            Q3=v(self.Q3),
            V3=v(self.V3),
        )

    def unbound_nM(self, conc_mg_L: Any) -> Any:
        """Unbound nM from total mg/L in the record's matrix: x 1e6 / MW x fu."""
        return conc_mg_L * 1e6 / self.molecular_weight.value * self.fu.value

    def sample(self, rng: np.random.Generator, n: int) -> list[PKParameters]:
        """``n`` patients' parameters: log-normal between-patient variability (``iiv_cv``)."""
        base = self.parameters()
        fields = {k: getattr(base, k) for k in ("CL", "V1", "Q", "V2", "ka", "F", "Q3", "V3")}
        draws: dict[str, np.ndarray] = {}
        for name, cv in sorted(self.iiv_cv.items()):
            omega = math.sqrt(math.log(1.0 + cv.value**2))
            draws[name] = np.exp(rng.normal(0.0, omega, size=n))
        out = []
        for i in range(n):
            f = dict(fields)
            for name, eta in draws.items():
                f[name] = f[name] * float(eta[i])
            out.append(PKParameters(**f))
        return out


class PKFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    format_version: str
    drugs: dict[str, DrugPK]


def default_pk_path() -> Path:
    return Path(str(resources.files("mtorsim.pharmacology") / "data" / "pk.yaml"))


def _load(path: str) -> PKFile:
    doc = load_cached(path, PKFile, PK_FORMAT)
    for name, d in doc.drugs.items():
        for k in d.iiv_cv:
            if k not in ("CL", "V1", "Q", "V2", "ka", "F", "Q3", "V3"):
                raise DataFileError(path, [f"drugs.{name}.iiv_cv.{k}: not a PK parameter"])
    return doc


def load_pk_data(path: str | Path | None = None) -> PKFile:
    return _load(str(path or default_pk_path()))


def drug_pk(
    agent: str, kb: KnowledgeBase | None = None, path: str | Path | None = None
) -> tuple[str, DrugPK]:
    """(knowledge-base id, PK record) for an agent name; clear errors when there is none."""
    kb = kb if kb is not None else load_knowledge_base()
    a = kb.agent(agent)
    data = load_pk_data(path)
    if a.id not in data.drugs:
        raise MtorsimError(
            f"no pharmacokinetic model for {a.name}; drugs with one: "
            f"{', '.join(sorted(data.drugs))}"
        )
    return a.id, data.drugs[a.id]


@dataclass
class PKProfile:
    """Concentration over time for one drug, regimen and patient."""

    agent: str
    regimen: Regimen
    matrix: str
    molecular_weight: float
    time_h: np.ndarray
    conc_mg_L: np.ndarray
    period_h: float
    css_avg_mg_L: float
    half_life_h: float
    fu: float = 1.0
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def conc_ng_mL(self) -> np.ndarray:
        return self.conc_mg_L * 1000.0

    @property
    def conc_nM(self) -> np.ndarray:
        return self.conc_mg_L * 1e6 / self.molecular_weight

    @property
    def unbound_nM(self) -> np.ndarray:
        """Free (unbound) concentration, nM: what a cell in the tumour sees (``fu`` x total)."""
        return self.conc_nM * self.fu

    def _last_period(self) -> np.ndarray:
        return np.asarray(self.time_h >= self.time_h[-1] - self.period_h - 1e-9)

    def metrics(self) -> dict[str, Any]:
        """Cmax, Cmin and AUC over the last schedule period; Cavg; time to 90% of steady state."""
        last = self._last_period()
        t, c = self.time_h[last], self.conc_ng_mL[last]
        auc = float(np.trapezoid(c, t))
        return {
            "Cmax_ng_mL": float(c.max()),
            "Cmin_ng_mL": float(c.min()),
            "Cmax_nM": float(c.max()) * 1000.0 / self.molecular_weight,
            "Cmin_nM": float(c.min()) * 1000.0 / self.molecular_weight,
            "AUC_last_period_ng_h_mL": auc,
            "Cavg_last_period_ng_mL": auc / (t[-1] - t[0]) if t[-1] > t[0] else float(c[0]),
            "Css_avg_ng_mL": self.css_avg_mg_L * 1000.0,
            "Css_avg_unbound_nM": self.css_avg_mg_L * 1e6 / self.molecular_weight * self.fu,
            "fu": self.fu,
            "period_h": self.period_h,
            "t90_steady_state_h": self.time_to_steady_state(0.9),
            "terminal_half_life_h": self.half_life_h,
            "half_life_note": "slowest of disposition and absorption (flip-flop for depots)",
        }

    def time_to_steady_state(self, fraction: float = 0.9) -> float | None:
        """First time the running mean over one schedule period reaches ``fraction`` of the
        steady-state average (exact for linear PK: F x dose per period / (CL x period))."""
        t, c = self.time_h, self.conc_mg_L
        cum = np.concatenate([[0.0], np.cumsum(np.diff(t) * (c[1:] + c[:-1]) / 2.0)])
        start = t >= t[0] + self.period_h
        if not np.any(start):
            return None
        prev = np.interp(t[start] - self.period_h, t, cum)
        running = (cum[start] - prev) / self.period_h
        hit = np.nonzero(running >= fraction * self.css_avg_mg_L)[0]
        return float(t[start][hit[0]]) if hit.size else None

    def to_dict(self, every: int = 1) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "regimen": str(self.regimen),
            "matrix": self.matrix,
            "metrics": self.metrics(),
            "time_h": self.time_h[::every].tolist(),
            "conc_ng_mL": self.conc_ng_mL[::every].tolist(),
            "provenance": self.provenance,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            {
                "time_h": self.time_h,
                "conc_ng_mL": self.conc_ng_mL,
                "conc_nM": self.conc_nM,
                "unbound_nM": self.unbound_nM,
            }
        )

    def plot(self, ax: Any = None) -> Any:
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4), layout="constrained")
        ax.plot(self.time_h / 24.0, self.conc_ng_mL, color="tab:blue", lw=1.2)
        ax.axhline(
            self.css_avg_mg_L * 1000.0, color="grey", ls="--", lw=1, label="steady-state average"
        )
        ax.set(
            xlabel="time (days)",
            ylabel=f"{self.matrix} concentration (ng/mL)",
            title=f"{self.agent}: {self.regimen}",
        )
        ax.legend(frameon=False)
        return ax


def schedule_period_h(regimen: Regimen) -> float:
    """The repeat period of the regimen's last phase (h): 24 for daily, 336 for 5 of 14 days."""
    ph = regimen.phases[-1]
    if ph.period_days is None:
        raise MtorsimError(
            f"regimen {regimen} does not repeat; steady-state metrics need a repeating schedule"
        )
    return ph.period_days * 24.0


def simulate_pk(
    agent: str,
    regimen: Regimen | str,
    days: float,
    patient: Patient | None = None,
    params: PKParameters | None = None,
    step_h: float = 0.25,
    kb: KnowledgeBase | None = None,
) -> PKProfile:
    """Concentrations of ``agent`` under ``regimen`` for ``days`` (linear PK, superposition)."""
    from mtorsim.knowledge.domains import check

    days = check("pk days", days, "simulate_pk", "days")
    reg = parse_regimen(regimen) if isinstance(regimen, str) else regimen
    agent_id, rec = drug_pk(agent, kb)
    p = params or rec.parameters()
    routes = {ph.route for ph in reg.phases}
    if p.ka is None and routes - {Route.IV}:
        raise MtorsimError(
            f"{agent_id} has no absorption model; give it IV (its regimen says "
            f"{', '.join(sorted(r.value for r in routes))})"
        )
    patient = patient or Patient()
    events = reg.events(days, patient)
    t = np.arange(0.0, days * 24.0 + step_h / 2, step_h)
    # sample exactly at each dose time and infusion end too, so Cmax is not missed
    extra = [e.time_h for e in events] + [e.time_h + e.duration_h for e in events]
    t = np.unique(np.concatenate([t, np.asarray(extra, dtype=float)]))
    t = t[t <= days * 24.0]
    model = LinearPK(p)
    conc = model.concentration(t, events)
    period = schedule_period_h(reg)
    ph = reg.phases[-1]
    per_period = ph.amount_mg(patient) * len(ph.days) * ph.times_per_day
    oral = ph.route is not Route.IV
    css = model.steady_state_average(per_period, period, oral)
    return PKProfile(
        agent_id,
        reg,
        rec.matrix,
        rec.molecular_weight.value,
        t,
        conc,
        period,
        css,
        p.apparent_half_life_h(),
        rec.fu.value,
        {
            "pk_source": rec.CL.source,
            "fu_source": rec.fu.source,
            "parameters": {
                k: getattr(p, k) for k in ("CL", "V1", "Q", "V2", "Q3", "V3", "ka", "F")
            },
            "patient": {"weight_kg": patient.weight_kg, "bsa_m2": round(patient.bsa_m2, 3)},
        },
    )


__all__ = ["DrugPK", "PKProfile", "drug_pk", "load_pk_data", "simulate_pk"]
