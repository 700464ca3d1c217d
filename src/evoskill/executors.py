"""Where task attempts run: threads on this machine (the default), or Ray tasks across a cluster.

With ``evoskill evolve --executor ray``, the search part of every attempt (the proposer's sandbox job, where
nearly all the time goes) runs as a Ray task, inside evoskill's sandbox on the node that executes it. The
driver does everything else exactly as with threads: host verification, cross-validation verdicts,
records, checkpoints and distillation. The library and the run state therefore keep one writer, and
``--resume`` behaves as with the local executor.

Two pieces, both from one :class:`RayCluster`:

* :meth:`RayCluster.call` is the proposer's *runner* (``SearchProposer(..., runner=...)``): one search
  job becomes one Ray task. A search is a pure function of its payload, so Ray may re-run it: a task whose
  worker process or node dies is retried (``max_retries``); one that still fails comes back as a failed
  result, recorded in the attempt log like any sandbox failure, and the run goes on.
* :class:`RayExecutor` is the :data:`~evoskill.evolve.ExecutorFactory` target (``cluster.executor``): driver
  threads that carry ``workers`` attempts at once, so ``workers`` searches are on the cluster at once.

Every node needs the same evoskill installed (``pip install 'evoskill[ray]'``). Search components travel in
the job's payload; a Python-script skill is read from its path, so on other machines it is found only when
the library sits on a shared filesystem at the same path (otherwise that node's search goes without it).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict
from typing import Any, ParamSpec, TypeVar

from .errors import UserError
from .sandbox import Limits, RunResult, Sandbox

__all__ = ["EXECUTORS", "RAY_EXTRA", "RayCluster", "RayExecutor", "check_executor", "evoskill_search", "import_ray",
           "open_cluster", "probe"]

#: The names ``--executor`` accepts.
EXECUTORS = ("local", "ray")
RAY_EXTRA = "pip install 'evoskill[ray]'"

P = ParamSpec("P")
T = TypeVar("T")


def import_ray() -> Any:
    """The ``ray`` module, or a :class:`UserError` naming the extra that installs it."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # evoskill reports nothing anywhere
    try:
        import ray
    except ImportError as exc:
        raise UserError("--executor ray needs Ray, which is not installed", fix=RAY_EXTRA) from exc
    return ray


# ---- the Ray task (runs in a Ray worker process, on whichever node Ray picks) ------------------------------

_NODE_SANDBOXES: dict[tuple[str, ...], Sandbox] = {}
_NODE_LOCK = threading.Lock()


def _node_sandbox(readable: Sequence[str]) -> Sandbox:
    """This Ray worker process's sandbox: started on first use, kept warm for the next task."""
    key = tuple(readable)
    with _NODE_LOCK:
        sandbox = _NODE_SANDBOXES.get(key)
        if sandbox is None:
            sandbox = _NODE_SANDBOXES[key] = Sandbox(workers=1, readable=[p for p in readable if os.path.isdir(p)])
            atexit.register(sandbox.close)
        return sandbox


def evoskill_search(target: str, args: list[Any], limits: dict[str, Any], readable: list[str]) -> dict[str, Any]:
    """The Ray task: call ``target`` in this node's sandbox; the sandbox's result as a dict (with the node)."""
    import ray

    rr = _node_sandbox(readable).call(target, args, limits=Limits(**limits))
    out = rr.to_dict()
    if isinstance(out.get("value"), dict):
        out["value"]["node"] = ray.util.get_node_ip_address()
    return out


# ---- the driver side ---------------------------------------------------------------------------------------

