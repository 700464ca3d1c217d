"""Run untrusted candidate code and skills in isolated, resource-limited processes.

A :class:`Sandbox` keeps a warm pool of worker processes ("zygotes", see :mod:`evoskill._worker`).
Each worker isolates itself once when it starts (new user, network and PID namespaces, Landlock
write restrictions, uid 65534 when started as root), then forks a fresh child per job that sets the
per-job resource limits, runs the job in its own scratch directory and reports a JSON result.
What is actually in force on this machine is reported by :meth:`Sandbox.isolation`;
docs/SANDBOX.md describes the guarantees and how they degrade.
"""

from __future__ import annotations

import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evoskill._worker import read_frame, write_frame
from evoskill.errors import SandboxError

__all__ = ["Limits", "RunResult", "Sandbox"]

NOBODY = 65534
_STARTUP_SECONDS = 30.0
_BACKSTOP_SECONDS = 10.0
_BOOTSTRAP = (
    "import sys, json; sys.path[:0] = json.loads(sys.argv[1])['paths']; "
    "from evoskill._worker import main; main()"
)


@dataclass(frozen=True)
class Limits:
    """Per-job resource limits (CPU and wall seconds, MiB of address space, processes, MiB per file,
    bytes of captured stdout+stderr)."""

    cpu_seconds: float = 10.0
    wall_seconds: float = 20.0
    memory_mb: int = 1024
    processes: int = 64
    file_size_mb: int = 16
    output_bytes: int = 1_000_000


@dataclass
class RunResult:
    """The outcome of one sandboxed job. ``limit`` names the limit that stopped it, if any:
    ``"cpu" | "wall" | "memory" | "processes" | "file_size" | "output"``."""

    ok: bool
    value: Any = None
    stdout: str = ""
    stderr: str = ""
    error_type: str | None = None
    error_message: str | None = None
    limit: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of every field."""
        return asdict(self)


def _clean_env() -> dict[str, str]:
    bindir = os.path.dirname(sys.executable)
    return {
        "PATH": os.pathsep.join(dict.fromkeys([bindir, "/usr/local/bin", "/usr/bin", "/bin"])),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONUNBUFFERED": "1",
        "HOME": "/nonexistent",
    }


def _module_paths() -> list[str]:
    """The parent's import path (absolute, existing directories) so trusted evoskill code imports."""
    package_root = str(Path(__file__).resolve().parent.parent)
    paths = [package_root]
    for entry in sys.path:
        if entry and os.path.isdir(entry):
            absolute = os.path.abspath(entry)
            if absolute not in paths:
                paths.append(absolute)
    return paths


# What every job may read besides the Python installation, its own scratch directory and the paths its
# caller grants: shared libraries and executables, time zone and locale data, and harmless devices.
SYSTEM_READS = (
    "/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32", "/usr/local/lib",
    "/usr/bin", "/bin", "/usr/local/bin",
    "/etc/ld.so.cache", "/etc/localtime", "/etc/timezone", "/usr/share/zoneinfo", "/usr/lib/locale",
    "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
)


def _homes() -> set[str]:
    homes = {os.path.realpath(os.path.expanduser("~"))}
    try:
        import pwd

        homes.add(os.path.realpath(pwd.getpwuid(os.getuid()).pw_dir))
    except (ImportError, KeyError):
        pass
    return homes


def python_reads() -> list[str]:
    """The Python installation a job imports from: the interpreter, its prefixes and the parent's import path.

    An import-path entry that is ``/``, contains a home folder, or is the working directory (``python -m``
    puts it on the path: a project folder may hold a ``.env``) is left out, unless it is evoskill's own.
    """
    homes = _homes()
    own = os.path.realpath(_module_paths()[0])
    here = os.path.realpath(os.getcwd())
    wanted = [*_module_paths(), sys.prefix, sys.base_prefix, sys.exec_prefix,
              os.path.dirname(os.path.realpath(sys.executable))]
    keep: list[str] = []
    for path in wanted:
        real = os.path.realpath(path)
        if real != own and (real in ("/", here) or any(h == real or h.startswith(real.rstrip("/") + "/")
                                                        for h in homes)):
            continue
        if real not in keep:
            keep.append(real)
    return keep


class _WorkerLost(Exception):
    pass


