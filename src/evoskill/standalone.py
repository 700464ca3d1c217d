"""Standalone skills: a skill folder carries the skills it calls, so it runs wherever it is copied.

A program skill calls other skills. Each one it calls directly travels inside it, as a byte-for-byte
copy of that skill's ``scripts/`` folder under ``scripts/_vendor/<name>/`` (which in turn holds the
skills *that* one calls, and so on). The calling script pins the sha256 of every copy it loads
(``_PINS`` in the script, written by :func:`evoskill.program.to_module`), so a changed copy is refused
instead of run. Copied alone into ``.claude/skills/`` or any folder, the skill needs nothing but a plain
``python``: no evoskill, no sibling skills.

Nesting (not flattening) keeps every copy exactly the version its caller was tested with, even when two
skills in one tree pin different versions of a third.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from .errors import SkillNotFound, UserError
from .skill import Skill

VENDOR = "_vendor"


class SkillSource(Protocol):
    """Where the skills to vendor come from (a :class:`evoskill.library.Library`)."""

    def get(self, name: str, version: int | None = None) -> Skill: ...


def entry_script(folder: Path) -> Path:
    """``scripts/<name_with_underscores>.py`` of the skill folder ``folder``."""
    return folder / "scripts" / f"{folder.name.replace('-', '_')}.py"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scripts_of(library: SkillSource, names: Iterable[str]) -> dict[str, Path]:
    """The current ``scripts/`` folder of each named skill (raises a clear error for a missing one)."""
    found: dict[str, Path] = {}
    for name in sorted(set(names)):
        try:
            skill = library.get(name)
        except SkillNotFound as exc:
            raise UserError(f"the program calls {name!r}, which is not in the library",
                            fix=f"restore it (`evoskill restore {name}`) or add it first") from exc
        script = entry_script(skill.path)
        if not script.is_file():
            raise UserError(f"{name} has no script {script.name}: it cannot be called from a program",
                            fix=f"check it with `evoskill test {name}`")
        found[name] = script.parent
    return found


def pins(scripts: Mapping[str, Path]) -> dict[str, str]:
    """sha256 of each vendored entry script, keyed by skill name."""
    return {name: sha256_file(folder / f"{name.replace('-', '_')}.py") for name, folder in scripts.items()}


def vendor(folder: Path, scripts: Mapping[str, Path]) -> None:
    """Copy each ``scripts/`` folder in ``scripts`` to ``folder/scripts/_vendor/<name>/``."""
    target = folder / "scripts" / VENDOR
    for name, src in sorted(scripts.items()):
        dest = target / name
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src, dest, symlinks=False, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def vendored(folder: Path) -> list[str]:
    """Names of the skills vendored directly in ``folder`` (not those nested deeper)."""
    root = folder / "scripts" / VENDOR
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def call_tree(folder: Path, depth: int = 0) -> list[tuple[int, str]]:
    """``(depth, name)`` for every skill vendored in ``folder``, depth first (the ``depends`` view)."""
    out: list[tuple[int, str]] = []
    root = folder / "scripts" / VENDOR
    for name in vendored(folder):
        out.append((depth, name))
        out += _nested(root / name, depth + 1)
    return out


def _nested(scripts_dir: Path, depth: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    root = scripts_dir / VENDOR
    if root.is_dir():
        for child in sorted(p for p in root.iterdir() if p.is_dir()):
            out.append((depth, child.name))
            out += _nested(child, depth + 1)
    return out


_ALONE = r'''
import importlib.util, json, sys
folder, func = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("skill_alone", f"{folder}/scripts/{func}.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
fn = getattr(module, func)
judge = {}
try:
    exec(open(f"{folder}/tests/check.py", encoding="utf-8").read(), judge)
except FileNotFoundError:
    pass

def close(a, b, tol):
    if tol is not None and isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        d = abs(a - b)
        return d <= tol or d <= tol * max(abs(a), abs(b))
    if tol is not None and isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)

failed = []
for ex in json.load(open(f"{folder}/tests/examples.json", encoding="utf-8")):
    try:
        got = fn(*ex["inputs"])
    except Exception as exc:
        failed.append({"inputs": ex["inputs"], "raised": f"{type(exc).__name__}: {exc}"})
        continue
    if "output" in ex and not close(got, ex["output"], ex.get("tolerance")):
        failed.append({"inputs": ex["inputs"], "expected": ex["output"], "got": got})
    elif "check" in judge and not judge["check"](ex["inputs"], got):
        failed.append({"inputs": ex["inputs"], "got": got, "rejected by": "tests/check.py"})
print(json.dumps(failed[:3]))
'''


def run_alone(folder: Path, python: str = "python3", timeout: float = 60.0) -> str:
    """Run a skill folder's tests with a plain ``python`` (isolated mode, empty working folder, no evoskill);
    "" when they all pass, else what failed. The folder should already sit outside any library."""
    import json
    import subprocess
    import tempfile

    script = entry_script(folder)
    if not script.is_file() or not (folder / "tests" / "examples.json").is_file():
        return "no script or no tests/examples.json"
    with tempfile.TemporaryDirectory(prefix="evoskill-alone-") as cwd:
        try:
            run = subprocess.run([python, "-I", "-S", "-c", _ALONE, str(folder), script.stem], cwd=cwd,
                                 capture_output=True, text=True, timeout=timeout,
                                 env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        except subprocess.TimeoutExpired:
            return f"timed out after {timeout:.0f} s"
    if run.returncode != 0:
        return (run.stderr.strip().splitlines() or ["failed"])[-1]
    failed = json.loads(run.stdout or "[]")
    return "" if not failed else f"{len(failed)}+ examples fail, e.g. {failed[0]}"
