"""A durable, versioned, searchable library of skills.

On-disk layout (``ROOT`` is the library directory)::

    ROOT/skills/<name>/                          current version of every active skill: a plain
                                                 Agent Skills folder agents can read directly
    ROOT/archive/<name>/                         latest version of every archived skill
    ROOT/.evoskill/versions/<name>/<n>/<name>/   immutable copy of version n (source of truth)
    ROOT/.evoskill/versions/<name>/<n>/version.json
                                                 bookkeeping of version n: hash, source hash, trust,
                                                 origin, kind, description, added_at
    ROOT/.evoskill/events.jsonl                  append-only log: archived / restored / used events
    ROOT/.evoskill/index.sqlite                  SQLite index (WAL, FTS5); a cache, always rebuildable
    ROOT/.evoskill/lock                          fcntl.flock'ed around every mutation
    ROOT/.evoskill/staging/                      versions being written (emptied on open)
    ROOT/.evoskill/trash/                        old views being replaced (emptied on open)
    ROOT/.evoskill/journal/<name>                "view of <name> may be stale" markers
    ROOT/.evoskill/orphans/                      hand-edited views that were replaced (kept, not lost)

The truth is ``versions/`` plus ``events.jsonl``; ``skills/``, ``archive/`` and the index are derived
from them. A new version is staged under ``staging/``, fsynced, and committed by one ``os.rename``
into ``versions/``; the view under ``skills/`` is then swapped. A process killed at any moment
leaves either the old or the new version committed; the next open (under the lock) removes staging
leftovers, rebuilds the index when it is missing, corrupt or disagrees with the folders, and resyncs
any view named in ``journal/``.

Skills written elsewhere (no ``evoskill-*`` metadata) are stored byte-for-byte; their version, hash
and trust live only in ``version.json`` and the index. Skills that carry ``evoskill-*`` metadata get
``evoskill-version`` and ``evoskill-hash`` (and ``evoskill-trust``/``evoskill-origin`` when given)
written into the stored copy's SKILL.md.
"""

from __future__ import annotations

import builtins
import contextlib
import difflib
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from evoskill.errors import InvalidSkill, LibraryError, SkillNotFound, UserError
from evoskill.skill import (
    TRUST_LEVELS,
    Problem,
    Skill,
    content_hash,
    iter_skill_files,
    with_metadata,
)

__all__ = ["Event", "Library", "SearchHit", "SkillRecord", "Stats"]

SCHEMA_VERSION = "1"
_F = TypeVar("_F", bound=Callable[..., Any])
LOCK_TIMEOUT = 60.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS versions(
    name TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL, source_hash TEXT,
    trust TEXT, kind TEXT, origin TEXT, description TEXT, added_at REAL,
    PRIMARY KEY(name, version));
