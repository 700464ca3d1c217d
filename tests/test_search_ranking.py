"""Search ranks what a user asks for first: a fixed set of everyday queries with the skills that answer them.

The first 16 queries were used while adjusting the ranking (name and description coverage before bm25) and
the built-in descriptions' wording; the last 8 were written afterwards and not tuned on.
"""

from __future__ import annotations

from pathlib import Path

from evoskill.library import Library
from evoskill.session import install_core

QUERIES: dict[str, set[str]] = {
    "split text by a delimiter": {"text-split", "text-before", "text-after", "text-before-last", "text-after-last"},
    "sort list descending": {"list-sort", "list-reverse", "list-sort-by"},
    "upper case": {"text-upper"}, "count occurrences": {"text-count", "list-count-of"},
    "remove digits": {"text-remove-digits"}, "largest number in a list": {"list-max"},
    "join two texts": {"text-concat"}, "absolute value": {"int-abs"}, "trim spaces": {"text-trim"},
    "reverse a list": {"list-reverse"}, "running total": {"list-scan"}, "first item of a list": {"list-head"},
    "replace text": {"text-substitute", "text-replace"}, "keep only digits": {"text-keep-digits"},
    "position of a substring": {"text-find", "text-search"}, "remove duplicates": {"list-unique"},
    # written after the tuning
    "lower case a text": {"text-lower"}, "smallest item": {"list-min"}, "last character of a string": {"text-right"},
    "is the number even": {"int-is-even"}, "capitalize each word": {"text-proper", "texts-proper"},
    "add an item to the end of a list": {"list-push"}, "number of characters": {"text-len"},
    "keep items matching a condition": {"list-filter"},
}


def test_everyday_queries_rank_the_right_skill_first(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib")
    install_core(lib)
    top1 = top3 = 0
    misses = []
    for query, want in QUERIES.items():
        got = [h.record.name for h in lib.search(query, k=3)]
        top1 += bool(got) and got[0] in want
        top3 += bool(want & set(got))
        if not got or got[0] not in want:
            misses.append((query, got))
    lib.close()
    # measured: 23/24 first, 23/24 in the first three (before: "split text by a delimiter" gave text-find first)
    assert top1 >= 21, misses
    assert top3 >= 22, misses
