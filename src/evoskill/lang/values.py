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
