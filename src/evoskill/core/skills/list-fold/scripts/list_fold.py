"""list-fold: Combine the items left to right: ``f(...f(f(init, x1), x2)..., xn)`` (REDUCE).

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


def list_fold(f: Callable[[int, int], int], init: int, xs: list[int]) -> int:
    """Combine the items left to right: ``f(...f(f(init, x1), x2)..., xn)`` (REDUCE)."""
    acc = init
    for x in xs:
        acc = f(acc, x)
    return acc


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
    print(json.dumps(list_fold(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
