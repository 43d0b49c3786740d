"""Where the data passes run: in this process, or on a Dask cluster.

Every stage that reads the real rows (scan, fit's statistics, the leakage check's
neighbour search) is written as *one function per partition* plus a reduction on the
driver, and runs through a :class:`Runner`:

* :class:`InProcess` (no ``--cluster``): partitions are processed one after another in
  this process. A partition may be a lazy reader (:class:`synth.io.chunks.Chunk`), so a
  file larger than memory streams through one chunk at a time.
* :class:`DaskRunner` (``--cluster local`` starts a ``dask.distributed`` LocalCluster,
  ``--cluster tcp://HOST:PORT`` joins a running scheduler): each partition is a task on
  a worker; results come back in partition order.

The reductions on the driver are order-fixed sums and merges of exact quantities (counts,
top-k distances with index tie-breaks), so the two runners give identical results for
the same seed. Workers of a remote cluster must see the input files at the same paths.

>>> with connect(None) as runner:
...     runner.map(lambda part, k: part * k, [1, 2, 3], 10)
[10, 20, 30]
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from synth.errors import InputError

#: workers of ``--cluster local`` (one process and one thread each)
LOCAL_WORKERS = 2
#: seconds to wait for a remote scheduler before giving up
CONNECT_TIMEOUT = 20
#: arguments larger than this (bytes, numpy/pandas) are shipped to workers once
_SCATTER_BYTES = 1 << 20

Progress = Callable[[str, int, int], None]


def resolve(part: Any) -> Any:
    """The data of a partition: lazy readers and deferred steps are evaluated here."""
    load = getattr(part, "load", None)
    return load() if callable(load) else part


class Chunkish:
    """Marker base for lazy partitions that load themselves where the task runs."""

    def load(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


class Deferred(Chunkish):
    """``fn(resolve(base))`` evaluated when loaded (in-process ``persist``)."""

    def __init__(self, fn: Callable[[Any], Any], base: Any) -> None:
        self.fn, self.base = fn, base

    def load(self) -> Any:
        return self.fn(resolve(self.base))


def _call(part: Any, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(resolve(part), *args)


class Runner(ABC):
    """Runs a function over partitions; results come back in partition order."""

    kind: str = ""
    workers: int = 1

    @abstractmethod
    def map(
        self,
        fn: Callable[..., Any],
        parts: Sequence[Any],
        *args: Any,
        progress: Progress | None = None,
        stage: str = "",
    ) -> list[Any]:
        """``[fn(data_of(part), *args) for part in parts]``."""

    @abstractmethod
    def persist(self, fn: Callable[[Any], Any], parts: Sequence[Any]) -> list[Any]:
        """Partitions holding ``fn(part)``: kept on the workers (Dask) or recomputed
        from the source on each use (in-process, so memory stays bounded)."""

    def place(self, parts: Sequence[Any]) -> list[Any]:
        """Partitions ready for repeated passes: in-memory data is shipped to the workers
        once (Dask); lazy readers stay lazy."""
        return list(parts)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "workers": self.workers}


class InProcess(Runner):
    kind = "in-process"

    def map(
        self,
        fn: Callable[..., Any],
        parts: Sequence[Any],
        *args: Any,
        progress: Progress | None = None,
        stage: str = "",
    ) -> list[Any]:
        out = []
        for k, part in enumerate(parts):
            out.append(_call(part, fn, *args))
            if progress is not None:
                progress(stage, k + 1, len(parts))
        return out

    def persist(self, fn: Callable[[Any], Any], parts: Sequence[Any]) -> list[Any]:
        return [Deferred(fn, p) for p in parts]


class DaskRunner(Runner):
    kind = "dask"

    def __init__(self, client: Any, address: str) -> None:
        self.client = client
        self.address = address
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))

    def _ship(self, arg: Any) -> Any:
        nbytes = getattr(arg, "nbytes", None)
        if nbytes is None and hasattr(arg, "memory_usage"):
            nbytes = int(arg.memory_usage(deep=False).sum())
        if nbytes is not None and int(nbytes) > _SCATTER_BYTES:
            return self.client.scatter(arg, broadcast=True, hash=False)
        return arg

    def map(
        self,
        fn: Callable[..., Any],
        parts: Sequence[Any],
        *args: Any,
        progress: Progress | None = None,
        stage: str = "",
    ) -> list[Any]:
        from distributed import as_completed

        if not parts:
            return []
        shipped = [self._ship(a) for a in args]
        futures = [
            self.client.submit(_call, p, fn, *shipped, pure=False, priority=-k)
            for k, p in enumerate(parts)
        ]
        index = {f.key: k for k, f in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        for done, fut in enumerate(as_completed(futures), start=1):
            out[index[fut.key]] = fut.result()
            if progress is not None:
                progress(stage, done, len(futures))
        return out

    def persist(self, fn: Callable[[Any], Any], parts: Sequence[Any]) -> list[Any]:
        return [self.client.submit(_call, p, fn, pure=False) for p in parts]

    def place(self, parts: Sequence[Any]) -> list[Any]:
        from distributed import Future

        data = [k for k, p in enumerate(parts) if not isinstance(p, Future | Chunkish)]
        shipped = self.client.scatter([parts[k] for k in data], hash=False) if data else []
        out = list(parts)
        for k, fut in zip(data, shipped, strict=True):
            out[k] = fut
        return out

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "scheduler": self.address}


@contextmanager
def connect(
    spec: str | None, *, workers: int = LOCAL_WORKERS, timeout: float = CONNECT_TIMEOUT
) -> Iterator[Runner]:
    """A runner for ``spec``: None (in-process), ``"local"`` or ``"tcp://HOST:PORT"``.

    ``local`` starts ``workers`` worker processes of one thread each and shuts them down
    on exit. Raises :class:`InputError` for an unknown spec or an unreachable scheduler.
    """
    if spec is None or spec == "":
        yield InProcess()
        return
    if spec != "local" and not spec.startswith(("tcp://", "tls://")):
        raise InputError(
            f"--cluster '{spec}': expected 'local' or a scheduler address like tcp://HOST:PORT"
        )
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a dependency
        raise InputError(
            "--cluster needs dask.distributed (pip install 'dask[distributed]')"
        ) from None
    import logging

    for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.core"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # workers inherit no BLAS threads beyond their own: one thread per worker process
    env = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    with dask.config.set({"distributed.worker.daemon": False, "logging.distributed": "error"}):
        if spec == "local":
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                env=env,
                silence_logs=40,
            )
            client = Client(cluster)
            try:
                yield DaskRunner(client, "local")
            finally:
                client.close()
                cluster.close()
            return
        try:
            client = Client(spec, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"--cluster {spec}: cannot reach the scheduler ({type(exc).__name__})"
            ) from None
        try:
            yield DaskRunner(client, spec)
        finally:
            client.close()


def cpu_workers() -> int:
    """CPUs this process may use (for reports)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
