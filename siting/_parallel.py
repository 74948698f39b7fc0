"""Independent solves side by side: local worker processes, or a Dask cluster.

The model inputs are sent to each worker once (a process pool's initializer, or a scattered
Dask future), then only the small per-task arguments travel. Each solve uses one HiGHS thread:
the parallelism is across solves. Worker processes are started with ``spawn`` (no inherited
locks or HiGHS state; the same on Linux, macOS and Windows).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from siting._errors import ScenarioError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: Default number of worker processes: the CPU cores, at most this many.
MAX_DEFAULT_WORKERS = 8

#: What a worker process was given once (set by :func:`_init`).
_SHARED: dict[str, Any] = {}


def default_workers() -> int:
    """Worker processes to use by default: the CPU cores available (1-8)."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, n))


def shared() -> dict[str, Any]:
    """What this worker was given once (in-process runs: what :func:`run_local` set)."""
    return _SHARED


def _init(payload: dict[str, Any]) -> None:
    _SHARED.clear()
    _SHARED.update(payload)


def run_local(fn: Callable[[T], R], items: Sequence[T], payload: dict[str, Any], *,
              workers: int, progress: Callable[[int, int], None] | None = None) -> list[R]:
    """``[fn(item) for item in items]`` on ``workers`` processes, results in item order.

    ``payload`` is sent once to each worker and read there with :func:`shared`. With one
    worker (or one item) everything runs in this process. Ctrl-C cancels the pending tasks.
    """
    total = len(items)
    if workers <= 1 or total <= 1:
        _init(payload)
        out = []
        for k, item in enumerate(items):
            out.append(fn(item))
            if progress is not None:
                progress(k + 1, total)
        return out
    ctx = multiprocessing.get_context("spawn")
    results: list[Any] = [None] * total
    with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=ctx,
                             initializer=_init, initargs=(payload,)) as pool:
        futures: dict[Future[R], int] = {pool.submit(fn, item): k
                                          for k, item in enumerate(items)}
        done_n = 0
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    results[futures[f]] = f.result()
                    done_n += 1
                    if progress is not None:
                        progress(done_n, total)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results


def _dask_task(item: Any, payload: dict[str, Any], fn: Callable[[Any], Any]) -> Any:
    """Run one task on a Dask worker: the payload becomes :func:`shared` there."""
    if _SHARED.get("_token") != payload.get("_token"):
        _init(payload)
    return fn(item)


def connect(address: str) -> Any:
    """A ``distributed.Client`` for a Dask scheduler ``address`` (one-line errors).

    Raises
    ------
    ScenarioError
        dask.distributed is missing, or the scheduler cannot be reached within 10 s.
    """
    try:
        from dask.distributed import Client
    except ImportError:  # pragma: no cover - dask is in the test extra
        msg = ("--dask needs dask.distributed; install it with pip install "
               "\"dask[distributed]\"")
        raise ScenarioError(msg) from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        msg = (f"--dask {address}: cannot connect to the Dask scheduler ({e}); start one "
               "(dask scheduler, then dask worker <address> on each machine) or check the "
               "address, e.g. tcp://10.0.0.5:8786")
        raise ScenarioError(msg) from None


def run_dask(fn: Callable[[T], R], items: Sequence[T], payload: dict[str, Any], *,
             address: str | Any, progress: Callable[[int, int], None] | None = None
             ) -> list[R]:
    """Like :func:`run_local`, on a Dask cluster (``address``, or a ``Client``).

    The payload is scattered to every worker once (``broadcast=True``); the tasks then carry
    only their item. Workers need siting installed (the same version). Needs
    ``dask.distributed`` (``pip install "dask[distributed]"``).
    """
    from dask.distributed import as_completed

    own = isinstance(address, str)
    client: Any = connect(address) if own else address
    try:
        token = f"{os.getpid()}-{id(payload)}"
        [remote] = client.scatter([{**payload, "_token": token}], broadcast=True)
        futures = client.map(_dask_task, list(items), payload=remote, fn=fn, pure=False)
        index = {f.key: k for k, f in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        for n, f in enumerate(as_completed(futures), start=1):
            results[index[f.key]] = f.result()
            if progress is not None:
                progress(n, len(futures))
        return results
    finally:
        if own:
            client.close()