class _Worker:
    """One zygote process, seen from the parent."""

    def __init__(self, readable: Sequence[str] = ()) -> None:
        self.drop_uid = os.geteuid() == 0
        self.scratch = tempfile.mkdtemp(prefix="evoskill-sandbox-")
        os.chmod(self.scratch, 0o700)
        if self.drop_uid:
            os.chown(self.scratch, NOBODY, NOBODY)
        paths = _module_paths()
        config = {"scratch": self.scratch, "paths": paths, "env": _clean_env(),
                  "preload": ["json", "traceback"], "drop_uid": NOBODY if self.drop_uid else 0,
                  "disable": [f for f in os.environ.get("EVOSKILL_SANDBOX_DISABLE", "").split(",") if f],
                  "reads": python_reads() + list(SYSTEM_READS),
                  "expose": paths + [sys.prefix, sys.base_prefix, sys.exec_prefix,
                                     os.path.dirname(os.path.realpath(sys.executable)), *readable]}
        argv = [sys.executable, "-P", "-s", "-S", "-B", "-c", _BOOTSTRAP, json.dumps(config)]
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, env=_clean_env(), cwd=self.scratch,
                                         start_new_session=True, close_fds=True)
        except OSError as exc:
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise SandboxError(f"cannot start the sandbox worker: {exc}") from exc
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.wfd = self.proc.stdin.fileno()
        self.rfd = self.proc.stdout.fileno()
        try:
            hello = self._read(time.monotonic() + _STARTUP_SECONDS)
        except _WorkerLost as exc:
            self.kill()
            raise SandboxError(f"the sandbox worker failed to start: {exc}",
                               fix="check that the files of the evoskill package are readable by "
                                   "uid 65534 when running as root") from exc
        self.status: dict[str, Any] = hello["hello"]

    def _read(self, deadline: float) -> dict[str, Any]:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _WorkerLost("timed out")
            ready, _, _ = select.select([self.rfd], [], [], remaining)
            if ready:
                break
        # a frame is being written: the rest follows promptly
        try:
            frame = read_frame(self.rfd)
        except (OSError, ValueError) as exc:
            raise _WorkerLost(str(exc)) from exc
        if frame is None:
            raise _WorkerLost("the worker exited")
        reply: dict[str, Any] = json.loads(frame)
        return reply

    def request(self, req: dict[str, Any], timeout: float) -> dict[str, Any]:
        try:
            write_frame(self.wfd, json.dumps(req).encode())
        except OSError as exc:
            raise _WorkerLost(str(exc)) from exc
        return self._read(time.monotonic() + timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:  # never signal a pid that may have been reused
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except OSError:
                pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.scratch, ignore_errors=True)


