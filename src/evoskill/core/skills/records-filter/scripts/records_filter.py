"""records-filter: The rows for which ``p`` holds, in order (FILTER a table).

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def records_filter(p: Callable[[dict[str, Any]], bool], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows for which ``p`` holds, in order (FILTER a table)."""
    return [r for r in rows if p(r)]


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _function(text: str) -> Callable[..., Any]:
    """A function argument given as an evoskill lambda, e.g. "(lambda (a) (int-add a 1))" (needs evoskill)."""
    from evoskill.lang.primitives import FUNCTIONS
    from evoskill.lang.program import compile_program, parse

    fn: Callable[..., Any] = compile_program(parse(text), 0, FUNCTIONS)()
    return fn


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    args[0] = _function(args[0])
    print(json.dumps(records_filter(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
