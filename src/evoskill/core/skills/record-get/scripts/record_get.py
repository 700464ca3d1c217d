"""record-get: The value of ``field`` in the record ``r`` (one cell of a row); null when the record has no such field.

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def record_get(r: dict[str, Any], field: str) -> Any:
    """The value of ``field`` in the record ``r`` (one cell of a row); null when the record has no such field."""
    return r.get(field) if isinstance(r, dict) else None


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    print(json.dumps(record_get(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
