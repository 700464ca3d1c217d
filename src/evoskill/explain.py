"""Names and descriptions an agent can choose by, rendered from a program without a model.

A program such as ``(text-upper (text-before x0 "-"))`` becomes the sentence *"the upper case of the
text before the first "-" in text"*, the skill name ``upper-of-text-before`` and the parameter name
``text``. Each built-in primitive has a phrase template below; a learned skill a program calls is named
by its own name (its description is one call away for the reader).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .lang.program import Call, Const, Expr, Lambda, Var

# {0}, {1}, ... are the phrases of the arguments.
PHRASES: dict[str, str] = {
    "text-concat": "{0} followed by {1}",
    "text-left": "the first {1} characters of {0}",
    "text-right": "the last {1} characters of {0}",
    "text-mid": "{2} characters of {0} from position {1}",
    "text-replace": "{0} with {2} characters from position {1} replaced by {3}",
    "text-substitute": "{0} with every {1} replaced by {2}",
    "text-substitute-nth": "{0} with occurrence number {3} of {1} replaced by {2}",
    "text-find": "the position of {0} in {1}",
    "text-find-from": "the position of {0} in {1} from position {2}",
    "text-search": "the position of {0} in {1}, ignoring case",
    "text-trim": "{0} without stray spaces",
    "text-upper": "{0} in upper case",
    "text-lower": "{0} in lower case",
    "text-proper": "{0} with each word capitalised",
    "text-len": "the length of {0}",
    "text-rept": "{0} repeated {1} times",
    "text-of-int": "{0} as text",
    "int-of-text": "the number written in {0}",
    "text-is-number": "whether {0} is a whole number",
    "text-if": "{1} if {0}, else {2}",
    "text-exact": "whether {0} equals {1}",
    "text-contains": "whether {0} contains {1}",
    "text-of-bool": "{0} as TRUE or FALSE",
    "text-before": "the part of {0} before the first {1}",
    "text-after": "the part of {0} after the first {1}",
    "text-before-last": "the part of {0} before the last {1}",
    "text-after-last": "the part of {0} after the last {1}",
    "text-count": "the number of times {1} occurs in {0}",
    "text-keep-digits": "the digits of {0}",
    "text-remove-digits": "{0} without its digits",
    "text-date": "the date in {0} written as {1}",
    "text-number": "the number in {0} formatted as {1}",
    "text-digits-fill": "the digits of {0} laid out as {1}",
    "text-name": "the name in {0} rearranged as {1}",
    "text-address": "the address in {0} rearranged as {1}",
    "int-add": "{0} plus {1}",
    "int-sub": "{0} minus {1}",
    "int-mul": "{0} times {1}",
    "int-div": "{0} divided by {1}",
    "int-mod": "the remainder of {0} divided by {1}",
    "int-max": "the larger of {0} and {1}",
    "int-min": "the smaller of {0} and {1}",
    "int-abs": "the absolute value of {0}",
    "int-eq": "whether {0} equals {1}",
    "int-lt": "whether {0} is less than {1}",
    "int-gt": "whether {0} is greater than {1}",
    "int-ne": "whether {0} differs from {1}",
    "int-le": "whether {0} is at most {1}",
    "int-ge": "whether {0} is at least {1}",
    "int-is-even": "whether {0} is even",
    "int-is-odd": "whether {0} is odd",
    "int-if": "{1} if {0}, else {2}",
    "bool-and": "{0} and {1}",
    "bool-or": "{0} or {1}",
    "bool-not": "not {0}",
    "list-map": "{1} with each item a replaced by {0}",
    "list-filter": "the items a of {1} for which {0}",
    "list-fold": "{2} combined from {1} with (a, b) -> {0}",
    "list-scan": "the running values of {1} with (a, b) -> {0}",
    "list-zip-with": "{1} and {2} combined item by item with (a, b) -> {0}",
    "list-mapi": "{1} with each item a at position b replaced by {0}",
    "list-flat-map": "{1} with each item a expanded into {0}",
    "list-sort-by": "{1} ordered by {0} for each item a",
    "list-interleave": "the items of {0} alternated with those of {1}",
    "list-count-of": "how often {1} occurs in {0}",
    "list-count": "the number of items a of {1} for which {0}",
    "list-sum": "the sum of {0}",
    "list-len": "the number of items in {0}",
    "list-max": "the largest item of {0}",
    "list-min": "the smallest item of {0}",
    "list-head": "the first item of {0}",
    "list-last": "the last item of {0}",
    "list-nth": "item {1} of {0}",
    "list-take": "the first {1} items of {0}",
    "list-drop": "{0} without its first {1} items",
    "list-slice": "the items of {0} from position {1} to {2}",
    "list-reverse": "{0} reversed",
    "list-sort": "{0} sorted ascending",
    "list-unique": "{0} without repeated items",
    "list-append": "{0} followed by {1}",
    "list-cons": "{0} put in front of {1}",
    "list-push": "{0} with {1} added at the end",
    "list-singleton": "the list holding only {0}",
    "list-insert": "{0} with {2} inserted at position {1}",
    "list-remove-at": "{0} without item {1}",
    "list-set-nth": "{0} with item {1} set to {2}",
    "list-index-of": "the position of {1} in {0}",
    "list-contains": "whether {0} contains {1}",
    "list-range": "the numbers from {0} to {1}",
    "list-repeat": "{1} copies of {0}",
    "list-if": "{1} if {0}, else {2}",
    "text-split": "the pieces of {0} between each {1}",
    "text-words": "the words of {0}",
    "texts-join": "{0} joined with {1}",
    "texts-len": "the number of texts in {0}",
    "texts-nth": "text {1} of {0}",
    "texts-first": "the first text of {0}",
    "texts-last": "the last text of {0}",
    "texts-reverse": "{0} reversed",
    "texts-sort": "{0} sorted alphabetically",
    "texts-unique": "{0} without repeated texts",
    "texts-take": "the first {1} texts of {0}",
    "texts-drop": "{0} without its first {1} texts",
    "texts-upper": "every text of {0} in upper case",
    "texts-lower": "every text of {0} in lower case",
    "texts-proper": "every text of {0} with each word capitalised",
    "texts-lefts": "the first {1} characters of every text of {0}",
    "texts-lengths": "the length of every text of {0}",
    "texts-contains": "whether {0} contains {1}",
    "texts-count-of": "how often {1} occurs in {0}",
    "list-test": "for each item a of {1}, whether {0}",
    "bools-all": "whether every value of {0} is true",
    "bools-any": "whether some value of {0} is true",
    "bools-count": "the number of true values in {0}",
    "bools-not": "{0} with every value negated",
    "float-of-int": "{0} as a decimal number",
    "float-add": "{0} plus {1}",
    "float-sub": "{0} minus {1}",
    "float-mul": "{0} times {1}",
    "float-div": "{0} divided by {1}",
    "float-round": "{0} rounded to {1} decimals",
    "float-floor": "{0} rounded down",
    "list-mean": "the average of {0}",
    "record-get": "the {1} field of {0}",
    "record-of": "a record with {0} set to {1}",
    "record-with": "{0} with {1} set to {2}",
    "records-column": "the {1} column of {0}",
    "records-sort-by": "the rows of {0} ordered by {1}",
    "records-reverse": "the rows of {0} reversed",
    "records-count": "the number of rows in {0}",
    "records-filter": "the rows a of {1} for which {0}",
    "records-map": "{0} for each row a of {1}",
    "dict-keys": "the keys of {0}",
    "dict-values": "the values of {0}",
    "dict-get": "the value of {1} in {0}, or {2} when absent",
}

# One or two words for a skill name, per primitive (its name without the domain prefix by default).
_NAME_WORDS: dict[str, str] = {
    "text-of-int": "text", "int-of-text": "number", "text-of-bool": "truth", "text-keep-digits": "digits",
    "text-remove-digits": "no-digits", "text-substitute": "substitute", "text-substitute-nth": "substitute",
    "list-singleton": "singleton", "list-cons": "prepend", "list-push": "append",
    "record-get": "field", "record-of": "record", "record-with": "with", "records-sort-by": "sorted-by",
}

_TYPE_NAMES = {"str": "text", "int": "number", "bool": "flag", "list[int]": "items", "list[str]": "texts",
               "list[bool]": "flags", "float": "amount"}
_SKIP_IN_NAMES = {"text-if", "int-if", "list-if", "bool-and", "bool-or", "bool-not", "text-concat",
                  "list-append", "int-add", "int-sub"}


def _shape_name(t: str) -> str:
    """A name for a value of a structured type: a record, rows of a table, a mapping."""
    if t.startswith("{"):
        return "record"
    if t.startswith("list[{"):
        return "rows"
    if t.startswith("dict["):
        return "mapping"
    return "value"


def parameter_names(arg_types: Sequence[str]) -> list[str]:
    """Python names for the inputs from their types: ``text``, ``number``, ``items`` (numbered if repeated)."""
    base = [_TYPE_NAMES.get(t, _shape_name(t)) for t in arg_types]
    names = []
    for i, b in enumerate(base):
        names.append(b if base.count(b) == 1 else f"{b}{base[:i + 1].count(b)}")
    return names


def _const(value: Any) -> str:
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def phrase(e: Expr, params: Mapping[str, str], learned: Mapping[str, str] | None = None) -> str:
    """An English phrase for ``e``; inputs read by ``params`` (``x0`` -> ``text``)."""
    if isinstance(e, Var):
        return params.get(e.name, e.name)
    if isinstance(e, Const):
        return _const(e.value)
    if isinstance(e, Lambda):
        return phrase(e.body, params, learned)
    args = [phrase(a, params, learned) for a in e.args]
    if e.op in ("list-filter", "list-count", "records-filter") and args and args[0].startswith("whether "):
        args[0] = args[0][len("whether "):]
    args = [a if " " not in a or a.startswith('"') else f"({a})" for a in args]
    template = PHRASES.get(e.op)
    if template is not None and template.count("{") <= len(args):
        return template.format(*args)
    label = (learned or {}).get(e.op) or e.op
    return f"{label} of {', '.join(args)}" if args else label


def sentence(e: Expr, arg_types: Sequence[str], return_type: str,
             learned: Mapping[str, str] | None = None) -> str:
    """"Returns <phrase>." with the inputs named as in the skill's script."""
    names = parameter_names(arg_types)
    text = phrase(e, {f"x{i}": n for i, n in enumerate(names)}, learned)
    return f"Returns {text}."


