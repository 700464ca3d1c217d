"""records-sort-by: The rows ordered by their ``field``, smallest first, ties kept in order (SORT BY a column).

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


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


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    print(json.dumps(records_sort_by(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
