"""records-column: The value of ``field`` in every row, in order (a column of a table); rows without it are skipped.

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def records_column(rows: list[dict[str, Any]], field: str) -> list[Any]:
    """The value of ``field`` in every row, in order (a column of a table); rows without it are skipped."""
    return [r[field] for r in rows if isinstance(r, dict) and field in r][:MAX_ITEMS]


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    print(json.dumps(records_column(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
