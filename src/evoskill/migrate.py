"""Copy a skill library between backends (folder + SQLite, PostgreSQL), losslessly and idempotently.

What is copied, per skill: every stored version (its number, every file and folder with its mode, hash,
source hash, trust as added, kind, origin, description, reason, time added) and every event (archived,
restored, trust-changed, used with its success, ...; the added and new-version events come with their
versions). Use counts, the archived flag and the current trust follow from the events, so the target ends
in the state of the source.

Idempotent: versions the target already holds (same number, same hash) and events it already holds (same
kind, version, reason, time and details) are skipped: a second run copies nothing, and an interrupted run
can simply be run again. A target whose version n of a skill differs from the source's is refused.
A folder library is written under its own lock (other processes wait, up to its lock timeout).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evoskill.errors import LibraryError, UserError
from evoskill.library import Library, _fsync_tree, file_digests
from evoskill.skill import content_hash
from evoskill.store import LibraryStore

__all__ = ["EventDump", "FileEntry", "MigrateReport", "SkillDump", "VersionDump", "dump_store", "migrate"]

FileRow = tuple[str, int, bytes | None, str | None]  # path, mode, bytes (None: a folder), sha256
_DERIVED = ("added", "new-version")  # events that come with a version


@dataclass(frozen=True)
class FileEntry:
    """One file (or folder, when ``data`` is None) of a stored version."""

    path: str
    mode: int
    data: bytes | None


@dataclass(frozen=True)
class VersionDump:
    """One immutable version with its bookkeeping (``trust`` as it was added)."""

    version: int
    hash: str
    source_hash: str | None
    trust: str
    kind: str
    origin: str | None
    description: str
    reason: str | None
    added_at: float
    files: tuple[FileEntry, ...]
    admitted_by: str | None = None


@dataclass(frozen=True)
class EventDump:
    """One event; ``extra`` is its details (``success``, ``trust``, ...) as canonical JSON."""

    kind: str
    version: int | None
    reason: str | None
    ts: float
    extra: str

    def key(self) -> tuple[Any, ...]:
        return (self.kind, self.version, self.reason, self.ts, self.extra)


@dataclass
class SkillDump:
    """Everything a library holds about one skill."""

    name: str
    versions: list[VersionDump]
    events: list[EventDump]


@dataclass(frozen=True)
class MigrateReport:
    """How much a migration copied (zeros when the target already held everything)."""

    skills: int
    versions: int
    events: int


# ------------------------------------------------------------------------------------ folder rows
def read_tree(folder: Path) -> list[FileRow]:
    """Every folder and file under ``folder`` (``__pycache__`` skipped) with mode, bytes and sha256."""
    rows: list[FileRow] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for d in dirnames:
            p = Path(dirpath, d)
            rows.append((p.relative_to(folder).as_posix(), os.lstat(p).st_mode & 0o7777, None, None))
        for f in sorted(filenames):
            p = Path(dirpath, f)
            data = p.read_bytes()
            rows.append((p.relative_to(folder).as_posix(), os.lstat(p).st_mode & 0o7777, data,
                         hashlib.sha256(data).hexdigest()))
    return rows


def write_tree(rows: Iterable[FileRow], dest: Path) -> None:
    """Write stored rows into the new folder ``dest``, checking every file against its sha256."""
    dest.mkdir(parents=True)
    modes: list[tuple[Path, int]] = []
    for rel, mode, data, digest in sorted(rows, key=lambda r: r[0]):
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise LibraryError(f"stored path {rel!r} leaves the skill folder", fix="the store was tampered with")
        target = dest / rel
        if data is None:
            target.mkdir(parents=True, exist_ok=True)
            modes.append((target, mode))
            continue
        if digest is not None and hashlib.sha256(data).hexdigest() != digest:
            raise LibraryError(f"stored file {rel} does not match its sha256", fix="the store was tampered with")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        os.chmod(target, mode)
    for folder, mode in reversed(modes):
        os.chmod(folder, mode | 0o700)


def entries(rows: Iterable[FileRow]) -> tuple[FileEntry, ...]:
    return tuple(FileEntry(p, m, d) for p, m, d, _ in sorted(rows, key=lambda r: r[0]))


def rows_of(files: Iterable[FileEntry]) -> list[FileRow]:
    return [(f.path, f.mode, f.data, None if f.data is None else hashlib.sha256(f.data).hexdigest())
            for f in files]


# ------------------------------------------------------------------------------------- merging
def check_versions(dump: SkillDump, have: Mapping[int, str]) -> list[VersionDump]:
    """The versions of ``dump`` a target holding ``have`` (version -> hash) lacks; refuses a divergence."""
    new: list[VersionDump] = []
    for vd in sorted(dump.versions, key=lambda v: v.version):
        if vd.version in have:
            if have[vd.version] != vd.hash:
                raise UserError(f"'{dump.name}' version {vd.version} differs between the two libraries",
                                fix="migrate into an empty library (or rename the skill in one of them)")
            continue
        if vd.version > 1 and vd.version - 1 not in have and not any(n.version == vd.version - 1 for n in new):
            raise UserError(f"'{dump.name}' lacks version {vd.version - 1} in the source",
                            fix="repair the source library first")
        new.append(vd)
    return new


def missing_events(dump: SkillDump, existing: Iterable[tuple[Any, ...]]) -> list[EventDump]:
    """The events of ``dump`` not among ``existing`` keys (counted: two equal events stay two)."""
    have = Counter(existing)
    out = []
    for e in dump.events:
        if have[e.key()] > 0:
            have[e.key()] -= 1
        else:
            out.append(e)
    return out


def archived_after(kinds: Sequence[str]) -> bool:
    """Whether a skill is archived after its archived/restored events, oldest first."""
    last = [k for k in kinds if k in ("archived", "restored")]
    return bool(last) and last[-1] == "archived"


def _event_dump(ev: Mapping[str, Any]) -> EventDump:
    extra = {k: v for k, v in ev.items() if k not in ("name", "kind", "version", "reason", "ts")}
    return EventDump(str(ev["kind"]), ev.get("version"), ev.get("reason"), float(ev.get("ts", 0.0)),
                     json.dumps(extra, sort_keys=True))


# ---------------------------------------------------------------------------------- folder store
def _log(lib: Library) -> dict[str, list[EventDump]]:
    """The folder library's event log, by skill (a torn last line is skipped)."""
    out: dict[str, list[EventDump]] = {}
    for line in (lib.root / ".evoskill" / "events.jsonl").read_bytes().split(b"\n"):
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict) and isinstance(ev.get("name"), str) and "kind" in ev:
            out.setdefault(ev["name"], []).append(_event_dump(ev))
    return out


