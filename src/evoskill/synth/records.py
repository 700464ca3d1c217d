"""Records in the search: typed field access, tables (lists of records), mappings, and records built field by field.

The record primitives (:mod:`evoskill.lang.records`) are written over ``dict[str, any]``; the search is
monomorphic, so this module gives each one the task's own types:

* **Fields of a record variable** (an input, or the row parameter ``a`` of a lambda) are leaves:
  ``(record-get x0 "age")`` is an ``int`` of cost 2 (nested records: one more per level). A field of an
  input is nearly an input itself, and the search never has to guess a field name.
* **Field names as typed constants**: a table ``list[R]`` gets, per field ``f: T`` of ``R``, a constant ``"f"``
  of its own type ``field:f:R`` and typed instances ``records-column: list[R], field:f:R -> list[T]`` and
  ``records-sort-by: list[R], field:f:R -> list[R]``, plus ``records-reverse`` and ``records-count``. A field
  name can only go where that field exists, so ``(list-sum (records-column x0 "amount"))`` is three nodes.
* **Row lambdas** for ``records-filter`` and ``records-map``: small bodies over one row, enumerated over
  the task's rows like the integer lambdas of :mod:`evoskill.synth.search` (``(lambda (a) (record-get a
  "active"))``, ``(lambda (a) (int-gt (record-get a "stock") 0))``).
* **Mappings** ``dict[str, T]``: ``dict-keys``, ``dict-values`` (when ``list[T]`` is a list the search has
  primitives for) and ``dict-get`` with a default.
* **Decomposition** (:func:`build_record`, :func:`row_functions`): a record-typed output is built field
  by field, each field a sub-problem solved by the whole search (as the parts of a concatenation are);
  a list output that lines up with a table input is a ``records-map`` and one that is a subsequence of it a
  ``records-filter``, whose function is searched over the rows (one example per row).

The search computes with hashable vectors: :func:`freeze` turns records into :class:`Row` (a ``dict`` that
hashes) and lists into tuples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ..lang import types
from ..lang.components import Component, function_table
from ..lang.program import Call, Const, Expr, Lambda, Var, compile_program, substitute, variables
from ..tasks import Example, Task
from .enumerate import Enumerator, Stop

Leaf = tuple[str, int, tuple[Any, ...], Expr]

#: the primitives written over ``dict[str, any]`` that this module types for a task (never enumerated as they are)
GENERIC = frozenset({"record-get", "record-of", "record-with", "records-column", "records-sort-by", "records-reverse",
                     "records-count", "records-filter", "records-map", "dict-keys", "dict-values", "dict-get"})

#: element types of a column the search has list primitives for
COLUMN_TYPES = ("int", "str", "bool")
SORTABLE = ("int", "str", "float", "bool")
ROW_LAMBDA_MAX_COST = 5
MAX_ROWS = 40


class Row(dict):  # type: ignore[type-arg]
    """A record inside the search: a ``dict`` that hashes (its values are frozen too); never mutated."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))


def freeze(value: Any) -> Any:
    """A JSON value as the search holds it: lists as tuples, records as :class:`Row`, all the way down."""
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return Row({k: freeze(v) for k, v in value.items()})
    return value


def field_type(name: str, record: str) -> str:
    """The type of the constant naming field ``name`` of the record type ``record``."""
    return f"field:{name}:{record}"


def element(t: str) -> str | None:
    """``R`` for a table type ``list[R]`` whose items are records, else None."""
    if t.startswith("list[{") and t.endswith("]"):
        return t[5:-1]
    return None


def tables(task: Task) -> list[str]:
    """The record types of the task's tables (inputs and output), in order."""
    out: list[str] = []
    for t in (*task.input_types, task.output_type):
        r = element(t)
        if r is not None and r not in out and types.record_fields(r):
            out.append(r)
    return out


def derived_types(task: Task) -> set[str]:
    """Types the record leaves and components produce: field types, columns, keys and values of mappings."""
    out: set[str] = set()

    def visit(t: str) -> None:
        fields = types.record_fields(t)
        if fields:
            for ft in fields.values():
                out.add(ft)
                visit(ft)
    for t in task.input_types:
        visit(t)
        r = element(t)
        if r is not None:
            visit(r)
            out |= {f"list[{ft}]" for ft in (types.record_fields(r) or {}).values() if ft in COLUMN_TYPES}
        if t.startswith("dict["):
            out.add("list[str]")
            value = t[len("dict[str, "):-1]
            out.add(value)
            if value in COLUMN_TYPES:
                out.add(f"list[{value}]")
    return out


