"""Values of the program language and the one equality every check uses."""

from __future__ import annotations

import json
from typing import Any


def _plain(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


def same(a: Any, b: Any) -> bool:
    """Exact equality of JSON values: ``True`` is not ``1``, ``1`` is not ``1.0``; a tuple equals the list
    of its items (the search computes with tuples, examples hold lists)."""
    if type(a) is type(b) and not isinstance(a, tuple | list | dict):
        return bool(a == b)
    try:
        return json.dumps(_plain(a), sort_keys=True) == json.dumps(_plain(b), sort_keys=True)
    except (TypeError, ValueError):
        return False


def close(a: Any, b: Any, tolerance: float | None) -> bool:
    """:func:`same`, except that numbers (never booleans) may differ by ``tolerance``, absolute or relative."""
    if tolerance is None:
        return same(a, b)
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        diff = abs(float(a) - float(b))
        return diff <= tolerance or diff <= tolerance * max(abs(float(a)), abs(float(b)))
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(close(x, y, tolerance) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tolerance) for k in a)
    return same(a, b)
