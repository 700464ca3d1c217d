"""The primitives of records (rows with named fields) and of mappings (``dict[str, T]``).

A record is a JSON object, the row of a table as a data-wrangling user reads it: ``{"name": "Ada", "age":
36}``; a list of records is a table. The primitives read a field (``record-get``), a column of a table
(``records-column``), build a record field by field (``record-of``, ``record-with``: "add a column"), order
rows by a column (``records-sort-by``), keep or transform rows (``records-filter``, ``records-map``), and read
an open-keyed mapping (``dict-keys``, ``dict-values``, ``dict-get`` with a default).

Their signatures are written over ``dict[str, any]``: one primitive serves every record type. The search
(:mod:`evoskill.synth.records`) gives each one the task's own record types, field by field, so a
``record-get`` of the ``age`` field of ``{age: int, name: str}`` is an ``int``. Like every primitive, each
function is self-contained (builtins and ``MAX_ITEMS`` only) and total: a missing field or a row of another
shape gives a value, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_ITEMS = 5000


def record_get(r: dict[str, Any], field: str) -> Any:
    """The value of ``field`` in the record ``r`` (one cell of a row); null when the record has no such field."""
    return r.get(field) if isinstance(r, dict) else None


def record_of(field: str, value: Any) -> dict[str, Any]:
    """A record of one field, ``field`` holding ``value``."""
    return {field: value}


def record_with(r: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """The record ``r`` with ``field`` set to ``value`` (added, or replaced); its other fields are kept."""
    out = dict(r) if isinstance(r, dict) else {}
    out[field] = value
    return out


def records_column(rows: list[dict[str, Any]], field: str) -> list[Any]:
    """The value of ``field`` in every row, in order (a column of a table); rows without it are skipped."""
    return [r[field] for r in rows if isinstance(r, dict) and field in r][:MAX_ITEMS]


def records_sort_by(rows: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """The rows ordered by their ``field``, smallest first, ties kept in order (SORT BY a column).

    Rows whose values cannot be compared are left in their order.
    """
    def key(r: Any) -> Any:
        return r.get(field) if isinstance(r, dict) else None

    try:
        return sorted(rows, key=key)
    except TypeError:
        return list(rows)


def records_reverse(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows in reverse order (after ``records-sort-by``: largest first)."""
    return list(rows)[::-1]


def records_count(rows: list[dict[str, Any]]) -> int:
    """How many rows there are (COUNTA of a table)."""
    return len(rows)


def records_filter(p: Callable[[dict[str, Any]], bool], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows for which ``p`` holds, in order (FILTER a table)."""
    return [r for r in rows if p(r)]


def records_map(f: Callable[[dict[str, Any]], Any], rows: list[dict[str, Any]]) -> list[Any]:
    """``f`` applied to every row, in order (a computed column)."""
    return [f(r) for r in rows][:MAX_ITEMS]


def dict_keys(d: dict[str, Any]) -> list[str]:
    """The keys of a mapping, in their order."""
    return list(d)[:MAX_ITEMS] if isinstance(d, dict) else []


def dict_values(d: dict[str, Any]) -> list[Any]:
    """The values of a mapping, in the order of its keys."""
    return list(d.values())[:MAX_ITEMS] if isinstance(d, dict) else []


def dict_get(d: dict[str, Any], key: str, default: Any) -> Any:
    """The value of ``key`` in a mapping, ``default`` when the key is absent (a lookup, VLOOKUP with a fallback)."""
    return d.get(key, default) if isinstance(d, dict) else default
