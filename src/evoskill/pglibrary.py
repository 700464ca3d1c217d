"""A skill library in PostgreSQL: one library that many agents and processes use at once.

Tables (created on first use, in the first schema of the connection's ``search_path``)::

    evoskill_versions  one row per immutable version: hash, source hash, trust (now and as added),
                       kind, origin, description, reason, added_at, admitted_by
    evoskill_files     every file and folder of every version: path, mode, bytes, sha256
    evoskill_skills    one row per skill: current version, archived flag, its description and body, and a
                       weighted tsvector (A name, B description, C body) under a GIN index
    evoskill_events    every event: added, new-version, archived, restored, trust-changed, used, ...
    evoskill_uses      use and success counts per skill
    evoskill_meta      the schema version

Every change is one transaction that first takes a transaction-level advisory lock on the skill's name:
the next version number is max+1 under that lock (and the primary key refuses a duplicate), so two agents
adding the same skill get n+1 and n+2, never a lost update; use counts are incremented in place.

The database is the truth. The local cache folder ``root`` (by default
``$XDG_CACHE_HOME/evoskill/pg/<id of the URL>``) holds materialized copies, written atomically
(staging folder + rename) and checked against the stored sha256s::

    root/objects/<hash>/<name>/   an immutable version (explicit versions, archived skills)
    root/skills/<name>/           the view of the active skills: :meth:`get` returns the current version
                                  here, where a script finds its sibling skills; :meth:`sync_view` (and
                                  reading ``skills_dir``) brings the whole view up to date
    root/.view/<name>             the hash the view of <name> holds
    root/orphans/                 hand-edited views that were replaced (kept, not lost)
    root/staging/, root/trash/    folders being written or removed (leftovers cleared after an hour)

Record paths are where :meth:`get` materializes a skill; the records returned by changes and by
:meth:`versions` point at folders that exist; those of :meth:`list` and :meth:`search` do once :meth:`get`
(or :meth:`sync_view`) has materialized them.
"""

from __future__ import annotations

import builtins
import contextlib
import difflib
import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb

from evoskill.errors import InvalidSkill, LibraryError, SkillNotFound, UserError
from evoskill.library import (
    _STOPWORDS,
    Event,
    SearchHit,
    SkillRecord,
    Stats,
    _coverage,
    admitted_by,
    file_digests,
    refuse_replacement,
    stage_version,
)
from evoskill.migrate import (
    EventDump,
    FileRow,
    SkillDump,
    VersionDump,
    archived_after,
    check_versions,
    entries,
    missing_events,
    read_tree,
    rows_of,
    write_tree,
)
from evoskill.skill import TRUST_LEVELS, Skill, content_hash, parse_skill_md
from evoskill.stores import redact

__all__ = ["PostgresLibrary"]

SCHEMA_VERSION = "1"
MAX_BODY_CHARS = 200_000  # indexed part of a body (a tsvector holds at most 1 MB)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS evoskill_meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS evoskill_versions(
    name text NOT NULL, version integer NOT NULL, hash text NOT NULL, source_hash text,
    trust text NOT NULL, added_trust text NOT NULL, kind text NOT NULL, origin text,
    description text NOT NULL, reason text, added_at double precision NOT NULL, admitted_by text,
    PRIMARY KEY(name, version));
CREATE TABLE IF NOT EXISTS evoskill_files(
    name text NOT NULL, version integer NOT NULL, path text NOT NULL, mode integer NOT NULL,
    data bytea, sha256 text, PRIMARY KEY(name, version, path),
    FOREIGN KEY(name, version) REFERENCES evoskill_versions(name, version));
CREATE TABLE IF NOT EXISTS evoskill_skills(
    name text PRIMARY KEY, version integer NOT NULL, archived boolean NOT NULL DEFAULT false,
    description text NOT NULL DEFAULT '', body text NOT NULL DEFAULT '',
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', replace(name, '-', ' ') || ' ' || name), 'A') ||
        setweight(to_tsvector('english', description), 'B') ||
        setweight(to_tsvector('english', body), 'C')) STORED,
    FOREIGN KEY(name, version) REFERENCES evoskill_versions(name, version));
CREATE INDEX IF NOT EXISTS evoskill_skills_tsv ON evoskill_skills USING gin(tsv);
CREATE TABLE IF NOT EXISTS evoskill_events(
    id bigserial PRIMARY KEY, name text NOT NULL, kind text NOT NULL, version integer, reason text,
    ts double precision NOT NULL, extra jsonb NOT NULL DEFAULT '{}'::jsonb);
CREATE INDEX IF NOT EXISTS evoskill_events_name ON evoskill_events(name, ts, id);
CREATE TABLE IF NOT EXISTS evoskill_uses(
    name text PRIMARY KEY, uses bigint NOT NULL, successes bigint NOT NULL);
