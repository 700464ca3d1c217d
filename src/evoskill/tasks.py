"""Tasks: what is wanted, as a description and input/output examples.

A task file is JSON (a list of tasks, or ``{"tasks": [...]}``) or JSONL (one task per line)::

    {"name": "first-word",
     "description": "the first word of a sentence",
     "examples": [{"inputs": ["hello big world"], "output": "hello"}],
     "held_out": [{"inputs": ["a b"], "output": "a"}],
     "input_types": ["str"], "output_type": "str"}

``examples`` are what a solver may see; ``held_out`` examples never reach a solver and decide whether a
solution generalizes. Values may be any JSON; types (:mod:`evoskill.lang.types`: ``str``, ``int``,
``float``, ``bool``, ``null``, ``list[T]``, ``dict[str, T]``, records ``{name: str}``, unions ``T | U``) are
inferred from the examples when omitted. ``"tolerance": 1e-6`` makes float outputs match within that
(absolute or relative) difference. ``"check"`` holds Python source defining ``check(inputs, output) ->
bool``, run in the sandbox: examples may then omit ``output``, and a task may have a description and a
checker only (for the model proposer; the search needs examples with outputs).

Bundled benchmark sets are addressed by short name (see :data:`BENCHMARKS`), optionally sliced:
``strings-sygus``, ``strings-new``, ``lists-rule``, ``lists-rule[:20]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import InvalidTaskFile, InvalidValue, UserError
from .lang import types

__all__ = [
    "BENCHMARKS", "Example", "MISSING", "SEARCH_TYPES", "TYPES", "Task", "load_benchmark", "load_task_file",
    "load_tasks", "task_from_dict", "type_of",
]

#: The types the search proposer can compose programs over (other types go to the model proposer).
TYPES = ("str", "int", "bool", "list[int]", "list[str]", "list[bool]", "float")
SEARCH_TYPES = TYPES


class _Missing:
    """The output of an example that gives none (the task's checker judges it)."""

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

#: short name -> (file inside evoskill/data/benchmarks, format, one line about it)
BENCHMARKS: dict[str, tuple[str, str, str]] = {
    "strings-sygus": ("strings/sygus.json", "crossbeam", "89 SyGuS PBE string tasks (Apache-2.0)"),
    "strings-new": ("strings/new.json", "crossbeam", "38 spreadsheet string tasks from BUSTLE (Apache-2.0)"),
    "lists-rule": ("lists/rule150.json", "rule", "150 list functions of Rule et al. (MIT)"),
    "shapes": ("shapes/shapes.json", "plain", "63 tasks of other shapes: booleans, texts, floats, records, checkers"),
    "text": ("text/text.json", "plain", "75 real-world text tasks: dates, times, numbers, names, addresses, phones, URLs"),
}

_SLICE = re.compile(r"^(?P<name>[a-z-]+)\[(?P<start>-?\d*):(?P<stop>-?\d*)\]$")


@dataclass(frozen=True)
class Example:
    """One input/output pair: ``inputs`` are the positional arguments."""

    inputs: tuple[Any, ...]
    output: Any = MISSING
    #: float outputs match within this absolute or relative difference (None: exactly)
    tolerance: float | None = None

    @property
    def has_output(self) -> bool:
        return self.output is not MISSING

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"inputs": list(self.inputs)}
        if self.has_output:
            d["output"] = self.output
        if self.tolerance is not None:
            d["tolerance"] = self.tolerance
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Example:
        tol = d.get("tolerance")
        return cls(tuple(d["inputs"]), d["output"] if "output" in d else MISSING,
                   float(tol) if isinstance(tol, int | float) and not isinstance(tol, bool) else None)


@dataclass(frozen=True)
class Task:
    """A task as stated; :meth:`for_solver` is the only view a solver gets."""

    name: str
    description: str
    examples: tuple[Example, ...]
    held_out: tuple[Example, ...] = ()
    input_types: tuple[str, ...] = ()
    output_type: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: Python source defining ``check(inputs, output) -> bool`` (run in the sandbox), or None
    check: str | None = None

    @property
    def searchable(self) -> str:
        """"" when the search proposer can attempt this task, else why not (one line)."""
        if not self.examples or not all(e.has_output for e in self.examples):
            return "the search needs examples with outputs (this task is judged by its checker)"
        bad = sorted({t for t in (*self.input_types, self.output_type) if not types.searchable(t)})
        if bad:
            return (f"the search composes programs over {', '.join(SEARCH_TYPES)}, records of these, lists of "
                    f"records and dict[str, T] only, not {', '.join(bad)} (use --proposer llm or hybrid with a model)")
        if any(e.tolerance is not None for e in self.examples):
            return "the search compares outputs exactly; this task has a float tolerance (use a model proposer)"
        return ""

    @property
    def arity(self) -> int:
        return len(self.input_types)

    def for_solver(self) -> Task:
        """The task without its held-out examples."""
        return replace(self, held_out=(), extra={})

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "examples": [e.to_dict() for e in self.examples],
            "held_out": [e.to_dict() for e in self.held_out],
            "input_types": list(self.input_types),
            "output_type": self.output_type,
            **({"check": self.check} if self.check else {}),
        }


