"""text-address: A postal address on one line rewritten with the parts in braces in ``fmt``; ``""`` if ``s`` has no comma.

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def text_address(s: str, fmt: str) -> str:
    """A postal address on one line rewritten with the parts in braces in ``fmt``; ``""`` if ``s`` has no comma.

    Reads ``number street, [unit,] city, [state] code`` (US and UK styles, comma-separated; a last field
    without digits is the city). Parts: ``{number}`` (the first word, when it has a digit), ``{street}``,
    ``{unit}``, ``{city}``, ``{state}`` (a word of letters before the code), ``{zip}`` (the postal code).
    Literal text that follows an empty part (up to the next part) is left out, and so are spaces and commas
    at either end.
    """
    if "{" not in fmt or "," not in s or len(s) > 300:
        return ""
    fields = [f.strip() for f in s.split(",") if f.strip()]
    if len(fields) < 2:
        return ""
    line = fields[0].split()
    number = line[0] if line and any(c.isdigit() for c in line[0]) and len(line) > 1 else ""
    street = " ".join(line[1:] if number else line)
    state = code = ""
    rest = fields[1:]
    if any(c.isdigit() for c in rest[-1]) and len(rest) >= 2:
        words = rest.pop().split()
        if len(words) >= 2 and words[0].isalpha() and words[0].isupper() and len(words[0]) <= 3:
            state, words = words[0], words[1:]
        code = " ".join(words)
    city = rest.pop() if rest else ""
    unit = ", ".join(rest)
    parts = {"number": number, "street": street, "unit": unit, "city": city, "state": state, "zip": code}
    out: list[str] = []
    i, skip = 0, False
    while i < len(fmt):
        if fmt[i] == "{":
            end = fmt.find("}", i)
            if end < 0 or fmt[i + 1:end] not in parts:
                return ""
            value = parts[fmt[i + 1:end]]
            out.append(value)
            skip, i = not value, end + 1
        else:
            if not skip:
                out.append(fmt[i])
            i += 1
    return "".join(out).strip(" ,")[:MAX_TEXT]


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    print(json.dumps(text_address(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