CREATE TABLE IF NOT EXISTS skills(
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, version INTEGER NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(name, description, body, tokenize='porter unicode61');
CREATE TABLE IF NOT EXISTS events(
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, version INTEGER,
    reason TEXT, ts REAL NOT NULL);
CREATE TABLE IF NOT EXISTS uses(name TEXT PRIMARY KEY, uses INTEGER NOT NULL, successes INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class SkillRecord:
    """One skill (or one version of it) as the index knows it."""

    name: str
    version: int
    description: str
    trust: str
    kind: str
    archived: bool
    path: Path
    hash: str


@dataclass(frozen=True)
class SearchHit:
    """A search result; higher ``score`` is better; ``snippet`` marks matches with [brackets]."""

    record: SkillRecord
    score: float
    snippet: str


@dataclass(frozen=True)
class Event:
    """A lifecycle event: ``kind`` is added, new-version, archived or restored; ``timestamp`` is epoch s."""

    name: str
    kind: str
    version: int | None
    timestamp: float
    reason: str | None

    @property
    def when(self) -> str:
        """The timestamp as ISO 8601 UTC."""
        return datetime.fromtimestamp(self.timestamp, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Stats:
    """How often a skill was used and how often that use succeeded."""

    uses: int
    successes: int
    failures: int


_STOPWORDS = frozenset("a an and as at be by for from in into is it of on or the to with".split())


def _stem(word: str) -> str:
    """A crude stem for matching query words against names and descriptions (``delimited`` ~ ``delimiter``)."""
    return word[:6] if len(word) > 6 else word.rstrip("s") or word


def _coverage(words: builtins.list[str], text: str) -> int:
    """How many of the query ``words`` occur (by stem) in ``text``."""
    stems = {_stem(w) for w in re.findall(r"\w+", text.lower())}
    return sum(1 for w in words if _stem(w) in stems)


def file_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file of a skill folder, by its path relative to the folder."""
    out: dict[str, str] = {}
    for file in iter_skill_files(folder):
        if file.is_file() and not file.is_symlink():
            out[file.relative_to(folder).as_posix()] = hashlib.sha256(file.read_bytes()).hexdigest()
    return out


def admitted_by() -> str:
    """Who admitted a version: the OS user and the evoskill version (the command's origin says how)."""
    import getpass

    from evoskill import __version__

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user} (evoskill {__version__})"


def _synchronized(method: _F) -> _F:
    """Serialise calls on one Library between threads (they share one SQLite connection)."""
    @functools.wraps(method)
    def wrapper(self: Library, *args: Any, **kwargs: Any) -> Any:
        with self._tlock:
            return method(self, *args, **kwargs)
    return cast(_F, wrapper)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            fd = os.open(os.path.join(dirpath, f), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def refuse_replacement(name: str, old_trust: str, old_origin: str | None, new_trust: str,
                       new_origin: str | None) -> None:
    """Refuse a new version that would replace a built-in skill or a skill of another origin (both stores)."""
    if old_trust == "built-in" and new_trust != "built-in":
        raise UserError(f"'{name}' is a built-in skill: a skill of that name would change every skill that "
                        "calls it", fix="give your skill another name (or pass --force)")
    if old_origin and new_origin and old_origin != new_origin:
        raise UserError(f"'{name}' already exists with another origin ({old_origin})",
                        fix="give your skill another name (or pass --force to replace it)")


def stage_version(skill: Skill, dest: Path, version: int, src_hash: str, managed: bool, trust: str | None,
                  origin: str | None) -> str:
    """Copy ``skill`` to ``dest`` as version ``version`` (with its evoskill-* metadata when the skill is
    managed, else byte for byte and unchanged since ``src_hash`` was taken); returns the copy's hash."""
    _copy_skill(skill.path, dest)
    if managed:
        updates: dict[str, str | None] = {"evoskill-version": str(version)}
        if trust:
            updates["evoskill-trust"] = trust
        if origin:
            updates["evoskill-origin"] = origin
        with_metadata(dest, updates)
        with_metadata(dest, {"evoskill-hash": content_hash(dest)})
    elif content_hash(dest) != src_hash:
        raise InvalidSkill(f"{skill.path} changed while it was being added",
                           [Problem(str(skill.path), None, "the folder changed during the copy: retry when "
                                    "nothing is writing to it")])
    return content_hash(dest)


def _copy_skill(src: Path, dest: Path) -> None:
    """Copy a validated skill folder byte-for-byte (modes kept, ``__pycache__`` skipped)."""
    dest.mkdir(parents=True)
    for file in iter_skill_files(src):
        rel = file.relative_to(src)
        if file.is_symlink() or not file.is_file():
            raise InvalidSkill(f"{rel} is not a regular file", [Problem(str(rel), None, "symlinks and "
                                                                "special files are not allowed: remove it")])
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target, follow_symlinks=False)
        shutil.copymode(file, target)
    for dirpath, dirnames, _files in os.walk(src):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for d in dirnames:
            (dest / Path(dirpath, d).relative_to(src)).mkdir(parents=True, exist_ok=True)


class Library:
    """A skill library rooted at a directory; safe to share between processes."""

    def __init__(self, root: str | os.PathLike[str], create: bool = True) -> None:
        self.root = Path(root).expanduser().absolute()
        self._meta = self.root / ".evoskill"
        if not self._meta.is_dir():
            if not create:
                raise LibraryError(f"no skill library at {self.root}",
                                   fix=f"create one with `evoskill init {self.root}`")
        self.skills_dir = self.root / "skills"
        self.archive_dir = self.root / "archive"
        self._versions = self._meta / "versions"
        self._staging = self._meta / "staging"
        self._trash = self._meta / "trash"
        self._journal = self._meta / "journal"
        self._orphans = self._meta / "orphans"
        self._events = self._meta / "events.jsonl"
        self._index = self._meta / "index.sqlite"
        for d in (self.skills_dir, self.archive_dir, self._versions, self._staging, self._trash,
                  self._journal):
            d.mkdir(parents=True, exist_ok=True)
        self._events.touch(exist_ok=True)
        self._tlock = threading.RLock()
        self._depth = 0
        self._lock_fd: int | None = None
        self._conn: sqlite3.Connection | None = None
        self._checked = False
        with self._locked():
            pass  # opening under the lock reconciles index and folders

    # ----------------------------------------------------------------------------- construction
    @staticmethod
    def default_root() -> Path:
        """``$EVOSKILL_LIBRARY``, else ``$XDG_DATA_HOME/evoskill/library`` (~/.local/share/...)."""
        env = os.environ.get("EVOSKILL_LIBRARY")
        if env:
            return Path(env).expanduser()
        data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(data).expanduser() / "evoskill" / "library"

    @classmethod
    def init(cls, root: str | os.PathLike[str]) -> Library:
        """Create (or open) a library at ``root``."""
        return cls(root, create=True)

    def close(self) -> None:
        """Close the index connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------------------------- locking
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._tlock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            fd = os.open(self._meta / "lock", os.O_RDWR | os.O_CREAT, 0o644)
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise LibraryError(f"library {self.root} is locked by another process",
                                           fix="wait for it to finish, then retry") from None
                    time.sleep(0.02)
            self._depth = 1
            try:
                self._reconcile()
                yield
            finally:
                self._depth = 0
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    # ------------------------------------------------------------------------------------ index
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._index, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _open_index(self) -> bool:
        """Connect; return True when the index must be rebuilt (new, wrong schema or corrupt)."""
        try:
            conn = self._db()
            row = None
            with contextlib.suppress(sqlite3.OperationalError):
                row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                for table in ("meta", "versions", "skills", "fts", "events", "uses"):
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
                conn.execute("COMMIT")
                conn.executescript(_SCHEMA)
                return True
            conn.execute("SELECT count(*) FROM skills").fetchone()
            conn.execute("SELECT count(*) FROM fts").fetchone()
            return False
        except sqlite3.DatabaseError:
            self.close()
            stamp = f"{int(time.time())}-{uuid.uuid4().hex[:6]}"
            for suffix in ("", "-wal", "-shm"):
                p = Path(str(self._index) + suffix)
                if p.exists():
                    os.replace(p, self._meta / f"index.sqlite{suffix}.corrupt-{stamp}")
            try:
                self._db().executescript(_SCHEMA)
            except sqlite3.DatabaseError as exc:
                raise LibraryError(f"cannot create the index {self._index}: {exc}",
                                   fix="check disk space and permissions") from exc
            return True

    def _reconcile(self) -> None:
        """Under the lock: drop leftovers, make the index agree with the folders, resync views."""
        for d in (self._staging, self._trash):
            for child in d.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
        # The full comparison of index, version folders and views runs when this object first takes the lock
        # and whenever a writer left a journal marker (it was killed between its commit and its index update);
        # otherwise every writer keeps the shared index current itself, and only the log size is compared.
        # (Scanning every version folder on every add made adds O(library size).)
        quick = self._checked and not any(self._journal.iterdir())
        must_rebuild = self._open_index()
        conn = self._db()
        if not must_rebuild:
            row = conn.execute("SELECT value FROM meta WHERE key='log_size'").fetchone()
            must_rebuild = row is None or int(row[0]) != self._events.stat().st_size
            if not must_rebuild and not quick:
                indexed = {(n, v) for n, v in conn.execute("SELECT name, version FROM versions")}
                on_disk = {(n, v) for n, v, _ in self._scan_versions(read=False)}
                must_rebuild = indexed != on_disk
        if must_rebuild:
            self._rebuild()
        for marker in self._journal.iterdir():
            self._sync_view(marker.name)
            marker.unlink()
        if not quick or must_rebuild:
            for name, archived in conn.execute("SELECT name, archived FROM skills").fetchall():
                want, other = self._view_paths(name, bool(archived))
                if not want.is_dir() or other.exists():
                    self._sync_view(name)
        self._checked = True

    def _scan_versions(self, read: bool = True) -> Iterator[tuple[str, int, dict[str, Any]]]:
        for name_dir in sorted(self._versions.iterdir()):
            if not name_dir.is_dir():
                continue
            for vdir in name_dir.iterdir():
                if not vdir.name.isdigit() or not (vdir / name_dir.name).is_dir():
                    continue
                info: dict[str, Any] = {}
                if read:
                    try:
                        info = json.loads((vdir / "version.json").read_text("utf-8"))
                    except (OSError, ValueError):
                        info = {}
                    if not isinstance(info, dict) or "hash" not in info:
                        try:
                            info = self._describe(vdir / name_dir.name, int(vdir.name), None, None)
                        except InvalidSkill:  # tampered with by hand: keep it aside, never delete
                            self._orphans.mkdir(exist_ok=True)
                            os.rename(vdir, self._orphans / f"{name_dir.name}-v{vdir.name}-{uuid.uuid4().hex[:6]}")
                            continue
                        info["hash"] = content_hash(vdir / name_dir.name)
                yield name_dir.name, int(vdir.name), info

    def _read_log(self) -> list[dict[str, Any]]:
        out = []
        for line in self._events.read_bytes().split(b"\n"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue  # a torn last line from a crash
            if isinstance(obj, dict) and isinstance(obj.get("name"), str) and "kind" in obj:
                out.append(obj)
        return out

    def rebuild_index(self) -> None:
        """Rebuild the whole index from ``versions/`` and ``events.jsonl``, then resync every view."""
        with self._locked():
            self._rebuild()
            for (name,) in self._db().execute("SELECT name FROM skills").fetchall():
                self._sync_view(name)

    def _rebuild(self) -> None:
        conn = self._db()
        found = sorted(self._scan_versions(), key=lambda t: (t[0], t[1]))
        log = self._read_log()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in ("versions", "skills", "fts", "events", "uses", "meta"):
                conn.execute(f"DELETE FROM {table}")
            for name, version, info in found:
                self._insert_version(name, version, info)
            archived: dict[str, bool] = {}
            for ev in log:
                name = ev["name"]
                if ev["kind"] != "used":
                    if ev["kind"] in ("archived", "restored"):
                        archived[name] = ev["kind"] == "archived"
                    if ev["kind"] == "trust-changed" and ev.get("trust") in TRUST_LEVELS:
                        conn.execute("UPDATE versions SET trust=? WHERE name=? AND version=?",
                                     (ev["trust"], name, ev.get("version")))
                    conn.execute("INSERT INTO events(name, kind, version, reason, ts) VALUES (?,?,?,?,?)",
                                 (name, ev["kind"], ev.get("version"), ev.get("reason"), ev.get("ts", 0)))
                elif ev["kind"] == "used":
                    self._count_use(name, bool(ev.get("success")))
            for (name,) in conn.execute("SELECT DISTINCT name FROM versions").fetchall():
                self._set_current(name, archived.get(name, False))
            conn.execute("INSERT INTO meta VALUES ('schema', ?), ('log_size', ?)",
                         (SCHEMA_VERSION, str(self._events.stat().st_size)))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _insert_version(self, name: str, version: int, info: dict[str, Any]) -> None:
        conn = self._db()
        conn.execute("INSERT OR REPLACE INTO versions VALUES (?,?,?,?,?,?,?,?,?)",
                     (name, version, info["hash"], info.get("source_hash"), info.get("trust", "imported"),
                      info.get("kind", "instruction"), info.get("origin"), info.get("description", ""),
                      info.get("added_at", 0.0)))
        conn.execute("INSERT INTO events(name, kind, version, reason, ts) VALUES (?,?,?,?,?)",
                     (name, "added" if version == 1 else "new-version", version,
                      info.get("reason") or info.get("origin"), info.get("added_at", 0.0)))

    def _set_current(self, name: str, archived: bool) -> None:
        """Point ``skills`` and ``fts`` at the latest version of ``name`` (inside a transaction)."""
        conn = self._db()
        (latest,) = conn.execute("SELECT max(version) FROM versions WHERE name=?", (name,)).fetchone()
        conn.execute("INSERT INTO skills(name, version, archived) VALUES (?,?,?) ON CONFLICT(name) "
                     "DO UPDATE SET version=excluded.version, archived=excluded.archived",
                     (name, latest, int(archived)))
        (rowid,) = conn.execute("SELECT id FROM skills WHERE name=?", (name,)).fetchone()
        conn.execute("DELETE FROM fts WHERE rowid=?", (rowid,))
        copy = self._version_dir(name, latest) / name
        body = ""
        try:
            body = Skill.load(copy).manifest.body
        except (InvalidSkill, OSError):
            pass
        (desc,) = conn.execute("SELECT description FROM versions WHERE name=? AND version=?",
                               (name, latest)).fetchone()
        conn.execute("INSERT INTO fts(rowid, name, description, body) VALUES (?,?,?,?)",
                     (rowid, name.replace("-", " ") + " " + name, desc or "", body))

    def _count_use(self, name: str, success: bool) -> None:
        self._db().execute("INSERT INTO uses VALUES (?, 1, ?) ON CONFLICT(name) DO UPDATE SET "
                           "uses=uses+1, successes=successes+excluded.successes", (name, int(success)))

    # ------------------------------------------------------------------------------------ views
    def _version_dir(self, name: str, version: int) -> Path:
        return self._versions / name / str(version)

    def _view_paths(self, name: str, archived: bool) -> tuple[Path, Path]:
        a, s = self.archive_dir / name, self.skills_dir / name
        return (a, s) if archived else (s, a)

    def _discard_view(self, path: Path, name: str) -> None:
        """Move an old view out of the way; keep it in orphans/ if it matches no stored version."""
        if not path.exists():
            return
        known = {h for (h,) in self._db().execute("SELECT hash FROM versions WHERE name=?", (name,))}
        try:
            edited = content_hash(path) not in known
        except OSError:
            edited = True
        if edited:
            self._orphans.mkdir(exist_ok=True)
            os.rename(path, self._orphans / f"{name}-{int(time.time())}-{uuid.uuid4().hex[:6]}")
        else:
            tmp = self._trash / uuid.uuid4().hex
            os.rename(path, tmp)
            shutil.rmtree(tmp, ignore_errors=True)

    def _sync_view(self, name: str) -> None:
        row = self._db().execute("SELECT s.version, s.archived, v.hash FROM skills s JOIN versions v "
                                 "ON v.name=s.name AND v.version=s.version WHERE s.name=?",
                                 (name,)).fetchone()
        if row is None:
            return
        version, archived, digest = row
        want, other = self._view_paths(name, bool(archived))
        if other.exists() and not want.exists() and content_hash(other) == digest:
            os.rename(other, want)
            _fsync_dir(want.parent)
            return
        self._discard_view(other, name)
        if want.is_dir() and content_hash(want) == digest:
            return
        stage = self._staging / uuid.uuid4().hex
        shutil.copytree(self._version_dir(name, version) / name, stage / name)
        _fsync_tree(stage)
        self._discard_view(want, name)
        os.rename(stage / name, want)
        _fsync_dir(want.parent)
        shutil.rmtree(stage, ignore_errors=True)

    # -------------------------------------------------------------------------------- mutations
    def _append_log(self, obj: dict[str, Any]) -> None:
        with open(self._events, "r+b") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    fh.write(b"\n")
            fh.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")
            fh.flush()
            os.fsync(fh.fileno())

    def _log_event(self, name: str, kind: str, version: int | None, reason: str | None,
                   **extra: Any) -> None:
        """Append to events.jsonl (the commit point), then mirror into the index."""
        ts = time.time()
        self._append_log({"name": name, "kind": kind, "version": version, "reason": reason, "ts": ts,
                          **extra})
        conn = self._db()
        conn.execute("BEGIN IMMEDIATE")
        if kind == "used":
            self._count_use(name, bool(extra.get("success")))
        else:
            conn.execute("INSERT INTO events(name, kind, version, reason, ts) VALUES (?,?,?,?,?)",
                         (name, kind, version, reason, ts))
        if kind in ("archived", "restored"):
            conn.execute("UPDATE skills SET archived=? WHERE name=?", (int(kind == "archived"), name))
        conn.execute("UPDATE meta SET value=? WHERE key='log_size'", (str(self._events.stat().st_size),))
        conn.execute("COMMIT")

    def _describe(self, folder: Path, version: int, trust: str | None, origin: str | None) -> dict[str, Any]:
        skill = Skill.load(folder)
        meta = skill.manifest.metadata
        return {"name": skill.name, "version": version, "description": skill.description,
                "trust": trust or meta.get("evoskill-trust", "imported"), "kind": skill.kind,
                "origin": origin or meta.get("evoskill-origin"), "added_at": time.time()}

    def add(self, path: str | os.PathLike[str], *, origin: str | None = None,
            trust: str | None = None, force: bool = False, reason: str | None = None) -> SkillRecord:
        """Validate and store the skill folder at ``path``; returns its record.

        Identical content already stored as the latest version returns that record (and restores
        it if it was archived); changed content becomes version n+1. A new version may not replace a
        built-in skill, or a skill of another origin, unless ``force``. Raises InvalidSkill (library
        untouched) when the folder breaks any rule.
        """
        if trust is not None and trust not in TRUST_LEVELS:
            raise UserError(f"unknown trust level '{trust}'", fix=f"use one of {', '.join(TRUST_LEVELS)}")
        skill = Skill.load(path)
        src_hash = skill.content_hash()
        name = skill.name
        managed = any(k.startswith("evoskill-") for k in skill.manifest.metadata)
        with self._locked():
            conn = self._db()
            row = conn.execute("SELECT v.version, v.hash, v.source_hash, s.archived, v.trust, v.origin FROM skills s "
                               "JOIN versions v ON v.name=s.name AND v.version=s.version WHERE s.name=?",
                               (name,)).fetchone()
            if row is not None and src_hash in (row[1], row[2]):
                if row[3]:
                    self.restore(name, reason="added again")
                return self._record(name)
            if row is not None and not force:
                refuse_replacement(name, row[4], row[5],
                                   trust or skill.manifest.metadata.get("evoskill-trust", "imported"),
                                   origin or skill.manifest.metadata.get("evoskill-origin"))
            version = row[0] + 1 if row else 1
            stage = self._staging / uuid.uuid4().hex
            dest = stage / name
            try:
                stored_hash = stage_version(skill, dest, version, src_hash, managed, trust, origin)
                info = self._describe(dest, version, trust, origin)  # re-validates the copy
                info["hash"] = stored_hash
                info["source_hash"] = src_hash
                info["files"] = file_digests(dest)
                info["admitted_by"] = admitted_by()
                if reason:  # kept in version.json, so a rebuilt index still shows it
                    info["reason"] = reason
                (stage / "version.json").write_text(json.dumps(info, indent=2), "utf-8")
                _fsync_tree(stage)
                (self._versions / name).mkdir(exist_ok=True)
                (self._journal / name).touch()
                _fsync_dir(self._journal)
            except BaseException:
                shutil.rmtree(stage, ignore_errors=True)
                raise
            os.rename(stage, self._version_dir(name, version))  # the commit point
            _fsync_dir(self._versions / name)
            conn.execute("BEGIN IMMEDIATE")
            self._insert_version(name, version, info)
            self._set_current(name, bool(row[3]) if row else False)
            conn.execute("COMMIT")
            if row is not None and row[3]:
                self._log_event(name, "restored", version, f"new version {version} added")
            self._sync_view(name)
            (self._journal / name).unlink()
            return self._record(name)

    def _require(self, name: str) -> tuple[int, bool]:
        row = self._db().execute("SELECT version, archived FROM skills WHERE name=?", (name,)).fetchone()
        if row is None:
            names = [n for (n,) in self._db().execute("SELECT name FROM skills")]
            close = difflib.get_close_matches(name, names, n=3)
            fix = (f"did you mean {', '.join(repr(c) for c in close)}?" if close
                   else "run `evoskill list` to see the skills in the library")
            raise SkillNotFound(f"no skill named '{name}' in {self.root}", fix=fix)
        return int(row[0]), bool(row[1])

    def archive(self, name: str, reason: str) -> SkillRecord:
        """Move ``name`` to ``archive/`` (nothing is deleted); a no-op if already archived."""
        with self._locked():
            version, archived = self._require(name)
            if not archived:
                (self._journal / name).touch()
                self._log_event(name, "archived", version, reason)
                self._sync_view(name)
                (self._journal / name).unlink()
            return self._record(name)

    def restore(self, name: str, reason: str | None = None) -> SkillRecord:
        """Bring an archived skill back (its latest version); a no-op if it is active."""
        with self._locked():
            version, archived = self._require(name)
            if archived:
                (self._journal / name).touch()
                self._log_event(name, "restored", version, reason or "restored")
                self._sync_view(name)
                (self._journal / name).unlink()
            return self._record(name)

    def revert(self, name: str, version: int) -> SkillRecord:
        """Bring back stored ``version`` of ``name`` as a new version (nothing is overwritten)."""
        with self._locked():
            current, _ = self._require(name)
            if not 1 <= int(version) <= current:
                raise UserError(f"'{name}' has no version {version}", fix=f"versions are 1..{current}")
            if int(version) == current:
                return self._record(name)
            info = json.loads((self._version_dir(name, int(version)) / "version.json").read_text("utf-8"))
            return self.add(self._version_dir(name, int(version)) / name, force=True, trust=info.get("trust"),
                            origin=info.get("origin"), reason=f"reverted to version {version}")

    def note(self, name: str, kind: str, reason: str) -> None:
        """Record a lifecycle event of ``name`` (e.g. a trust change) with its reason."""
        with self._locked():
            version, _ = self._require(name)
            self._log_event(name, kind, version, reason)

    def provenance(self, name: str, version: int | None = None) -> dict[str, Any]:
        """What version.json records of a version: origin, trust, who admitted it, each file's sha256."""
        cur, _ = self._require(name)
        v = cur if version is None else int(version)
        try:
            info = json.loads((self._version_dir(name, v) / "version.json").read_text("utf-8"))
        except (OSError, ValueError):
            info = {}
        return info if isinstance(info, dict) else {}

    def verify_files(self, name: str) -> builtins.list[str]:
        """Re-check the current version's files against the digests recorded when it was stored.

        Both the stored copy and the view under ``skills/`` (or ``archive/``) are checked; returns one line
        per changed, missing or extra file (empty when everything matches).
        """
        cur, archived = self._require(name)
        info = self.provenance(name)
        recorded: dict[str, str] | None = info.get("files") if isinstance(info.get("files"), dict) else None
        problems: builtins.list[str] = []
        places = [("stored copy", self._version_dir(name, cur) / name),
                  ("view", self._view_paths(name, archived)[0])]
        for label, folder in places:
            if not folder.is_dir():
                problems.append(f"{label} {folder} is missing")
                continue
            if recorded is None:  # stored before per-file digests: the folder hash still decides
                if content_hash(folder) != info.get("hash"):
                    problems.append(f"{label} {folder} does not match the recorded hash")
                continue
            found = file_digests(folder)
            for rel in sorted(set(recorded) | set(found)):
                if rel == "SKILL.md" and rel in found and content_hash(folder) == info.get("hash"):
                    continue  # SKILL.md carries its own evoskill-hash line; the folder hash covers it
                if rel not in found:
                    problems.append(f"{label}: {rel} is missing")
                elif rel not in recorded:
                    problems.append(f"{label}: {rel} was added")
                elif found[rel] != recorded[rel]:
                    problems.append(f"{label}: {rel} was changed (sha256 {found[rel][:12]}..., recorded "
                                    f"{recorded[rel][:12]}...)")
        return problems

    def set_trust(self, name: str, trust: str, reason: str) -> SkillRecord:
        """Move the current version of ``name`` to another trust tier; an event with the reason records it."""
        if trust not in TRUST_LEVELS:
            raise UserError(f"unknown trust level '{trust}'", fix=f"use one of {', '.join(TRUST_LEVELS)}")
        with self._locked():
            version, _ = self._require(name)
            self._log_event(name, "trust-changed", version, f"{trust}: {reason}", trust=trust)
            conn = self._db()
            conn.execute("UPDATE versions SET trust=? WHERE name=? AND version=?", (trust, name, version))
            return self._record(name)

    def origin(self, name: str) -> str | None:
        """Where the current version of ``name`` came from (``task:...``, ``author:...``, a path or URL)."""
        version, _ = self._require(name)
        row = self._db().execute("SELECT origin FROM versions WHERE name=? AND version=?", (name, version)).fetchone()
        return row[0] if row else None

    def record_use(self, name: str, success: bool) -> None:
        """Count one use of ``name`` and whether it succeeded."""
        with self._locked():
            version, _ = self._require(name)
            self._log_event(name, "used", version, None, success=bool(success))

    # ------------------------------------------------------------------------------------ reads
    def _record(self, name: str, version: int | None = None) -> SkillRecord:
        cur, archived = self._require(name)
        v = cur if version is None else version
        row = self._db().execute("SELECT description, trust, kind, hash FROM versions WHERE name=? AND "
                                 "version=?", (name, v)).fetchone()
        if row is None:
            raise SkillNotFound(f"skill '{name}' has no version {v}", fix=f"versions are 1..{cur}")
        path = self._view_paths(name, archived)[0] if version is None else self._version_dir(name, v) / name
        return SkillRecord(name, v, row[0] or "", row[1] or "imported", row[2] or "instruction",
                           archived, path, row[3])

    @_synchronized
    def get(self, name: str, version: int | None = None) -> Skill:
        """Load ``name``: the current version from ``skills/<name>`` (where its sibling skills are, so its
        script can import them) when active, else (or for an explicit version) the immutable stored copy."""
        cur, archived = self._require(name)
        live = self.skills_dir / name
        if version is None and not archived and live.is_dir():
            skill = Skill.load(live)
            if skill.content_hash() == self._record(name).hash:
                return skill
        v = cur if version is None else int(version)
        copy = self._version_dir(name, v) / name
        if not copy.is_dir():
            raise SkillNotFound(f"skill '{name}' has no version {v}", fix=f"versions are 1..{cur}")
        return Skill.load(copy)

    @_synchronized
    def list(self, include_archived: bool = False) -> list[SkillRecord]:
        """Records of the current version of every skill, sorted by name."""
        sql = "SELECT name FROM skills" + ("" if include_archived else " WHERE archived=0") + " ORDER BY name"
        return [self._record(n) for (n,) in self._db().execute(sql).fetchall()]

    @_synchronized
    def versions(self, name: str) -> builtins.list[SkillRecord]:
        """One record per stored version of ``name``, oldest first (paths are the immutable copies)."""
        self._require(name)
        rows = self._db().execute("SELECT version FROM versions WHERE name=? ORDER BY version", (name,))
        return [self._record(name, v) for (v,) in rows.fetchall()]

    @_synchronized
    def history(self, name: str) -> builtins.list[Event]:
        """Lifecycle events of ``name`` (added, new-version, archived, restored), oldest first."""
        self._require(name)
        rows = self._db().execute("SELECT kind, version, ts, reason FROM events WHERE name=? "
                                  "ORDER BY ts, id", (name,)).fetchall()
        return [Event(name, k, v, float(ts), r) for k, v, ts, r in rows]

    @_synchronized
    def listing_digest(self) -> str:
        """sha256 of (name, version, hash, trust, archived) of every skill, from the shared index."""
        rows = self._db().execute("SELECT s.name, s.version, v.hash, v.trust, s.archived FROM skills s JOIN versions v "
                                  "ON v.name=s.name AND v.version=s.version ORDER BY s.name").fetchall()
        return hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()

    @_synchronized
    def stats(self, name: str) -> Stats:
        """Use counts of ``name``."""
        self._require(name)
        row = self._db().execute("SELECT uses, successes FROM uses WHERE name=?", (name,)).fetchone()
        uses, ok = (int(row[0]), int(row[1])) if row else (0, 0)
        return Stats(uses, ok, uses - ok)

    @_synchronized
    def search(self, query: str, k: int = 10) -> builtins.list[SearchHit]:
        """Full-text search (FTS5, bm25) over active skills' name, description and body.

        Any query text is safe: it is reduced to its words, each matched as a quoted term (OR).
        """
        words = [w for w in dict.fromkeys(re.findall(r"\w+", query.lower())) if w not in _STOPWORDS] or \
            re.findall(r"\w+", query.lower())
        if not words or k <= 0:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        try:
            rows = self._db().execute(
                "SELECT s.name, bm25(fts, 10.0, 4.0, 1.0) AS rank, snippet(fts, -1, '[', ']', '...', 12), "
                "fts.name, fts.description FROM fts JOIN skills s ON s.id = fts.rowid "
                "WHERE fts MATCH ? AND s.archived = 0 ORDER BY rank, s.name LIMIT ?",
                (match, max(int(k), 50))).fetchall()
        except sqlite3.OperationalError:
            return []
        # Rerank: skills whose name and description cover more of the query's words first, then bm25.
        scored = sorted(rows, key=lambda row: (-_coverage(words, f"{row[3]} {row[4]}"), row[1], row[0]))
        return [SearchHit(self._record(n), -float(r), snip) for n, r, snip, _, _ in scored[:int(k)]]

    def skills(self, kind: str | None = None) -> Iterator[Skill]:
        """Loaded current versions of every active skill (optionally only of one ``kind``)."""
        for rec in self.list():
            if kind is None or rec.kind == kind:
                yield self.get(rec.name)