def type_of(value: Any) -> str:
    """The type of a JSON value (see :mod:`evoskill.lang.types`); raises InvalidValue for non-JSON values."""
    return types.type_of(value)


def _infer(examples: Sequence[Example], where: str) -> tuple[tuple[str, ...], str]:
    arity = {len(e.inputs) for e in examples}
    if len(arity) > 1:
        raise InvalidTaskFile(f"{where}: examples have different numbers of inputs {sorted(arity)}",
                              fix="give every example the same number of inputs")
    n = arity.pop() if arity else 0
    try:
        ins = tuple(types.infer(e.inputs[i] for e in examples) for i in range(n))
        out = types.infer(e.output for e in examples if e.has_output)
    except InvalidValue as exc:
        raise InvalidTaskFile(f"{where}: {exc.message}", fix="example values must be JSON (text, numbers, true/false, "
                              "null, lists and objects)") from exc
    return ins, out


def _examples(raw: Any, where: str, *, outputs_optional: bool, tolerance: float | None) -> tuple[Example, ...]:
    if not isinstance(raw, list):
        raise InvalidTaskFile(f"{where}: examples must be a list", fix='write [{"inputs": [...], "output": ...}]')
    out = []
    for i, e in enumerate(raw):
        if not isinstance(e, dict) or "inputs" not in e or not isinstance(e["inputs"], list):
            raise InvalidTaskFile(f"{where}: example {i} needs 'inputs' (a list)", fix='write {"inputs": [...], '
                                  '"output": ...}')
        if "output" not in e and not outputs_optional:
            raise InvalidTaskFile(f"{where}: example {i} has no 'output'",
                                  fix="give its output, or give the task a \"check\" function that judges outputs")
        ex = Example.from_dict(e)
        if ex.tolerance is None and tolerance is not None:
            ex = replace(ex, tolerance=tolerance)
        out.append(ex)
    return tuple(out)


def task_from_dict(d: Any, *, source: str = "", where: str = "task") -> Task:
    """Build a :class:`Task` from the documented task format, with clear errors."""
    if not isinstance(d, dict):
        raise InvalidTaskFile(f"{where}: a task must be a JSON object", fix="see 'Task files' in the README (or the evoskill.tasks docstring)")
    name = d.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidTaskFile(f"{where}: missing 'name'", fix="give every task a non-empty name")
    where = f"{where} {name!r}"
    check = d.get("check")
    if check is not None and (not isinstance(check, str) or "def check" not in check):
        raise InvalidTaskFile(f"{where}: 'check' must be Python source defining check(inputs, output)",
                              fix='write "def check(inputs, output):\\n    return ..."')
    tolerance = d.get("tolerance")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, int | float)
                                  or tolerance < 0):
        raise InvalidTaskFile(f"{where}: 'tolerance' must be a number of 0 or more", fix="e.g. 1e-6")
    tol = float(tolerance) if tolerance is not None else None
    examples = _examples(d.get("examples", []), where, outputs_optional=check is not None, tolerance=tol)
    if not examples and check is None:
        raise InvalidTaskFile(f"{where}: no examples", fix="give at least one input/output example (or a check)")
    held_out = _examples(d.get("held_out", []), where, outputs_optional=check is not None, tolerance=tol)
    ins, out = _infer(examples + held_out, where)
    if "input_types" in d or "output_type" in d:
        raw_in = d.get("input_types")
        if raw_in is not None and (not isinstance(raw_in, list) or not all(isinstance(t, str) for t in raw_in)):
            raise InvalidTaskFile(f"{where}: input_types must be a list of type names", fix='e.g. ["str", "int"]')
        try:
            given_in = tuple(types.normalize(t) for t in raw_in) if raw_in is not None else ins
            given_out = types.normalize(d["output_type"]) if d.get("output_type") else out
        except UserError as exc:
            raise InvalidTaskFile(f"{where}: {exc.message}", fix=exc.fix) from None
        if examples and len(given_in) != len(ins):
            raise InvalidTaskFile(f"{where}: input_types has {len(given_in)} types, the examples have {len(ins)} "
                                  "inputs", fix="give one type per input")
        for ex in examples + held_out:
            wrong = [f"input {i} {json.dumps(v)[:40]}" for i, (v, t) in enumerate(zip(ex.inputs, given_in,
                                                                                     strict=False))
                     if not types.fits(v, t)]
            if ex.has_output and not types.fits(ex.output, given_out):
                wrong.append(f"output {json.dumps(ex.output)[:40]}")
            if wrong:
                raise InvalidTaskFile(f"{where}: input_types/output_type say {', '.join(given_in)} -> {given_out} "
                                      f"but the examples hold {', '.join(ins)} -> {out} ({wrong[0]})",
                                      fix="correct input_types and output_type, or drop them (they are inferred)")
        ins, out = given_in, given_out
    return Task(name=name, description=str(d.get("description", "")), examples=examples,
                held_out=held_out, input_types=ins, output_type=out, source=source, check=check)


