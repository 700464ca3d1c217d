"""Types of task values: any JSON shape, written as short strings.

Syntax::

    str  int  float  bool  null  any           scalars (``int`` is also a ``float`` where one is expected)
    list[T]                                      a list of T (``list[any]`` for an empty list)
    dict[str, T]                                 a mapping with any keys and values of type T
    {age: int, name: str}                        a record with exactly these fields (sorted by name)
    T | U                                        either (``str | null`` is an optional text)

Types are inferred from example values (:func:`infer`); where examples disagree they are joined
(:func:`join`): ``int`` and ``float`` give ``float``, ``T`` and ``null`` give ``T | null``, lists join
their items, records with the same fields join field by field, records with different fields become
``dict[str, ...]``, anything else a union.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidValue, UserError

SCALARS = ("str", "int", "float", "bool", "null", "any")


def type_of(value: Any) -> str:
    """The type of one JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple):
        return f"list[{join(type_of(v) for v in value)}]" if value else "list[any]"
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise InvalidValue("record keys must be strings", fix="use text keys in every object")
        if all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) for k in value):
            return "{" + ", ".join(f"{k}: {type_of(v)}" for k, v in sorted(value.items())) + "}"
        return f"dict[str, {join(type_of(v) for v in value.values())}]" if value else "dict[str, any]"
    raise InvalidValue(f"{type(value).__name__} is not a JSON value",
                       fix="use text, numbers, true/false, null, lists and objects")


def infer(values: Iterable[Any]) -> str:
    """The joined type of several values (e.g. one input position across all examples)."""
    return join(type_of(v) for v in values)


# ---- parsing ---------------------------------------------------------------------------------------------

def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def parse(text: str) -> Any:
    """A type string as a tree: ``"int"``, ``("list", T)``, ``("dict", T)``, ``("record", {k: T})``,
    ``("union", (T, ...))``. Raises :class:`UserError` for anything else."""
    t = text.strip()
    alts = _split_top(t, "|")
    if len(alts) > 1:
        return ("union", tuple(parse(a) for a in alts))
    if t in SCALARS:
        return t
    m = re.fullmatch(r"list\[(.*)\]", t)
    if m:
        return ("list", parse(m.group(1)))
    m = re.fullmatch(r"dict\[\s*str\s*,(.*)\]", t)
    if m:
        return ("dict", parse(m.group(1)))
    if t.startswith("{") and t.endswith("}"):
        fields: dict[str, Any] = {}
        inner = t[1:-1].strip()
        for part in _split_top(inner, ",") if inner else []:
            name, sep, ftype = part.partition(":")
            if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()):
                raise UserError(f"bad record field {part!r} in type {text!r}", fix="write {name: str, age: int}")
            fields[name.strip()] = parse(ftype)
        return ("record", fields)
    raise UserError(f"unknown type {text!r}",
                    fix="use str, int, float, bool, null, any, list[T], dict[str, T], {field: T}, or T | U")


def render(tree: Any) -> str:
    """The canonical string of a parsed type."""
    if isinstance(tree, str):
        return tree
    kind, arg = tree
    if kind == "list":
        return f"list[{render(arg)}]"
    if kind == "dict":
        return f"dict[str, {render(arg)}]"
    if kind == "record":
        return "{" + ", ".join(f"{k}: {render(v)}" for k, v in sorted(arg.items())) + "}"
    return " | ".join(sorted({render(a) for a in arg}))


def normalize(text: str) -> str:
    """``text`` parsed and rendered again (canonical spacing and order); raises :class:`UserError`."""
    return render(parse(text))


# ---- joining ---------------------------------------------------------------------------------------------

def _alternatives(tree: Any) -> list[Any]:
    return list(tree[1]) if isinstance(tree, tuple) and tree[0] == "union" else [tree]


