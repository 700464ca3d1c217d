"""Primitive skills: the built-in, typed building blocks every program is made of.

One source of truth: each primitive is a plain, self-contained Python function below (it may use only
builtins and the size caps ``MAX_TEXT``/``MAX_ITEMS``), registered in :data:`PRIMITIVES` with its skill name,
signature, description and examples. ``python -m evoskill.core.build`` turns this table into the bundled
skill folders under ``evoskill/core/skills/`` (SKILL.md, ``scripts/<name>.py``, ``tests/examples.json``).

Conventions (spreadsheet-like, so that a data-wrangling user recognises them):

* Names are prefixed by domain: ``text-``, ``int-``, ``bool-``, ``list-``; the op name in programs is the
  skill name, the Python name replaces ``-`` with ``_``.
* Positions are **1-based** as in spreadsheets (``text-mid``, ``text-find``, ``list-nth``, ``list-insert``...).
  "Not found" is 0 (a spreadsheet would give an error; 0 keeps primitives total).
* Every primitive is total: odd inputs (empty text, out-of-range positions, negative counts, division by
  zero) give a value, never an exception. Sizes are capped (``MAX_TEXT`` characters, ``MAX_ITEMS`` list
  items) so that a search cannot exhaust memory.
* List primitives accept any sequence (the search passes tuples) and return lists.
* Real-world text (dates and times, numbers, digits, names, addresses) is read and written again with a
  pattern by the primitives of :mod:`evoskill.lang.wrangle` (``text-date``, ``text-number``...).
* Types: ``str``, ``int``, ``bool``, ``list[int]``, and ``list[str]``, ``list[bool]``, ``float`` for the
  primitives of lists of texts, truth values and decimal numbers; a function argument is written ``(int -> bool)`` or
  ``(int, int -> int)`` and is a lambda in programs: ``(list-filter (lambda (a) (int-is-even a)) x0)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ParseError
from .records import dict_get as dict_get
from .records import dict_keys as dict_keys
from .records import dict_values as dict_values
from .records import record_get as record_get
from .records import record_of as record_of
from .records import record_with as record_with
from .records import records_column as records_column
from .records import records_count as records_count
from .records import records_filter as records_filter
from .records import records_map as records_map
from .records import records_reverse as records_reverse
from .records import records_sort_by as records_sort_by
from .wrangle import text_address as text_address
from .wrangle import text_date as text_date
from .wrangle import text_digits_fill as text_digits_fill
from .wrangle import text_name as text_name
from .wrangle import text_number as text_number

MAX_TEXT = 5000
MAX_ITEMS = 5000


# ---- text ----------------------------------------------------------------------------------------------

def text_concat(a: str, b: str) -> str:
    """Join two texts (CONCATENATE / ``&``)."""
    return (a + b)[:MAX_TEXT]


def text_left(s: str, n: int) -> str:
    """The first ``n`` characters (LEFT); ``n <= 0`` gives ``""``."""
    return s[:n] if n > 0 else ""


def text_right(s: str, n: int) -> str:
    """The last ``n`` characters (RIGHT); ``n <= 0`` gives ``""``."""
    return s[-n:] if n > 0 else ""


def text_mid(s: str, start: int, n: int) -> str:
    """``n`` characters from 1-based position ``start`` (MID); a start below 1 or ``n < 0`` gives ``""``."""
    if start < 1 or n <= 0:
        return ""
    return s[start - 1:start - 1 + n]


def text_replace(s: str, start: int, n: int, new: str) -> str:
    """Replace ``n`` characters from 1-based ``start`` by ``new`` (REPLACE); bad positions leave ``s``."""
    if start < 1 or n < 0:
        return s
    return (s[:start - 1] + new + s[start - 1 + n:])[:MAX_TEXT]


def text_substitute(s: str, old: str, new: str) -> str:
    """Replace every occurrence of ``old`` by ``new`` (SUBSTITUTE); an empty ``old`` leaves ``s``."""
    if not old:
        return s
    return s.replace(old, new)[:MAX_TEXT]


def text_substitute_nth(s: str, old: str, new: str, k: int) -> str:
    """Replace only the ``k``-th (1-based) occurrence of ``old`` (SUBSTITUTE with instance)."""
    if not old or k < 1:
        return s
    pos = -1
    for _ in range(k):
        pos = s.find(old, pos + 1)
        if pos < 0:
            return s
    return (s[:pos] + new + s[pos + len(old):])[:MAX_TEXT]


def text_find(part: str, s: str) -> int:
    """1-based position of ``part`` in ``s``, case-sensitive (FIND); 0 when absent."""
    return s.find(part) + 1


def text_find_from(part: str, s: str, start: int) -> int:
    """Like ``text-find`` but searching from 1-based position ``start``; 0 when absent or start invalid."""
    if start < 1 or start > len(s) + 1:
        return 0
    return s.find(part, start - 1) + 1


def text_search(part: str, s: str) -> int:
    """1-based position of ``part`` in ``s`` ignoring case (SEARCH); 0 when absent."""
    return s.lower().find(part.lower()) + 1


def text_trim(s: str) -> str:
    """Strip spaces at both ends and collapse runs of inner spaces to one (TRIM)."""
    return " ".join(w for w in s.split(" ") if w)


def text_upper(s: str) -> str:
    """Upper case (UPPER)."""
    return s.upper()


def text_lower(s: str) -> str:
    """Lower case (LOWER)."""
    return s.lower()


def text_proper(s: str) -> str:
    """Capitalise the first letter of every word, lower-case the rest (PROPER)."""
    return s.title()


def text_len(s: str) -> int:
    """Number of characters (LEN)."""
    return len(s)


def text_rept(s: str, n: int) -> str:
    """``s`` repeated ``n`` times (REPT); ``n <= 0`` gives ``""``; capped at MAX_TEXT characters."""
    if n <= 0 or not s:
        return ""
    n = min(n, MAX_TEXT // len(s) + 1)
    return (s * n)[:MAX_TEXT]


def text_of_int(n: int) -> str:
    """The decimal text of an integer (TEXT)."""
    return str(n)


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


def text_is_number(s: str) -> bool:
    """Whether ``s`` is an integer, ignoring surrounding spaces (ISNUMBER(VALUE(...)))."""
    t = s.strip()
    t = t[1:] if t[:1] in ("+", "-") else t
    return bool(t) and all("0" <= c <= "9" for c in t)


def text_if(cond: bool, a: str, b: str) -> str:
    """``a`` if ``cond`` else ``b`` (IF) for texts."""
    return a if cond else b


def text_exact(a: str, b: str) -> bool:
    """Whether two texts are identical, case-sensitive (EXACT)."""
    return a == b


def text_contains(s: str, part: str) -> bool:
    """Whether ``part`` occurs in ``s``, case-sensitive (ISNUMBER(FIND(...)))."""
    return part in s


def text_of_bool(b: bool) -> str:
    """``"TRUE"`` or ``"FALSE"`` as a spreadsheet shows a logical value."""
    return "TRUE" if b else "FALSE"


def text_before(s: str, delim: str) -> str:
    """The text before the first ``delim`` (TEXTBEFORE); all of ``s`` when ``delim`` is absent or empty."""
    if not delim:
        return s
    i = s.find(delim)
    return s if i < 0 else s[:i]


def text_after(s: str, delim: str) -> str:
    """The text after the first ``delim`` (TEXTAFTER); ``""`` when ``delim`` is absent or empty."""
    if not delim:
        return ""
    i = s.find(delim)
    return "" if i < 0 else s[i + len(delim):]


def text_before_last(s: str, delim: str) -> str:
    """The text before the last ``delim`` (TEXTBEFORE, instance -1); ``""`` when absent or empty."""
    if not delim:
        return ""
    i = s.rfind(delim)
    return "" if i < 0 else s[:i]


def text_after_last(s: str, delim: str) -> str:
    """The text after the last ``delim`` (TEXTAFTER, instance -1); all of ``s`` when absent or empty."""
    if not delim:
        return s
    i = s.rfind(delim)
    return s if i < 0 else s[i + len(delim):]


def text_count(s: str, part: str) -> int:
    """How many times ``part`` occurs in ``s`` (non-overlapping); 0 for an empty ``part``."""
    return s.count(part) if part else 0


def text_keep_digits(s: str) -> str:
    """Only the digits 0-9 of ``s``, in order (a common cleaning step for phone numbers, amounts)."""
    return "".join(c for c in s if "0" <= c <= "9")


def text_remove_digits(s: str) -> str:
    """``s`` without its digits 0-9."""
    return "".join(c for c in s if not "0" <= c <= "9")


# ---- integers ------------------------------------------------------------------------------------------

def int_add(a: int, b: int) -> int:
    """``a + b``."""
    return a + b


def int_sub(a: int, b: int) -> int:
    """``a - b``."""
    return a - b


def int_mul(a: int, b: int) -> int:
    """``a * b``."""
    return a * b


def int_div(a: int, b: int) -> int:
    """Integer quotient truncated toward zero (QUOTIENT); 0 when ``b`` is 0."""
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def int_mod(a: int, b: int) -> int:
    """Remainder with the sign of ``b`` (MOD); 0 when ``b`` is 0."""
    return a % b if b else 0


def int_max(a: int, b: int) -> int:
    """The larger of two integers (MAX)."""
    return a if a >= b else b


def int_min(a: int, b: int) -> int:
    """The smaller of two integers (MIN)."""
    return a if a <= b else b


def int_abs(a: int) -> int:
    """Absolute value (ABS)."""
    return -a if a < 0 else a


def int_eq(a: int, b: int) -> bool:
    """``a = b``."""
    return a == b


def int_lt(a: int, b: int) -> bool:
    """``a < b``."""
    return a < b


def int_gt(a: int, b: int) -> bool:
    """``a > b``."""
    return a > b


def int_ne(a: int, b: int) -> bool:
    """``a <> b`` (not equal)."""
    return a != b


def int_le(a: int, b: int) -> bool:
    """``a <= b``."""
    return a <= b


def int_ge(a: int, b: int) -> bool:
    """``a >= b``."""
    return a >= b


def int_is_even(a: int) -> bool:
    """Whether ``a`` is even (ISEVEN)."""
    return a % 2 == 0


def int_is_odd(a: int) -> bool:
    """Whether ``a`` is odd (ISODD)."""
    return a % 2 == 1


def int_if(cond: bool, a: int, b: int) -> int:
    """``a`` if ``cond`` else ``b`` (IF) for integers."""
    return a if cond else b


# ---- booleans ------------------------------------------------------------------------------------------

def bool_and(a: bool, b: bool) -> bool:
    """Logical AND."""
    return a and b


def bool_or(a: bool, b: bool) -> bool:
    """Logical OR."""
    return a or b


def bool_not(a: bool) -> bool:
    """Logical NOT."""
    return not a


# ---- lists of integers ---------------------------------------------------------------------------------

def list_map(f: Callable[[int], int], xs: list[int]) -> list[int]:
    """Apply ``f`` to every item (MAP)."""
    return [f(x) for x in xs]


def list_filter(p: Callable[[int], bool], xs: list[int]) -> list[int]:
    """The items for which ``p`` holds, in order (FILTER)."""
    return [x for x in xs if p(x)]


def list_fold(f: Callable[[int, int], int], init: int, xs: list[int]) -> int:
    """Combine the items left to right: ``f(...f(f(init, x1), x2)..., xn)`` (REDUCE)."""
    acc = init
    for x in xs:
        acc = f(acc, x)
    return acc


def list_scan(f: Callable[[int, int], int], xs: list[int]) -> list[int]:
    """Running combination: the first item, then ``f(previous result, next item)`` for each next (SCAN)."""
    out: list[int] = []
    for i, x in enumerate(xs):
        out.append(x if i == 0 else f(out[-1], x))
    return out


def list_zip_with(f: Callable[[int, int], int], xs: list[int], ys: list[int]) -> list[int]:
    """``f`` on items at the same position, up to the shorter list."""
    return [f(x, y) for x, y in zip(xs, ys, strict=False)]


def list_mapi(f: Callable[[int, int], int], xs: list[int]) -> list[int]:
    """Apply ``f(position, item)`` to every item, positions counted from 1 (MAP over SEQUENCE and items)."""
    return [f(i, x) for i, x in enumerate(xs, 1)]


def list_flat_map(f: Callable[[int], list[int]], xs: list[int]) -> list[int]:
    """Apply ``f`` to every item and join the lists it returns, in order (SelectMany, explode)."""
    return [y for x in xs for y in f(x)]


def list_sort_by(f: Callable[[int], int], xs: list[int]) -> list[int]:
    """The items ordered by the key ``f(item)``, ties kept in their order (SORTBY)."""
    return sorted(xs, key=f)


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


def list_count_of(xs: list[int], x: int) -> int:
    """How many items equal ``x`` (COUNTIF with a value)."""
    return xs.count(x)


def list_count(p: Callable[[int], bool], xs: list[int]) -> int:
    """How many items satisfy ``p`` (COUNTIF)."""
    return sum(1 for x in xs if p(x))


def list_sum(xs: list[int]) -> int:
    """Sum of the items (SUM); 0 for an empty list."""
    return sum(xs)


def list_len(xs: list[int]) -> int:
    """Number of items (COUNT)."""
    return len(xs)


def list_max(xs: list[int]) -> int:
    """Largest item (MAX); 0 for an empty list."""
    return max(xs) if xs else 0


def list_min(xs: list[int]) -> int:
    """Smallest item (MIN); 0 for an empty list."""
    return min(xs) if xs else 0


def list_head(xs: list[int]) -> int:
    """First item; 0 for an empty list."""
    return xs[0] if xs else 0


def list_last(xs: list[int]) -> int:
    """Last item; 0 for an empty list."""
    return xs[-1] if xs else 0


def list_nth(xs: list[int], i: int) -> int:
    """Item at 1-based position ``i`` (INDEX); 0 when out of range."""
    return xs[i - 1] if 1 <= i <= len(xs) else 0


def list_take(xs: list[int], n: int) -> list[int]:
    """The first ``n`` items (TAKE); ``n <= 0`` gives ``[]``."""
    return xs[:n] if n > 0 else []


def list_drop(xs: list[int], n: int) -> list[int]:
    """All but the first ``n`` items (DROP); ``n <= 0`` keeps the list."""
    return xs[n:] if n > 0 else list(xs)


def list_slice(xs: list[int], start: int, end: int) -> list[int]:
    """Items from 1-based ``start`` to ``end`` inclusive; positions are clipped to the list."""
    return xs[max(start, 1) - 1:max(end, 0)]


def list_reverse(xs: list[int]) -> list[int]:
    """The items in reverse order."""
    return xs[::-1]


def list_sort(xs: list[int]) -> list[int]:
    """The items in ascending order (SORT)."""
    return sorted(xs)


def list_unique(xs: list[int]) -> list[int]:
    """The items without repeats, keeping first occurrences in order (UNIQUE)."""
    return list(dict.fromkeys(xs))


def list_append(xs: list[int], ys: list[int]) -> list[int]:
    """``xs`` followed by ``ys`` (VSTACK); capped at MAX_ITEMS items."""
    return [*xs, *ys][:MAX_ITEMS]


def list_cons(x: int, xs: list[int]) -> list[int]:
    """``x`` put in front of ``xs``."""
    return [x, *xs][:MAX_ITEMS]


def list_push(xs: list[int], x: int) -> list[int]:
    """``x`` added at the end of ``xs``."""
    return [*xs, x][:MAX_ITEMS]


def list_singleton(x: int) -> list[int]:
    """The one-item list ``[x]``."""
    return [x]


def list_insert(xs: list[int], i: int, x: int) -> list[int]:
    """``x`` inserted so that it sits at 1-based position ``i`` (clipped to the list)."""
    i = min(max(i, 1), len(xs) + 1)
    return [*xs[:i - 1], x, *xs[i - 1:]][:MAX_ITEMS]


def list_remove_at(xs: list[int], i: int) -> list[int]:
    """The list without the item at 1-based position ``i``; unchanged when out of range."""
    return [*xs[:i - 1], *xs[i:]] if 1 <= i <= len(xs) else list(xs)


def list_set_nth(xs: list[int], i: int, x: int) -> list[int]:
    """The list with the item at 1-based position ``i`` replaced by ``x``; unchanged when out of range."""
    return [*xs[:i - 1], x, *xs[i:]] if 1 <= i <= len(xs) else list(xs)


def list_index_of(xs: list[int], x: int) -> int:
    """1-based position of the first ``x`` in ``xs`` (MATCH); 0 when absent."""
    try:
        return xs.index(x) + 1
    except ValueError:
        return 0


def list_contains(xs: list[int], x: int) -> bool:
    """Whether ``x`` is an item of ``xs``."""
    return x in xs


def list_range(a: int, b: int) -> list[int]:
    """The integers from ``a`` to ``b`` inclusive, ascending (SEQUENCE); ``[]`` when ``b < a``; capped."""
    if b < a:
        return []
    return list(range(a, min(b, a + MAX_ITEMS - 1) + 1))


def list_repeat(x: int, n: int) -> list[int]:
    """``n`` copies of ``x``; ``n <= 0`` gives ``[]``; capped at MAX_ITEMS."""
    return [x] * min(max(n, 0), MAX_ITEMS)


def list_if(cond: bool, a: list[int], b: list[int]) -> list[int]:
    """``a`` if ``cond`` else ``b`` (IF) for lists."""
    return a if cond else b


# ---- lists of texts, lists of truth values, decimal numbers ---------------------------------------------

def text_split(s: str, delim: str) -> list[str]:
    """The pieces of ``s`` between occurrences of ``delim`` (TEXTSPLIT); an empty ``delim`` gives ``[s]``."""
    return s.split(delim)[:MAX_ITEMS] if delim else [s]


def text_words(s: str) -> list[str]:
    """The words of ``s``, split at runs of white space."""
    return s.split()[:MAX_ITEMS]


def texts_join(items: list[str], delim: str) -> str:
    """The texts joined with ``delim`` between them (TEXTJOIN)."""
    return delim.join(items)[:MAX_TEXT]


def texts_len(items: list[str]) -> int:
    """How many texts there are (COUNTA)."""
    return len(items)


def texts_nth(items: list[str], n: int) -> str:
    """Text number ``n`` (1-based, INDEX); ``""`` when out of range."""
    return items[n - 1] if 1 <= n <= len(items) else ""


def texts_first(items: list[str]) -> str:
    """The first text; ``""`` for none."""
    return items[0] if items else ""


def texts_last(items: list[str]) -> str:
    """The last text; ``""`` for none."""
    return items[-1] if items else ""


def texts_reverse(items: list[str]) -> list[str]:
    """The texts in reverse order."""
    return list(items)[::-1]


def texts_sort(items: list[str]) -> list[str]:
    """The texts in alphabetical order (SORT)."""
    return sorted(items)


def texts_unique(items: list[str]) -> list[str]:
    """The texts without repeats, first occurrences kept (UNIQUE)."""
    return list(dict.fromkeys(items))


def texts_take(items: list[str], n: int) -> list[str]:
    """The first ``n`` texts (TAKE); ``n <= 0`` gives ``[]``."""
    return list(items)[:n] if n > 0 else []


def texts_drop(items: list[str], n: int) -> list[str]:
    """All but the first ``n`` texts (DROP); ``n <= 0`` keeps them all."""
    return list(items)[n:] if n > 0 else list(items)


def texts_upper(items: list[str]) -> list[str]:
    """Every text in upper case."""
    return [t.upper() for t in items]


def texts_lower(items: list[str]) -> list[str]:
    """Every text in lower case."""
    return [t.lower() for t in items]


def texts_proper(items: list[str]) -> list[str]:
    """Every text with each word capitalised (PROPER)."""
    return [t.title() for t in items]


def texts_lefts(items: list[str], n: int) -> list[str]:
    """The first ``n`` characters of every text (LEFT on each)."""
    return [t[:n] if n > 0 else "" for t in items]


def texts_lengths(items: list[str]) -> list[int]:
    """The length of every text (LEN on each)."""
    return [len(t) for t in items]


def texts_contains(items: list[str], x: str) -> bool:
    """Whether ``x`` is one of the texts."""
    return x in items


def texts_count_of(items: list[str], x: str) -> int:
    """How many of the texts equal ``x`` (COUNTIF)."""
    return sum(1 for t in items if t == x)


def list_test(f: Callable[[int], bool], xs: list[int]) -> list[bool]:
    """``f`` applied to every item: one truth value per item."""
    return [bool(f(x)) for x in xs]


def bools_all(bs: list[bool]) -> bool:
    """Whether every value is true (AND); true for none."""
    return all(bs)


def bools_any(bs: list[bool]) -> bool:
    """Whether some value is true (OR)."""
    return any(bs)


def bools_count(bs: list[bool]) -> int:
    """How many values are true."""
    return sum(1 for b in bs if b)


def bools_not(bs: list[bool]) -> list[bool]:
    """Every value negated."""
    return [not b for b in bs]


def float_of_int(n: int) -> float:
    """The whole number ``n`` as a decimal number."""
    return float(n)


def float_add(a: float, b: float) -> float:
    """``a + b``."""
    return float(a) + float(b)


def float_sub(a: float, b: float) -> float:
    """``a - b``."""
    return float(a) - float(b)


def float_mul(a: float, b: float) -> float:
    """``a * b``."""
    return float(a) * float(b)


def float_div(a: float, b: float) -> float:
    """``a / b``; ``0.0`` when ``b`` is 0."""
    return float(a) / float(b) if b else 0.0


def float_round(a: float, digits: int) -> float:
    """``a`` rounded to ``digits`` decimals (ROUND; halves to even, as Python does)."""
    return float(round(float(a), max(-10, min(10, digits))))


def float_floor(a: float) -> int:
    """``a`` rounded down to a whole number (FLOOR)."""
    if a != a or a in (float("inf"), float("-inf")):
        return 0
    return int(a // 1)


def list_mean(xs: list[int]) -> float:
    """The average of the items (AVERAGE); ``0.0`` for none."""
    return sum(xs) / len(xs) if xs else 0.0


# ---- the table -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Primitive:
    """A primitive skill: its name, typed signature, Python function, description and examples.

    Examples are ``(inputs, output)``; a function input is written as an s-expression lambda text, e.g.
    ``"(lambda (a) (int-add a 1))"``.
    """

    name: str
    signature: str
    fn: Callable[..., Any]
    description: str
    examples: tuple[tuple[tuple[Any, ...], Any], ...]

    @property
    def py_name(self) -> str:
        return self.name.replace("-", "_")


def _p(name: str, signature: str, when: str, *examples: tuple[list[Any], Any]) -> Primitive:
    fn = globals()[name.replace("-", "_")]
    doc = " ".join((fn.__doc__ or "").split())  # a docstring of several lines becomes one paragraph
    return Primitive(name, signature, fn, f"{doc} Use it {when}",
                     tuple((tuple(i), o) for i, o in examples))


_INC = "(lambda (a) (int-add a 1))"
_EVEN = "(lambda (a) (int-is-even a))"
_PLUS = "(lambda (a b) (int-add a b))"

PRIMITIVES: tuple[Primitive, ...] = (
    _p("text-concat", "str, str -> str", "to join pieces of text.",
       (["ab", "cd"], "abcd"), (["", "x"], "x")),
    _p("text-left", "str, int -> str", "to keep a prefix of known length.",
       (["hello", 2], "he"), (["hi", 5], "hi"), (["hi", -1], "")),
    _p("text-right", "str, int -> str", "to keep a suffix of known length.",
       (["hello", 3], "llo"), (["hi", 0], ""), (["hi", 9], "hi")),
    _p("text-mid", "str, int, int -> str", "to cut a piece out of the middle of a text.",
       (["hello", 2, 3], "ell"), (["hello", 0, 2], ""), (["hello", 4, 10], "lo")),
    _p("text-replace", "str, int, int, str -> str", "to overwrite characters at a known position.",
       (["hello", 1, 1, "J"], "Jello"), (["abc", 9, 1, "x"], "abcx"), (["abc", 0, 1, "x"], "abc")),
    _p("text-substitute", "str, str, str -> str", "to replace or delete every occurrence of a piece of text.",
       (["a-b-c", "-", "."], "a.b.c"), (["abc", "", "x"], "abc")),
    _p("text-substitute-nth", "str, str, str, int -> str", "to replace one particular occurrence.",
       (["a-b-c", "-", ".", 2], "a-b.c"), (["a-b", "-", ".", 5], "a-b")),
    _p("text-find", "str, str -> int", "to locate a delimiter, word or substring inside a text (its position).",
       (["l", "hello"], 3), (["z", "hello"], 0), (["", "abc"], 1)),
    _p("text-find-from", "str, str, int -> int", "to locate a later occurrence after a known position.",
       (["l", "hello", 4], 4), (["l", "hello", 9], 0), (["h", "hello", 2], 0)),
    _p("text-search", "str, str -> int", "to locate text when upper/lower case does not matter.",
       (["L", "hello"], 3), (["z", "hello"], 0)),
    _p("text-trim", "str -> str", "to clean up stray spaces.",
       (["  a   b "], "a b"), ([""], "")),
    _p("text-upper", "str -> str", "to capitalise a whole text.", (["abC"], "ABC")),
    _p("text-lower", "str -> str", "to lower-case a whole text.", (["AbC"], "abc")),
    _p("text-proper", "str -> str", "to capitalise names and titles.",
       (["hello WORLD"], "Hello World"), (["o'neil"], "O'Neil")),
    _p("text-len", "str -> int", "to measure a text.", (["hello"], 5), ([""], 0)),
    _p("text-rept", "str, int -> str", "to build padding or repeated patterns.",
       (["ab", 3], "ababab"), (["x", -2], ""), (["x", 10 ** 9], "x" * MAX_TEXT)),
    _p("text-of-int", "int -> str", "to turn a number into text.", ([42], "42"), ([-7], "-7")),
    _p("int-of-text", "str -> int", "to read a number written as text.",
       (["42"], 42), ([" -7 "], -7), (["abc"], 0), ([""], 0)),
    _p("text-is-number", "str -> bool", "to test whether a text is an integer.",
       (["42"], True), (["4a"], False), ([""], False)),
    _p("text-if", "bool, str, str -> str", "to choose between two texts on a condition.",
       ([True, "a", "b"], "a"), ([False, "a", "b"], "b")),
    _p("text-exact", "str, str -> bool", "to compare two texts exactly.",
       (["a", "a"], True), (["a", "A"], False)),
    _p("text-contains", "str, str -> bool", "to test whether a text contains a piece.",
       (["hello", "ell"], True), (["hello", "L"], False)),
    _p("text-of-bool", "bool -> str", "to print a logical value as a spreadsheet does.",
       ([True], "TRUE"), ([False], "FALSE")),
    _p("text-before", "str, str -> str", "to take the first field of delimited text (split at a delimiter, keep the part before it).",
       (["a-b-c", "-"], "a"), (["abc", "-"], "abc")),
    _p("text-after", "str, str -> str", "to drop the first field of delimited text (split at a delimiter, keep the part after it).",
       (["a-b-c", "-"], "b-c"), (["abc", "-"], "")),
    _p("text-before-last", "str, str -> str", "to drop the last field of delimited text.",
       (["a-b-c", "-"], "a-b"), (["abc", "-"], "")),
    _p("text-after-last", "str, str -> str", "to take the last field of delimited text.",
       (["a-b-c", "-"], "c"), (["abc", "-"], "abc")),
    _p("text-count", "str, str -> int", "to count occurrences of a piece of text.",
       (["a-b-c", "-"], 2), (["abc", ""], 0)),
    _p("text-keep-digits", "str -> str", "to strip everything but digits.",
       (["(801) 456-87"], "80145687"), (["abc"], "")),
    _p("text-remove-digits", "str -> str", "to strip digits out of a text.",
       (["ab12c3"], "abc"),),
    _p("int-add", "int, int -> int", "to add.", ([2, 3], 5), ([-2, 1], -1)),
    _p("int-sub", "int, int -> int", "to subtract.", ([2, 3], -1)),
    _p("int-mul", "int, int -> int", "to multiply.", ([2, 3], 6)),
    _p("int-div", "int, int -> int", "to divide whole numbers.", ([7, 2], 3), ([-7, 2], -3), ([1, 0], 0)),
    _p("int-mod", "int, int -> int", "to take a remainder, e.g. the last digit.",
       ([7, 3], 1), ([-7, 3], 2), ([5, 0], 0)),
    _p("int-max", "int, int -> int", "to take the larger number.", ([2, 3], 3)),
    _p("int-min", "int, int -> int", "to take the smaller number.", ([2, 3], 2)),
    _p("int-abs", "int -> int", "to drop a sign.", ([-4], 4), ([4], 4)),
    _p("int-eq", "int, int -> bool", "to compare numbers.", ([2, 2], True), ([2, 3], False)),
    _p("int-lt", "int, int -> bool", "to compare numbers.", ([2, 3], True), ([3, 3], False)),
    _p("int-gt", "int, int -> bool", "to compare numbers.", ([4, 3], True), ([3, 3], False)),
    _p("int-ne", "int, int -> bool", "to test that numbers differ.", ([2, 3], True), ([3, 3], False)),
    _p("int-le", "int, int -> bool", "to compare numbers.", ([3, 3], True), ([4, 3], False)),
    _p("int-ge", "int, int -> bool", "to compare numbers.", ([3, 3], True), ([2, 3], False)),
    _p("int-is-even", "int -> bool", "to test parity.", ([4], True), ([-3], False)),
    _p("int-is-odd", "int -> bool", "to test parity.", ([3], True), ([-3], True), ([0], False)),
    _p("int-if", "bool, int, int -> int", "to choose between two numbers on a condition.",
       ([True, 1, 2], 1), ([False, 1, 2], 2)),
    _p("bool-and", "bool, bool -> bool", "to require two conditions.", ([True, False], False)),
    _p("bool-or", "bool, bool -> bool", "to accept either condition.", ([True, False], True)),
    _p("bool-not", "bool -> bool", "to negate a condition.", ([True], False)),
    _p("list-map", "(int -> int), list[int] -> list[int]", "to transform every item.",
       ([_INC, [1, 2]], [2, 3]), ([_INC, []], [])),
    _p("list-filter", "(int -> bool), list[int] -> list[int]", "to keep items that satisfy a test.",
       ([_EVEN, [1, 2, 3, 4]], [2, 4]),),
    _p("list-fold", "(int, int -> int), int, list[int] -> int", "to combine all items into one number.",
       ([_PLUS, 0, [1, 2, 3]], 6), ([_PLUS, 5, []], 5)),
    _p("list-scan", "(int, int -> int), list[int] -> list[int]", "for running totals and similar.",
       ([_PLUS, [1, 2, 3]], [1, 3, 6]), ([_PLUS, []], [])),
    _p("list-zip-with", "(int, int -> int), list[int], list[int] -> list[int]",
       "to combine two lists item by item.", ([_PLUS, [1, 2, 3], [10, 20]], [11, 22])),
    _p("list-mapi", "(int, int -> int), list[int] -> list[int]",
       "to transform every item using its position too.", ([_PLUS, [10, 20, 30]], [11, 22, 33]), ([_PLUS, []], [])),
    _p("list-flat-map", "(int -> list[int]), list[int] -> list[int]",
       "to replace every item by a list of items (repeat it, expand it to a range) and join them.",
       (["(lambda (a) (list-repeat a 2))", [3, 1]], [3, 3, 1, 1]), (["(lambda (a) (list-range 1 a))", [2, 0, 1]],
                                                                    [1, 2, 1])),
    _p("list-sort-by", "(int -> int), list[int] -> list[int]", "to order items by a computed key.",
       (["(lambda (a) (int-mod a 10))", [31, 12, 20]], [20, 31, 12]),),
    _p("list-interleave", "list[int], list[int] -> list[int]", "to alternate the items of two lists.",
       ([[1, 2, 3], [7, 8]], [1, 7, 2, 8, 3]), ([[], [5]], [5])),
    _p("list-count-of", "list[int], int -> int", "to count how often a value occurs.",
       ([[4, 5, 4], 4], 2), ([[4, 5], 9], 0)),
    _p("list-count", "(int -> bool), list[int] -> int", "to count items that satisfy a test.",
       ([_EVEN, [1, 2, 4]], 2),),
    _p("list-sum", "list[int] -> int", "to total a list.", ([[1, 2, 3]], 6), ([[]], 0)),
    _p("list-len", "list[int] -> int", "to count items.", ([[1, 2, 3]], 3), ([[]], 0)),
    _p("list-max", "list[int] -> int", "to find the largest item.", ([[1, 5, 3]], 5), ([[]], 0)),
    _p("list-min", "list[int] -> int", "to find the smallest item.", ([[4, 1, 3]], 1), ([[]], 0)),
    _p("list-head", "list[int] -> int", "to take the first item.", ([[4, 1]], 4), ([[]], 0)),
    _p("list-last", "list[int] -> int", "to take the last item.", ([[4, 1]], 1), ([[]], 0)),
    _p("list-nth", "list[int], int -> int", "to pick an item by position.",
       ([[4, 5, 6], 2], 5), ([[4], 0], 0), ([[4], 3], 0)),
    _p("list-take", "list[int], int -> list[int]", "to keep the first items.",
       ([[1, 2, 3], 2], [1, 2]), ([[1], -1], [])),
    _p("list-drop", "list[int], int -> list[int]", "to skip the first items.",
       ([[1, 2, 3], 2], [3]), ([[1], -1], [1])),
    _p("list-slice", "list[int], int, int -> list[int]", "to cut a run of items by positions.",
       ([[1, 2, 3, 4], 2, 3], [2, 3]), ([[1, 2], 0, 9], [1, 2])),
    _p("list-reverse", "list[int] -> list[int]", "to reverse the order.", ([[1, 2, 3]], [3, 2, 1])),
    _p("list-sort", "list[int] -> list[int]", "to sort ascending (reverse the result for descending order).", ([[3, 1, 2]], [1, 2, 3])),
    _p("list-unique", "list[int] -> list[int]", "to drop repeated items (remove duplicates, keep first occurrences).", ([[3, 1, 3, 2, 1]], [3, 1, 2])),
    _p("list-append", "list[int], list[int] -> list[int]", "to join two lists.", ([[1], [2, 3]], [1, 2, 3])),
    _p("list-cons", "int, list[int] -> list[int]", "to put an item in front.", ([0, [1, 2]], [0, 1, 2])),
    _p("list-push", "list[int], int -> list[int]", "to add an item at the end.", ([[1, 2], 3], [1, 2, 3])),
    _p("list-singleton", "int -> list[int]", "to wrap a number as a list.", ([7], [7])),
    _p("list-insert", "list[int], int, int -> list[int]", "to insert an item at a position.",
       ([[1, 2], 2, 9], [1, 9, 2]), ([[1, 2], 99, 9], [1, 2, 9])),
    _p("list-remove-at", "list[int], int -> list[int]", "to delete the item at a position.",
       ([[1, 2, 3], 2], [1, 3]), ([[1], 5], [1])),
    _p("list-set-nth", "list[int], int, int -> list[int]", "to overwrite the item at a position.",
       ([[1, 2, 3], 2, 9], [1, 9, 3]), ([[1], 0, 9], [1])),
    _p("list-index-of", "list[int], int -> int", "to find where an item sits.",
       ([[4, 5, 6], 5], 2), ([[4], 9], 0)),
    _p("list-contains", "list[int], int -> bool", "to test membership.", ([[4, 5], 5], True)),
    _p("list-range", "int, int -> list[int]", "to build a run of consecutive numbers.",
       ([2, 5], [2, 3, 4, 5]), ([5, 2], [])),
    _p("list-repeat", "int, int -> list[int]", "to build a list of copies.",
       ([7, 3], [7, 7, 7]), ([7, -1], [])),
    _p("list-if", "bool, list[int], list[int] -> list[int]", "to choose between two lists on a condition.",
       ([True, [1], [2]], [1]),),
    _p("text-split", "str, str -> list[str]", "to cut a text into fields at a delimiter.",
       (["a,b,c", ","], ["a", "b", "c"]), (["abc", ""], ["abc"])),
    _p("text-words", "str -> list[str]", "to get the words of a sentence.", (["  hello big world "], ["hello", "big", "world"])),
    _p("texts-join", "list[str], str -> str", "to join texts with a separator.", ([["a", "b"], "-"], "a-b"), ([[], "-"], "")),
    _p("texts-len", "list[str] -> int", "to count texts.", ([["a", "b"]], 2)),
    _p("texts-nth", "list[str], int -> str", "to pick a text by position.", ([["a", "b"], 2], "b"), ([["a"], 5], "")),
    _p("texts-first", "list[str] -> str", "to take the first text.", ([["a", "b"]], "a"), ([[]], "")),
    _p("texts-last", "list[str] -> str", "to take the last text.", ([["a", "b"]], "b"), ([[]], "")),
    _p("texts-reverse", "list[str] -> list[str]", "to reverse the order of texts.", ([["a", "b"]], ["b", "a"])),
    _p("texts-sort", "list[str] -> list[str]", "to sort texts alphabetically.", ([["b", "a"]], ["a", "b"])),
    _p("texts-unique", "list[str] -> list[str]", "to remove duplicate texts.", ([["a", "b", "a"]], ["a", "b"])),
    _p("texts-take", "list[str], int -> list[str]", "to keep the first texts.", ([["a", "b", "c"], 2], ["a", "b"])),
    _p("texts-drop", "list[str], int -> list[str]", "to skip the first texts.", ([["a", "b", "c"], 2], ["c"])),
    _p("texts-upper", "list[str] -> list[str]", "to capitalise every text.", ([["ab", "c"]], ["AB", "C"])),
    _p("texts-lower", "list[str] -> list[str]", "to lower-case every text.", ([["AB", "C"]], ["ab", "c"])),
    _p("texts-proper", "list[str] -> list[str]", "to capitalise the words of every text.", ([["ada lovelace"]], ["Ada Lovelace"])),
    _p("texts-lefts", "list[str], int -> list[str]", "to keep a prefix of every text, e.g. initials.",
       ([["ada", "bob"], 1], ["a", "b"])),
    _p("texts-lengths", "list[str] -> list[int]", "to measure every text.", ([["ab", ""]], [2, 0])),
    _p("texts-contains", "list[str], str -> bool", "to test whether a text is in a list.", ([["a", "b"], "b"], True)),
    _p("texts-count-of", "list[str], str -> int", "to count how often a text occurs.", ([["a", "b", "a"], "a"], 2)),
    _p("list-test", "(int -> bool), list[int] -> list[bool]", "to get one truth value per item.",
       ([_EVEN, [1, 2, 4]], [False, True, True]),),
    _p("bools-all", "list[bool] -> bool", "to require every condition.", ([[True, False]], False), ([[]], True)),
    _p("bools-any", "list[bool] -> bool", "to accept any condition.", ([[True, False]], True), ([[]], False)),
    _p("bools-count", "list[bool] -> int", "to count true values.", ([[True, False, True]], 2)),
    _p("bools-not", "list[bool] -> list[bool]", "to negate every value.", ([[True, False]], [False, True])),
    _p("float-of-int", "int -> float", "to use a whole number as a decimal number.", ([3], 3.0)),
    _p("float-add", "float, float -> float", "to add decimal numbers.", ([1.5, 2.25], 3.75)),
    _p("float-sub", "float, float -> float", "to subtract decimal numbers.", ([1.5, 2.0], -0.5)),
    _p("float-mul", "float, float -> float", "to multiply decimal numbers.", ([1.5, 2.0], 3.0)),
    _p("float-div", "float, float -> float", "to divide decimal numbers.", ([3.0, 2.0], 1.5), ([1.0, 0.0], 0.0)),
    _p("float-round", "float, int -> float", "to round to a number of decimals.", ([2.675, 1], 2.7), ([1.5, 0], 2.0)),
    _p("float-floor", "float -> int", "to drop the fraction of a decimal number.", ([2.7], 2), ([-2.5], -3)),
    _p("list-mean", "list[int] -> float", "to average a list.", ([[1, 2]], 1.5), ([[]], 0.0)),
    _p("text-date", "str, str -> str", "to reformat dates and times (parse a date, write its parts).",
       (["06-Oct-2143", "%b %y"], "Oct 43"), (["3/7/2024", "%A %-d %B %Y"], "Thursday 7 March 2024"),
       (["2:05 PM", "%H:%M"], "14:05"), (["no date", "%Y"], "")),
    _p("text-number", "str, str -> str", "to format numbers: rounding, padding, thousands separators, percent, currency.",
       (["1234.5", "$#,##0.00"], "$1,234.50"), (["0.256", "0.0%"], "25.6%"), (["42", "00000"], "00042"),
       (["-7", "#,##0.00;(#,##0.00)"], "(7.00)"), (["n/a", "0"], "")),
    _p("text-digits-fill", "str, str -> str", "to write phone numbers, codes and ids in a fixed layout.",
       (["555.123.4567", "(###) ###-####"], "(555) 123-4567"), (["+1 555 123 4567", "###-###-####"], "555-123-4567"),
       (["12", "###"], "")),
    _p("text-name", "str, str -> str", "to split a person's name into parts (first, last, initials) and rearrange them.",
       (["Dr. Ada King Lovelace", "{last}, {first}"], "Lovelace, Ada"), (["Turing, Alan", "{f}.{m}.{l}."], "A.T."),
       (["Martin Luther King Jr.", "{last}"], "King")),
    _p("text-address", "str, str -> str", "to split a postal address into parts (street, city, state, postal code).",
       (["12 Main St, Apt 4, Springfield, IL 62701", "{city}, {state}"], "Springfield, IL"),
       (["221B Baker Street, London, NW1 6XE", "{zip}"], "NW1 6XE"), (["no comma", "{city}"], "")),
    _p("record-get", "dict[str, any], str -> any", "to read one field of a record (a cell of a row).",
       ([{"name": "Ada", "age": 36}, "age"], 36), ([{"name": "Ada"}, "age"], None)),
    _p("record-of", "str, any -> dict[str, any]", "to start a record with its first field.",
       (["name", "Ada"], {"name": "Ada"}),),
    _p("record-with", "dict[str, any], str, any -> dict[str, any]",
       "to add a field to a record or set one (add a column to a row).",
       ([{"name": "Ada"}, "age", 36], {"name": "Ada", "age": 36}), ([{"age": 1}, "age", 2], {"age": 2})),
    _p("records-column", "list[dict[str, any]], str -> list[any]", "to take one column of a table (every row's field).",
       ([[{"name": "Ada", "age": 36}, {"name": "Bob", "age": 5}], "name"], ["Ada", "Bob"]), ([[], "name"], [])),
    _p("records-sort-by", "list[dict[str, any]], str -> list[dict[str, any]]",
       "to order the rows of a table by a column (reverse the result for largest first).",
       ([[{"name": "Ada", "age": 36}, {"name": "Bob", "age": 5}], "age"],
        [{"name": "Bob", "age": 5}, {"name": "Ada", "age": 36}]),),
    _p("records-reverse", "list[dict[str, any]] -> list[dict[str, any]]", "to reverse the order of rows.",
       ([[{"id": 1}, {"id": 2}]], [{"id": 2}, {"id": 1}]),),
    _p("records-count", "list[dict[str, any]] -> int", "to count the rows of a table.",
       ([[{"id": 1}, {"id": 2}]], 2), ([[]], 0)),
    _p("records-filter", "(dict[str, any] -> bool), list[dict[str, any]] -> list[dict[str, any]]",
       "to keep the rows of a table that satisfy a test.",
       (["(lambda (a) (int-gt (record-get a \"stock\") 0))", [{"stock": 0}, {"stock": 4}]], [{"stock": 4}]),),
    _p("records-map", "(dict[str, any] -> any), list[dict[str, any]] -> list[any]",
       "to compute a value from every row of a table (a computed column).",
       (["(lambda (a) (int-mul (record-get a \"price\") (record-get a \"qty\")))",
         [{"price": 3, "qty": 2}, {"price": 5, "qty": 1}]], [6, 5]),),
    _p("dict-keys", "dict[str, any] -> list[str]", "to list the keys of a mapping.",
       ([{"red apple": 3, "pear": 5}], ["red apple", "pear"]),),
    _p("dict-values", "dict[str, any] -> list[any]", "to list the values of a mapping.",
       ([{"red apple": 3, "pear": 5}], [3, 5]),),
    _p("dict-get", "dict[str, any], str, any -> any", "to look a key up in a mapping, with a default when it is absent.",
       ([{"pen": 10}, "pen", 0], 10), ([{"pen": 10}, "ink", 0], 0)),
)

#: primitives whose argument at this position is a pattern (strftime codes, a number format, ``#`` slots, parts in
#: braces): the search takes it only from patterns read off the examples (``evoskill.synth.formats``)
PATTERN_ARGS: dict[str, int] = {"text-date": 1, "text-number": 1, "text-digits-fill": 1, "text-name": 1,
                                "text-address": 1}

#: binary primitives whose arguments commute (the search evaluates each unordered pair once)
COMMUTATIVE = frozenset({"int-add", "int-mul", "int-max", "int-min", "int-eq", "int-ne", "bool-and", "bool-or",
                         "text-exact", "float-add", "float-mul"})

BY_NAME: dict[str, Primitive] = {p.name: p for p in PRIMITIVES}
FUNCTIONS: dict[str, Callable[..., Any]] = {p.name: p.fn for p in PRIMITIVES}


def split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside parentheses, brackets and braces."""
    parts: list[str] = []
    cur: list[str] = []
    depth, i = 0, 0
    while i < len(text):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if depth == 0 and text.startswith(sep, i):
            parts.append("".join(cur).strip())
            cur, i = [], i + len(sep)
            continue
        cur.append(c)
        i += 1
    parts.append("".join(cur).strip())
    return parts


def parse_signature(sig: str) -> tuple[tuple[str, ...], str]:
    """``"str, int -> str"`` -> ``(("str", "int"), "str")``; function types stay as ``"(int -> bool)"``."""
    sides = split_top(sig.strip(), "->")
    if len(sides) != 2:
        raise ParseError(f"bad signature {sig!r}", fix="write it like 'str, int -> str'")
    args = tuple(a for a in split_top(sides[0], ",") if a)
    return args, sides[1].strip()


def function_type(t: str) -> tuple[tuple[str, ...], str] | None:
    """The parameter and result types of a function type ``(int, int -> int)``, or None for data types."""
    if t.startswith("(") and t.endswith(")"):
        return parse_signature(t[1:-1])
    return None
