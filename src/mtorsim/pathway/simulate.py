"""libRoadRunner behind one small adapter: steady states and time courses.

:class:`PathwaySimulator` owns one RoadRunner instance and resets it
deliberately before every run (``resetAll`` restores every initial value and
parameter; then the context and drug slots are applied), so simulating patient A
then patient B gives exactly what simulating B alone gives.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mtorsim import __version__
from mtorsim.errors import MtorsimError
from mtorsim.knowledge.base import KnowledgeBase, load_knowledge_base
from mtorsim.pathway.build import model_hash, sbml_string
from mtorsim.pathway.contexts import Context, load_context
from mtorsim.pathway.drugs import SLOTS, DrugDose, slot_concentrations

#: readout name (as biologists write it) -> model symbol; all are fractions 0-1
READOUTS: dict[str, str] = {
    "pAkt_S473": "f_pAkt_S473",
    "pAkt_T308": "f_pAkt_T308",
    "pS6K1_T389": "f_pS6K1_T389",
    "pS6": "f_pS6",
    "p4EBP1": "f_p4EBP1",
    "p4EBP1_S65": "f_p4EBP1_S65",
    "pERK": "f_pERK",
    "IRS1": "f_IRS1",
    "ER_activity": "f_ER_activity",
    "eIF4E_free": "eIF4E_free",
    "proliferation": "proliferation",
    "survival": "survival",
    "translation": "translation",
    "mitogenic": "mitogenic",
}


class SolverFailure(MtorsimError):
    """The steady state could not be found, even by long simulation."""


def _provenance(
    context: Context,
    doses: Sequence[DrugDose],
    slots: Mapping[str, float],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    import roadrunner

    prov = {
        "mtorsim_version": __version__,
        "model": "mtor_network",
        "model_hash": model_hash(),
        "engine": f"libroadrunner {roadrunner.__version__}",
        "context": context.name,
        "drugs": {d.agent: d.nM for d in doses},
        "slots_nM": {k: v for k, v in slots.items() if v},
    }
    prov.update(extra or {})
    return prov


@dataclass(frozen=True)
class SteadyStateResult:
    """Readouts at steady state for one context and drug combination."""

    context: str
    drugs: dict[str, float]
    readouts: dict[str, float]
    provenance: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        return self.readouts[key]

    def to_dict(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "drugs_nM": self.drugs,
            "readouts": self.readouts,
            "provenance": self.provenance,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([self.readouts], index=[self.context])


@dataclass(frozen=True)
class TimeCourseResult:
    """Readouts over time (minutes) for one context and drug combination."""

    context: str
    drugs: dict[str, float]
    time_min: np.ndarray
    readouts: dict[str, np.ndarray]
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> Any:
        import pandas as pd

        df = pd.DataFrame({k: v for k, v in self.readouts.items()})
        df.insert(0, "time_min", self.time_min)
        return df

    def to_dict(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "drugs_nM": self.drugs,
            "time_min": self.time_min.tolist(),
            "readouts": {k: v.tolist() for k, v in self.readouts.items()},
            "provenance": self.provenance,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def final(self) -> dict[str, float]:
        return {k: float(v[-1]) for k, v in self.readouts.items()}

    def plot(self, ax: Any = None, readouts: Sequence[str] | None = None) -> Any:
        """Plot readouts against time in hours; returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4), layout="constrained")
        names = list(readouts or self.readouts)
        cmap = plt.get_cmap("tab20")
        colours = [cmap(j) for j in range(20)]
        for i, name in enumerate(names):
            style = "-" if i < 10 else "--"  # 12 readouts: keep every line distinguishable
            ax.plot(
                self.time_min / 60,
                self.readouts[name],
                style,
                label=name,
                color=colours[(2 * i) % 20 if i < 10 else (2 * i + 1) % 20],
            )
        drugs = ", ".join(f"{k} {v:g} nM" for k, v in self.drugs.items()) or "no drug"
        ax.set(
            xlabel="time (h)",
            ylabel="fraction of maximum",
            title=f"{self.context}: {drugs}",
            ylim=(0, 1.05),
        )
        # outside the axes, so it never hides the early transients
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return ax