"""
_CURRENT = ("SELECT s.version, s.archived, v.hash FROM evoskill_skills s JOIN evoskill_versions v "
            "ON v.name = s.name AND v.version = s.version WHERE s.name = %s")
_RECORD_COLS = "v.name, v.version, v.description, v.trust, v.kind, v.hash, s.archived, s.version"



def _cache_id(dsn: str) -> str:
    try:
        parts = {k: v for k, v in conninfo_to_dict(dsn).items() if k != "password"}
    except psycopg.ProgrammingError:
        parts = {"dsn": redact(dsn)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def default_cache(dsn: str) -> Path:
    """``$XDG_CACHE_HOME/evoskill/pg/<id of the URL without password>`` (~/.cache/...)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "evoskill" / "pg" / _cache_id(dsn)


class PostgresLibrary:
    """A skill library in one PostgreSQL database; safe to share between processes and machines."""

    def __init__(self, dsn: str, cache_dir: Path | None = None) -> None:
        self.dsn = dsn
        self.root = Path(cache_dir).expanduser().absolute() if cache_dir else default_cache(dsn)
        self._view = self.root / "skills"
        self._objects = self.root / "objects"
        self._staging = self.root / "staging"
        self._trash = self.root / "trash"
        self._orphans = self.root / "orphans"
        self._sidecars = self.root / ".view"
        for d in (self._view, self._objects, self._staging, self._trash, self._sidecars):
            d.mkdir(parents=True, exist_ok=True)
        for d in (self._staging, self._trash):  # leftovers of killed processes (not of ones still writing)
            for child in d.iterdir():
                with contextlib.suppress(OSError):
                    if time.time() - child.lstat().st_mtime > 3600:
                        shutil.rmtree(child, ignore_errors=True)
        self._tlock = threading.RLock()
        self._clock = threading.RLock()
        try:
            self._conn: psycopg.Connection[Any] | None = psycopg.connect(dsn, autocommit=True)
        except psycopg.Error as exc:
            raise LibraryError(f"cannot connect to the PostgreSQL library at {redact(dsn)}: "
                               f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc}",
                               fix="check the URL, that the server runs and that the database exists") from exc
        self._create_schema()

    # ----------------------------------------------------------------------------- construction
    def _create_schema(self) -> None:
        """Create the tables once (DDL takes table locks: it runs only while the schema is missing)."""
        with self._tx() as cur:
            row = self._schema_row(cur)
            if row is None:
                cur.execute("SELECT pg_advisory_xact_lock(hashtextextended('evoskill:schema', 0))")
                row = self._schema_row(cur)
                if row is None:  # still missing now that this process is the only one creating it
                    cur.execute(_SCHEMA)
                    cur.execute("INSERT INTO evoskill_meta VALUES ('schema', %s)", (SCHEMA_VERSION,))
                    row = (SCHEMA_VERSION,)
            if row[0] != SCHEMA_VERSION:
                raise LibraryError(f"the library at {redact(self.dsn)} has schema {row[0]}, this evoskill "
                                   f"knows {SCHEMA_VERSION}", fix="upgrade evoskill")

    @staticmethod
    def _schema_row(cur: psycopg.Cursor[Any]) -> tuple[Any, ...] | None:
        """The stored schema version, None while the tables are missing.

        The tables are looked up in ``pg_catalog.pg_tables`` (read with this statement's snapshot), not with
        ``to_regclass``: after waiting for the schema lock, a backend's catalog cache may still say "missing"
        for tables another process has just created, and running the DDL again then takes share locks on
        tables other processes are writing (a deadlock, seen once in CI).
        """
        exists = cur.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = 'evoskill_meta' "
                             "AND schemaname = current_schema())").fetchone()
        if exists != (True,):
            return None
        return cur.execute("SELECT value FROM evoskill_meta WHERE key = 'schema'").fetchone()

    def close(self) -> None:
        """Close the database connection."""
        with self._tlock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> PostgresLibrary:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def skills_dir(self) -> Path:
        """The view of the active skills, brought up to date first (see :meth:`sync_view`)."""
        self.sync_view()
        return self._view

    @skills_dir.setter
    def skills_dir(self, value: Path) -> None:
        self._view = Path(value)

    # ------------------------------------------------------------------------------- plumbing
    @contextlib.contextmanager
    def _tx(self) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction (a savepoint when nested) on this library's connection, one thread at a time."""
        with self._tlock:
            if self._conn is None:
                raise LibraryError("the library is closed", fix="open it again")
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    yield cur
            except psycopg.OperationalError as exc:
                raise LibraryError(f"the PostgreSQL library at {redact(self.dsn)} failed: "
                                   f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
                                   fix="check that the server runs and is reachable, then retry") from exc

    @staticmethod
    def _lock(cur: psycopg.Cursor[Any], name: str) -> float:
        """Take the advisory lock of ``name`` until the transaction ends; returns the server's clock."""
        row = cur.execute("SELECT pg_advisory_xact_lock(hashtextextended('evoskill:skill:' || %s, 0)), "
                          "extract(epoch FROM clock_timestamp())::float8", (name,)).fetchone()
        assert row is not None
        return float(row[1])

    def _require(self, cur: psycopg.Cursor[Any], name: str) -> tuple[int, bool, str]:
        """(current version, archived, hash) of ``name``; SkillNotFound (with close names) otherwise."""
        row = cur.execute(_CURRENT, (name,)).fetchone()
        if row is None:
            names = [n for (n,) in cur.execute("SELECT name FROM evoskill_skills").fetchall()]
            close = difflib.get_close_matches(name, names, n=3)
            fix = (f"did you mean {', '.join(repr(c) for c in close)}?" if close
                   else "run `evoskill list` to see the skills in the library")
            raise SkillNotFound(f"no skill named '{name}' in {redact(self.dsn)}", fix=fix)
        return int(row[0]), bool(row[1]), str(row[2])

    @staticmethod
    def _event(cur: psycopg.Cursor[Any], name: str, kind: str, version: int | None, reason: str | None,
               ts: float, extra: dict[str, Any] | None = None) -> None:
        cur.execute("INSERT INTO evoskill_events(name, kind, version, reason, ts, extra) "
                    "VALUES (%s, %s, %s, %s, %s, %s)", (name, kind, version, reason, ts, Jsonb(extra or {})))

    def _insert_version(self, cur: psycopg.Cursor[Any], name: str, version: int, info: dict[str, Any],
                        files: Iterable[FileRow]) -> None:
        cur.execute("INSERT INTO evoskill_versions VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    (name, version, info["hash"], info.get("source_hash"), info["trust"], info["trust"],
                     info["kind"], info.get("origin"), info["description"], info.get("reason"),
                     info["added_at"], info.get("admitted_by")))
        with cur.copy("COPY evoskill_files (name, version, path, mode, data, sha256) FROM STDIN") as copy:
            for rel, mode, data, digest in files:
                copy.write_row((name, version, rel, mode, data, digest))
        self._event(cur, name, "added" if version == 1 else "new-version", version,
                    info.get("reason") or info.get("origin"), info["added_at"])

    @staticmethod
    def _set_current(cur: psycopg.Cursor[Any], name: str, version: int, archived: bool, description: str,
                     body: str) -> None:
        cur.execute("INSERT INTO evoskill_skills(name, version, archived, description, body) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET version = excluded.version, "
                    "archived = excluded.archived, description = excluded.description, body = excluded.body",
                    (name, version, archived, description, body[:MAX_BODY_CHARS]))

    # ------------------------------------------------------------------------------- changes
    def add(self, path: str | os.PathLike[str], *, origin: str | None = None,
            trust: str | None = None, force: bool = False, reason: str | None = None) -> SkillRecord:
        """Validate and store the skill folder at ``path``; returns its record.

        Identical content already stored as the latest version returns that record (and restores it
        if it was archived); changed content becomes version n+1. A new version may not replace a
        built-in skill, or a skill of another origin, unless ``force``. Raises InvalidSkill (library
        untouched) when the folder breaks any rule.
        """
        if trust is not None and trust not in TRUST_LEVELS:
            raise UserError(f"unknown trust level '{trust}'", fix=f"use one of {', '.join(TRUST_LEVELS)}")
        skill = Skill.load(path)
        src_hash = skill.content_hash()
        name = skill.name
        managed = any(k.startswith("evoskill-") for k in skill.manifest.metadata)
        stage = self._staging / uuid.uuid4().hex
        dest = stage / name
        added: str | None = None  # hash of the new version, when there is one
        try:
            with self._tx() as cur:
                now = self._lock(cur, name)
                row = cur.execute("SELECT v.version, v.hash, v.source_hash, s.archived, v.trust, v.origin "
                                  "FROM evoskill_skills s JOIN evoskill_versions v ON v.name = s.name AND "
                                  "v.version = s.version WHERE s.name = %s", (name,)).fetchone()
                if row is not None and src_hash in (row[1], row[2]):
                    if row[3]:
                        self._event(cur, name, "restored", row[0], "added again", now)
                        cur.execute("UPDATE evoskill_skills SET archived = false WHERE name = %s", (name,))
                else:
                    if row is not None and not force:
                        refuse_replacement(name, row[4], row[5],
                                           trust or skill.manifest.metadata.get("evoskill-trust", "imported"),
                                           origin or skill.manifest.metadata.get("evoskill-origin"))
                    version = int(row[0]) + 1 if row else 1
                    added = stage_version(skill, dest, version, src_hash, managed, trust, origin)
                    stored = Skill.load(dest)  # re-validates the copy
                    meta = stored.manifest.metadata
                    info = {"hash": added, "source_hash": src_hash, "description": stored.description,
                            "trust": trust or meta.get("evoskill-trust", "imported"), "kind": stored.kind,
                            "origin": origin or meta.get("evoskill-origin"), "reason": reason, "added_at": now,
                            "admitted_by": admitted_by()}
                    self._insert_version(cur, name, version, info, read_tree(dest))
                    was_archived = bool(row[3]) if row else False
                    self._set_current(cur, name, version, was_archived, stored.description, stored.manifest.body)
                    if was_archived:
                        self._event(cur, name, "restored", version, f"new version {version} added", now)
                        cur.execute("UPDATE evoskill_skills SET archived = false WHERE name = %s", (name,))
            if added is not None:
                self._install_view(name, dest, added)
            return self.get_record(name, materialize=True)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _set_archived(self, name: str, archived: bool, reason: str) -> SkillRecord:
        with self._tx() as cur:
            now = self._lock(cur, name)
            version, was, _ = self._require(cur, name)
            if was != archived:
                self._event(cur, name, "archived" if archived else "restored", version, reason, now)
                cur.execute("UPDATE evoskill_skills SET archived = %s WHERE name = %s", (archived, name))
        if archived:
            self._drop_view(name)
        return self.get_record(name, materialize=True)

    def archive(self, name: str, reason: str) -> SkillRecord:
        """Archive ``name`` (nothing is deleted); a no-op if already archived."""
        return self._set_archived(name, True, reason)

    def restore(self, name: str, reason: str | None = None) -> SkillRecord:
        """Bring an archived skill back (its latest version); a no-op if it is active."""
        return self._set_archived(name, False, reason or "restored")

    def revert(self, name: str, version: int) -> SkillRecord:
        """Bring back stored ``version`` of ``name`` as a new version (nothing is overwritten)."""
        with self._tx() as cur:
            self._lock(cur, name)
            current, _, _ = self._require(cur, name)
            if not 1 <= int(version) <= current:
                raise UserError(f"'{name}' has no version {version}", fix=f"versions are 1..{current}")
            if int(version) == current:
                return self.get_record(name, materialize=True)
            row = cur.execute("SELECT hash, added_trust, origin FROM evoskill_versions WHERE name = %s AND "
                              "version = %s", (name, int(version))).fetchone()
            assert row is not None
            old = self._materialize(name, int(version), row[0])
            return self.add(old, force=True, trust=row[1], origin=row[2], reason=f"reverted to version {version}")

    def note(self, name: str, kind: str, reason: str) -> None:
        """Record a lifecycle event of ``name`` (e.g. a trust change) with its reason."""
        with self._tx() as cur:
            now = self._lock(cur, name)
            version, _, _ = self._require(cur, name)
            self._event(cur, name, kind, version, reason, now)

    def set_trust(self, name: str, trust: str, reason: str) -> SkillRecord:
        """Move the current version of ``name`` to another trust tier; an event with the reason records it."""
        if trust not in TRUST_LEVELS:
            raise UserError(f"unknown trust level '{trust}'", fix=f"use one of {', '.join(TRUST_LEVELS)}")
        with self._tx() as cur:
            now = self._lock(cur, name)
            version, _, _ = self._require(cur, name)
            self._event(cur, name, "trust-changed", version, f"{trust}: {reason}", now, {"trust": trust})
            cur.execute("UPDATE evoskill_versions SET trust = %s WHERE name = %s AND version = %s",
                        (trust, name, version))
        return self.get_record(name, materialize=True)

    def record_use(self, name: str, success: bool) -> None:
        """Count one use of ``name`` and whether it succeeded (an event and two counters, in place)."""
        with self._tx() as cur:
            row = cur.execute("SELECT version, extract(epoch FROM clock_timestamp())::float8 FROM "
                              "evoskill_skills WHERE name = %s", (name,)).fetchone()
            if row is None:
                self._require(cur, name)
                return
            self._event(cur, name, "used", int(row[0]), None, float(row[1]), {"success": bool(success)})
            cur.execute("INSERT INTO evoskill_uses VALUES (%s, 1, %s) ON CONFLICT (name) DO UPDATE SET "
                        "uses = evoskill_uses.uses + 1, successes = evoskill_uses.successes + excluded.successes",
                        (name, int(bool(success))))

    # --------------------------------------------------------------------------------- reads
    def _path(self, name: str, digest: str, active_current: bool) -> Path:
        return self._view / name if active_current else self._objects / digest / name

    def _to_record(self, row: tuple[Any, ...]) -> SkillRecord:
        name, version, desc, trust, kind, digest, archived, current = row
        path = self._path(name, digest, not archived and version == current)
        return SkillRecord(name, int(version), desc or "", trust or "imported", kind or "instruction",
                           bool(archived), path, digest)

    def get_record(self, name: str, version: int | None = None, *, materialize: bool = False) -> SkillRecord:
        """The record of ``name`` (its current version, or ``version``); ``materialize`` makes its path exist."""
        with self._tx() as cur:
            current, archived, _ = self._require(cur, name)
            v = current if version is None else int(version)
            row = cur.execute(f"SELECT {_RECORD_COLS} FROM evoskill_versions v JOIN evoskill_skills s ON "
                              "s.name = v.name WHERE v.name = %s AND v.version = %s", (name, v)).fetchone()
            if row is None:
                raise SkillNotFound(f"skill '{name}' has no version {v}", fix=f"versions are 1..{current}")
        rec = self._to_record(row)
        if version is not None:  # an explicit version is the immutable copy
            rec = SkillRecord(rec.name, rec.version, rec.description, rec.trust, rec.kind, rec.archived,
                              self._objects / rec.hash / name, rec.hash)
        if materialize:
            if rec.path == self._view / name:
                self._ensure_view(name, rec.version, rec.hash)
            else:
                self._materialize(name, rec.version, rec.hash)
        return rec

    def get(self, name: str, version: int | None = None) -> Skill:
        """Load ``name``: the current version from the view ``skills/<name>`` (beside its sibling skills)
        when active, else (or for an explicit version) the immutable copy; both materialized on demand."""
        with self._tx() as cur:
            current, archived, digest = self._require(cur, name)
            v = current if version is None else int(version)
            if v != current:
                row = cur.execute("SELECT hash FROM evoskill_versions WHERE name = %s AND version = %s",
                                  (name, v)).fetchone()
                if row is None:
                    raise SkillNotFound(f"skill '{name}' has no version {v}", fix=f"versions are 1..{current}")
                digest = row[0]
        if version is None and not archived:
            try:
                return Skill.load(self._ensure_view(name, v, digest))
            except (OSError, InvalidSkill):  # the view was swapped by another process meanwhile
                pass
        return Skill.load(self._materialize(name, v, digest))

    def list(self, include_archived: bool = False) -> builtins.list[SkillRecord]:
        """Records of the current version of every skill, sorted by name."""
        where = "" if include_archived else " WHERE NOT s.archived"
        with self._tx() as cur:
            rows = cur.execute(f"SELECT {_RECORD_COLS} FROM evoskill_skills s JOIN evoskill_versions v ON "
                               f"v.name = s.name AND v.version = s.version{where} ORDER BY s.name").fetchall()
        return [self._to_record(r) for r in rows]

    def versions(self, name: str) -> builtins.list[SkillRecord]:
        """One record per stored version of ``name``, oldest first (paths are the immutable copies)."""
        with self._tx() as cur:
            self._require(cur, name)
            rows = cur.execute(f"SELECT {_RECORD_COLS} FROM evoskill_versions v JOIN evoskill_skills s ON "
                               "s.name = v.name WHERE v.name = %s ORDER BY v.version", (name,)).fetchall()
        out = []
        for r in rows:
            path = self._materialize(name, int(r[1]), r[5])
            out.append(SkillRecord(name, int(r[1]), r[2] or "", r[3] or "imported", r[4] or "instruction",
                                   bool(r[6]), path, r[5]))
        return out

    def history(self, name: str) -> builtins.list[Event]:
        """Lifecycle events of ``name`` (added, new-version, archived, restored, ...), oldest first."""
        with self._tx() as cur:
            self._require(cur, name)
            rows = cur.execute("SELECT kind, version, ts, reason FROM evoskill_events WHERE name = %s AND "
                               "kind <> 'used' ORDER BY ts, id", (name,)).fetchall()
        return [Event(name, k, v, float(ts), r) for k, v, ts, r in rows]

    def origin(self, name: str) -> str | None:
        """Where the current version of ``name`` came from (``task:...``, ``author:...``, a path or URL)."""
        with self._tx() as cur:
            version, _, _ = self._require(cur, name)
            row = cur.execute("SELECT origin FROM evoskill_versions WHERE name = %s AND version = %s",
                              (name, version)).fetchone()
        return row[0] if row else None

    def provenance(self, name: str, version: int | None = None) -> dict[str, Any]:
        """What was recorded of a version: origin, trust as stored, who admitted it, each file's sha256."""
        with self._tx() as cur:
            current, _, _ = self._require(cur, name)
            v = current if version is None else int(version)
            row = cur.execute("SELECT description, added_trust, kind, origin, added_at, hash, source_hash, reason, "
                              "admitted_by FROM evoskill_versions WHERE name = %s AND version = %s",
                              (name, v)).fetchone()
            if row is None:
                return {}
            files = dict(cur.execute("SELECT path, sha256 FROM evoskill_files WHERE name = %s AND version = %s "
                                     "AND data IS NOT NULL ORDER BY path", (name, v)).fetchall())
        desc, trust, kind, origin, added_at, digest, source_hash, reason, who = row
        info: dict[str, Any] = {"name": name, "version": v, "description": desc, "trust": trust, "kind": kind,
                                "origin": origin, "added_at": added_at, "hash": digest, "source_hash": source_hash,
                                "files": files, "admitted_by": who}
        if reason:
            info["reason"] = reason
        return info

    def verify_files(self, name: str) -> builtins.list[str]:
        """Re-check the current version against the digests recorded when it was stored: every stored
        file's bytes in the database, and the materialized folder when there is one; one line per problem."""
        problems: builtins.list[str] = []
        with self._tx() as cur:
            version, archived, digest = self._require(cur, name)
            recorded: dict[str, str] = {}
            for rel, data, sha in cur.execute("SELECT path, data, sha256 FROM evoskill_files WHERE name = %s AND "
                                              "version = %s AND data IS NOT NULL", (name, version)).fetchall():
                recorded[rel] = sha
                if hashlib.sha256(bytes(data)).hexdigest() != sha:
                    problems.append(f"stored copy: {rel} was changed (its bytes no longer match the recorded sha256)")
        folder = self._path(name, digest, not archived)
        if folder.is_dir():  # else it is materialized from the database on demand
            found = file_digests(folder)
            for rel in sorted(set(recorded) | set(found)):
                if rel == "SKILL.md" and rel in found and content_hash(folder) == digest:
                    continue  # SKILL.md carries its own evoskill-hash line; the folder hash covers it
                if rel not in found:
                    problems.append(f"view: {rel} is missing")
                elif rel not in recorded:
                    problems.append(f"view: {rel} was added")
                elif found[rel] != recorded[rel]:
                    problems.append(f"view: {rel} was changed (sha256 {found[rel][:12]}..., recorded "
                                    f"{recorded[rel][:12]}...)")
        return problems

    def listing_digest(self) -> str:
        """md5 of (name, version, hash, trust, archived) of every skill, computed by the server in one query."""
        with self._tx() as cur:
            row = cur.execute("SELECT md5(coalesce(string_agg(concat_ws(' ', s.name, s.version, v.hash, v.trust, "
                              "s.archived), E'\\n' ORDER BY s.name), '')) FROM evoskill_skills s JOIN evoskill_versions "
                              "v ON v.name = s.name AND v.version = s.version").fetchone()
        return str(row[0]) if row else ""

    def stats(self, name: str) -> Stats:
        """Use counts of ``name``."""
        with self._tx() as cur:
            self._require(cur, name)
            row = cur.execute("SELECT uses, successes FROM evoskill_uses WHERE name = %s", (name,)).fetchone()
        uses, ok = (int(row[0]), int(row[1])) if row else (0, 0)
        return Stats(uses, ok, uses - ok)

    def search(self, query: str, k: int = 10) -> builtins.list[SearchHit]:
        """Full-text search (tsvector, ``ts_rank``) over active skills' name, description and body.

        Any query text is safe: it is reduced to its words, matched with OR. Skills whose name and
        description cover more of the query's words come first, then by rank.
        """
        words = [w for w in dict.fromkeys(re.findall(r"\w+", query.lower())) if w not in _STOPWORDS] or \
            re.findall(r"\w+", query.lower())
        if not words or k <= 0:
            return []
        tsquery = " or ".join(words)  # websearch syntax: never a syntax error, words only
        with self._tx() as cur:
            rows = cur.execute(
                "WITH top AS (SELECT s.name, s.version, s.archived, ts_rank(s.tsv, q) AS rank FROM evoskill_skills s, "
                "websearch_to_tsquery('english', %s) q WHERE s.tsv @@ q AND NOT s.archived "
                "ORDER BY rank DESC, s.name LIMIT %s) "
                "SELECT t.name, t.version, v.description, v.trust, v.kind, v.hash, t.archived, t.version, t.rank "
                "FROM top t JOIN evoskill_versions v ON v.name = t.name AND v.version = t.version",
                (tsquery, max(int(k), 50))).fetchall()
            scored = sorted(rows, key=lambda r: (-_coverage(words, f"{r[0]} {r[2]}"), -float(r[8]), r[0]))[:int(k)]
            snippets = dict(cur.execute(
                "SELECT s.name, ts_headline('english', s.description || ' ' || left(s.body, 20000), q, "
                "'StartSel=[, StopSel=], MaxWords=12, MinWords=4') FROM evoskill_skills s, "
                "websearch_to_tsquery('english', %s) q WHERE s.name = ANY(%s)",
                (tsquery, [r[0] for r in scored])).fetchall()) if scored else {}
        return [SearchHit(self._to_record(r[:8]), float(r[8]), snippets.get(r[0]) or "") for r in scored]

    def skills(self, kind: str | None = None) -> Iterator[Skill]:
        """Loaded current versions of every active skill (optionally only of one ``kind``)."""
        for rec in self.list():
            if kind is None or rec.kind == kind:
                yield self.get(rec.name)

    # ------------------------------------------------------------------------------- the cache
    @contextlib.contextmanager
    def _cache_locked(self) -> Iterator[None]:
        """Exclusive use of the cache folder (threads of this process and other processes sharing it)."""
        with self._clock:
            fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _files(self, name: str, version: int) -> builtins.list[FileRow]:
        with self._tx() as cur:
            return [(p, int(m), bytes(d) if d is not None else None, h) for p, m, d, h in cur.execute(
                "SELECT path, mode, data, sha256 FROM evoskill_files WHERE name = %s AND version = %s",
                (name, version)).fetchall()]

    def _build(self, name: str, version: int, digest: str, rows: builtins.list[FileRow] | None = None) -> Path:
        """Write version ``version`` of ``name`` into a new staging folder; returns ``stage/name``."""
        dest = self._staging / uuid.uuid4().hex / name
        try:
            write_tree(self._files(name, version) if rows is None else rows, dest)
            if content_hash(dest) != digest:
                raise LibraryError(f"stored version {version} of '{name}' does not match its hash",
                                   fix="the database was tampered with")
        except BaseException:
            shutil.rmtree(dest.parent, ignore_errors=True)
            raise
        return dest

    def _materialize(self, name: str, version: int, digest: str) -> Path:
        """The immutable copy ``objects/<hash>/<name>``, written once (staging + rename)."""
        target = self._objects / digest / name
        if target.is_dir():
            return target
        built = self._build(name, version, digest)
        try:
            os.rename(built.parent, self._objects / digest)
        except OSError:
            if not target.is_dir():  # not another writer that got there first
                raise
        finally:
            shutil.rmtree(built.parent, ignore_errors=True)
        return target

    def _sidecar(self, name: str) -> str | None:
        try:
            return (self._sidecars / name).read_text("ascii").strip()
        except OSError:
            return None

    def _discard(self, path: Path, name: str) -> None:
        """Move an old view away; keep it in orphans/ when it was edited by hand."""
        if not path.exists():
            return
        try:
            edited = content_hash(path) != self._sidecar(name)
        except OSError:
            edited = True
        if edited:
            self._orphans.mkdir(exist_ok=True)
            os.rename(path, self._orphans / f"{name}-{int(time.time())}-{uuid.uuid4().hex[:6]}")
        else:
            tmp = self._trash / uuid.uuid4().hex
            os.rename(path, tmp)
            shutil.rmtree(tmp, ignore_errors=True)

    def _install_view(self, name: str, folder: Path, digest: str) -> None:
        """Swap ``folder`` (a complete copy whose hash is ``digest``) in as the view of ``name``."""
        with self._cache_locked():
            self._discard(self._view / name, name)
            os.rename(folder, self._view / name)
            tmp = self._sidecars / f".{name}.{uuid.uuid4().hex}"
            tmp.write_text(digest, "ascii")
            os.replace(tmp, self._sidecars / name)

    def _drop_view(self, name: str) -> None:
        with self._cache_locked():
            self._discard(self._view / name, name)
            (self._sidecars / name).unlink(missing_ok=True)

    def _ensure_view(self, name: str, version: int, digest: str) -> Path:
        view = self._view / name
        try:
            if view.is_dir() and self._sidecar(name) == digest and content_hash(view) == digest:
                return view
        except OSError:  # another process is swapping this view right now: build our own copy in
            pass
        built = self._build(name, version, digest)
        try:
            self._install_view(name, built, digest)
        finally:
            shutil.rmtree(built.parent, ignore_errors=True)
        return view

    def sync_view(self) -> int:
        """Bring ``skills/`` up to date with the active skills in the database; returns views rewritten."""
        with self._tx() as cur:
            want = {n: (int(v), h) for n, v, h in cur.execute(
                "SELECT s.name, s.version, v.hash FROM evoskill_skills s JOIN evoskill_versions v ON "
                "v.name = s.name AND v.version = s.version WHERE NOT s.archived").fetchall()}
        for entry in self._view.iterdir():
            if entry.name not in want:
                self._drop_view(entry.name)
        stale = sorted(n for n, (_, h) in want.items()
                       if self._sidecar(n) != h or not (self._view / n).is_dir())
        for i in range(0, len(stale), 500):
            chunk = stale[i:i + 500]
            rows: dict[str, builtins.list[FileRow]] = {n: [] for n in chunk}
            with self._tx() as cur:
                for n, p, m, d, h in cur.execute(
                        "SELECT f.name, f.path, f.mode, f.data, f.sha256 FROM evoskill_files f JOIN "
                        "unnest(%s::text[], %s::int[]) AS w(name, version) ON f.name = w.name AND "
                        "f.version = w.version", (chunk, [want[n][0] for n in chunk])):
                    rows[n].append((p, int(m), bytes(d) if d is not None else None, h))
            for n in chunk:
                built = self._build(n, want[n][0], want[n][1], rows[n])
                try:
                    self._install_view(n, built, want[n][1])
                finally:
                    shutil.rmtree(built.parent, ignore_errors=True)
        return len(stale)

    # ----------------------------------------------------------------------------- migration
    def dump(self) -> Iterator[SkillDump]:
        """Every skill with every version (files included), and every event except added/new-version."""
        with self._tx() as cur:
            names = [n for (n,) in cur.execute("SELECT name FROM evoskill_skills ORDER BY name").fetchall()]
        for name in names:
            with self._tx() as cur:
                vrows = cur.execute("SELECT version, hash, source_hash, added_trust, kind, origin, description, "
                                    "reason, added_at, admitted_by FROM evoskill_versions WHERE name = %s "
                                    "ORDER BY version",
                                    (name,)).fetchall()
                erows = cur.execute("SELECT kind, version, reason, ts, extra FROM evoskill_events WHERE name = %s "
                                    "AND kind NOT IN ('added', 'new-version') ORDER BY ts, id", (name,)).fetchall()
            versions = []
            for v, h, sh, trust, kind, origin, desc, reason, added_at, who in vrows:
                versions.append(VersionDump(int(v), h, sh, trust, kind, origin, desc, reason, float(added_at),
                                            entries(self._files(name, int(v))), who))
            events = [EventDump(k, v, r, float(ts), json.dumps(x, sort_keys=True)) for k, v, r, ts, x in erows]
            yield SkillDump(name, versions, events)

    def load(self, dump: SkillDump) -> tuple[int, int]:
        """Add the versions and events of ``dump`` this library lacks; returns (versions, events) added."""
        with self._tx() as cur:
            self._lock(cur, dump.name)
            have = dict(cur.execute("SELECT version, hash FROM evoskill_versions WHERE name = %s",
                                    (dump.name,)).fetchall())
            new = check_versions(dump, have)
            for vd in new:
                info = {"hash": vd.hash, "source_hash": vd.source_hash, "trust": vd.trust, "kind": vd.kind,
                        "origin": vd.origin, "description": vd.description, "reason": vd.reason,
                        "added_at": vd.added_at, "admitted_by": vd.admitted_by}
                self._insert_version(cur, dump.name, vd.version, info, rows_of(vd.files))
            existing = [(k, v, r, float(ts), json.dumps(x, sort_keys=True)) for k, v, r, ts, x in cur.execute(
                "SELECT kind, version, reason, ts, extra FROM evoskill_events WHERE name = %s AND kind NOT IN "
                "('added', 'new-version')", (dump.name,)).fetchall()]
            events = missing_events(dump, existing)
            for e in events:
                extra = json.loads(e.extra)
                self._event(cur, dump.name, e.kind, e.version, e.reason, e.ts, extra)
                if e.kind == "used":
                    cur.execute("INSERT INTO evoskill_uses VALUES (%s, 1, %s) ON CONFLICT (name) DO UPDATE SET "
                                "uses = evoskill_uses.uses + 1, successes = evoskill_uses.successes + "
                                "excluded.successes", (dump.name, int(bool(extra.get("success")))))
            if new or events:
                for v, x in cur.execute("SELECT version, extra FROM evoskill_events WHERE name = %s AND "
                                        "kind = 'trust-changed' ORDER BY ts, id", (dump.name,)).fetchall():
                    if x.get("trust") in TRUST_LEVELS:
                        cur.execute("UPDATE evoskill_versions SET trust = %s WHERE name = %s AND version = %s",
                                    (x["trust"], dump.name, v))
                latest = max(have.keys() | {vd.version for vd in new})
                row = cur.execute("SELECT v.description, f.data FROM evoskill_versions v JOIN evoskill_files f ON "
                                  "f.name = v.name AND f.version = v.version AND f.path = 'SKILL.md' "
                                  "WHERE v.name = %s AND v.version = %s", (dump.name, latest)).fetchone()
                assert row is not None
                manifest, _ = parse_skill_md(bytes(row[1]))
                kinds = [k for (k,) in cur.execute("SELECT kind FROM evoskill_events WHERE name = %s AND kind IN "
                                                   "('archived', 'restored') ORDER BY ts, id", (dump.name,))]
                self._set_current(cur, dump.name, latest, archived_after(kinds), row[0],
                                  manifest.body if manifest else "")
        return len(new), len(events)
