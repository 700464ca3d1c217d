"""Distillation: a verified solution becomes a skill folder in the library.

The folder is written in a staging directory (``scripts/<py_name>.py``, ``SKILL.md``, the task's solver
examples as ``tests/examples.json``), checked by the reference validator ``skills-ref`` and by our own,
then run on its own tests in the sandbox exactly as it will run in the library (its sibling skills beside
it), and only then added. Held-out examples never enter a skill. Anything failing is refused with a reason
and the library is left unchanged.

The helpers :func:`stage_skill`, :func:`check_staged` and :func:`store_skill` are shared with
:mod:`evoskill.compress` and :mod:`evoskill.curate`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import explain, standalone, verify
from .errors import EvoskillError
from .lang.primitives import parse_signature
from .lang.program import Expr, ops, parse, py_name, py_type, to_module, to_sexpr
from .library import SkillRecord
from .proposer import Solution
from .sandbox import Sandbox
from .skill import (
    MAX_NAME,
    NAME_RE,
    SkillManifest,
    content_hash,
    render_skill_md,
    validate_manifest,
    validate_skill_dir,
    with_metadata,
)
from .store import LibraryStore
from .tasks import Example, Task
from .verify import Verifier

MAX_DESCRIPTION = 900


@dataclass
class DistillResult:
    """What became of a solution: the stored record, or the reason it was refused."""

    name: str
    record: SkillRecord | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.record is not None


# ---- names and descriptions ---------------------------------------------------------------------------------

def sanitize_name(text: str, prefix: str = "task-") -> str:
    """``prefix`` + ``text`` as an Agent Skills name (``a-z0-9`` and single hyphens, at most 64 chars)."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "skill"
    return (prefix + base)[:MAX_NAME].strip("-")


def _existing(library: LibraryStore) -> dict[str, SkillRecord]:
    return {r.name: r for r in library.list(include_archived=True)}


def _origin_of(library: LibraryStore, name: str) -> str | None:
    try:
        return library.get(name).manifest.metadata.get("evoskill-origin")
    except EvoskillError:
        return None


def choose_name(base: str, library: LibraryStore, origin: str, reserved: Iterable[str] = ()) -> str:
    """``base`` if free (or already the skill of the same ``origin``), else ``base-2``, ``base-3``, ..."""
    taken = _existing(library)
    blocked = set(reserved)
    n = 1
    name = base
    while True:
        if name not in blocked and (name not in taken or _origin_of(library, name) == origin):
            return name
        n += 1
        suffix = f"-{n}"
        name = base[:MAX_NAME - len(suffix)].rstrip("-") + suffix


def valid_name(name: str | None) -> bool:
    return bool(name) and len(name or "") <= MAX_NAME and NAME_RE.fullmatch(name or "") is not None


def valid_description(text: str | None) -> bool:
    if not text or not text.strip() or len(text) > MAX_DESCRIPTION:
        return False
    return not validate_manifest(SkillManifest(name="x", description=text), check_name=False)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def signature_text(arg_types: Sequence[str], return_type: str) -> str:
    return f"{', '.join(arg_types)} -> {return_type}"


def describe(task_name: str, task_description: str, arg_types: Sequence[str], return_type: str,
             examples: Sequence[Example], what: str = "") -> str:
    """A deterministic description: what the skill does (from the task and one example) and when to use it."""
    head = task_description.strip().rstrip(".") or task_name.replace("-", " ").replace("_", " ")
    head = head[0].upper() + head[1:]
    parts = [f"{head}."]
    for ex in [e for e in examples if e.has_output]:
        shown = f"Turns {', '.join(_show(v) for v in ex.inputs)} into {_show(ex.output)}."
        if len(shown) < 200 and "<" not in shown and ">" not in shown:
            parts.append(shown)
            break
    takes = ", ".join(arg_types) or "nothing"
    parts.append(f"Takes {takes} and returns {return_type}.")
    if what:
        parts.append(what)
    parts.append(f"Use when a value must be transformed like this ({task_name}).")
    text = " ".join(parts).replace("<", "").replace(">", "")
    return text if len(text) <= MAX_DESCRIPTION else text[:MAX_DESCRIPTION - 3] + "..."