class Sandbox:
    """A pool of up to ``workers`` sandboxed worker processes; thread-safe.

    Jobs never raise for faults of the code they run: they return a :class:`RunResult`.
    :class:`~evoskill.errors.SandboxError` is raised only when the sandbox itself cannot work.
    """

    def __init__(self, workers: int = 1, limits: Limits = Limits(), *,
                 readable: Sequence[str | Path] = ()) -> None:
        """``readable``: directories jobs must be able to read (e.g. a skill library) even when the
        worker runs as uid 65534 and an ancestor directory is private to root."""
        if workers < 1:
            raise SandboxError("a sandbox needs at least one worker")
        self.workers = workers
        self.limits = limits
        self.readable = [os.path.abspath(p) for p in readable]
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._live: set[_Worker] = set()
        self._closed = False
        self._status: dict[str, Any] | None = None

    # ------------------------------------------------------------------ pool
    def _acquire(self) -> _Worker:
        if self._closed:
            raise SandboxError("the sandbox is closed")
        self._slots.acquire()
        try:
            while True:
                try:
                    idle = self._idle.get_nowait()
                except queue.Empty:
                    break
                if idle.proc.poll() is None:
                    return idle
                with self._lock:  # died while idle: replace it transparently
                    self._live.discard(idle)
                idle.kill()
            worker = _Worker(self.readable)
            with self._lock:
                self._live.add(worker)
                if self._status is None:
                    self._status = worker.status
            return worker
        except BaseException:
            self._slots.release()
            raise

    def _release(self, worker: _Worker, healthy: bool) -> None:
        try:
            if healthy and not self._closed:
                self._idle.put(worker)
            else:
                with self._lock:
                    self._live.discard(worker)
                worker.kill()
        finally:
            self._slots.release()

    def _submit(self, req: dict[str, Any], limits: Limits | None,
                reads: Sequence[str | Path] | None = None) -> RunResult:
        lim = limits or self.limits
        req["limits"] = asdict(lim)
        req["reads"] = self.readable if reads is None else [os.path.abspath(p) for p in reads]
        start = time.monotonic()
        worker = self._acquire()
        healthy = False
        try:
            reply = worker.request(req, lim.wall_seconds + _BACKSTOP_SECONDS)
            healthy = True
        except _WorkerLost as exc:
            timed_out = time.monotonic() - start >= lim.wall_seconds
            return RunResult(ok=False, error_type="WorkerLost",
                             error_message=f"the sandbox worker stopped answering ({exc}); it was replaced",
                             limit="wall" if timed_out else None, seconds=time.monotonic() - start)
        finally:
            self._release(worker, healthy)
        fields = {k: reply[k] for k in RunResult.__dataclass_fields__ if k in reply}
        fields.setdefault("ok", False)
        if fields.get("error_type") == "PermissionError" and self.isolation()["filesystem_reads"]["enforced"]:
            fields["error_message"] = (f"{fields.get('error_message')} (the sandbox lets a job read only the Python "
                                       "installation, the folders it was given and its scratch directory: "
                                       "see docs/SANDBOX.md)")
        return RunResult(**fields)

    # ------------------------------------------------------------------ API
    # Every job may read the Python installation, the short list in SYSTEM_READS and its own scratch
    # directory, plus ``reads`` when given, else the sandbox's ``readable`` folders; nothing else.

    def run_code(self, code: str, entry: str, args: Sequence[Any] = (),
                 kwargs: Mapping[str, Any] | None = None, *, limits: Limits | None = None,
                 reads: Sequence[str | Path] | None = None) -> RunResult:
        """Execute ``code`` as a fresh module and return ``entry(*args, **kwargs)`` (JSON values)."""
        return self._submit({"kind": "code", "code": code, "entry": entry, "args": list(args),
                             "kwargs": dict(kwargs or {})}, limits, reads)

    def run_file(self, path: str | Path, entry: str, args: Sequence[Any] = (),
                 kwargs: Mapping[str, Any] | None = None, *, limits: Limits | None = None,
                 reads: Sequence[str | Path] | None = None) -> RunResult:
        """Import the .py file at ``path`` (its folder goes first on sys.path) and call ``entry``.

        Without ``reads`` the job may read the file's own folder and the sandbox's ``readable`` ones."""
        path = Path(path).resolve()
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return RunResult(ok=False, error_type=type(exc).__name__, error_message=str(exc))
        if reads is None:
            reads = [*self.readable, str(path.parent)]
        return self._submit({"kind": "file", "path": str(path), "source": source, "entry": entry,
                             "args": list(args), "kwargs": dict(kwargs or {})}, limits, reads)

    def call(self, target: str, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None, *,
             limits: Limits | None = None, reads: Sequence[str | Path] | None = None) -> RunResult:
        """Call trusted code ``"package.module:function"`` inside the sandbox."""
        if ":" not in target:
            raise SandboxError(f"call target {target!r} is not 'module:function'")
        return self._submit({"kind": "call", "target": target, "args": list(args),
                             "kwargs": dict(kwargs or {})}, limits, reads)

    def run_command(self, argv: Sequence[str], *, stdin: str = "", limits: Limits | None = None,
                    reads: Sequence[str | Path] | None = None) -> RunResult:
        """Run ``argv`` as a fresh sandboxed process; ``ok`` is exit status 0, ``value`` is None."""
        if not argv:
            raise SandboxError("run_command needs a non-empty argv")
        return self._submit({"kind": "command", "argv": [str(a) for a in argv], "stdin": stdin}, limits, reads)

    def isolation(self) -> dict[str, Any]:
        """What isolation is in force on this machine, with a reason for anything that is not."""
        if self._status is None:
            self._release(self._acquire(), True)
        assert self._status is not None
        st = self._status
        landlock = st.get("landlock", {})
        netns = st.get("network_namespace", {})
        pidns = st.get("pid_namespace", {})
        uid = st.get("uid")
        network_enforced = bool(netns.get("enforced")) or bool(landlock.get("tcp_denied"))
        return {
            "separate_process": True,
            "clean_environment": True,
            "scratch_directory": True,
            "uid": uid,
            "uid_dropped": os.geteuid() == 0 and uid == NOBODY,
            "reexposed_paths": st.get("exposed_paths", []),
            "user_namespace": st.get("user_namespace"),
            "network": {"enforced": network_enforced,
                        "method": "network namespace" if netns.get("enforced") else
                        ("landlock tcp" if landlock.get("tcp_denied") else None),
                        "reason": netns.get("reason")},
            "filesystem_writes": {"enforced": bool(landlock.get("enforced")), "method": "landlock",
                                  "abi": landlock.get("abi"), "reason": landlock.get("reason")},
            "filesystem_reads": {"enforced": bool(landlock.get("enforced") and landlock.get("reads_restricted")),
                                 "method": "landlock",
                                 "reason": landlock.get("reason") or landlock.get("reads_reason")},
            "landlock_tcp_denied": bool(landlock.get("tcp_denied")),
            "landlock_scoped_signals": bool(landlock.get("scoped")),
            "pid_namespace": pidns,
            "no_new_privs": st.get("no_new_privs"),
            "limits": {"cpu": True, "memory": True, "file_size": True, "output": True, "wall": True,
                       "processes": uid != 0},
        }

    def close(self) -> None:
        """Stop every worker and remove their scratch directories."""
        self._closed = True
        with self._lock:
            live = list(self._live)
            self._live.clear()
        for worker in live:
            worker.kill()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
