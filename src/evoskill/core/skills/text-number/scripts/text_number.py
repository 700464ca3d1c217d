"""text-number: The first number written in ``s``, rewritten with the spreadsheet number format ``fmt``; ``""`` if none.

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def text_number(s: str, fmt: str) -> str:
    """The first number written in ``s``, rewritten with the spreadsheet number format ``fmt``; ``""`` if none.

    Reading: a sign, digits with thousands commas, a decimal point; currency symbols and spaces around it
    are ignored, and a ``%`` right after it divides by 100 (``45%`` is 0.45). Format: literal text, then the
    number part made of ``0`` (a digit always shown), ``#`` (a digit shown if needed), ``,`` between
    digits (thousands separators) and ``.`` (the decimals), then literal text; ``,`` right after the number
    part divides by 1000 each; ``%`` in the literal text multiplies by 100; ``positive;negative`` gives
    negative numbers their own format (without the minus sign), otherwise a ``-`` goes in front. Rounds
    halves away from zero, as spreadsheets do.
    """
    if len(s) > 200 or ("0" not in fmt and "#" not in fmt):
        return ""
    i = 0
    while i < len(s) and not s[i].isdigit():
        i += 1
    if i == len(s):
        return ""
    neg = i > 0 and (s[i - 1] == "-" or (i > 1 and s[i - 1] in "$€£¥ " and s[i - 2] == "-"))
    j = i
    while j < len(s) and (s[j].isdigit() or (s[j] == "," and s[j + 1:j + 4].isdigit())):
        j += 1
    whole = s[i:j].replace(",", "")
    frac = ""
    if j + 1 < len(s) and s[j] == "." and s[j + 1].isdigit():
        k = j + 1
        while k < len(s) and s[k].isdigit():
            k += 1
        frac, j = s[j + 1:k], k
    if len(whole) > 15:
        return ""
    value = float(whole + "." + (frac or "0"))
    if j < len(s) and s[j] == "%":
        value /= 100
    sections = fmt.split(";")
    if len(sections) > 2:
        return ""
    section = sections[1] if neg and len(sections) == 2 else sections[0]
    a = 0
    while a < len(section) and section[a] not in "0#":
        a += 1
    if a == len(section):
        return ""
    b = a
    while b < len(section) and (section[b] in "0#" or (section[b] in ",." and b + 1 < len(section)
                                                      and section[b + 1] in "0#")):
        b += 1
    prefix, body, scale = section[:a], section[a:b], 0
    while b < len(section) and section[b] == ",":
        scale += 1
        b += 1
    suffix = section[b:]
    if "%" in prefix + suffix:
        value *= 100
    value /= 1000 ** scale
    int_part, _, dec_part = body.partition(".")
    places = len(dec_part)
    units = int(value * 10 ** places + 0.5 + 1e-9)
    digits = str(units).rjust(places + 1, "0")
    left, right = digits[:len(digits) - places], digits[len(digits) - places:]
    shown = dec_part.count("0")  # decimals always shown; the others (#) only when not zero
    right = right[:shown] + right[shown:].rstrip("0")
    left = left.lstrip("0").rjust(int_part.count("0"), "0")
    if "," in int_part and left:
        groups = []
        while len(left) > 3:
            groups.append(left[-3:])
            left = left[:-3]
        left = ",".join([left, *reversed(groups)])
    text = left + ("." + right if right else "")
    if neg and len(sections) == 1 and units:
        return ("-" + prefix + text + suffix)[:MAX_TEXT]
    return (prefix + text + suffix)[:MAX_TEXT]


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    print(json.dumps(text_number(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
