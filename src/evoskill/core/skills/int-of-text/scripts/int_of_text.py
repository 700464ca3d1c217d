"""int-of-text: The integer written in ``s`` (VALUE), ignoring surrounding spaces; 0 when it is not an integer.

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def int_of_text(s: str) -> int:
    """The integer written in ``s`` (VALUE), ignoring surrounding spaces; 0 when it is not an integer."""
    t = s.strip()
    if t[:1] in ("+", "-"):
        sign, t = (-1 if t[0] == "-" else 1), t[1:]
    else:
        sign = 1
    if not t or len(t) > 18 or not all("0" <= c <= "9" for c in t):
        return 0
    return sign * int(t)


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    print(json.dumps(int_of_text(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