def body_text(name: str, description: str, signature: str, program: str | None,
              examples: Sequence[Example], task: Task | None = None) -> str:
    """The Markdown body of SKILL.md: usage, program and a few examples."""
    func = py_name(name)
    try:
        arg_types, ret = parse_signature(signature)
        params = ", ".join(f"{p}: {py_type(t)}" for p, t in zip(explain.parameter_names(arg_types), arg_types,
                                                                  strict=True))
        shown = f"{func}({params}) -> {py_type(ret)}"
    except ValueError:
        shown = f"{func}(...)"
    lines = [f"# {name}", "", description, "", "## Usage", "",
             f"- Python: `{shown}` in `scripts/{func}.py`.",
             f"- Command line: `python scripts/{func}.py ARG...` (each argument JSON; a bare word is a string)"
             " prints the JSON result. Needs only Python 3.10+; the skills it calls travel inside"
             " `scripts/_vendor/`.",
             "- Tests: `tests/examples.json` lists inputs and expected outputs.", ""]
    if task is not None:
        lines += [f"Learned from task `{task.name}`" + (f": {task.description.strip()}" if task.description.strip()
                                                         else "."), ""]
    if program:
        lines += ["## Program", "", "```", program, "```", ""]
    if examples:
        lines += ["## Examples", ""]
        for ex in [e for e in examples if e.has_output][:5]:
            lines.append(f"- `{func}({', '.join(_show(v) for v in ex.inputs)})` returns `{_show(ex.output)}`")
        lines.append("")
    return "\n".join(lines)


# ---- folders ----------------------------------------------------------------------------------------------

_CLI = '''

if __name__ == "__main__":
    import json as _json
    import sys as _sys

    _args = []
    for _raw in _sys.argv[1:]:
        try:
            _args.append(_json.loads(_raw))
        except _json.JSONDecodeError:
            _args.append(_raw)
    print(_json.dumps({func}(*_args)))
'''


def python_script(code: str, entry: str, func: str) -> str:
    """A model's module made into a skill script: ``func`` defined (alias of ``entry``) and a CLI main."""
    out = code.rstrip() + "\n"
    if entry != func:
        out += f"\n\n{func} = {entry}\n"
    if "__main__" not in code:
        out += _CLI.replace("{func}", func)
    return out


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


def load_examples(folder: Path) -> list[Example]:
    """The examples in a skill folder's ``tests/examples.json`` (none when it has no such file)."""
    path = folder / "tests" / "examples.json"
    return verify.load_examples(path) if path.is_file() else []


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
    root = staging_root()
    try:
        dest = root / folder.name
        shutil.copytree(folder, dest, symlinks=False, ignore=shutil.ignore_patterns("__pycache__"))
        open_up(dest)
        install_dependencies(dest, library)
        return verify_in_place(dest, sandbox)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def staging_root() -> Path:
    """A fresh temporary skills root readable by the sandbox's unprivileged user."""
    path = Path(tempfile.mkdtemp(prefix="evoskill-stage-"))
    os.chmod(path, 0o755)
    return path


def open_up(folder: Path) -> None:
    for dirpath, _, files in os.walk(folder):
        os.chmod(dirpath, 0o755)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)


def scan_verdict(folder: Path) -> str:
    """"" when the scanner lets ``folder`` in, else one line naming its blocking findings."""
    from .scanner import scan

    report = scan(folder)
    if not report.blocked:
        return ""
    worst = report.blocking()[:3]
    return "the scanner blocks it: " + "; ".join(f"{f.severity} {f.category} in {f.file}:{f.line}: {f.message}"
                                                 for f in worst)


