"""Tasks: what is wanted, as a description and input/output examples.

A task file is JSON (a list of tasks, or ``{"tasks": [...]}``) or JSONL (one task per line)::

    {"name": "first-word",
     "description": "the first word of a sentence",
     "examples": [{"inputs": ["hello big world"], "output": "hello"}],
     "held_out": [{"inputs": ["a b"], "output": "a"}],
     "input_types": ["str"], "output_type": "str"}

``examples`` are what a solver may see; ``held_out`` examples never reach a solver and decide whether a
solution generalizes. Types are ``str``, ``int``, ``bool`` and ``list[int]``; when omitted they are
inferred from the examples.

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

from .errors import InvalidTaskFile

TYPES = ("str", "int", "bool", "list[int]")

#: short name -> (file inside evoskill/data/benchmarks, format, one line about it)
BENCHMARKS: dict[str, tuple[str, str, str]] = {
    "strings-sygus": ("strings/sygus.json", "crossbeam", "89 SyGuS PBE string tasks (Apache-2.0)"),
    "strings-new": ("strings/new.json", "crossbeam", "38 spreadsheet string tasks from BUSTLE (Apache-2.0)"),
    "lists-rule": ("lists/rule150.json", "rule", "150 list functions of Rule et al. (MIT)"),
}

_SLICE = re.compile(r"^(?P<name>[a-z-]+)\[(?P<start>-?\d*):(?P<stop>-?\d*)\]$")


@dataclass(frozen=True)
class Example:
    """One input/output pair: ``inputs`` are the positional arguments."""

    inputs: tuple[Any, ...]
    output: Any

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": list(self.inputs), "output": self.output}


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
        }


def type_of(value: Any) -> str:
    """The evoskill type name of a JSON value, or raise ValueError."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return "list[int]"
    raise ValueError(f"unsupported value {value!r}: use str, int, bool or a list of ints")


def _infer(examples: Sequence[Example], where: str) -> tuple[tuple[str, ...], str]:
    arity = {len(e.inputs) for e in examples}
    if len(arity) != 1:
        raise InvalidTaskFile(f"{where}: examples have different numbers of inputs {sorted(arity)}",
                              fix="give every example the same number of inputs")
    try:
        typed = [(tuple(type_of(v) for v in e.inputs), type_of(e.output)) for e in examples]
    except ValueError as exc:
        raise InvalidTaskFile(f"{where}: {exc}", fix="tasks take str, int, bool and lists of ints for now "
                              "(floats, records and null are not supported yet)") from exc
    ins, out = typed[0]
    for i, (e_ins, e_out) in enumerate(typed[1:], 1):
        if (e_ins, e_out) != (ins, out):
            raise InvalidTaskFile(f"{where}: example {i} has types {', '.join(e_ins)} -> {e_out}, example 0 has "
                                  f"{', '.join(ins)} -> {out}", fix="give every example inputs and outputs of the "
                                  "same types")
    return ins, out


def _examples(raw: Any, where: str) -> tuple[Example, ...]:
    if not isinstance(raw, list):
        raise InvalidTaskFile(f"{where}: examples must be a list", fix='write [{"inputs": [...], "output": ...}]')
    out = []
    for i, e in enumerate(raw):
        if not isinstance(e, dict) or "inputs" not in e or "output" not in e or not isinstance(e["inputs"], list):
            raise InvalidTaskFile(f"{where}: example {i} needs 'inputs' (a list) and 'output'",
                                  fix='write {"inputs": [...], "output": ...}')
        out.append(Example(tuple(e["inputs"]), e["output"]))
    return tuple(out)


def task_from_dict(d: Any, *, source: str = "", where: str = "task") -> Task:
    """Build a :class:`Task` from the documented task format, with clear errors."""
    if not isinstance(d, dict):
        raise InvalidTaskFile(f"{where}: a task must be a JSON object", fix="see 'Task files' in the README (or the evoskill.tasks docstring)")
    name = d.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidTaskFile(f"{where}: missing 'name'", fix="give every task a non-empty name")
    where = f"{where} {name!r}"
    examples = _examples(d.get("examples", []), where)
    if not examples:
        raise InvalidTaskFile(f"{where}: no examples", fix="give at least one input/output example")
    held_out = _examples(d.get("held_out", []), where)
    ins, out = _infer(examples + held_out, where)
    if "input_types" in d or "output_type" in d:
        given_in = tuple(d.get("input_types") or ins)
        given_out = d.get("output_type") or out
        bad = [t for t in (*given_in, given_out) if t not in TYPES]
        if bad:
            raise InvalidTaskFile(f"{where}: unknown types {bad}", fix=f"use {', '.join(TYPES)}")
        if (given_in, given_out) != (ins, out):
            raise InvalidTaskFile(f"{where}: input_types/output_type say {', '.join(given_in)} -> {given_out} but "
                                  f"the examples hold {', '.join(ins)} -> {out}",
                                  fix="correct input_types and output_type, or drop them (they are inferred)")
        ins, out = given_in, given_out
    return Task(name=name, description=str(d.get("description", "")), examples=examples,
                held_out=held_out, input_types=ins, output_type=out, source=source)


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