def _crossbeam(raw: list[dict[str, Any]], source: str) -> list[Task]:
    tasks = []
    for t in raw:
        d = {"name": t["name"].removesuffix(".sl"), "description": t.get("description", ""),
             "examples": t["trainExamples"], "held_out": t["testExamples"]}
        tasks.append(task_from_dict(d, source=source))
    return tasks


def _rule(raw: list[dict[str, Any]], source: str) -> list[Task]:
    tasks = []
    for t in raw:
        exs = [{"inputs": [e["i"]], "output": e["o"]} for e in t["examples"]]
        # Protocol (NOTICE.md): the first 6 examples go to the solver, the other 5 are held out.
        d = {"name": t["name"], "description": "a list function (Rule et al.)",
             "examples": exs[:6], "held_out": exs[6:], "input_types": ["list[int]"], "output_type": "list[int]"}
        tasks.append(task_from_dict(d, source=source))
    return tasks


def load_benchmark(name: str) -> list[Task]:
    """Load a bundled benchmark set by short name."""
    if name not in BENCHMARKS:
        raise InvalidTaskFile(f"unknown benchmark {name!r}", fix=f"use one of {', '.join(BENCHMARKS)}")
    rel, fmt, _ = BENCHMARKS[name]
    text = resources.files("evoskill").joinpath("data/benchmarks", rel).read_text(encoding="utf-8")
    raw = json.loads(text)
    if fmt == "plain":
        return [task_from_dict(d, source=name, where=f"{name} task {i}") for i, d in enumerate(raw)]
    return _crossbeam(raw, name) if fmt == "crossbeam" else _rule(raw, name)


def load_task_file(path: str | Path) -> list[Task]:
    """Load tasks from a JSON or JSONL file in the documented format."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidTaskFile(f"no task file at {p}", path=str(p), fix="check the path") from None
    except (UnicodeDecodeError, IsADirectoryError, PermissionError) as exc:
        raise InvalidTaskFile(f"cannot read {p}: {exc}", path=str(p), fix="give a UTF-8 JSON or JSONL file") from None
    items: list[Any]
    try:
        data = json.loads(text)
        items = data.get("tasks", []) if isinstance(data, dict) and "tasks" in data else (
            data if isinstance(data, list) else [data])
    except json.JSONDecodeError:
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidTaskFile(f"{p}:{n}: not JSON ({exc.msg})", path=str(p), line=n,
                                      fix="write one JSON task per line, or a JSON list") from None
    tasks = [task_from_dict(d, source=str(p), where=f"{p} task {i}") for i, d in enumerate(items)]
    names = [t.name for t in tasks]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InvalidTaskFile(f"{p}: duplicate task names {dupes}", path=str(p), fix="give each task its own name")
    return tasks


def load_tasks(specs: str | Iterable[str]) -> list[Task]:
    """Load tasks from files and bundled names; ``name[a:b]`` slices a bundled set."""
    if isinstance(specs, str):
        specs = [specs]
    tasks: list[Task] = []
    for spec in specs:
        m = _SLICE.match(spec)
        if m and m["name"] in BENCHMARKS:
            start = int(m["start"]) if m["start"] else None
            stop = int(m["stop"]) if m["stop"] else None
            tasks.extend(load_benchmark(m["name"])[start:stop])
        elif spec in BENCHMARKS:
            tasks.extend(load_benchmark(spec))
        else:
            tasks.extend(load_task_file(spec))
    return tasks
