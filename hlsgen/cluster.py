"""Independent tasks on Dask distributed workers, or in this process.

``open_pool(scheduler, workers, command)`` yields a ``Pool``:

* ``scheduler`` (``tcp://HOST:PORT``): a Client of the user's cluster; its workers must be able to
  import hlsgen (the same version);
* else ``workers`` > 1: a LocalCluster of that many worker processes (one thread each), closed at
  the end;
* else, or when the ``dask`` extra is not installed (said once on stderr): this process, serially.

Tasks are module-level functions of hlsgen (pickled by name) whose arguments carry everything they
need (file contents, arrays, IR graphs), not paths, so a worker on another machine can run them.
Exceptions raised by a task reach the caller as they are (a UserError stays a UserError).
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import sys

from .errors import UserError

EXTRA = "pip install 'hlsgen[dask]'"
CONNECT_TIMEOUT_S = 10        # reaching a scheduler
WORKERS_TIMEOUT_S = 30        # a scheduler with no worker yet
_ADDRESS = re.compile(r"^([a-z]+://)?(\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):\d{1,5}$")


def check_options(scheduler, workers) -> None:
    """Bad --scheduler / --workers values as UserError, before anything runs."""
    if workers is not None and workers < 1:
        raise UserError(f"--workers {workers}: must be at least 1")
    if scheduler is not None:
        if not _ADDRESS.match(scheduler):
            raise UserError(f"--scheduler {scheduler}: expected a scheduler address such as tcp://HOST:PORT")
        if workers is not None:
            raise UserError(f"--workers {workers}: the workers are the cluster's with --scheduler; give one of the two")


class Pool:
    """Runs calls of one function on the workers; ``n_workers`` tells how many there are."""

    def __init__(self, client=None):
        self.client = client
        self.n_workers = len(client.scheduler_info()["workers"]) if client is not None else 1

    @property
    def in_process(self) -> bool:
        return self.client is None

    def share(self, value):
        """VALUE sent to the cluster once (a handle to pass as an argument to several calls)."""
        if self.client is None:
            return value
        return self.client.scatter(value, hash=False)

    def unordered(self, fn, calls):
        """Yield (i, fn(*calls[i])) as each call finishes (in order when in process)."""
        if self.client is None:
            for i, args in enumerate(calls):
                yield i, fn(*args)
            return
        from distributed import as_completed
        futures = [self.client.submit(fn, *args, pure=False) for args in calls]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures, loop=self.client.loop):
                yield index[future.key], future.result()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def ordered(self, fn, calls) -> list:
        """[fn(*args) for args in calls], run on the workers."""
        results = [None] * len(calls)
        for i, result in self.unordered(fn, calls):
            results[i] = result
        return results


def _dask(command: str):
    """The distributed module, or None (said once on stderr) when the dask extra is missing."""
    try:
        import distributed
    except ImportError:
        sys.stderr.write(f"hlsgen {command}: dask is not installed ({EXTRA}): running in this process\n")
        return None
    return distributed


@contextlib.contextmanager
def _quiet():
    """Dask's connection retries and shutdown chatter stay off the user's terminal (errors are ours)."""
    loggers = [logging.getLogger(n) for n in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _connect(distributed, scheduler: str):
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        reason = " ".join(str(e).split()) or type(e).__name__
        raise UserError(f"--scheduler {scheduler}: cannot reach the scheduler ({reason[:160]})") from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except (OSError, TimeoutError):
        client.close()
        raise UserError(f"--scheduler {scheduler}: no worker joined the scheduler within "
                        f"{WORKERS_TIMEOUT_S} s") from None
    return client


def _local_cluster(distributed, workers: int):
    """WORKERS single-thread worker processes, without Dask's MALLOC_TRIM_THRESHOLD_=65536: with it,
    planning ResNet-50 took about 45% more CPU time (glibc returning memory to the system after every
    numpy temporary)."""
    import dask
    environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
               if k != "MALLOC_TRIM_THRESHOLD_"}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.CRITICAL)


@contextlib.contextmanager
def open_pool(scheduler=None, workers=None, command="sweep"):
    """A Pool on SCHEDULER's cluster, on a LocalCluster of WORKERS processes, or in this process."""
    check_options(scheduler, workers)
    if scheduler is None and (workers or 1) <= 1:
        yield Pool()
        return
    distributed = _dask(command)
    if distributed is None:
        yield Pool()
        return
    with _quiet():      # the whole session: a LocalCluster's scheduler runs in this process
        if scheduler is not None:
            client, cluster = _connect(distributed, scheduler), None
        else:
            cluster = _local_cluster(distributed, workers)
            client = distributed.Client(cluster, set_as_default=False)
        try:
            yield Pool(client)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def default_workers() -> int:
    """Worker processes of the default LocalCluster: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def spans(n: int, parts: int) -> list:
    """(start, stop) of at most PARTS contiguous, non-empty, nearly equal slices of range(N), in order."""
    parts = max(1, min(parts, n))
    edges = [n * i // parts for i in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:]))