def field_leaves(record: str, expr: Expr, vec: tuple[Any, ...], cost: int = 2) -> list[Leaf]:
    """``(record-get expr "f")`` for every field of a record variable (nested records: one more per level)."""
    out: list[Leaf] = []
    for name, t in (types.record_fields(record) or {}).items():
        sub = Call("record-get", (expr, Const(name)))
        values = tuple(r.get(name) if isinstance(r, dict) else None for r in vec)
        if types.record_fields(t):
            out.extend(field_leaves(t, sub, values, cost + 1))
        elif types.searchable(t):
            out.append((t, cost, values, sub))
    return out


# ---- typed components and leaves for one task -----------------------------------------------------------

def instances(task: Task, comps: Sequence[Component]) -> tuple[list[Component], list[Leaf]]:
    """The record and mapping primitives typed for this task, and the field-name constants they take.

    Row lambdas are made separately (:func:`row_lambdas`), once the components are known.
    """
    by_name = {c.name: c for c in comps if c.kind == "primitive"}
    out: list[Component] = []
    leaves: list[Leaf] = []
    n = len(task.examples)

    def add(name: str, args: tuple[str, ...], ret: str) -> None:
        c = by_name.get(name)
        if c is not None:
            out.append(replace(c, arg_types=args, return_type=ret))

    for r in tables(task):
        table = f"list[{r}]"
        for name, t in (types.record_fields(r) or {}).items():
            ftype = field_type(name, r)
            leaves.append((ftype, 1, (name,) * n, Const(name)))
            if t in COLUMN_TYPES:
                add("records-column", (table, ftype), f"list[{t}]")
            if t in SORTABLE:
                add("records-sort-by", (table, ftype), table)
        add("records-reverse", (table,), table)
        add("records-count", (table,), "int")
        add("records-filter", (f"({r} -> bool)", table), table)
        for t in sorted(set((types.record_fields(r) or {}).values()) & set(COLUMN_TYPES)):
            if f"list[{t}]" in (task.output_type, *derived_types(task)):
                add("records-map", (f"({r} -> {t})", table), f"list[{t}]")
    for t in dict.fromkeys(task.input_types):
        if t.startswith("dict["):
            value = t[len("dict[str, "):-1]
            add("dict-keys", (t,), "list[str]")
            if value in COLUMN_TYPES:
                add("dict-values", (t,), f"list[{value}]")
            add("dict-get", (t, "str", value), value)
    return out, leaves


def _rows(task: Task, record: str) -> list[Any]:
    """The distinct rows of this record type in the task's tables (the domain of a row lambda)."""
    seen: dict[Any, None] = {}
    for i, t in enumerate(task.input_types):
        if element(t) == record:
            for e in task.examples:
                for row in e.inputs[i]:
                    seen.setdefault(freeze(row), None)
    return list(seen)[:MAX_ROWS]


def _row_constants(rows: Sequence[Any], record: str) -> list[Leaf]:
    """Texts that several rows share in one field (categories such as a city or a status)."""
    counts: Counter[str] = Counter()
    for row in rows:
        for name, t in (types.record_fields(record) or {}).items():
            if t == "str" and isinstance(row.get(name), str):
                counts[row[name]] += 1
    return [("str", 1, (s,) * len(rows), Const(s)) for s, k in counts.most_common(5) if k >= 2 and len(s) <= 20]


def row_lambdas(task: Task, comps: Sequence[Component], ints: Sequence[int], deadline: float) -> list[Leaf]:
    """Small functions of one row for the row lambdas the typed components take, each a leaf (one repeated
    Python function per example), e.g. ``(lambda (a) (int-gt (record-get a "stock") 0))``."""
    wanted = sorted({t for c in comps for t in c.arg_types if t.startswith("({")})
    out: list[Leaf] = []
    fns = function_table(comps)
    for ft in wanted:
        record, _, ret = ft[1:-1].rpartition(" -> ")
        rows = _rows(task, record)
        if not rows:
            continue
        vec = tuple(rows)
        leaves = field_leaves(record, Var("x0"), vec)
        leaves += [("int", 1, (v,) * len(rows), Const(v)) for v in dict.fromkeys((0, 1, 2, 3, -1, *ints))]
        leaves += _row_constants(rows, record)
        body_types = {t for t, *_ in leaves} | {"bool", ret}
        scalar = [c for c in comps if c.return_type in body_types and c.arity
                  and all(t in body_types for t in c.arg_types) and not c.arg_types[0].startswith(("(", "field:"))]
        en = Enumerator(len(rows), scalar, leaves, deadline=deadline, max_values=20000, max_programs=200_000)
        try:
            en.run(ROW_LAMBDA_MAX_COST)
        except Stop:
            pass
        for cost, _vec, body in en.values(ret):
            if "x0" not in variables(body) and not _reads_row(body):
                continue
            lam = Lambda(("a",), substitute(body, {"x0": Var("a")}))
            try:
                fn = compile_program(lam, 0, fns)()
            except Exception:
                continue
            out.append((ft, cost, (fn,) * len(task.examples), lam))
    return out


