"""Execution engines: where independent tasks (chunks of virtual patients, replicate
trials) run.  One interface, as pyPESTO's engines: ``engine.map(fn, shared, tasks)``
calls ``fn(shared, task)`` for every task and yields the results in task order.

* :class:`SerialEngine` (the default): in this process.
* :class:`ProcessEngine`: ``concurrent.futures`` worker processes on this machine;
  ``shared`` (the design, the effect models with their response surfaces as plain
  arrays) goes to each worker once, through the pool's initializer.
* :class:`DaskEngine`: a Dask distributed cluster (``pip install "mtorsim[scale]"``):
  a scheduler's address, or a ``LocalCluster`` started for the run; ``shared`` is
  scattered to every worker once.

Every task draws its own random streams (patient ``i`` from ``[seed, 1, i]``), so the
results do not depend on the engine, the number of workers or the order of completion;
a test checks that serial, process and Dask runs give byte-identical patient tables.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from mtorsim.errors import MtorsimError

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

ENGINES = ("serial", "processes", "dask")
#: extra that provides Dask distributed and pyarrow
SCALE_EXTRA = 'pip install "mtorsim[scale]"'


def available_cpus() -> int:
    """CPUs this process may use (its affinity where the OS says, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class Engine(ABC):
    """Runs ``fn(shared, task)`` for each task; yields results in task order."""

    name: str

    @abstractmethod
    def map(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]: ...

    def close(self) -> None:  # noqa: B027 (a no-op unless the engine has workers)
        """Release workers (a no-op for the serial engine)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        return self.name


class SerialEngine(Engine):
    name = "serial"

    def map(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        for t in tasks:
            yield fn(shared, t)


_SHARED: Any = None


def _init_worker(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call_with_shared(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_SHARED, task)


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class ProcessEngine(Engine):
    """Worker processes on this machine (``workers`` default: the CPUs available)."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or available_cpus()

    def describe(self) -> str:
        return f"processes ({self.workers} workers)"

    def map(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        # spawn, not fork: a forked copy of a process with RoadRunner or threads loaded is
        # not safe, and spawn is what every platform (and Dask) does.  One BLAS/OpenMP
        # thread per worker (as Dask's nanny sets): workers are the parallelism, and
        # numpy's threads in every worker would oversubscribe the cores
        saved = {k: os.environ.get(k) for k in _THREAD_VARS}
        os.environ.update(dict.fromkeys(_THREAD_VARS, "1"))
        try:
            yield from self._run(fn, shared, tasks)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def _run(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(
            self.workers,
            mp_context=mp.get_context("spawn"),
            initializer=_init_worker,
            initargs=(shared,),
        ) as pool:
            futures = [pool.submit(_call_with_shared, fn, t) for t in tasks]
            try:
                for f in futures:
                    yield f.result()
            finally:  # stopped early (an error, Ctrl-C): do not run what is left
                pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine(Engine):
    """A Dask distributed cluster: ``scheduler`` an address (``tcp://host:8786``), or
    None for a ``LocalCluster`` of ``workers`` single-threaded processes started here and
    closed with the engine."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        try:
            import distributed
        except ImportError:
            raise MtorsimError(f"the dask engine needs Dask distributed: {SCALE_EXTRA}") from None
        dist: Any = distributed  # partly typed: used through Any
        self._cluster: Any = None
        self.client: Any
        if scheduler:
            self.client = dist.Client(scheduler)
        else:
            n = workers or available_cpus()
            self._cluster = dist.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            try:
                self.client = dist.Client(self._cluster)
            except Exception:
                self._cluster.close()
                raise
        self.scheduler = scheduler

    def describe(self) -> str:
        where = self.scheduler or "a local cluster"
        n = len(self.client.scheduler_info().get("workers", {}))
        return f"dask ({where}, {n} workers)"

    def map(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        # one future for the whole object (a dict given alone would be scattered per value)
        [shared_f] = self.client.scatter([shared], broadcast=True)
        futures = [self.client.submit(fn, shared_f, t, pure=False) for t in tasks]
        try:
            for f in futures:
                result = f.result()
                f.release()  # the cluster forgets each result once it is here
                yield result
        finally:
            self.client.cancel(futures)
            shared_f.release()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def get_engine(
    name: str = "serial", workers: int | None = None, scheduler: str | None = None
) -> Engine:
    """An engine by name: ``serial``, ``processes`` or ``dask``."""
    if name == "serial":
        return SerialEngine()
    if name == "processes":
        return ProcessEngine(workers)
    if name == "dask":
        return DaskEngine(scheduler, workers)
    raise MtorsimError(f"engine {name!r}: choose one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "DaskEngine", "Engine", "ProcessEngine", "SerialEngine", "get_engine"]
