"""The sandboxed worker ("zygote"): isolates itself once, then forks one fresh child per job.

Started by :mod:`evoskill.sandbox` with a clean environment as::

    python -P -s -S -B -c "<bootstrap>" CONFIG_JSON

Protocol: the parent writes length-prefixed (4-byte big-endian) JSON requests on our stdin and reads
length-prefixed JSON replies on our stdout. The first reply is ``{"hello": <isolation status>}``.
Only the standard library is used here, and nothing from it is trusted by the parent beyond JSON.
"""

from __future__ import annotations

import errno
import json
import math
import os
import resource
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback
import types
from typing import Any

from evoskill import _isolation

_HEADER = struct.Struct(">I")
_MAX_FRAME = 256 * 1024 * 1024
_MAX_RESULT = 64 * 1024 * 1024  # bytes of JSON a job may return


def read_frame(fd: int) -> bytes | None:
    """Read one length-prefixed frame from ``fd``; ``None`` at end of file."""
    head = _read_exact(fd, _HEADER.size)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    if size > _MAX_FRAME:
        raise ValueError(f"frame of {size} bytes is too large")
    body = _read_exact(fd, size)
    if body is None:
        return None
    return body


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, payload: bytes) -> None:
    """Write one length-prefixed frame to ``fd``."""
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# --------------------------------------------------------------------------- isolation (once)


def _refuse_if_disabled(config: dict[str, Any], feature: str) -> None:
    if feature in config.get("disable", ()):
        raise OSError(errno.EPERM, f"{feature} disabled by EVOSKILL_SANDBOX_DISABLE")


def _isolate(config: dict[str, Any]) -> dict[str, Any]:
    """Enter namespaces and Landlock; return what is in force and why anything is not."""
    scratch = config["scratch"]
    status: dict[str, Any] = {}
    if config.get("drop_uid") and os.geteuid() == 0:
        nobody = int(config["drop_uid"])
        try:
            status["exposed_paths"] = _isolation.expose_paths_to(nobody, config["expose"])
        except OSError as exc:
            status["exposed_paths"] = {"error": str(exc)}
        os.setgroups([])
        os.setgid(nobody)
        os.setuid(nobody)
        _isolation.set_dumpable()
    status.update(uid=os.getuid(), gid=os.getgid())
    outer_uid, outer_gid = os.geteuid(), os.getegid()
    try:
        _refuse_if_disabled(config, "userns")
        _isolation.unshare(_isolation.CLONE_NEWUSER)
        status["user_namespace"] = {"enforced": True}
    except OSError as exc:
        status["user_namespace"] = {"enforced": False, "reason": str(exc)}
    if status["user_namespace"]["enforced"]:
        try:
            _isolation.map_user(outer_uid, outer_gid)
        except OSError as exc:
            status["user_namespace"]["mapping"] = f"ids left unmapped: {exc}"
    try:
        _refuse_if_disabled(config, "netns")
        _isolation.unshare(_isolation.CLONE_NEWNET)
        status["network_namespace"] = {"enforced": True}
    except OSError as exc:
        status["network_namespace"] = {"enforced": False, "reason": str(exc)}
    try:
        _refuse_if_disabled(config, "pidns")
        _isolation.unshare(_isolation.CLONE_NEWPID)
        status["pid_namespace"] = {"enforced": True}
    except OSError as exc:
        status["pid_namespace"] = {"enforced": False, "reason": str(exc)}
    try:
        _isolation.set_no_new_privs()
        status["no_new_privs"] = {"enforced": True}
    except OSError as exc:
        status["no_new_privs"] = {"enforced": False, "reason": str(exc)}
    try:
        _refuse_if_disabled(config, "landlock")
        if not status["no_new_privs"]["enforced"]:
            raise OSError(errno.EPERM, "no_new_privs could not be set")
        info = _isolation.restrict_writes([scratch], ["/dev/null"])
        status["landlock"] = {"enforced": True, **info}
        try:  # each job restricts its reads in its own layer; "reads" turns that off on purpose
            _refuse_if_disabled(config, "reads")
            status["landlock"]["reads_restricted"] = True
        except OSError as exc:
            status["landlock"]["reads_restricted"] = False
            status["landlock"]["reads_reason"] = str(exc)
    except OSError as exc:
        status["landlock"] = {"enforced": False, "reason": str(exc)}
    return status


# --------------------------------------------------------------------------- the job child


