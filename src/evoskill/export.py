"""Export: write library skills as standalone folders where agents look for skills.

Targets (checked against each client's documentation, see the README):

=========  ==========================  ==========================
target     ``--project`` (default)     ``--user``
=========  ==========================  ==========================
claude     ``./.claude/skills``        ``~/.claude/skills``
codex      ``./.agents/skills``        ``~/.agents/skills``
agents     ``./.agents/skills``        ``~/.agents/skills``
DIR        ``DIR``                     ``DIR``
=========  ==========================  ==========================

Every exported folder is standalone (the skills it calls travel inside it) and passes the reference
validator. A manifest ``.evoskill-export.json`` in the target records each exported name with its version
and digest, so exporting again is idempotent (unchanged skills are skipped) and a folder evoskill did not
write, or one edited since, is never overwritten without ``force``.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import policy
from .errors import UserError
from .files import atomic_write
from .library import SkillRecord, file_digests
from .skill import content_hash
from .store import LibraryStore

__all__ = ["ExportReport", "MANIFEST", "TARGETS", "export", "select", "target_dir"]

MANIFEST = ".evoskill-export.json"
TARGETS = {"claude": ".claude/skills", "codex": ".agents/skills", "agents": ".agents/skills"}


@dataclass
class ExportReport:
    """What an export did, by skill name."""

    target: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def target_dir(target: str, *, user: bool = False, cwd: Path | None = None) -> Path:
    """The skills folder of ``target`` (a client name or a folder)."""
    if target in TARGETS:
        base = Path.home() if user else (cwd or Path.cwd())
        return base / TARGETS[target]
    if user:
        raise UserError("--user applies to claude, codex and agents", fix="drop --user when exporting to a folder")
    return Path(target).expanduser()


def select(library: LibraryStore, names: Sequence[str] = (), *, kind: str | None = None,
           trust: str | None = None) -> list[SkillRecord]:
    """The skills to export: the named ones, else every active skill of ``kind``/``trust``.

    By default that is every verified skill that is not a built-in primitive (primitives would crowd an
    agent's catalogue with one-liners; name them, or pass ``--kind primitive``, to export them).
    """
    if names:
        records = {r.name: r for r in library.list(include_archived=True)}
        missing = [n for n in names if n not in records]
        if missing:
            raise UserError(f"no skill named {', '.join(missing)}", fix="run `evoskill list` for the names")
        return [records[n] for n in names]
    out = []
    for r in library.list():
        if kind is not None and r.kind != kind:
            continue
        if trust is not None and r.trust != trust:
            continue
        if kind is None and trust is None and (r.kind == "primitive" or r.trust != "verified"):
            continue
        out.append(r)
    return out


def _read_manifest(dest: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((dest / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    skills = data.get("skills") if isinstance(data, dict) else None
    return {k: v for k, v in skills.items() if isinstance(v, dict)} if isinstance(skills, dict) else {}


def _write_manifest(dest: Path, entries: dict[str, dict[str, Any]]) -> None:
    atomic_write(dest / MANIFEST, (json.dumps({"written_by": "evoskill export", "skills": entries}, indent=1,
                                              sort_keys=True) + "\n").encode("utf-8"))


def export(library: LibraryStore, records: Sequence[SkillRecord], dest: Path, *, force: bool = False) -> ExportReport:
    """Write each record's folder to ``dest/<name>`` (see the module docstring)."""
    from .staging import reference_problems

    rules = policy.load(library.root)
    dest.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(dest)
    report = ExportReport(dest)
    for rec in records:
        if not rules.allows(rec.trust, "export") and not (force and rec.trust != "quarantined"):
            report.refused[rec.name] = (f"it is {rec.trust}: the policy does not export it (verify it with "
                                        "`evoskill test`, or --force)")
            continue
        src = library.get(rec.name).path
        problems = reference_problems(src)
        if problems:
            report.refused[rec.name] = "not a valid Agent Skill: " + "; ".join(problems[:2])
            continue
        digest = content_hash(src)
        folder = dest / rec.name
        known = manifest.get(rec.name)
        if folder.exists():
            on_disk = content_hash(folder)
            if known and on_disk == digest and known.get("digest") == digest:
                report.unchanged.append(rec.name)
                continue
            if not force and (known is None or known.get("digest") != on_disk):
                why = "edited since it was exported" if known else "not written by evoskill"
                report.refused[rec.name] = f"{folder} exists and was {why}: pass --force to replace it"
                continue
        tmp = dest / f".{rec.name}.{uuid.uuid4().hex}"
        shutil.copytree(src, tmp, symlinks=False, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if folder.exists():
            old = dest / f".{rec.name}.old.{uuid.uuid4().hex}"
            os.rename(folder, old)
            os.rename(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, folder)
        manifest[rec.name] = {"version": str(rec.version), "digest": digest, "trust": rec.trust,
                              "origin": library.origin(rec.name) or "",
                              "files": file_digests(folder)}  # a client can pin what it approved, file by file
        report.written.append(rec.name)
    _write_manifest(dest, manifest)
    return report
