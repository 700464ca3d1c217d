"""Kernel isolation primitives used by the sandbox worker, via ctypes on libc.

Only the standard library is used: this module is imported inside the sandboxed worker.
Every function raises ``OSError`` on failure so the caller can degrade and record why.
"""

from __future__ import annotations

import ctypes
import os
import stat
from collections.abc import Sequence

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int
_libc.unshare.restype = ctypes.c_int

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

# Filesystem access rights (ABI version that introduced them in comments).
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def unshare(flags: int) -> None:
    """Move the calling process into new namespaces (``unshare(2)``)."""
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def set_no_new_privs() -> None:
    """``prctl(PR_SET_NO_NEW_PRIVS, 1)``: exec can never grant privileges again."""
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Clear the effective, permitted and inheritable capability sets (``capset(2)``, version 3)."""
    header = _CapHeader(version=0x20080522, pid=0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def set_dumpable() -> None:
    """``prctl(PR_SET_DUMPABLE, 1)``: after a uid change, keep /proc/self writable by ourselves."""
    _check(_libc.prctl(4, 1, 0, 0, 0), "prctl(DUMPABLE)")


def set_parent_death_signal(sig: int) -> None:
    """Receive ``sig`` when the parent process dies."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0), "prctl(PDEATHSIG)")


def map_user(outer_uid: int, outer_gid: int) -> None:
    """After ``unshare(CLONE_NEWUSER)``: map the outer uid/gid to the same ids inside the namespace."""
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{outer_uid} {outer_uid} 1\n")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{outer_gid} {outer_gid} 1\n")


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers (raises OSError when Landlock is unavailable)."""
    return _check(
        _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                      ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION)),
        "landlock_create_ruleset(version)",
    )


def _write_rights(abi: int) -> int:
    rights = (FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR | FS_MAKE_DIR | FS_MAKE_REG
              | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM)
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    return rights


READ_RIGHTS = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
# Rights a rule on a single file (not a directory) may carry.
_FILE_ONLY = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE


class Ruleset:
    """A Landlock ruleset being filled, not yet in force: :meth:`allow` paths, then :meth:`enforce`.

    A zygote prepares one before each job (the costly part, with the paths every job may read) and the
    forked job adds its own paths and enforces it, so a job pays only for what is its own.
    """

    def __init__(self, *, reads: bool, deny_tcp: bool = True, scope: bool = True) -> None:
        self.abi = landlock_abi()
        self.reads = reads
        self.handled = _write_rights(self.abi) | (READ_RIGHTS if reads else 0)
        attr = _RulesetAttr(handled_access_fs=self.handled)
        size = 8
        self.tcp_denied = self.abi >= 4 and deny_tcp
        self.scoped = self.abi >= 6 and scope
        if self.tcp_denied:
            attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP
            size = 16
        if self.scoped:
            attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
        if self.abi >= 6:
            size = 24
        self.fd = _check(_libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                                       ctypes.c_uint32(0)), "landlock_create_ruleset")

    def allow(self, *, writable_dirs: Sequence[str] = (), writable_files: Sequence[str] = (),
              readable: Sequence[str] = ()) -> None:
        """Allow writes beneath ``writable_dirs`` and into ``writable_files`` (read too, when reads are
        handled), and reads beneath ``readable``; paths that do not exist are skipped."""
        file_write = FS_WRITE_FILE | (FS_TRUNCATE if self.abi >= 3 else 0) | (FS_READ_FILE if self.reads else 0)
        rules = ([(d, self.handled) for d in writable_dirs] + [(f, file_write) for f in writable_files]
                 + [(r, READ_RIGHTS) for r in (readable if self.reads else [])])
        for path, allowed in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    allowed &= _FILE_ONLY
                rule = _PathBeneathAttr(allowed_access=allowed & self.handled, parent_fd=fd)
                _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(self.fd),
                                     ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(rule),
                                     ctypes.c_uint32(0)), f"landlock_add_rule({path})")
            finally:
                os.close(fd)

    def enforce(self) -> dict[str, object]:
        """Put the ruleset in force for this process and its future children (a new Landlock layer)."""
        try:
            _check(_libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(self.fd), ctypes.c_uint32(0)),
                   "landlock_restrict_self")
        finally:
            self.close()
        return {"abi": self.abi, "tcp_denied": self.tcp_denied, "scoped": self.scoped, "reads_restricted": self.reads}

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def restrict_writes(writable_dirs: list[str], writable_files: list[str], *, deny_tcp: bool = True,
                    scope: bool = True) -> dict[str, object]:
    """Apply a Landlock layer that leaves reads alone: writes only beneath ``writable_dirs`` (and into
    ``writable_files``). With ABI >= 4 TCP bind/connect are also refused (``deny_tcp``); with ABI >= 6
    abstract unix sockets and signals to processes outside the domain are refused (``scope``). Returns what
    was enforced. ``set_no_new_privs`` must have been called first. (A job's layer, which restricts reads
    too, is a :class:`Ruleset` filled in two steps.)"""
    ruleset = Ruleset(reads=False, deny_tcp=deny_tcp, scope=scope)
    try:
        ruleset.allow(writable_dirs=writable_dirs, writable_files=writable_files)
    except BaseException:
        ruleset.close()
        raise
    return ruleset.enforce()


MS_NOSUID = 2
MS_NODEV = 4
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
_libc.mount.restype = ctypes.c_int


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    """``mount(2)``."""
    def enc(s: str | None) -> bytes | None:
        return None if s is None else s.encode()
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount({target})")


def _reachable_by(path: str, uid: int) -> str | None:
    """The first directory on ``path`` that ``uid`` (not in its groups) cannot traverse, or None."""
    current = "/"
    for part in [p for p in path.split("/") if p]:
        st = os.stat(current)
        if not (st.st_mode & 0o001 or (st.st_uid == uid and st.st_mode & 0o100)):
            return current
        current = os.path.join(current, part)
    return None


def expose_paths_to(uid: int, paths: list[str]) -> list[str]:
    """As root: in a new mount namespace, make ``paths`` readable by ``uid`` when an ancestor blocks it.

    Each blocking ancestor (e.g. a mode-0700 ``/root``) is covered by an empty tmpfs and only the
    needed paths are bind-mounted back at their own locations, so the rest stays hidden.
    Returns the paths that were re-exposed.
    """
    wanted = sorted({os.path.realpath(p) for p in paths if os.path.exists(p)})
    blocked: dict[str, list[str]] = {}
    for path in wanted:
        block = _reachable_by(path, uid)
        if block is not None:
            blocked.setdefault(block, []).append(path)
    if not blocked:
        return []
    unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    exposed: list[str] = []
    for block, inner in blocked.items():
        inner = [p for p in inner if not any(p != q and p.startswith(q + "/") for q in inner)]
        fds = {p: os.open(p, os.O_PATH) for p in inner}
        mount("tmpfs", block, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
        for path, fd in fds.items():
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, mode=0o755, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                open(path, "a").close()
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            os.close(fd)
            exposed.append(path)
    return exposed