def _merge(a: Any, b: Any) -> Any:
    """The join of two non-union types when it is not a union, else None."""
    if a == b:
        return a
    if a == "any":
        return b
    if b == "any":
        return a
    if isinstance(a, str) and isinstance(b, str):
        return "float" if {a, b} == {"int", "float"} else None
    if isinstance(a, str) or isinstance(b, str):
        return None
    if a[0] == b[0] and a[0] in ("list", "dict"):
        return (a[0], _join2(a[1], b[1]))
    kinds = {a[0], b[0]}
    if kinds == {"record"}:
        if a[1].keys() == b[1].keys():
            return ("record", {k: _join2(a[1][k], b[1][k]) for k in a[1]})
        joined: Any = "any"
        for v in [*a[1].values(), *b[1].values()]:
            joined = _join2(joined, v)
        return ("dict", joined)
    if kinds == {"record", "dict"}:
        rec, dct = (a, b) if a[0] == "record" else (b, a)
        joined = dct[1]
        for v in rec[1].values():
            joined = _join2(joined, v)
        return ("dict", joined)
    return None


def _join2(a: Any, b: Any) -> Any:
    alts: list[Any] = []
    for t in _alternatives(a) + _alternatives(b):
        for i, u in enumerate(alts):
            m = _merge(u, t)
            if m is not None:
                alts[i] = m
                break
        else:
            alts.append(t)
    if len(alts) > 1 and "any" in alts:
        alts.remove("any")
    return alts[0] if len(alts) == 1 else ("union", tuple(alts))


def join(types: Iterable[str]) -> str:
    """The least type covering all of ``types`` (see the module docstring); ``any`` for none."""
    out: Any = "any"
    for t in types:
        out = _join2(out, parse(t))
    return render(out)


# ---- what the search composes over ------------------------------------------------------------------------

#: scalar and list types the search proposer has primitives for
SEARCH_BASICS = ("str", "int", "bool", "float", "list[int]", "list[str]", "list[bool]")


def searchable(text: str) -> bool:
    """Whether the search proposer composes programs over values of this type: the basics above, records
    whose fields are searchable, lists of such records (tables) and ``dict[str, T]`` of a scalar ``T``."""
    try:
        return _searchable(parse(text))
    except UserError:
        return False


def _searchable(t: Any) -> bool:
    if isinstance(t, str) or t[0] == "list" and isinstance(t[1], str):
        return render(t) in SEARCH_BASICS
    kind, arg = t
    if kind == "record":
        return bool(arg) and all(_searchable(v) for v in arg.values())
    if kind == "list":
        return arg[0] == "record" and _searchable(arg)
    if kind == "dict":
        return arg in ("str", "int", "bool", "float")
    return False


def record_fields(text: str) -> dict[str, str] | None:
    """The fields of a record type and their types (``{"age": "int"}``), or None for other types."""
    try:
        t = parse(text)
    except UserError:
        return None
    if isinstance(t, tuple) and t[0] == "record":
        return {k: render(v) for k, v in sorted(t[1].items())}
    return None


# ---- checking and Python ---------------------------------------------------------------------------------

def fits(value: Any, text: str) -> bool:
    """Whether ``value`` has type ``text``."""
    return _fits(value, parse(text))


def _fits(v: Any, t: Any) -> bool:
    if t == "any":
        return True
    if isinstance(t, str):
        return type_of(v) == t or (t == "float" and type_of(v) == "int")
    kind, arg = t
    if kind == "union":
        return any(_fits(v, a) for a in arg)
    if kind == "list":
        return isinstance(v, list | tuple) and all(_fits(x, arg) for x in v)
    if kind == "dict":
        return isinstance(v, dict) and all(isinstance(k, str) and _fits(x, arg) for k, x in v.items())
    return isinstance(v, dict) and v.keys() == arg.keys() and all(_fits(v[k], arg[k]) for k in arg)


def py_annotation(text: str) -> str:
    """The Python annotation of a type (records are ``dict[str, Any]``)."""
    try:
        return _py(parse(text))
    except UserError:
        return "Any"


def _py(t: Any) -> str:
    if isinstance(t, str):
        return {"null": "None", "any": "Any"}.get(t, t)
    kind, arg = t
    if kind == "list":
        return f"list[{_py(arg)}]"
    if kind == "dict":
        return f"dict[str, {_py(arg)}]"
    if kind == "record":
        return "dict[str, Any]"
    return " | ".join(_py(a) for a in arg)