def store_skill(build: Any, name: str, *, library: LibraryStore, sandbox: Sandbox,
                examples: Sequence[Example] | None = None, quarantine_blocked: bool = False,
                origin: str | None = None) -> DistillResult:
    """Stage with ``build(root) -> folder``, scan and check it, and add it to ``library`` only if it passes.

    A blocking scanner finding refuses it before anything runs; with ``quarantine_blocked`` (a skill from
    outside) it is stored as ``quarantined`` (kept, never used) and still reported as refused.
    """
    root = staging_root()
    try:
        folder: Path = build(root)
        open_up(folder)
        blocked = scan_verdict(folder)
        if blocked:
            if quarantine_blocked:
                try:
                    library.add(folder, trust="quarantined", origin=origin, reason=blocked[:500])
                except EvoskillError as exc:
                    return DistillResult(name, None, f"{blocked} (and it could not be stored: {exc})")
                return DistillResult(name, None, f"{blocked}; stored as quarantined")
            return DistillResult(name, None, blocked)
        reason = check_staged(folder, library, sandbox, examples)
        if reason:
            return DistillResult(name, None, reason)
        try:
            return DistillResult(name, library.add(folder, origin=origin))
        except EvoskillError as exc:
            return DistillResult(name, None, f"the library refused it: {exc}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---- distill ------------------------------------------------------------------------------------------------

def learned_names(library: LibraryStore) -> set[str]:
    """Names of the library's skills that are not built-in primitives."""
    return {r.name for r in library.list(include_archived=True)
            if r.trust != "built-in" and r.kind != "primitive"}


def next_version(library: LibraryStore, name: str) -> str:
    try:
        return str(len(library.versions(name)) + 1)
    except EvoskillError:
        return "1"


_KIND_WORDS = {"str": "a text", "int": "a number", "bool": "a yes/no answer", "list[int]": "a list of numbers"}


def program_description(expr: Expr, arg_types: Sequence[str], return_type: str, examples: Sequence[Example],
                        learned: Mapping[str, str] | None = None) -> str:
    """What the program does (a sentence from its parts), one example, then when to use it."""
    parts = [explain.sentence(expr, arg_types, return_type, learned)]
    for ex in [e for e in examples if e.has_output]:
        shown = f"For example, {', '.join(_show(v) for v in ex.inputs)} gives {_show(ex.output)}."
        if len(shown) < 160:
            parts.append(shown)
            break
    takes = " and ".join(_KIND_WORDS.get(t, t) for t in arg_types) or "nothing"
    parts.append(f"Use it when {takes} must become {_KIND_WORDS.get(return_type, return_type)} this way.")
    text = " ".join(parts).replace("<", "").replace(">", "")
    if len(text) > MAX_DESCRIPTION:
        text = " ".join(parts[-1:])
    return text


def program_script(library: LibraryStore, expr: Expr, func: str, arg_types: Sequence[str], return_type: str,
                   doc: str) -> tuple[str, dict[str, Path]]:
    """The script of a program skill and the ``scripts/`` folders it vendors (the skills it calls)."""
    scripts = standalone.scripts_of(library, set(ops(expr)))
    code = to_module(expr, func, tuple(arg_types), return_type, doc, pins=standalone.pins(scripts),
                     params=explain.parameter_names(arg_types))
    return code, scripts


def task_skill_name(library: LibraryStore, task: Task, origin: str, expr: Expr | None, return_type: str) -> str:
    """The skill name for a task's solution: the name its earlier solution has, else a readable one."""
    for rec in library.list(include_archived=True):
        if rec.trust != "built-in" and library.origin(rec.name) == origin:
            return rec.name
    base = explain.readable_task_name(task.name)
    if base is None and expr is not None:
        base = explain.derive_name(expr, return_type)
    return choose_name(base or sanitize_name(task.name), library, origin)


def _same_solution(library: LibraryStore, name: str, solution: Solution, examples: Sequence[Example]) -> SkillRecord | None:
    """The current record of ``name`` when it already holds this very solution with these tests."""
    try:
        skill = library.get(name)
    except EvoskillError:
        return None
    meta = skill.manifest.metadata
    if solution.kind == "program":
        if meta.get("evoskill-program") != solution.source:
            return None
    elif "evoskill-program" in meta or solution.source not in (skill.entry_point[0].read_text("utf-8")
                                                                 if skill.entry_point else ""):
        return None
    if [e.to_dict() for e in load_examples(skill.path)] != [e.to_dict() for e in examples]:
        return None
    return next((r for r in library.list(include_archived=True) if r.name == name), None)


def distill(solution: Solution, task: Task, *, library: LibraryStore, sandbox: Sandbox, round: int = 0,
            name: str | None = None, description: str | None = None, evidence: str = "") -> DistillResult:
    """Turn a verified ``solution`` of ``task`` into a skill in ``library``; see the module docstring.

    ``name``/``description`` (e.g. from a model) are used only if they are valid; otherwise both are
    derived deterministically from the program (its parts' phrases) or the task.
    """
    solver_view = task.for_solver()
    examples = list(solver_view.examples)
    origin = f"task:{task.name}"
    expr: Expr | None = None
    if solution.kind == "program":
        try:
            expr = parse(solution.source)
        except EvoskillError as exc:
            return DistillResult(name or task.name, None, f"unreadable program: {exc}")
    skill_name = task_skill_name(library, task, origin, expr, solution.return_type)
    if name is not None and valid_name(name) and choose_name(name, library, origin) == name:
        skill_name = name
    same = _same_solution(library, skill_name, solution, examples)
    if same is not None:  # solved again the same way: nothing new to store
        return DistillResult(skill_name, same)
    if valid_description(description):
        desc = description or ""
    elif expr is not None:
        desc = program_description(expr, solution.arg_types, solution.return_type, examples)
    else:
        desc = describe(task.name, task.description, solution.arg_types, solution.return_type, examples)
    calls = set(solution.uses) | (set(ops(expr)) if expr is not None else set())
    calls.discard(skill_name)
    signature = signature_text(solution.arg_types, solution.return_type)
    func = py_name(skill_name)
    vendor_scripts: dict[str, Path] = {}
    try:
        if expr is not None:
            code, vendor_scripts = program_script(library, expr, func, solution.arg_types, solution.return_type,
                                                  desc)
        else:  # model-written: the skills it calls travel inside it, pinned (evoskill.authoring.link)
            from .authoring import standalone_python

            module, vendor_scripts = standalone_python(library, solution)
            code = python_script(module, solution.entry, func)
    except EvoskillError as exc:
        return DistillResult(skill_name, None, str(exc))
    metadata = {"evoskill-kind": "solution", "evoskill-trust": "verified", "evoskill-origin": origin,
                "evoskill-round": str(round), "evoskill-parents": ",".join(sorted(calls)),
                "evoskill-signature": signature}
    if expr is not None:
        metadata["evoskill-program"] = solution.source
    if evidence:  # what it was learned from: examples, cross-validation, held-out check, practice
        metadata["evoskill-evidence"] = evidence
    metadata["evoskill-version"] = next_version(library, skill_name)
    body = body_text(skill_name, desc, signature, solution.source if expr is not None else None, examples,
                     task=task)

    def build(root: Path) -> Path:
        return stage_skill(root, name=skill_name, description=desc, body=body, code=code,
                           examples=examples, metadata=metadata, vendor_scripts=vendor_scripts, judge=task.check)

    return store_skill(build, skill_name, library=library, sandbox=sandbox, examples=examples)


def store_rewrite(name: str, program: Expr, *, library: LibraryStore, sandbox: Sandbox,
                  extra_parents: Iterable[str] = ()) -> DistillResult:
    """Store ``program`` as a new version of the program skill ``name`` if its own tests still pass."""
    skill = library.get(name)
    meta = dict(skill.manifest.metadata)
    try:
        sig = parse_signature(meta.get("evoskill-signature", ""))
    except ValueError:
        return DistillResult(name, None, "no readable evoskill-signature")
    examples = load_examples(skill.path)
    source = to_sexpr(program)
    meta.update({"evoskill-program": source, "evoskill-parents": ",".join(sorted(set(ops(program)) - {name})),
                 "evoskill-version": next_version(library, name)})
    meta.pop("evoskill-hash", None)
    desc = skill.description
    try:
        code, vendor_scripts = program_script(library, program, py_name(name), sig[0], sig[1], desc)
    except EvoskillError as exc:
        return DistillResult(name, None, str(exc))
    body = body_text(name, desc, signature_text(*sig), source, examples)

    judge = verify.load_judge(skill.path)

    def build(root: Path) -> Path:
        return stage_skill(root, name=name, description=desc, body=body, code=code, examples=examples,
                           metadata=meta, vendor_scripts=vendor_scripts, judge=judge)

    return store_skill(build, name, library=library, sandbox=sandbox, examples=examples)


def dependents(library: LibraryStore, name: str) -> list[str]:
    """Active skills whose ``evoskill-parents`` name ``name`` (the skills that call it directly)."""
    out = []
    for skill in library.skills():
        parents = skill.manifest.metadata.get("evoskill-parents", "")
        if name in parents.split(","):
            out.append(skill.name)
    return out


@dataclass
class Refresh:
    """What became of the skills calling a changed skill: updated to call the new version, or kept."""

    updated: list[str]
    kept: dict[str, str]  # name -> why it keeps its previous version


def refresh_dependents(library: LibraryStore, sandbox: Sandbox, name: str) -> Refresh:
    """After ``name`` changed: re-vendor and re-test every program skill that calls it (transitively).

    A caller whose tests pass with the new version becomes a new version of itself; one whose tests fail
    keeps its previous version, which still runs: it carries the version of ``name`` it was tested with.
    """
    result = Refresh([], {})
    todo, seen = [name], {name}
    while todo:
        changed = todo.pop()
        for user in dependents(library, changed):
            if user in seen:
                continue
            seen.add(user)
            source = library.get(user).manifest.metadata.get("evoskill-program")
            if not source:
                result.kept[user] = "not a program skill: it keeps the copy it was tested with"
                continue
            res = store_rewrite(user, parse(source), library=library, sandbox=sandbox)
            if res.ok:
                result.updated.append(user)
                todo.append(user)
            else:
                result.kept[user] = res.reason
    return result
