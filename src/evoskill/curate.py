"""Curation: merge behaviourally equivalent skills and retire failing ones. Nothing is ever deleted.

* :func:`merge_equivalent` runs skills of the same signature on shared probe inputs (their own tests'
  inputs plus a few fixed generic values). Skills that agree on every probe are duplicates: the simplest
  (a built-in primitive, else the smallest program, else the oldest) is kept and the others are archived
  with the reason ``merged into X``. Skills calling an archived duplicate are first rewritten to call the
  kept one (a new version, stored only if its tests pass); a duplicate whose callers cannot all be
  rewritten stays active.
* :func:`retire_failing` runs every learned skill's tests in the sandbox beside its current dependencies
  and archives those that fail, unless an optional ``repair`` callback (e.g. a model) supplies code that
  passes them, which is then stored as a new version.

Built-in primitives (``evoskill-trust: built-in``) are never archived and never modified.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .distill import learned_names, next_version, store_rewrite
from .errors import EvoskillError, InvalidSkill, ParseError
from .lang.components import primitive_functions, trusted_functions
from .lang.primitives import parse_signature
from .lang.program import Call, Expr, Lambda, ops, parse, py_name, size
from .sandbox import Sandbox
from .skill import Skill, content_hash, with_metadata
from .staging import check_staged, open_up, staged_copy, staging_root, verify_copy
from .store import LibraryStore
from .verify import load_examples

#: generic probe values per type, added to the inputs found in the skills' own tests
GENERIC: dict[str, list[Any]] = {
    "str": ["", "a", "Hello World", "john.smith@example.com", "  x y  ", "2024-01-31", "ABC-123"],
    "int": [0, 1, -1, 2, 7, 42],
    "bool": [True, False],
    "list[int]": [[], [1], [3, 1, 2], [5, 5, -2, 0, 9], [10, 20, 30, 40]],
}
MAX_PROBES = 40

Repair = Callable[[Skill, str], "str | None"]


@dataclass
class Merge:
    """One group of equivalent skills: the one kept, those archived, callers rewritten to the kept one."""

    kept: str
    archived: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _signature(skill: Skill) -> tuple[tuple[str, ...], str] | None:
    try:
        return parse_signature(skill.manifest.metadata.get("evoskill-signature", ""))
    except ParseError:
        return None


def probe_inputs(arg_types: Sequence[str], skills: Sequence[Skill],
                 extra: Sequence[Sequence[Any]] = ()) -> list[tuple[Any, ...]]:
    """Inputs for a signature: every skill's test inputs, ``extra``, then combinations of generic values."""
    seen: dict[str, tuple[Any, ...]] = {}

    def add(inputs: Sequence[Any]) -> None:
        if len(inputs) == len(arg_types) and len(seen) < MAX_PROBES:
            seen.setdefault(json.dumps(list(inputs), sort_keys=True), tuple(inputs))

    for s in skills:
        try:
            examples = load_examples(s.path)
        except InvalidSkill:  # a skill with unreadable tests adds no probe (retire_failing reports it)
            continue
        for ex in examples:
            add(ex.inputs)
    for inputs in extra:
        add(inputs)
    pools = [GENERIC.get(t, []) for t in arg_types]
    if all(pools):
        for combo in itertools.islice(itertools.product(*pools), MAX_PROBES):
            add(combo)
    return list(seen.values())


def _complexity(skill: Skill) -> int:
    if skill.trust == "built-in" or skill.kind == "primitive":
        return 0
    source = skill.manifest.metadata.get("evoskill-program")
    if source:
        try:
            return size(parse(source))
        except EvoskillError:
            pass
    entry = skill.entry_point
    lines = entry[0].read_text("utf-8").count("\n") if entry else 0
    return 1000 + lines


def _age(library: LibraryStore, name: str) -> float:
    events = library.history(name)
    return events[0].timestamp if events else 0.0


_OUTPUTS = '''
import importlib.util as _ilu, json as _json

def __evoskill_outputs__(path, entry, inputs):
    spec = _ilu.spec_from_file_location("evoskill_probe", path)
    module = _ilu.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, entry)
    out = []
    for args in inputs:
        try:
            out.append(_json.dumps(fn(*args), sort_keys=True))
        except Exception as exc:
            out.append("error: " + type(exc).__name__)
    return out
'''


def _outputs_in_sandbox(skill: Skill, library: LibraryStore, sandbox: Sandbox,
                        inputs: list[tuple[Any, ...]]) -> list[str] | None:
    with staged_copy(skill.path, library) as dest:
        script = dest / "scripts" / f"{py_name(skill.name)}.py"
        res = sandbox.run_code(_OUTPUTS, "__evoskill_outputs__", [str(script), py_name(skill.name),
                                                                  [list(i) for i in inputs]], reads=[dest.parent])
        return [str(v) for v in res.value] if res.ok and isinstance(res.value, list) else None


def _outputs(skill: Skill, fns: Mapping[str, Callable[..., Any]], library: LibraryStore, sandbox: Sandbox | None,
             inputs: list[tuple[Any, ...]]) -> list[str] | None:
    fn = fns.get(skill.name)
    if fn is None:
        return None if sandbox is None else _outputs_in_sandbox(skill, library, sandbox, inputs)
    out = []
    for args in inputs:
        try:
            out.append(json.dumps(fn(*args), sort_keys=True))
        except Exception as exc:  # a total function gives a value; anything else is an observable behaviour
            out.append(f"error: {type(exc).__name__}")
    return out


def rename_op(e: Expr, old: str, new: str) -> Expr:
    """The program with every call of ``old`` replaced by a call of ``new``."""
    if isinstance(e, Call):
        return Call(new if e.op == old else e.op, tuple(rename_op(a, old, new) for a in e.args))
    if isinstance(e, Lambda):
        return Lambda(e.params, rename_op(e.body, old, new))
    return e


