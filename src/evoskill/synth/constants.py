"""Constants for the search, taken from the task's solver examples only.

* Strings: pieces of each output that no input of that example contains (what is left after removing
  the longest substrings shared with an input, recursively), maximal substrings common to all outputs,
  input values repeated across examples (categories), substrings common to one input in every example,
  single delimiter characters (non-alphanumeric) seen in inputs or outputs, ``""`` and ``" "``.
* Integers: ``0, 1, 2, 3, -1``, the common length of all outputs, integers that every output shares.
* Lists: ``[]``, the output itself when every example has the same output, else the longest runs of
  items (two or more) that every output contains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..tasks import Example

MAX_STRINGS = 20
MAX_INTS = 10


def _longest_shared(s: str, sources: Sequence[str], minlen: int) -> tuple[int, int]:
    """(start, length) of the longest substring of ``s`` contained in some source."""
    best = (0, 0)
    for i in range(len(s)):
        j = i + max(minlen, best[1] + 1)
        while j <= len(s) and any(s[i:j] in src for src in sources):
            best = (i, j - i)
            j += 1
    return best


def _gaps(s: str, sources: Sequence[str], minlen: int = 2) -> list[str]:
    """Pieces of ``s`` left after removing the longest substrings shared with a source, recursively.

    A piece also comes with its neighbouring delimiter characters: in "Mr. Washington" from "George
    Washington" the piece is "Mr." and the wanted constant is often "Mr. ".
    """
    out: list[str] = []

    def go(lo: int, hi: int) -> None:
        if lo >= hi:
            return
        start, length = _longest_shared(s[lo:hi], sources, minlen)
        if length < minlen:
            out.append(s[lo:hi])
            if hi < len(s) and not s[hi].isalnum():
                out.append(s[lo:hi + 1])
            if lo > 0 and not s[lo - 1].isalnum():
                out.append(s[lo - 1:hi])
            return
        go(lo, lo + start)
        go(lo + start + length, hi)

    go(0, len(s))
    return out


def contains_piece(piece: Sequence[Any], whole: Sequence[Any]) -> bool:
    """Whether ``piece`` is a contiguous part of ``whole`` (a substring, or a run of list items)."""
    if isinstance(whole, str) and isinstance(piece, str):
        return piece in whole
    n = len(piece)
    if n > len(whole) or (n and piece[0] not in whole):
        return False
    return any(whole[i:i + n] == piece for i in range(len(whole) - n + 1))


def _common_pieces(outs: Sequence[Any], min_len: int, prefix: int) -> list[Any]:
    """Maximal contiguous pieces (of at least ``min_len``) that every output contains, longest first.

    Pieces are taken from the first ``prefix`` characters or items of the shortest output.
    """
    shortest = min(outs, key=len)[:prefix]
    found = set()
    for i in range(len(shortest)):
        for j in range(i + min_len, len(shortest) + 1):
            piece = shortest[i:j]
            if all(contains_piece(piece, o) for o in outs):
                found.add(piece)
            else:
                break
    maximal = [p for p in found if not any(p != o and len(o) > len(p) and contains_piece(p, o) for o in found)]
    return sorted(maximal, key=lambda p: (-len(p), p))


def _common_substrings(outs: Sequence[str]) -> list[str]:
    if len(outs) < 2:
        return []
    return [s for s in _common_pieces(outs, 1, 40) if len(s) >= 2 or not s.isalnum()]


def string_constants(examples: Sequence[Example]) -> list[str]:
    """Candidate string constants, most promising first (deterministic)."""
    outs = [e.output for e in examples if isinstance(e.output, str)]
    ordered: list[str] = ["", " "]
    ordered += _common_substrings(outs)
    gaps: Counter[str] = Counter()
    first: dict[str, int] = {}
    for e in examples:
        if not isinstance(e.output, str):
            continue
        srcs = [v for v in e.inputs if isinstance(v, str)]
        for g in _gaps(e.output, srcs):
            gaps[g] += 1
            first.setdefault(g, len(first))
    ordered += sorted(gaps, key=lambda g: (-gaps[g], first[g]))
    arity = len(examples[0].inputs) if examples else 0
    for i in range(arity):
        col = [e.inputs[i] for e in examples if isinstance(e.inputs[i], str)]
        counts = Counter(col)
        # categorical inputs: a value seen in several examples ("male", "morning") is worth testing for
        # (short single words only: a long repeated text is more likely fixed context than a category)
        ordered += sorted((v for v, c in counts.items() if c >= 2 and 0 < len(v) <= 12 and " " not in v),
                          key=lambda v: (-counts[v], v))
        if len(set(col)) > 1:
            ordered += [s for s in _common_substrings(col) if len(s) >= 3]
    chars: dict[str, None] = {}
    for e in examples:
        for v in (*e.inputs, e.output):
            if isinstance(v, str):
                for c in v:
                    if not c.isalnum():
                        chars.setdefault(c, None)
    ordered += list(chars)
    out = list(dict.fromkeys(s for s in ordered if len(s) <= 40))
    return out[:MAX_STRINGS]


def _ints_of(v: Any) -> list[int]:
    if isinstance(v, bool):
        return []
    if isinstance(v, int):
        return [v]
    if isinstance(v, list):
        return [x for x in v if isinstance(x, int) and not isinstance(x, bool)]
    return []


def int_constants(examples: Sequence[Example]) -> list[int]:
    """Small integers, a common output length, and integers shared by every output."""
    out: list[int] = [0, 1, 2, 3, -1]
    lengths = {len(e.output) for e in examples if isinstance(e.output, str | list)}
    if len(lengths) == 1 and len(examples) > 1:
        out.append(lengths.pop())
    if len(examples) > 1:
        sets = [set(_ints_of(e.output)) - set().union(*[set(_ints_of(i)) for i in e.inputs])
                for e in examples]
        counts = Counter(x for s in sets for x in s)
        out += sorted((x for x, c in counts.items() if c >= 2), key=lambda x: (-counts[x], x))
    return list(dict.fromkeys(out))[:MAX_INTS]


def list_constants(examples: Sequence[Example]) -> list[tuple[int, ...]]:
    """``[]``, the common output when all outputs are equal, else runs of items every output contains."""
    out: list[tuple[int, ...]] = [()]
    outs = [tuple(e.output) for e in examples if isinstance(e.output, list)
            and all(isinstance(x, int) for x in e.output)]  # lists of numbers (not rows of a table)
    if len(outs) > 1 and len(set(outs)) == 1:
        out.append(outs[0])
    elif len(outs) > 1:
        out += _common_runs(outs)
    return list(dict.fromkeys(out))


def _common_runs(outs: Sequence[tuple[int, ...]], min_len: int = 2, most: int = 3) -> list[tuple[int, ...]]:
    """Maximal runs of at least ``min_len`` items found in every output (fixed items a rule inserts)."""
    return _common_pieces(outs, min_len, 30)[:most]


def int_domain(examples: Sequence[Example], limit: int = 40) -> list[int]:
    """Integers a lambda body is tested on: the task's integers (inputs first) and 0..3."""
    seen: dict[int, None] = {}
    for e in examples:
        for v in e.inputs:
            for x in _ints_of(v):
                seen.setdefault(x, None)
    for x in (0, 1, 2, 3):
        seen.setdefault(x, None)
    for e in examples:
        for x in _ints_of(e.output):
            seen.setdefault(x, None)
    return list(seen)[:limit]
