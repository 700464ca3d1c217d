"""How skills from outside enter the library: ``add`` (tested first) and ``import`` (stored, never run).

Trust on entry:

* ``add`` runs the skill's own tests (``tests/examples.json``) in the sandbox on a copy; it is stored as
  ``verified`` only if they pass, refused (library untouched) if they fail. ``--no-test``, or a folder
  with no tests, stores it as ``unverified``. Neither ``unverified`` nor ``imported`` skills are building
  blocks for the search (:data:`evoskill.lang.components.BUILDING_BLOCK_TRUST`).
* ``import`` takes a skill folder, a folder of skills, or a git repository. Nothing it brings is
  executed. Skills are stored byte-for-byte as ``imported`` with their origin (path, or URL and commit),
  leniently the way agent clients load them (an over-long description is a warning).
  ``evoskill test NAME`` later promotes an imported skill whose tests pass to ``verified``.

A skill may not replace a built-in skill or a skill of another origin without ``force``; when a skill that
others call gets a new version, the callers are re-tested (:func:`evoskill.distill.refresh_dependents`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .distill import Refresh, refresh_dependents
from .errors import EvoskillError, InvalidSkill, UserError
from .library import SkillRecord
from .sandbox import Sandbox
from .skill import Skill
from .staging import scan_verdict, verify_copy
from .store import LibraryStore

__all__ = [
    "Added", "Imported", "add_skill", "import_skills", "is_git_source", "promote_if_passing", "skill_folders",
]


@dataclass
class Added:
    """The outcome of ``add``: the record, whether it is a new version, and what was checked."""

    record: SkillRecord
    new_version: bool
    tested: bool
    warnings: list[str] = field(default_factory=list)
    refresh: Refresh | None = None


def _user_origin() -> str:
    return f"author:{os.environ.get('USER') or 'user'}"


def add_skill(library: LibraryStore, sandbox: Sandbox | None, path: Path, *, test: bool = True,
              force: bool = False, origin: str | None = None) -> Added:
    """Test the skill at ``path`` in the sandbox, then store it (see the module docstring)."""
    skill = Skill.load(path)
    warnings = [str(w) for w in skill.warnings]
    has_tests = skill.entry_point is not None and skill.examples_path is not None
    trust = "unverified"
    blocked = scan_verdict(skill.path)
    if blocked:  # stored so nothing is lost, but never run, served, exported or used
        record = library.add(skill.path, trust="quarantined", origin=origin or _user_origin(), force=force,
                             reason=blocked[:500])
        warnings.append(f"{skill.name} was quarantined: {blocked} (`evoskill scan {skill.path}` shows all "
                        f"findings; `evoskill release {skill.name} --reason ...` if you trust it)")
        return Added(record, True, False, warnings)
    if test and has_tests:
        if sandbox is None:
            raise UserError("adding with tests needs a sandbox", fix="pass --no-test to store it unverified")
        reason = verify_copy(skill.path, library, sandbox)
        if reason:
            raise UserError(f"{skill.name} was not added: {reason}",
                            fix="fix the skill or its tests/examples.json (or pass --no-test to store it unverified)")
        trust = "verified"
    elif test:
        what = "no script" if skill.entry_point is None else "no tests/examples.json"
        warnings.append(f"{skill.name} has {what}: stored as unverified (not a building block for the search)")
    before = _version(library, skill.name)
    record = library.add(skill.path, trust=trust, origin=origin or _user_origin(), force=force)
    added = Added(record, record.version != before, trust == "verified", warnings)
    if added.new_version and before and sandbox is not None:
        added.refresh = refresh_dependents(library, sandbox, record.name)
    return added


def _version(library: LibraryStore, name: str) -> int:
    try:
        return library.versions(name)[-1].version
    except EvoskillError:
        return 0


# ---- import ----------------------------------------------------------------------------------------------

@dataclass
class Imported:
    """One skill folder met by ``import``: stored (record) or skipped (reason)."""

    path: str
    record: SkillRecord | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


_GIT_URL = re.compile(r"^(https?://|git@|ssh://|git://|file://)|\.git/?$")


def is_git_source(source: str) -> bool:
    """A URL git understands, or a local folder that is a git repository."""
    return bool(_GIT_URL.search(source)) or (Path(source).is_dir() and (Path(source) / ".git").exists())


def skill_folders(root: Path, max_depth: int = 5) -> list[Path]:
    """Every folder under ``root`` (itself included) that holds a SKILL.md, skipping ``.git`` and nesting."""
    if (root / "SKILL.md").is_file():
        return [root]
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        depth = len(Path(dirpath).relative_to(root).parts)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") or d in (".claude", ".agents"))
        if "SKILL.md" in filenames and Path(dirpath) != root:
            found.append(Path(dirpath))
            dirnames[:] = []  # a skill's own folders are part of it
        elif depth >= max_depth:
            dirnames[:] = []
    return found


def _clone(url: str, ref: str | None, into: Path) -> str:
    """Clone ``url`` (at ``ref``) into ``into`` with git; returns the commit."""
    if shutil.which("git") is None:
        raise UserError("importing from git needs the git command", fix="install git, or clone it yourself and "
                        "import the folder")
    cmd = ["git", "clone", "--quiet", "--no-tags", url, str(into)]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    if run.returncode != 0:
        raise UserError(f"git clone {url} failed: {run.stderr.strip().splitlines()[-1] if run.stderr else run.returncode}",
                        fix="check the URL and your access to it")
    if ref:
        co = subprocess.run(["git", "-C", str(into), "checkout", "--quiet", ref], capture_output=True, text=True,
                            timeout=60, env=env)
        if co.returncode != 0:
            raise UserError(f"no ref {ref!r} in {url}", fix="give a branch, tag or commit that exists")
    head = subprocess.run(["git", "-C", str(into), "rev-parse", "HEAD"], capture_output=True, text=True,
                          timeout=60)
    return head.stdout.strip()


def import_skills(library: LibraryStore, source: str, *, ref: str | None = None, force: bool = False) -> list[Imported]:
    """Store every skill found at ``source`` (folder, folder of skills, or git repository) as ``imported``."""
    tmp: Path | None = None
    try:
        if is_git_source(source):
            tmp = Path(tempfile.mkdtemp(prefix="evoskill-import-"))
            url = source if _GIT_URL.search(source) else str(Path(source).resolve())
            commit = _clone(url, ref, tmp / "repo")
            root, where = tmp / "repo", f"git:{url}@{commit}"
        else:
            if ref:
                raise UserError("--ref applies to git sources only", fix="drop --ref, or import a git URL")
            root = Path(source).expanduser().resolve()
            if not root.exists():
                raise UserError(f"{source} does not exist", fix="give a skill folder, a folder of skills or a git URL")
            where = f"path:{root}"
        folders = skill_folders(root)
        if not folders:
            raise UserError(f"no SKILL.md found in {source}", fix="point at a skill folder or a folder of skills")
        out: list[Imported] = []
        for folder in folders:
            rel = folder.relative_to(root).as_posix()
            origin = where if rel == "." else f"{where}#{rel}"
            item = Imported(str(folder if tmp is None else rel))
            try:
                skill = Skill.load(folder)
                item.warnings = [str(w) for w in skill.warnings]
                blocked = scan_verdict(folder)
                if blocked:
                    item.warnings.append(f"quarantined: {blocked}")
                item.record = library.add(folder, trust="quarantined" if blocked else "imported", origin=origin,
                                          force=force, reason=blocked[:500] or None)
            except InvalidSkill as exc:
                item.reason = "; ".join(str(p) for p in exc.problems if p.severity == "error")[:500] or str(exc)
            except EvoskillError as exc:
                item.reason = str(exc)
            out.append(item)
        return out
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def promote_if_passing(library: LibraryStore, name: str, passed: bool) -> bool:
    """After ``evoskill test``: an imported or unverified skill whose tests passed becomes ``verified``."""
    if not passed or library.versions(name)[-1].trust not in ("imported", "unverified"):
        return False
    library.set_trust(name, "verified", reason="its tests passed in the sandbox")
    return True
