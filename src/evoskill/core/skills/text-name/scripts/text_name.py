"""text-name: A person's name in ``s`` rewritten with the parts in braces in ``fmt``; ``""`` if ``s`` is no name.

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def text_name(s: str, fmt: str) -> str:
    """A person's name in ``s`` rewritten with the parts in braces in ``fmt``; ``""`` if ``s`` is no name.

    Reads ``First Middle Last`` and ``Last, First Middle``, with a title (``Dr.``, ``Mr``, ``Prof.``...) in
    front, a suffix (``Jr.``, ``III``, ``PhD``...) at the end and particles (``van``, ``de``, ``von``...) kept
    with the last name. Parts: ``{title} {first} {middle} {last} {suffix}``, initials ``{f} {m} {l}``
    (``{m}``: the initials of all middle names). Literal text that follows an empty part (up to the next
    part) is left out, and so are spaces and commas at either end: ``{f}.{m}.{l}.`` gives ``A.T.`` for
    Alan Turing. A text with digits or an ``@`` is not a name.
    """
    if "{" not in fmt or len(s) > 200 or "@" in s or any("0" <= c <= "9" for c in s):
        return ""  # digits or an "@": an address, a phone number or an e-mail, not a person's name
    titles = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "fr", "capt", "lord", "lady")
    suffixes = ("jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "esq")
    particles = ("van", "von", "de", "der", "den", "da", "di", "del", "della", "du", "la", "le", "st", "bin", "al")
    head, comma, tail = s.partition(",")
    words = head.split()
    rest = tail.split()
    title = suffix = ""
    if comma and rest and all(w.strip(".").lower() in suffixes for w in rest):
        suffix, rest = " ".join(rest), []
    if comma and rest:
        if words and words[-1].strip(".").lower() in suffixes:
            suffix = words.pop()
        if rest[0].strip(".").lower() in titles:
            title = rest.pop(0)
        last, given = " ".join(words), rest
    else:
        if words and words[0].strip(".").lower() in titles:
            title = words.pop(0)
        if len(words) > 1 and words[-1].strip(".").lower() in suffixes:
            suffix = (words.pop() + " " + suffix).strip()
        k = len(words) - 1
        while k > 1 and words[k - 1].lower() in particles:
            k -= 1
        last, given = " ".join(words[k:]), words[:k]
    if not given and not last:
        return ""
    first = given[0] if given else ""
    middle = given[1:]
    parts = {"title": title, "first": first, "middle": " ".join(middle), "last": last, "suffix": suffix,
             "f": first[:1], "m": "".join(w[:1] for w in middle), "l": last[:1]}
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
    print(json.dumps(text_name(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