def _words(e: Expr) -> list[str]:
    """Name words along the program's spine: the outer call, then its most informative argument."""
    if not isinstance(e, Call):
        return []
    word = [] if e.op in _SKIP_IN_NAMES else [_NAME_WORDS.get(e.op, e.op.split("-", 1)[-1])]
    if e.op not in PHRASES:  # a learned skill: its name without the domain, if it reads as words
        word = [] if re.search(r"\d", e.op) or e.op.startswith("task-") else [e.op.split("-", 1)[-1]]
    calls = [a for a in e.args if isinstance(a, Call)]
    if not calls:
        calls = [a.body for a in e.args if isinstance(a, Lambda) and isinstance(a.body, Call)]
    deepest = max(calls, key=_depth, default=None)
    return word + (_words(deepest) if deepest is not None else [])


def _depth(e: Expr) -> int:
    if isinstance(e, Call):
        return 1 + max((_depth(a) for a in e.args), default=0)
    if isinstance(e, Lambda):
        return _depth(e.body)
    return 0


def derive_name(e: Expr, return_type: str) -> str | None:
    """A readable skill name from the program's calls (``text-upper-before``), or None if none reads well.

    Learned skills it calls (names like ``task-c001-1``) and numbered names do not make good words, so
    a program made only of those gives None (the caller keeps the task's name).
    """
    words = [w for w in _words(e) if w]
    if not words:
        return None
    domain = {"str": "text", "int": "number", "bool": "test", "list[int]": "list", "list[str]": "texts",
              "list[bool]": "tests", "float": "amount"}.get(return_type, _shape_name(return_type))
    parts: list[str] = []
    for w in "-".join(words).split("-"):
        if w not in parts:
            parts.append(w)
    name = "-".join([domain, *[p for p in parts if p != domain][:3]])
    return re.sub(r"-+", "-", name).strip("-")[:60].strip("-")


def readable_task_name(task_name: str) -> str | None:
    """The task's own name when it reads as words (``first-word``), else None (``c001_1``, ``35744094``)."""
    stem = re.sub(r"\.(sl|json)$", "", task_name.lower())
    words = [w for w in re.split(r"[^a-z0-9]+", stem) if w]
    if not any(len(w) >= 3 and w.isalpha() for w in words):
        return None
    if re.fullmatch(r"[a-z]\d+", words[0]):
        return None
    return "-".join(words)[:60].strip("-") or None