#: integrator tolerances (relative, absolute) of :meth:`PathwaySimulator.driven_course`
DRIVEN_TOLERANCES = (1e-7, 1e-9)


class PathwaySimulator:
    """The signalling model on libRoadRunner.

    Parameters
    ----------
    kb
        Knowledge base used to map agents to mechanisms (default: built-in).
    parameters
        Model parameter values that replace the model's own in every run
        (before the context, drugs and per-run ``overrides`` are applied); used
        by the calibration and by sensitivity analyses.

    Examples
    --------
    >>> sim = PathwaySimulator()
    >>> r = sim.steady_state("MCF7", {"everolimus": 10})
    >>> r["pS6K1_T389"] < 0.2
    True
    """

    #: pre-equilibration simulated before the steady-state solver (min)
    pre_time_min = 3000.0
    fallback_time_min = 100000.0

    def __init__(
        self, kb: KnowledgeBase | None = None, parameters: Mapping[str, float] | None = None
    ) -> None:
        self._kb = kb
        self._engine: Any = None
        self._ids: set[str] = set()
        self.parameters: dict[str, float] = dict(parameters or {})

    @property
    def _rr(self) -> Any:
        """The RoadRunner instance, built on first use (~1 s of JIT compilation): a fast
        path whose response surfaces come from the cache never builds one, and a copy sent
        to another process builds its own (RoadRunner instances cannot be pickled)."""
        if self._engine is None:
            import roadrunner

            rr = roadrunner.RoadRunner(sbml_string())
            rr.conservedMoietyAnalysis = True
            rr.integrator.relative_tolerance = 1e-8
            rr.integrator.absolute_tolerance = 1e-10
            self._ids = set(rr.model.getGlobalParameterIds())
            self._engine = rr
        return self._engine

    @_rr.setter
    def _rr(self, engine: Any) -> None:  # tests put a wrapper around the engine
        self._engine = engine

    @property
    def built(self) -> bool:
        """Whether the RoadRunner instance has been built (it is on first simulation)."""
        return self._engine is not None

    @property
    def _param_ids(self) -> set[str]:
        self._rr  # noqa: B018 (built on first use)
        return self._ids

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__ | {"_engine": None, "_ids": set()}

    # ------------------------------------------------------------------ set-up
    def parameter_ids(self) -> list[str]:
        return sorted(self._param_ids)

    def _prepare(
        self,
        context: str | Context,
        drugs: Mapping[str, float] | Iterable[DrugDose],
        overrides: Mapping[str, float] | None,
    ) -> tuple[Context, list[DrugDose], dict[str, float]]:
        ctx = load_context(context)
        doses = (
            [DrugDose(k, float(v)) for k, v in drugs.items()]
            if isinstance(drugs, Mapping)
            else list(drugs)
        )
        kb = self._kb if self._kb is not None else load_knowledge_base()
        ids = [kb.agent(d.agent).id for d in doses]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise MtorsimError(
                f"{', '.join(twice)} given more than once (by name or synonym); give each "
                "drug once with its total concentration"
            )
        slots = slot_concentrations(doses, self._kb)
        self._rr.resetAll()
        values = {**self.parameters, **ctx.values(), **slots, **(overrides or {})}
        for k, v in values.items():
            if k not in self._param_ids:
                raise MtorsimError(
                    f"{k!r} is not a parameter of the pathway model (from context {ctx.name}, "
                    "parameters or overrides); see PathwaySimulator().parameter_ids()"
                )
            if not math.isfinite(float(v)):
                raise MtorsimError(f"parameter {k} = {v!r}: a finite number is needed")
            self._rr[k] = float(v)
        return ctx, doses, slots

    def _read(self) -> dict[str, float]:
        return {name: float(self._rr[sym]) for name, sym in READOUTS.items()}

    # ------------------------------------------------------------------ runs
    def steady_state(
        self,
        context: str | Context,
        drugs: Mapping[str, float] | Iterable[DrugDose] = (),
        overrides: Mapping[str, float] | None = None,
    ) -> SteadyStateResult:
        """Readouts at steady state; drug concentrations are held constant (nM).

        The state is first pre-equilibrated by simulation, then refined with
        the steady-state solver; if the solver fails, a long simulation is used
        when its derivatives are negligible, otherwise :class:`SolverFailure`.
        """
        ctx, doses, slots = self._prepare(context, drugs, overrides)
        rr = self._rr
        try:
            rr.simulate(0, self.pre_time_min, 2)
        except RuntimeError as exc:  # CVODE: the context's parameters make no trajectory
            raise SolverFailure(
                f"context {ctx.name}: the integrator failed before any steady state "
                f"({str(exc).splitlines()[0][:160]}); check the context's parameters"
            ) from None
        method = "steadyState"
        try:
            rr.steadyState()
        except Exception:
            try:
                rr.simulate(self.pre_time_min, self.fallback_time_min, 2)
            except RuntimeError as exc:
                raise SolverFailure(
                    f"context {ctx.name}: no steady state and the long simulation failed "
                    f"({str(exc).splitlines()[0][:160]})"
                ) from None
            method = "long simulation"
        rates = np.abs(rr.model.getFloatingSpeciesConcentrationRates())
        worst = float(np.max(rates)) if rates.size else 0.0
        if worst > 1e-5:  # nM/min; pools are ~100 nM, so a relative drift < 1e-7/min
            drug_text = ", ".join(map(str, doses)) or "no drug"
            raise SolverFailure(
                f"no steady state for context {ctx.name} with {drug_text}"
                f" (largest rate {worst:.2e} nM/min after {method}); "
                "use time_course() to inspect the dynamics"
            )
        return SteadyStateResult(
            ctx.name,
            {d.agent: d.nM for d in doses},
            self._read(),
            _provenance(ctx, doses, slots, {"method": method, "overrides": dict(overrides or {})}),
        )

    def time_course(
        self,
        context: str | Context,
        drugs: Mapping[str, float] | Iterable[DrugDose] = (),
        t_end_min: float = 1440.0,
        n_points: int = 241,
        overrides: Mapping[str, float] | None = None,
        pre_equilibrate: bool = True,
        slots: Mapping[str, float] | None = None,
        extra: Sequence[str] = (),
    ) -> TimeCourseResult:
        """Readouts over time after adding drugs at t = 0 to a drug-free steady state.

        ``slots`` sets drug-mechanism slots (``C_*``, reference-agent nM) directly from
        t = 0, beside ``drugs``; a calibration uses it to try an agent's potency.
        ``extra`` names model symbols returned beside the readouts (e.g. ``RTK_exp``).
        """
        unknown = set(slots or {}) - set(SLOTS)
        if unknown:
            raise MtorsimError(f"not drug slots: {sorted(unknown)}; slots are {sorted(SLOTS)}")
        ctx = load_context(context)
        rr = self._rr
        if pre_equilibrate:
            self.steady_state(ctx, {}, overrides)
            state = rr.model.getFloatingSpeciesConcentrations().copy()
            ids = rr.model.getFloatingSpeciesIds()
        _, doses, used = self._prepare(ctx, drugs, {**(overrides or {}), **(slots or {})})
        if pre_equilibrate:
            for sid, val in zip(ids, state, strict=True):
                rr[f"[{sid}]"] = float(val)
        names = list(READOUTS) + [e for e in extra if e not in READOUTS]
        rr.timeCourseSelections = ["time"] + [READOUTS.get(n, n) for n in names]
        if not (math.isfinite(t_end_min) and t_end_min > 0 and n_points >= 2):
            raise MtorsimError(
                f"a time course needs an end time > 0 and at least 2 points (got "
                f"{t_end_min:g} min, {n_points} points)"
            )
        try:
            out = rr.simulate(0, t_end_min, n_points)
        except RuntimeError as exc:
            raise SolverFailure(
                f"context {ctx.name}: the time course failed ({str(exc).splitlines()[0][:160]})"
            ) from None
        arr = np.asarray(out)
        return TimeCourseResult(
            ctx.name,
            {d.agent: d.nM for d in doses},
            arr[:, 0].copy(),
            {n: arr[:, i + 1].copy() for i, n in enumerate(names)},
            _provenance(ctx, doses, {**used, **(slots or {})}, {"t_end_min": t_end_min}),
        )

    def driven_course(
        self,
        context: str | Context,
        agents: Sequence[str],
        times_min: np.ndarray,
        conc_nM: np.ndarray,
        overrides: Mapping[str, float] | None = None,
        readouts: Sequence[str] = ("proliferation", "survival"),
        resume: bool = False,
    ) -> dict[str, np.ndarray]:
        """Integrate the signalling ODEs while drug levels change over time.

        ``conc_nM[k, j]`` is agent ``j``'s concentration held over
        ``[times_min[k], times_min[k + 1])`` (piecewise constant); the state starts at the
        drug-free steady state and is carried across segments.  Returns each readout at
        ``times_min`` (the first entry is the drug-free steady state).  This is the coupled,
        fully dynamic path that the trial layer's precomputed response surfaces are checked
        against.  With ``resume`` the run continues from where the previous call on this
        simulator stopped (same context), so a long course can be integrated in pieces.
        """
        t = np.asarray(times_min, dtype=float)
        c = np.asarray(conc_nM, dtype=float).reshape(len(t), len(agents))
        if not resume:
            self.steady_state(load_context(context), {}, overrides)
        rr = self._rr
        out = {r: np.empty(len(t)) for r in readouts}
        first = self._read()
        for r in readouts:
            out[r][0] = first[r]
        slot_ids = list(SLOTS)
        integ = rr.integrator
        tols = (integ.relative_tolerance, integ.absolute_tolerance)
        # a long driven course needs less than the steady-state solver's tolerances
        integ.relative_tolerance, integ.absolute_tolerance = DRIVEN_TOLERANCES
        try:
            for k in range(len(t) - 1):
                slots = slot_concentrations(
                    [DrugDose(a, float(v)) for a, v in zip(agents, c[k], strict=True)], self._kb
                )
                for sid in slot_ids:
                    rr[sid] = float(slots.get(sid, 0.0))
                x = rr.model.getFloatingSpeciesConcentrations()
                tiny = (np.abs(x) < 1e-20) & (x != 0)
                if tiny.any():  # denormal remnants (a washed-out complex) stall CVODE's Newton
                    for i in np.nonzero(tiny)[0]:
                        rr.model.setFloatingSpeciesConcentrations([int(i)], [0.0])
                try:
                    rr.simulate(0.0, t[k + 1] - t[k], 2)  # autonomous: restart the clock
                except RuntimeError as exc:
                    raise SolverFailure(
                        f"{context if isinstance(context, str) else context.name}: the driven "
                        f"signalling course failed at {t[k]:g} min ({exc}); try a shorter "
                        "segment or the steady-state path"
                    ) from None
                now = self._read()
                for r in readouts:
                    out[r][k + 1] = now[r]
        finally:
            integ.relative_tolerance, integ.absolute_tolerance = tols
        return out


__all__ = [
    "READOUTS",
    "SLOTS",
    "PathwaySimulator",
    "SolverFailure",
    "SteadyStateResult",
    "TimeCourseResult",
]
