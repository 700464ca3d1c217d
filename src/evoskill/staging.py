"""Staging: a skill folder is written and checked in a temporary skills root before the library sees it.

A staging root (:func:`staging_root`) is a fresh temporary folder readable by the sandbox's unprivileged
user. A candidate skill is written there (:func:`stage_skill`), checked by the reference validator and our
own rules (:func:`reference_problems`) and by the scanner (:func:`scan_verdict`), and run on its own tests
in the sandbox (:func:`verify_in_place`) with the library skills it calls copied beside it
(:func:`install_dependencies`), exactly as it will run in the library. :func:`staged_copy` does the same for
a stored skill (curation re-runs skills on copies). Nothing here touches the library.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import standalone, verify
from .lang.program import py_name
from .sandbox import Sandbox
from .skill import SkillManifest, content_hash, render_skill_md, validate_skill_dir, with_metadata
from .store import LibraryStore
from .tasks import Example
from .verify import Verifier, load_examples

__all__ = ["check_staged", "dependencies", "install_dependencies", "open_up", "reference_problems",
           "scan_verdict", "stage_skill", "staged_copy", "staging_root", "verify_copy", "verify_in_place"]


def staging_root() -> Path:
    """A fresh temporary skills root readable by the sandbox's unprivileged user."""
    path = Path(tempfile.mkdtemp(prefix="evoskill-stage-"))
    os.chmod(path, 0o755)
    return path


def open_up(folder: Path) -> None:
    """Make ``folder`` readable by the sandbox's unprivileged user (directories 0755, files 0644)."""
    for dirpath, _, files in os.walk(folder):
        os.chmod(dirpath, 0o755)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)


@contextmanager
def staged_copy(folder: Path, library: LibraryStore) -> Iterator[Path]:
    """A copy of the stored skill ``folder`` in a fresh staging root, beside copies of the library skills
    it calls; the root is removed afterwards."""
    root = staging_root()
    try:
        dest = root / folder.name
        shutil.copytree(folder, dest, symlinks=False, ignore=shutil.ignore_patterns("__pycache__"))
        open_up(dest)
        install_dependencies(dest, library)
        yield dest
    finally:
        shutil.rmtree(root, ignore_errors=True)


def stage_skill(root: Path, *, name: str, description: str, body: str, code: str,
                examples: Sequence[Example], metadata: dict[str, str],
                vendor_scripts: Mapping[str, Path] | None = None, judge: str | None = None) -> Path:
    """Write the skill folder ``root/name`` (SKILL.md, scripts/<py_name>.py, tests/examples.json).

    ``vendor_scripts`` (skill name -> its ``scripts/`` folder) are copied into ``scripts/_vendor/`` so
    that the folder runs on its own (:mod:`evoskill.standalone`).
    """
    folder = root / name
    (folder / "scripts").mkdir(parents=True)
    (folder / "tests").mkdir()
    manifest = SkillManifest(name=name, description=description, metadata=dict(metadata), body=body)
    (folder / "SKILL.md").write_text(render_skill_md(manifest), "utf-8")
    (folder / "scripts" / f"{py_name(name)}.py").write_text(code, "utf-8")
    if vendor_scripts:
        standalone.vendor(folder, vendor_scripts)
    if judge:  # the task's checker becomes part of the skill's tests
        (folder / "tests" / "check.py").write_text(judge.rstrip() + "\n", "utf-8")
    (folder / "tests" / "examples.json").write_text(
        json.dumps([e.to_dict() for e in examples], indent=1, ensure_ascii=False) + "\n", "utf-8")
    with_metadata(folder, {"evoskill-hash": content_hash(folder)})
    return folder


def reference_problems(folder: Path) -> list[str]:
    """Errors from the reference validator skills-ref plus our own folder rules (empty when valid)."""
    problems = [str(p) for p in validate_skill_dir(folder) if p.severity == "error"]
    try:
        import skills_ref

        problems += [f"skills-ref: {m}" for m in skills_ref.validate(folder)]
    except ImportError:
        cli = Path(sys.executable).parent / "agentskills"
        if not cli.exists():
            return [*problems, "skills-ref is not installed: pip install skills-ref"]
        run = subprocess.run([str(cli), "validate", str(folder)], capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            problems.append(f"skills-ref: {(run.stdout + run.stderr).strip()}")
    return problems


def scan_verdict(folder: Path) -> str:
    """"" when the scanner lets ``folder`` in, else one line naming its blocking findings."""
    from .scanner import scan

    report = scan(folder)
    if not report.blocked:
        return ""
    worst = report.blocking()[:3]
    return "the scanner blocks it: " + "; ".join(f"{f.severity} {f.category} in {f.file}:{f.line}: {f.message}"
                                                 for f in worst)


def dependencies(folder: Path, available: Iterable[str]) -> set[str]:
    """Names of ``available`` skills that ``folder``'s scripts mention as quoted strings (direct only)."""
    names = set(available) - set(standalone.vendored(folder))
    found: set[str] = set()
    for script in (folder / "scripts").glob("*.py"):
        for m in re.finditer(r"""["']([a-z0-9]+(?:-[a-z0-9]+)*)["']""", script.read_text("utf-8", "replace")):
            if m.group(1) in names and m.group(1) != folder.name:
                found.add(m.group(1))
    return found


def install_dependencies(folder: Path, library: LibraryStore) -> list[str]:
    """Copy the library skills ``folder`` needs (transitively) beside it; returns their names.

    Copies (not links) so that the sandbox's unprivileged user can read them wherever the library lives.
    """
    root = folder.parent
    available = {p.name: p for p in library.skills_dir.iterdir() if p.is_dir()}
    todo, done = [folder], []
    while todo:
        for dep in sorted(dependencies(todo.pop(), available)):
            if dep not in done and dep != folder.name and not (root / dep).exists():
                shutil.copytree(available[dep], root / dep, symlinks=False,
                                ignore=shutil.ignore_patterns("__pycache__"))
                open_up(root / dep)
                done.append(dep)
                todo.append(root / dep)
    return done


def verify_in_place(folder: Path, sandbox: Sandbox, examples: Sequence[Example] | None = None) -> str:
    """Run the skill's entry point on its tests (and its ``tests/check.py``) in the sandbox; "" on success."""
    exs = list(load_examples(folder) if examples is None else examples)
    if not exs:
        return "the skill has no tests (tests/examples.json)"
    func = py_name(folder.name)
    script = folder / "scripts" / f"{func}.py"
    if not script.is_file():
        return f"no script {script.name}"
    verdict = Verifier(sandbox).check_file(script, func, exs, judge=verify.load_judge(folder))
    return "" if verdict.passed else f"its tests fail: {verdict.describe()}"


def check_staged(folder: Path, library: LibraryStore, sandbox: Sandbox,
                 examples: Sequence[Example] | None = None) -> str:
    """Validate ``folder`` and run its tests beside the library's skills; "" when it may be stored.

    ``folder`` must sit in a temporary skills root; the library skills it calls are copied beside it, so
    that its script imports its sibling skills exactly as it will in the library.
    """
    problems = reference_problems(folder)
    if problems:
        return "invalid skill: " + "; ".join(problems[:5])
    install_dependencies(folder, library)
    return verify_in_place(folder, sandbox, examples)


def verify_copy(folder: Path, library: LibraryStore, sandbox: Sandbox) -> str:
    """Run a stored skill's own tests on a copy, beside copies of its current dependencies."""
    with staged_copy(folder, library) as dest:
        return verify_in_place(dest, sandbox)
