"""Patterns for the primitives that read structure (dates, numbers, digits, names, addresses), read off the examples.

A task over real-world text is often one call with the right pattern: ``"06-Oct-2143" -> "Oct 43"`` is
``(text-date x0 "%b %y")``: parse a date, write the month's abbreviation and the two-digit year. Enumerating
patterns character by character would never get there, and pasting pieces of the outputs gets there with a
program that breaks on the next input. So for every text input and every such primitive
(:data:`evoskill.lang.primitives.PATTERN_ARGS`), the pattern is assembled from the first solver example:

* dates, names and addresses: the output is cut, left to right, into pieces that the primitive writes for a
  single code (``%b`` gives ``Oct``, ``{last}`` gives ``Lovelace``), longest first, or literal characters
  (a letter or digit is literal only where no code fits);
* digits: the last digits of the output become ``#`` slots (as many as the input has digits, at most);
* numbers: a small grammar of spreadsheet formats (thousands separators, 0-4 decimals, zero padding,
  thousands and millions scaling, percent) is rendered on the input and found in the output; the text
  around it becomes literal prefix and suffix, with a second section when negative numbers are written
  differently.

A pattern is kept only if the primitive writes every solver example's output with it, exactly or up to
upper/lower case (``text-lower`` and ``text-upper`` then finish the job). Only solver examples are read here;
the search adds the patterns as leaves of their own type, so that they feed only their primitive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..lang.wrangle import text_address, text_date, text_digits_fill, text_name, text_number
from ..tasks import Example

MAX_PATTERNS = 3
MAX_TRIES = 64

#: codes one cut of the output may be, per primitive (longest rendering is tried first)
CODES: dict[str, tuple[str, ...]] = {
    "text-date": ("%Y", "%B", "%A", "%b", "%a", "%m", "%d", "%-m", "%-d", "%y", "%H", "%I", "%-H", "%-I", "%M",
                  "%S", "%p"),
    "text-name": ("{first}", "{middle}", "{last}", "{title}", "{suffix}", "{f}", "{m}", "{l}"),
    "text-address": ("{number}", "{street}", "{unit}", "{city}", "{state}", "{zip}"),
}
FUNCTIONS: dict[str, Callable[[str, str], str]] = {
    "text-date": text_date, "text-name": text_name, "text-address": text_address, "text-number": text_number,
    "text-digits-fill": text_digits_fill}


def patterns(examples: Sequence[Example], input_types: Sequence[str]) -> list[tuple[str, str]]:
    """``(primitive, pattern)`` pairs that write every example's output from one of its text inputs."""
    if not examples or not all(isinstance(e.output, str) and e.output for e in examples):
        return []
    out: list[tuple[str, str]] = []
    for i, t in enumerate(input_types):
        if t != "str":
            continue
        pairs = [(e.inputs[i], e.output) for e in examples]
        for name, fn in FUNCTIONS.items():
            if name in CODES:
                found = _cut(pairs, fn, CODES[name])
            elif name == "text-number":
                found = _number(pairs)
            else:
                found = _digits(pairs)
            out.extend((name, p) for p in found if (name, p) not in out)
    return out


def _fits(fn: Callable[[str, str], str], pattern: str, pairs: Sequence[tuple[str, str]]) -> bool:
    """Whether ``pattern`` writes every output, exactly or up to upper/lower case."""
    got = [fn(s, pattern) for s, _ in pairs]
    want = [o for _, o in pairs]
    return got == want or [g.lower() for g in got] == want or [g.upper() for g in got] == want


def _cut(pairs: Sequence[tuple[str, str]], fn: Callable[[str, str], str], codes: Sequence[str]) -> list[str]:
    """Patterns of codes and literal characters for the first example, kept if they fit every example."""
    s, target = pairs[0]
    pieces = sorted(((c, fn(s, c).lower()) for c in codes), key=lambda cp: -len(cp[1]))
    pieces = [(c, r) for c, r in pieces if r]
    if not pieces:
        return []
    low = target.lower()
    found: list[str] = []
    tries = 0

    def go(at: int, acc: str, used_code: bool) -> None:
        nonlocal tries
        if len(found) >= MAX_PATTERNS or tries >= MAX_TRIES:
            return
        if at == len(low):
            tries += 1
            if used_code and acc not in found and _fits(fn, acc, pairs):
                found.append(acc)
            return
        fitting = [(c, r) for c, r in pieces if low.startswith(r, at)]
        for c, r in fitting:
            go(at + len(r), acc + c, True)
        ch = target[at]
        if not fitting or not ch.isalnum():
            go(at + 1, acc + ("%%" if ch == "%" and "%Y" in codes else ch), used_code)

    go(0, "", False)
    return found


def _digits(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """The output with its last digits as ``#`` slots, as many as the input holds (or the output has)."""
    s, target = pairs[0]
    if "#" in target:
        return []
    have = sum(c.isdigit() for c in s)
    spots = [k for k, c in enumerate(target) if c.isdigit()]
    found: list[str] = []
    for n in dict.fromkeys((min(have, len(spots)), len(spots))):
        if n <= 0:
            continue
        chars = list(target)
        for k in spots[len(spots) - n:]:
            chars[k] = "#"
        pattern = "".join(chars)
        if pattern not in found and _fits(text_digits_fill, pattern, pairs):
            found.append(pattern)
    return found[:MAX_PATTERNS]


def _cores() -> list[str]:
    """Number parts of spreadsheet formats, simplest first."""
    out = []
    for places in range(5):
        dec = "." + "0" * places if places else ""
        for scale in ("", ",", ",,"):
            for pct in ("", "%"):
                for whole in ("0", "#,##0", "00", "000", "0000", "00000", "000000"):
                    out.append(whole + dec + scale + pct)
    return out


CORES = _cores()


def _number(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """Spreadsheet number formats (literal text around a number part) that write every output."""
    if not all(text_number(s, "0") for s, _ in pairs):
        return []
    found: list[str] = []
    for core in CORES:
        around: dict[bool, tuple[str, str]] = {}
        ok = True
        for s, target in pairs:
            shown = text_number(s, core)
            neg = shown.startswith("-")
            shown = shown.removeprefix("-")
            at = target.find(shown) if shown else -1
            if at < 0:
                ok = False
                break
            sides = (target[:at], target[at + len(shown):])
            if around.setdefault(neg, sides) != sides:
                ok = False
                break
        if not ok or False not in around:
            continue
        pattern = around[False][0] + core + around[False][1]
        if True in around and around[True] != ("-" + around[False][0], around[False][1]):
            pattern += ";" + around[True][0] + core + around[True][1]
        if ";" in around[False][0] + around[False][1]:
            continue
        if pattern not in found and _fits(text_number, pattern, pairs):
            found.append(pattern)
            if len(found) >= MAX_PATTERNS:
                break
    return found


def pattern_type(name: str) -> str:
    """The search's own type for the pattern argument of ``name``: pattern leaves feed only that primitive."""
    return f"pattern:{name}"


__all__ = ["CODES", "patterns", "pattern_type"]