def _callers(library: LibraryStore, name: str) -> tuple[list[tuple[str, Expr]], list[str]]:
    """Active skills calling ``name``: (program skills with their programs, other skills)."""
    programs, others = [], []
    for s in library.skills():
        if s.name == name or s.trust == "built-in":
            continue
        source = s.manifest.metadata.get("evoskill-program")
        if source:
            try:
                expr = parse(source)
            except EvoskillError:
                continue
            if name in set(ops(expr)):
                programs.append((s.name, expr))
        elif s.entry_point and f'"{name}"' in s.entry_point[0].read_text("utf-8", "replace"):
            others.append(s.name)
    return programs, others


def merge_equivalent(library: LibraryStore, components: Any = None,
                     probes: Mapping[str, Sequence[Sequence[Any]]] | None = None, *,
                     sandbox: Sandbox | None = None) -> list[Merge]:
    """Archive behavioural duplicates, keeping the simplest of each group; see the module docstring.

    ``components`` are the trusted primitive callables (default: the built-in primitives); ``probes``
    adds probe inputs per signature text (``"str -> str"``). Program skills run in-process over trusted
    primitives; other skills run in the ``sandbox`` (without one they are left out).
    """
    skills = [s for s in library.skills() if s.entry_point is not None]
    sigs = {s.name: sig for s in skills if (sig := _signature(s)) is not None}
    programs: dict[str, Expr] = {}
    for s in skills:
        source = s.manifest.metadata.get("evoskill-program")
        if source and s.trust != "built-in":
            try:
                programs[s.name] = parse(source)
            except EvoskillError:
                continue
    fns = trusted_functions(primitive_functions(components), programs, sigs)
    groups: dict[tuple[tuple[str, ...], str], list[Skill]] = {}
    for s in skills:
        if s.name in sigs:
            groups.setdefault(sigs[s.name], []).append(s)
    merges: list[Merge] = []
    for (args, ret), members in sorted(groups.items()):
        if len(members) < 2:
            continue
        extra = (probes or {}).get(f"{', '.join(args)} -> {ret}", ())
        inputs = probe_inputs(args, members, extra)
        if not inputs:
            continue
        behaviour: dict[str, list[Skill]] = {}
        for s in members:
            out = _outputs(s, fns, library, sandbox, inputs)
            if out is not None and not all(o.startswith("error:") for o in out):
                behaviour.setdefault(json.dumps(out), []).append(s)
        for same in behaviour.values():
            if len(same) > 1:
                merges.append(_merge(library, same, sandbox))
    return merges


def _merge(library: LibraryStore, same: list[Skill], sandbox: Sandbox | None) -> Merge:
    ranked = sorted(same, key=lambda s: (_complexity(s), _age(library, s.name), s.name))
    keep = ranked[0].name
    merge = Merge(kept=keep)
    for dup in ranked[1:]:
        if dup.trust == "built-in" or dup.kind == "primitive":
            merge.skipped[dup.name] = "a built-in primitive is never archived"
            continue
        program_callers, other_callers = _callers(library, dup.name)
        if other_callers:
            merge.skipped[dup.name] = f"called by non-program skills {', '.join(other_callers)}"
            continue
        if program_callers and sandbox is None:
            merge.skipped[dup.name] = "has callers and no sandbox was given to verify their rewrite"
            continue
        failed = ""
        for caller, expr in program_callers:
            res = store_rewrite(caller, rename_op(expr, dup.name, keep), library=library, sandbox=sandbox,
                                extra_parents=[keep]) if sandbox is not None else None
            if res is not None and res.ok:
                merge.rewritten.append(caller)
            else:
                failed = f"caller {caller} could not be rewritten: {res.reason if res else ''}"
                break
        if failed:
            merge.skipped[dup.name] = failed
            continue
        library.archive(dup.name, reason=f"merged into {keep}")
        merge.archived.append(dup.name)
    return merge


def _store_repair(skill: Skill, code: str, library: LibraryStore, sandbox: Sandbox) -> bool:
    """Store ``code`` as a new version of ``skill`` if its tests pass with it."""
    root = staging_root()
    try:
        dest: Path = root / skill.name
        shutil.copytree(skill.path, dest, ignore=shutil.ignore_patterns("__pycache__"))
        (dest / "scripts" / f"{py_name(skill.name)}.py").write_text(code, "utf-8")
        with_metadata(dest, {"evoskill-program": None, "evoskill-version": next_version(library, skill.name)})
        with_metadata(dest, {"evoskill-hash": content_hash(dest)})
        open_up(dest)
        if check_staged(dest, library, sandbox):
            return False
        library.add(dest)
        return True
    except EvoskillError:
        return False
    finally:
        shutil.rmtree(root, ignore_errors=True)


def retire_failing(library: LibraryStore, sandbox: Sandbox, repair: Repair | None = None) -> list[str]:
    """Archive every learned skill whose tests fail now; returns the archived names.

    ``repair(skill, reason)`` may return fixed code for the skill's script; it is stored as a new version
    only if the tests then pass (and the skill is not archived).
    """
    learned = learned_names(library)
    archived: list[str] = []
    for skill in list(library.skills()):
        if skill.name not in learned or skill.entry_point is None or skill.examples_path is None:
            continue
        reason = verify_copy(skill.path, library, sandbox)
        if not reason:
            continue
        if repair is not None:
            try:
                code = repair(skill, reason)
            except Exception:  # a failing repairer (e.g. a model error) must not stop curation
                code = None
            if code and _store_repair(skill, code, library, sandbox):
                continue
        library.archive(skill.name, reason=f"tests fail: {reason}"[:500])
        archived.append(skill.name)
    return archived