def _dump_folder(lib: Library) -> Iterator[SkillDump]:
    log = _log(lib)
    for rec in lib.list(include_archived=True):
        versions = []
        told = {e.version: e.reason for e in lib.history(rec.name) if e.kind in _DERIVED}
        for v in lib.versions(rec.name):
            try:
                info = json.loads((v.path.parent / "version.json").read_text("utf-8"))
            except (OSError, ValueError):
                info = {}
            # a reason given to add() lives in the index when version.json predates keeping it there
            reason = info.get("reason") or (told.get(v.version) if told.get(v.version) != info.get("origin") else None)
            versions.append(VersionDump(v.version, v.hash, info.get("source_hash"), info.get("trust", v.trust),
                                        info.get("kind", v.kind), info.get("origin"),
                                        info.get("description", v.description), reason,
                                        float(info.get("added_at", 0.0)), entries(read_tree(v.path)),
                                        info.get("admitted_by")))
        events = [e for e in log.get(rec.name, []) if e.kind not in _DERIVED]
        yield SkillDump(rec.name, versions, events)


def _load_folder(lib: Library, dumps: Iterable[SkillDump]) -> MigrateReport:
    meta = lib.root / ".evoskill"
    skills = versions = events = 0
    with lib._locked():  # the folder library's own lock: its layout is written directly, then re-indexed
        log = _log(lib)
        for dump in dumps:
            vroot = meta / "versions" / dump.name
            have: dict[int, str] = {}
            if vroot.is_dir():
                for vdir in vroot.iterdir():
                    if vdir.name.isdigit() and (vdir / dump.name).is_dir():
                        try:
                            have[int(vdir.name)] = json.loads((vdir / "version.json").read_text("utf-8"))["hash"]
                        except (OSError, ValueError, KeyError):
                            have[int(vdir.name)] = content_hash(vdir / dump.name)
            new = check_versions(dump, have)
            for vd in new:
                stage = meta / "staging" / uuid.uuid4().hex
                write_tree(rows_of(vd.files), stage / dump.name)
                if content_hash(stage / dump.name) != vd.hash:
                    raise LibraryError(f"version {vd.version} of '{dump.name}' does not match its hash",
                                       fix="the source library was tampered with")
                info = {"name": dump.name, "version": vd.version, "description": vd.description, "trust": vd.trust,
                        "kind": vd.kind, "origin": vd.origin, "added_at": vd.added_at, "hash": vd.hash,
                        "source_hash": vd.source_hash, "files": file_digests(stage / dump.name)}
                if vd.admitted_by:
                    info["admitted_by"] = vd.admitted_by
                if vd.reason:
                    info["reason"] = vd.reason
                (stage / "version.json").write_text(json.dumps(info, indent=2), "utf-8")
                _fsync_tree(stage)
                vroot.mkdir(parents=True, exist_ok=True)
                os.rename(stage, vroot / str(vd.version))
            missing = missing_events(dump, [e.key() for e in log.get(dump.name, [])])
            for e in missing:
                lib._append_log({"name": dump.name, "kind": e.kind, "version": e.version, "reason": e.reason,
                                 "ts": e.ts, **json.loads(e.extra)})
            skills += bool(new or missing)
            versions += len(new)
            events += len(missing)
        if versions or events:
            lib.rebuild_index()
    return MigrateReport(skills, versions, events)


# ------------------------------------------------------------------------------------ any store
def dump_store(store: LibraryStore) -> Iterator[SkillDump]:
    """Everything ``store`` holds, one skill at a time (sorted by name)."""
    if isinstance(store, Library):
        return _dump_folder(store)
    dump = getattr(store, "dump", None)
    if dump is None:
        raise UserError(f"cannot read every version and event of a {type(store).__name__}",
                        fix="migrate from a folder or PostgreSQL library")
    return iter(dump())


def migrate(source: LibraryStore, target: LibraryStore) -> MigrateReport:
    """Copy every version, event and use count of ``source`` that ``target`` lacks."""
    if isinstance(source, Library) and isinstance(target, Library) and source.root == target.root:
        raise UserError("FROM and TO are the same library", fix="name two different libraries")
    dumps = dump_store(source)
    if isinstance(target, Library):
        return _load_folder(target, dumps)
    load = getattr(target, "load", None)
    if load is None:
        raise UserError(f"cannot write versions and events into a {type(target).__name__}",
                        fix="migrate into a folder or PostgreSQL library")
    skills = versions = events = 0
    for dump in dumps:
        nv, ne = load(dump)
        skills += bool(nv or ne)
        versions += nv
        events += ne
    return MigrateReport(skills, versions, events)
