"""Distillation: a verified solution becomes a skill folder in the library.

The folder is written in a staging directory (``scripts/<py_name>.py``, ``SKILL.md``, the task's solver
examples as ``tests/examples.json``), checked by the reference validator ``skills-ref`` and by our own,
then run on its own tests in the sandbox exactly as it will run in the library (its sibling skills beside
it), and only then added. Held-out examples never enter a skill. Anything failing is refused with a reason
and the library is left unchanged.

Staging (writing and checking a folder before the library sees it) is :mod:`evoskill.staging`;
:func:`store_skill` is shared with :mod:`evoskill.compress` and :mod:`evoskill.curate`.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import explain, standalone, verify
from .errors import EvoskillError, ParseError
from .lang.primitives import parse_signature
from .lang.program import Expr, ops, parse, py_name, py_type, to_module, to_sexpr
from .library import SkillRecord
from .proposer import Solution
from .sandbox import Sandbox
from .skill import (
    MAX_DESCRIPTION,
    MAX_NAME,
    NAME_RE,
    SkillManifest,
    validate_manifest,
)
from .staging import check_staged, open_up, scan_verdict, stage_skill, staging_root
from .store import LibraryStore
from .tasks import Example, Task
from .verify import load_examples

# Validation uses the spec's limit (skill.MAX_DESCRIPTION, 1024). What evoskill writes, and what it accepts
# from a model or an MCP client, is held to less: a description is shown in full in every agent's skill
# catalogue, in every session, so it should stay short, and the margin keeps a later edit under the hard limit.
DESCRIPTION_BUDGET = 900
assert DESCRIPTION_BUDGET <= MAX_DESCRIPTION


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
    if not text or not text.strip() or len(text) > DESCRIPTION_BUDGET:
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
    return text if len(text) <= DESCRIPTION_BUDGET else text[:DESCRIPTION_BUDGET - 3] + "..."


def body_text(name: str, description: str, signature: str, program: str | None,
              examples: Sequence[Example], task: Task | None = None) -> str:
    """The Markdown body of SKILL.md: usage, program and a few examples."""
    func = py_name(name)
    try:
        arg_types, ret = parse_signature(signature)
        params = ", ".join(f"{p}: {py_type(t)}" for p, t in zip(explain.parameter_names(arg_types), arg_types,
                                                                  strict=True))
        shown = f"{func}({params}) -> {py_type(ret)}"
    except ParseError:
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
    if len(text) > DESCRIPTION_BUDGET:
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
    except ParseError:
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
