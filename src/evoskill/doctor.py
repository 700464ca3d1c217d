"""What protects this machine: the sandbox's isolation as it is in force here, in plain words.

`evoskill doctor` prints it; every row says whether a protection is active and, when it is not, why
(an old kernel, a disabled feature). docs/SANDBOX.md says what each row guarantees.
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from .sandbox import Sandbox

__all__ = ["diagnose", "rows"]


def diagnose() -> dict[str, Any]:
    """The machine, the caller and the sandbox's ``isolation()`` report, as measured by starting a worker."""
    with Sandbox(workers=1) as sandbox:
        isolation = sandbox.isolation()
    return {"python": sys.version.split()[0], "platform": platform.platform(), "kernel": platform.release(),
            "running_as_root": os.geteuid() == 0, "sandbox": isolation}


def rows(report: dict[str, Any]) -> list[tuple[str, bool, str]]:
    """(protection, active, how or why not) for each guarantee, in the order docs/SANDBOX.md lists them."""
    sb = report["sandbox"]
    reads, writes, network = sb["filesystem_reads"], sb["filesystem_writes"], sb["network"]
    pidns, userns, nnp = sb.get("pid_namespace") or {}, sb.get("user_namespace") or {}, sb.get("no_new_privs") or {}
    limits = sb["limits"]
    return [
        ("reads only Python, its own skill and scratch", bool(reads["enforced"]),
         f"Landlock ABI {writes.get('abi')}" if reads["enforced"] else f"not restricted: {reads.get('reason')}"),
        ("writes only in its scratch folder", bool(writes["enforced"]),
         f"Landlock ABI {writes.get('abi')}" if writes["enforced"] else f"file permissions only: {writes.get('reason')}"),
        ("no network", bool(network["enforced"]), network.get("method") or f"{network.get('reason')}"),
        ("own user namespace", bool(userns.get("enforced")), userns.get("reason") or "unshare(CLONE_NEWUSER)"),
        ("own PID namespace (no stray processes)", bool(pidns.get("enforced")), pidns.get("reason") or "PID 1 reaps"),
        ("no new privileges", bool(nnp.get("enforced")), nnp.get("reason") or "PR_SET_NO_NEW_PRIVS"),
        ("unprivileged uid", not report["running_as_root"] or bool(sb.get("uid_dropped")),
         f"uid {sb.get('uid')}" + (" (dropped from root)" if sb.get("uid_dropped") else "")),
        ("signals and abstract sockets scoped", bool(sb.get("landlock_scoped_signals")),
         "Landlock ABI >= 6" if sb.get("landlock_scoped_signals") else "needs Landlock ABI 6 (PID namespace covers it)"),
        ("limits: CPU, memory, file size, output, wall", all(limits[k] for k in ("cpu", "memory", "file_size",
                                                                                 "output", "wall")), "rlimits"),
        ("limit: processes", bool(limits["processes"]), "RLIMIT_NPROC" if limits["processes"] else
         "RLIMIT_NPROC does not bind uid 0"),
    ]
