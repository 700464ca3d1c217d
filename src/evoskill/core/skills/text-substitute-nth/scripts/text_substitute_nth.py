"""text-substitute-nth: Replace only the ``k``-th (1-based) occurrence of ``old`` (SUBSTITUTE with instance).

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def text_substitute_nth(s: str, old: str, new: str, k: int) -> str:
    """Replace only the ``k``-th (1-based) occurrence of ``old`` (SUBSTITUTE with instance)."""
    if not old or k < 1:
        return s
    pos = -1
    for _ in range(k):
        pos = s.find(old, pos + 1)
        if pos < 0:
            return s
    return (s[:pos] + new + s[pos + len(old):])[:MAX_TEXT]


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    print(json.dumps(text_substitute_nth(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