def _set_limits(limits: dict[str, Any], nproc_extra: int) -> None:
    cpu = max(1, math.ceil(float(limits["cpu_seconds"])))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    mem = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    fsize = int(limits["file_size_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    nproc = int(limits["processes"]) + nproc_extra
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _job_env(config: dict[str, Any], jobdir: str) -> dict[str, str]:
    env = dict(config["env"])
    env["HOME"] = jobdir
    env["TMPDIR"] = jobdir
    return env


def _load_module(req: dict[str, Any]) -> types.ModuleType:
    kind = req["kind"]
    if kind == "code":
        module = types.ModuleType("candidate")
        module.__file__ = "<candidate>"
        sys.modules["candidate"] = module
        exec(compile(req["code"], "<candidate>", "exec"), module.__dict__)
        return module
    path = req["path"]
    name = os.path.splitext(os.path.basename(path))[0] or "candidate"
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    sys.path.insert(0, os.path.dirname(path))
    exec(compile(req["source"], path, "exec"), module.__dict__)
    return module


def _resolve(req: dict[str, Any]) -> Any:
    if req["kind"] == "call":
        module_name, _, func = req["target"].partition(":")
        obj: Any = __import__(module_name, fromlist=["_"])
        for part in func.split("."):
            obj = getattr(obj, part)
        return obj
    module = _load_module(req)
    if not hasattr(module, req["entry"]):
        raise AttributeError(f"the code defines no {req['entry']!r}")
    return getattr(module, req["entry"])


def _classify(exc: BaseException) -> str | None:
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return "file_size"
    if isinstance(exc, BlockingIOError) and exc.errno == errno.EAGAIN:
        return "processes"
    return None


def _run_python(req: dict[str, Any], result_fd: int) -> None:
    try:
        fn = _resolve(req)
        value = fn(*req.get("args", []), **(req.get("kwargs") or {}))
        try:
            payload = json.dumps({"ok": True, "value": value})
        except (TypeError, ValueError) as exc:
            payload = json.dumps({"ok": False, "error_type": "TypeError",
                                  "error_message": f"result is not JSON-serialisable: {exc}"})
    except BaseException as exc:  # noqa: B036 - the job's failure is the result
        try:
            tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
            traceback.print_exception(type(exc), exc, tb)
            message = str(exc)
        except BaseException:  # noqa: B036
            message = ""
        payload = json.dumps({"ok": False, "error_type": type(exc).__name__, "error_message": message,
                              "limit": _classify(exc)})
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: B036
            pass
    try:
        write_frame(result_fd, payload.encode())
    except OSError:
        pass


def _prepare_rules(config: dict[str, Any], status: dict[str, Any]) -> _isolation.Ruleset:
    """A job's Landlock ruleset with what every job may read (Python, SYSTEM_READS), not yet enforced."""
    rules = _isolation.Ruleset(reads=bool(status["landlock"].get("reads_restricted")))
    try:
        rules.allow(readable=config["reads"])
    except BaseException:
        rules.close()
        raise
    return rules


def _child(req: dict[str, Any], config: dict[str, Any], status: dict[str, Any], jobdir: str,
           fds: dict[str, int], keep_closed: list[int], rules: _isolation.Ruleset | None) -> None:
    """Runs in the forked job process; never returns."""
    code = 0
    try:
        os.setsid()
        for fd in keep_closed:
            os.close(fd)
        os.dup2(fds["stdin"], 0)
        os.dup2(fds["out"], 1)
        os.dup2(fds["err"], 2)
        for key in ("stdin", "out", "err"):
            os.close(fds[key])
        os.chdir(jobdir)
        env = _job_env(config, jobdir)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["candidate"]
        if status["landlock"]["enforced"]:  # the job's own layer: the zygote prepared the common part
            if rules is None:
                rules = _prepare_rules(config, status)
            rules.allow(writable_dirs=[jobdir], writable_files=["/dev/null"], readable=req.get("reads", []))
            rules.enforce()
        try:  # the capabilities a user namespace grants are not for the job
            _isolation.drop_capabilities()
        except OSError:
            pass
        extra = 2 if status["pid_namespace"]["enforced"] else 1
        _set_limits(req["limits"], extra)
        if req["kind"] == "command":
            os.set_inheritable(fds["result"], False)
            try:
                os.execvpe(req["argv"][0], req["argv"], env)
            except OSError as exc:
                payload = {"ok": False, "error_type": type(exc).__name__, "error_message": str(exc)}
                write_frame(fds["result"], json.dumps(payload).encode())
                code = 127
        else:
            _run_python(req, fds["result"])
    except BaseException:  # noqa: B036
        code = 70
    os._exit(code)


# --------------------------------------------------------------------------- the zygote


class _Zygote:
    def __init__(self, config: dict[str, Any], status: dict[str, Any], req_fd: int, resp_fd: int) -> None:
        self.config = config
        self.status = status
        self.req_fd = req_fd
        self.resp_fd = resp_fd
        self.is_init = status["pid_namespace"]["enforced"]
        self.next_rules: _isolation.Ruleset | None = None

    def _prepare(self) -> None:
        """Fill the next job's Landlock ruleset while idle, so the job only adds its own paths."""
        if self.next_rules is None and self.status["landlock"]["enforced"]:
            try:
                self.next_rules = _prepare_rules(self.config, self.status)
            except OSError:
                self.next_rules = None  # the job prepares its own (and fails closed if it cannot)

    def serve(self) -> None:
        self._prepare()
        write_frame(self.resp_fd, json.dumps({"hello": self.status}).encode())
        while True:
            frame = read_frame(self.req_fd)
            if frame is None:
                return
            req = json.loads(frame)
            try:
                reply = self.run(req)
            except Exception as exc:  # a worker bug: report, keep serving
                reply = {"ok": False, "error_type": "SandboxError", "error_message": repr(exc)}
            write_frame(self.resp_fd, json.dumps(reply).encode())
            self._prepare()

    def run(self, req: dict[str, Any]) -> dict[str, Any]:
        limits = req["limits"]
        if req["kind"] == "call":
            # trusted code: import it once in the zygote so later jobs fork with it already loaded
            try:
                __import__(req["target"].partition(":")[0])
            except Exception:
                pass  # the job itself reports the error
        jobdir = tempfile.mkdtemp(prefix="job-", dir=self.config["scratch"])
        os.chmod(jobdir, 0o700)
        stdin_fd = os.memfd_create("stdin", 0) if hasattr(os, "memfd_create") else os.open(os.devnull, os.O_RDONLY)
        data = req.get("stdin", "").encode()
        if data:
            os.write(stdin_fd, data)
            os.lseek(stdin_fd, 0, os.SEEK_SET)
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        start = time.monotonic()
        rules, self.next_rules = self.next_rules, None
        pid = os.fork()
        if pid == 0:
            fds = {"stdin": stdin_fd, "out": out_w, "err": err_w, "result": res_w}
            _child(req, self.config, self.status, jobdir, fds, [self.req_fd, self.resp_fd, res_r, out_r, err_r],
                   rules)
        if rules is not None:
            rules.close()
        for fd in (stdin_fd, res_w, out_w, err_w):
            os.close(fd)
        try:
            return self._supervise(req, pid, start, res_r, out_r, err_r, limits)
        finally:
            for fd in (res_r, out_r, err_r):
                os.close(fd)
            self._sweep(pid)
            shutil.rmtree(jobdir, ignore_errors=True)
            self._clean_scratch()

    def _supervise(self, req: dict[str, Any], pid: int, start: float, res_r: int, out_r: int, err_r: int,
                   limits: dict[str, Any]) -> dict[str, Any]:
        cap = int(limits["output_bytes"])
        deadline = start + float(limits["wall_seconds"])
        buffers: dict[int, bytearray] = {res_r: bytearray(), out_r: bytearray(), err_r: bytearray()}
        open_fds = {res_r, out_r, err_r}
        pidfd = os.pidfd_open(pid)
        limit: str | None = None
        exited = False
        wait_status = 0
        cpu = 0.0
        try:
            while True:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    limit = "wall"
                    break
                ready, _, _ = select.select(list(open_fds) + ([] if exited else [pidfd]), [], [], timeout)
                for fd in ready:
                    if fd == pidfd:
                        _, wait_status, usage = os.wait4(pid, 0)
                        cpu = usage.ru_utime + usage.ru_stime
                        exited = True
                        continue
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        open_fds.discard(fd)
                        continue
                    buffers[fd] += chunk
                    if fd != res_r and len(buffers[out_r]) + len(buffers[err_r]) > cap:
                        limit = "output"
                    elif fd == res_r and len(buffers[res_r]) > _MAX_RESULT:
                        limit = "output"
                if limit:
                    break
                if exited:
                    # the job's process is gone; collect what is already in the pipes, then stop
                    self._kill_rest(pid)
                    for fd in list(open_fds):
                        while select.select([fd], [], [], 0.05)[0]:
                            chunk = os.read(fd, 1 << 16)
                            if not chunk:
                                break
                            buffers[fd] += chunk
                            if fd != res_r and len(buffers[out_r]) + len(buffers[err_r]) > cap:
                                limit = "output"
                                break
                    break
        finally:
            os.close(pidfd)
        if not exited:
            self._kill_rest(pid)
            _, wait_status, usage = os.wait4(pid, 0)
            cpu = usage.ru_utime + usage.ru_stime
        seconds = time.monotonic() - start
        stdout = bytes(buffers[out_r][:cap]).decode("utf-8", "replace")
        stderr = bytes(buffers[err_r][: max(0, cap - len(buffers[out_r]))]).decode("utf-8", "replace")
        result: dict[str, Any] = {"ok": False, "value": None, "stdout": stdout, "stderr": stderr,
                                  "error_type": None, "error_message": None, "limit": limit,
                                  "seconds": seconds}
        if limit == "wall":
            result.update(error_type="TimeoutError",
                          error_message=f"wall-clock limit of {limits['wall_seconds']}s exceeded")
            return result
        if limit == "output":
            result.update(error_type="OutputLimitExceeded",
                          error_message=f"more than {cap} bytes of output")
            return result
        payload: dict[str, Any] | None = None
        if buffers[res_r]:
            try:
                body = bytes(buffers[res_r][_HEADER.size:])
                payload = json.loads(body)
            except ValueError:
                payload = {"ok": False, "error_type": "ProtocolError", "error_message": "unreadable result"}
        cpu_limit = max(1, math.ceil(float(limits["cpu_seconds"])))
        if os.WIFSIGNALED(wait_status):
            sig = os.WTERMSIG(wait_status)
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= cpu_limit - 0.05):
                result.update(limit="cpu", error_type="TimeoutError",
                              error_message=f"CPU-time limit of {limits['cpu_seconds']}s exceeded")
            elif payload is None or req["kind"] == "command":
                result.update(error_type="Killed", error_message=f"the process was killed by {name}")
            if payload is None or req["kind"] == "command":
                return result
        if req["kind"] == "command":
            code = os.WEXITSTATUS(wait_status)
            if payload is not None:  # exec failed
                result.update(payload)
                return result
            result["ok"] = code == 0
            if code != 0:
                result.update(error_type="ExitStatus", error_message=f"exit status {code}")
                if stderr.rstrip().rsplit("\n", 1)[-1].startswith("MemoryError"):
                    result["limit"] = "memory"
            return result
        if payload is None:
            code = os.WEXITSTATUS(wait_status)
            result.update(error_type="SystemExit",
                          error_message=f"the code exited with status {code} without returning")
            return result
        result.update({k: v for k, v in payload.items() if k in result})
        return result

    def _kill_rest(self, pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if self.is_init:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass

    def _sweep(self, pid: int) -> None:
        """Kill whatever the job left running and reap it."""
        self._kill_rest(pid)
        if self.is_init:
            while True:
                try:
                    os.waitpid(-1, 0)
                except ChildProcessError:
                    break

    def _clean_scratch(self) -> None:
        scratch = self.config["scratch"]
        for name in os.listdir(scratch):
            path = os.path.join(scratch, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def main() -> None:
    """Entry point of the worker process."""
    config = json.loads(sys.argv[1])
    sys.dont_write_bytecode = True
    req_fd = os.dup(0)
    resp_fd = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    status = _isolate(config)
    if status["pid_namespace"]["enforced"]:
        pid = os.fork()
        if pid:
            # the outer process: holds nothing, waits for the namespace's init (the zygote) to end
            os.close(req_fd)
            os.close(resp_fd)
            _, wstatus = os.waitpid(pid, 0)
            os._exit(os.waitstatus_to_exitcode(wstatus) & 0xFF)
        try:
            _isolation.set_parent_death_signal(signal.SIGKILL)
        except OSError:
            pass
    for mod in config.get("preload", []):
        try:
            __import__(mod)
        except Exception:
            pass
    _Zygote(config, status, req_fd, resp_fd).serve()
    os._exit(0)


if __name__ == "__main__":
    main()