class RayCluster:
    """A connection to a Ray cluster that runs search jobs as Ray tasks, each in its node's sandbox.

    ``address``: None starts a private Ray instance on this machine with ``num_cpus`` CPUs and
    ``object_store_mb`` of object store (payloads are small JSON); ``"auto"`` joins the cluster already
    running on this machine; ``"HOST:PORT"`` joins that cluster's head. ``init_options`` go to ``ray.init``
    as they are. ``readable``: folders the node sandboxes must be able to read (the library, for script
    skills). ``timeout``: seconds the driver waits for one job, retries included (None: no limit; each try is
    bounded by the sandbox's wall-clock limit on its node, and Ray notices dead workers and nodes).
    """

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None, object_store_mb: int = 200,
                 max_retries: int = 2, readable: Sequence[str] = (), timeout: float | None = None,
                 init_options: dict[str, Any] | None = None) -> None:
        self.ray = import_ray()
        self.address = address
        self.num_cpus = num_cpus
        self.object_store_mb = object_store_mb
        self.max_retries = max_retries
        self.readable = [os.path.abspath(p) for p in readable]
        self.timeout = timeout
        self.init_options = dict(init_options or {})
        #: search jobs finished per node (IP address), for reports and tests
        self.placements: Counter[str] = Counter()
        self._owns_ray = False
        self._lock = threading.Lock()
        self._in_flight: set[Any] = set()
        self._remote: Any = None

    def connect(self) -> RayCluster:
        """Start or join the cluster (once; an already initialised Ray connection is reused)."""
        with self._lock:
            if self._remote is not None:
                return self
            ray = self.ray
            if not ray.is_initialized():
                options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING,
                                           "include_dashboard": False}
                if self.address is None:
                    options.update(num_cpus=self.num_cpus, object_store_memory=self.object_store_mb * 1024 * 1024)
                else:
                    options["address"] = self.address
                options.update(self.init_options)
                try:
                    ray.init(**options)
                except Exception as exc:  # ConnectionError, AuthenticationError, ...: Ray's own message says why
                    where = self.address or "a private instance"
                    raise UserError(f"cannot reach the Ray cluster at {where}: {str(exc).splitlines()[0]}",
                                    fix="start it with `ray start --head`, or check --address") from exc
                self._owns_ray = True
            self._remote = ray.remote(evoskill_search)
            return self

    def cpus(self) -> int:
        """CPUs the cluster has now (all nodes)."""
        self.connect()
        return int(self.ray.cluster_resources().get("CPU", 0))

    def call(self, target: str, args: list[Any], limits: Limits) -> RunResult:
        """Call trusted ``module:function`` in the sandbox of some node; never raises for a lost task.

        This is the search proposer's *runner* (``SearchProposer(..., runner=cluster.call)``)."""
        self.connect()
        ray = self.ray
        ref = self._remote.options(num_cpus=1, max_retries=self.max_retries, retry_exceptions=False).remote(
            target, args, asdict(limits), self.readable)
        with self._lock:
            self._in_flight.add(ref)
        try:
            out: dict[str, Any] = ray.get(ref, timeout=self.timeout)
        except ray.exceptions.GetTimeoutError:
            ray.cancel(ref, force=True)
            return RunResult(ok=False, error_type="RayTimeout", limit="wall",
                             error_message=f"no result from the Ray cluster within {self.timeout:g} s")
        except ray.exceptions.RayError as exc:  # the worker or node died more often than max_retries, ...
            first = (str(exc).strip().splitlines() or [""])[0]
            return RunResult(ok=False, error_type=type(exc).__name__,
                             error_message=f"the Ray task failed after {self.max_retries} retries: {first}"[:500])
        finally:
            with self._lock:
                self._in_flight.discard(ref)
        fields = {k: out[k] for k in RunResult.__dataclass_fields__ if k in out}
        fields.setdefault("ok", False)
        result = RunResult(**fields)
        if isinstance(result.value, dict) and result.value.get("node"):
            with self._lock:
                self.placements[str(result.value["node"])] += 1
        return result

    def cancel_all(self) -> None:
        """Cancel every job in flight (their callers get a failed result)."""
        with self._lock:
            refs = list(self._in_flight)
        for ref in refs:
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # already finished or gone: nothing to cancel
                pass

    def executor(self, workers: int) -> RayExecutor:
        """An :data:`~evoskill.evolve.ExecutorFactory`: ``Run(..., executor=cluster.executor)``."""
        return RayExecutor(workers, self)

    def close(self) -> None:
        """Cancel what is in flight; shut Ray down if this object started or joined it."""
        self.cancel_all()
        if self._owns_ray and self.ray.is_initialized():
            self.ray.shutdown()
        self._owns_ray = False
        self._remote = None

    def __enter__(self) -> RayCluster:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()


class RayExecutor(Executor):
    """Carries ``workers`` attempts at once; their searches run on ``cluster`` (see the module docstring).

    ``submit`` returns a real :class:`concurrent.futures.Future`: the callable (one attempt: propose, which
    sends its search to Ray, then confirm and admit) runs in a driver thread. Leaving the ``with`` block on
    an exception, or ``shutdown(cancel_futures=True)``, also cancels the Ray tasks in flight.
    """

    def __init__(self, workers: int, cluster: RayCluster) -> None:
        self.workers = max(1, workers)
        self.cluster = cluster.connect()
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="evoskill-ray")

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            self.cluster.cancel_all()
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.shutdown(wait=True, cancel_futures=exc_type is not None)


def check_executor(executor: str, address: str | None) -> None:
    """Refuse ``--executor``/``--address`` values that cannot work (Ray missing: one line naming the extra)."""
    if executor not in EXECUTORS:
        raise UserError(f"no executor named {executor!r}", fix=f"use one of {', '.join(EXECUTORS)}")
    if executor == "local" and address:
        raise UserError("--address needs --executor ray", fix="add --executor ray, or drop --address")
    if executor == "ray":
        import_ray()
        if address and address != "auto":
            probe(address)


def probe(address: str, timeout: float = 5.0) -> None:
    """Fail at once, naming the address, when nothing answers at ``HOST:PORT`` (Ray itself retries for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"--address {address!r} is not HOST:PORT", fix="e.g. --address 10.0.0.5:6379, or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise UserError(f"no Ray cluster answers at {address}: {exc.strerror or exc}",
                        fix="start its head with `ray start --head --port=PORT`, or check --address") from exc


def open_cluster(executor: str, address: str | None, *, workers: int,
                 readable: Sequence[str] = ()) -> AbstractContextManager[RayCluster | None]:
    """``with open_cluster(...) as cluster``: the Ray cluster for ``--executor ray``, None for ``local``."""
    check_executor(executor, address)
    if executor == "local":
        return nullcontext(None)
    return RayCluster(address, num_cpus=workers, readable=readable)