def _reads_row(e: Expr) -> bool:
    if isinstance(e, Var):
        return e.name == "x0"
    if isinstance(e, Call):
        return any(_reads_row(a) for a in e.args)
    return False


# ---- decomposition ----------------------------------------------------------------------------------------

#: ``solve(task, share)``: the whole search on a sub-problem with a share (0..1] of what is left of the budget
Solve = Callable[[Task, float], tuple[int, Expr] | None]


def build_record(task: Task, solve: Solve) -> tuple[int, Expr] | None:
    """A record-typed output built field by field: each field is the whole search on its own examples.

    When a record input holds the same value as the output in every field they share, the output starts
    from it and only the other fields are set (``record-with``: add a column); else it starts from
    ``record-of`` its first field.
    """
    fields = types.record_fields(task.output_type) or {}
    if not fields:
        return None
    base: tuple[int, Expr] | None = None
    todo = list(fields)
    for i, t in enumerate(task.input_types):
        have = types.record_fields(t) or {}
        if have and set(have) <= set(fields) and all(
                e.inputs[i][k] == e.output[k] for e in task.examples for k in have):
            base = (1, Var(f"x{i}"))
            todo = [k for k in fields if k not in have]
            break
    parts: list[tuple[str, int, Expr]] = []
    for k, name in enumerate(todo):
        sub = Task(f"{task.name}.{name}", f"the {name} field", tuple(Example(e.inputs, e.output[name])
                                                                   for e in task.examples),
                   input_types=task.input_types, output_type=fields[name])
        hit = solve(sub, 1.0 / (len(todo) - k))
        if hit is None:
            return None
        parts.append((name, hit[0], hit[1]))
    if base is None:
        if not parts:
            return None
        name, cost, e = parts.pop(0)
        base = (cost + 2, Call("record-of", (Const(name), e)))
    cost, expr = base
    for name, c, e in parts:
        cost, expr = cost + c + 2, Call("record-with", (expr, Const(name), e))
    return cost, expr


def _subsequence(src: Sequence[Any], out: Sequence[Any]) -> list[bool] | None:
    labels, j = [], 0
    for x in src:
        keep = j < len(out) and out[j] == x
        labels.append(keep)
        j += keep
    return labels if j == len(out) else None


def row_functions(task: Task, solve: Solve) -> tuple[int, Expr] | None:
    """A list output as ``records-map`` or ``records-filter`` over a table input, the function searched over
    the rows: one example per row, with the task's other non-list inputs as further inputs of the function."""
    out_t = task.output_type
    others = [i for i, t in enumerate(task.input_types) if not t.startswith(("list", "dict"))]
    best: tuple[int, Expr] | None = None
    for i, t in enumerate(task.input_types):
        record = element(t)
        if record is None:
            continue
        outs = [e.output for e in task.examples]
        srcs = [e.inputs[i] for e in task.examples]
        if out_t == t:
            labels = [_subsequence(s, o) for s, o in zip(srcs, outs, strict=True)]
            if any(lab is None for lab in labels) or all(all(lab or []) for lab in labels):
                continue
            wrapper, ret = "records-filter", "bool"
            points = [Example((row, *(e.inputs[j] for j in others)), keep)
                      for e, s, lab in zip(task.examples, srcs, labels, strict=True)
                      for row, keep in zip(s, lab or [], strict=True)]
        elif out_t.startswith("list[") and all(len(s) == len(o) for s, o in zip(srcs, outs, strict=True)):
            wrapper, ret = "records-map", out_t[5:-1]
            if not types.searchable(ret) or ret.startswith("list"):
                continue
            points = [Example((row, *(e.inputs[j] for j in others)), y)
                      for e, s, o in zip(task.examples, srcs, outs, strict=True) for row, y in zip(s, o, strict=True)]
        else:
            continue
        points = list({freeze(p.inputs + (p.output,)): p for p in points}.values())[:MAX_ROWS]
        if len(points) < 2:
            continue
        sub = Task(f"{task.name}.row", "one row", tuple(points),
                   input_types=(record, *(task.input_types[j] for j in others)), output_type=ret)
        hit = solve(sub, 1.0)
        if hit is None:
            continue
        env: dict[str, Expr] = {"x0": Var("a"), **{f"x{k + 1}": Var(f"x{j}") for k, j in enumerate(others)}}
        lam = Lambda(("a",), substitute(hit[1], env))
        cost = hit[0] + 2
        if best is None or cost < best[0]:
            best = (cost, Call(wrapper, (lam, Var(f"x{i}"))))
    return best
