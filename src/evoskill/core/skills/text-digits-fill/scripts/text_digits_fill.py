"""text-digits-fill: The digits of ``s`` written into the ``#`` slots of ``pattern``, right-aligned; ``""`` if too few digits.

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def text_digits_fill(s: str, pattern: str) -> str:
    """The digits of ``s`` written into the ``#`` slots of ``pattern``, right-aligned; ``""`` if too few digits.

    Surplus leading digits (a country code) are dropped: ``"+1 555 123 4567"`` with ``"###-###-####"`` gives
    ``555-123-4567``; other characters of the pattern are kept as they are.
    """
    slots = pattern.count("#")
    if not slots:
        return ""
    digits = [c for c in s if "0" <= c <= "9"]
    if len(digits) < slots:
        return ""
    it = iter(digits[len(digits) - slots:])
    return "".join(next(it) if c == "#" else c for c in pattern)[:MAX_TEXT]


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    print(json.dumps(text_digits_fill(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
