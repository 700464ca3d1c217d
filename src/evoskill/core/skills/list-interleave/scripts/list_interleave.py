"""list-interleave: Items taken alternately from ``xs`` and ``ys``; the longer list's extra items come last (capped).

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def list_interleave(xs: list[int], ys: list[int]) -> list[int]:
    """Items taken alternately from ``xs`` and ``ys``; the longer list's extra items come last (capped)."""
    out: list[int] = []
    for x, y in zip(xs, ys, strict=False):
        out.append(x)
        out.append(y)
    n = min(len(xs), len(ys))
    out.extend(xs[n:])
    out.extend(ys[n:])
    return out[:MAX_ITEMS]


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    print(json.dumps(list_interleave(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
