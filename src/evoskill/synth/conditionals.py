"""Divide and conquer for conditionals (EUSolver-style).

Terms of the output type that are right on *some* examples are grouped by the bitmask of examples they
get right (cheapest term per mask); predicates (enumerated bool-valued programs) by the bitmask of examples
where they are true. A solution for a set of examples ``X`` is a term whose mask covers ``X``, or
``(if p then-term else-rest)`` where ``p`` splits ``X``, the then-term covers ``X & p`` and the rest is
solved recursively on ``X & ~p`` (a decision list, depth-limited). Every branch must answer for at least
two examples, and its term be right on at least two (a branch per example would just memorise the
examples), and parity predicates cost extra (they split small example sets by luck). A branch's term may not
call a learned skill (``learned``): a shortcut learned from another task, cheap and right on two or three of
this task's examples, made most of the overfit conditionals measured with learning (issue 17,
docs/LEARNING.md). (A term right on every example would be an answer of its own, found before any
conditional.) The rule applies to top-level conditionals, not to those inside a map's function.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..lang.program import Call, Expr, ops

# Parity tests split any small set of examples by luck; as branch conditions they rarely mean anything.
ARBITRARY = {"int-is-even", "int-is-odd"}

MAX_PREDS = 200  # the cheapest distinct predicates tried per split
MIN_BRANCH = 2  # examples a branch must answer for

IF_OPS = {"str": "text-if", "int": "int-if", "list[int]": "list-if"}


def mask_of(vec: tuple[Any, ...], target: tuple[Any, ...]) -> int:
    m = 0
    for i, (a, b) in enumerate(zip(vec, target, strict=True)):
        if a == b:
            m |= 1 << i
    return m


def true_mask(vec: tuple[Any, ...]) -> int:
    m = 0
    for i, a in enumerate(vec):
        if a:
            m |= 1 << i
    return m


class Conditionals:
    """Incrementally collected terms and predicates; :meth:`solve` builds the cheapest decision list."""

    def __init__(self, n: int, target: tuple[Any, ...], if_op: str, parity_penalty: int = 3,
                 learned: Iterable[str] = ()) -> None:
        self.n = n
        self.parity_penalty = parity_penalty
        #: learned skills: no branch's term may call one (see the module doc)
        self.learned = frozenset(learned)
        self.full = (1 << n) - 1
        self.target = target
        self.if_op = if_op
        self.terms: dict[int, tuple[int, Expr]] = {}
        self.preds: dict[int, tuple[int, Expr]] = {}

    def add_terms(self, items: Iterable[tuple[int, tuple[Any, ...], Expr]]) -> None:
        for cost, vec, expr in items:
            m = mask_of(vec, self.target)
            # a term right on a single example is what overfitting looks like: keep terms right on >= 2
            if not (m & (m - 1) and (m not in self.terms or self.terms[m][0] > cost)):
                continue
            if m != self.full and self.learned and not self.learned.isdisjoint(ops(expr)):
                continue  # a learned shortcut right on a part of another task's examples: luck, mostly
            self.terms[m] = (cost, expr)

    def add_preds(self, items: Iterable[tuple[int, tuple[Any, ...], Expr]]) -> None:
        for cost, vec, expr in items:
            if isinstance(expr, Call) and expr.op in ARBITRARY:
                cost += self.parity_penalty
            m = true_mask(vec)
            if 0 < m < self.full and (m not in self.preds or self.preds[m][0] > cost):
                self.preds[m] = (cost, expr)

    def _cover(self, need: int) -> tuple[int, Expr] | None:
        best: tuple[int, Expr] | None = None
        for m, (c, e) in self.terms.items():
            if m & need == need and (best is None or c < best[0]):
                best = (c, e)
        return best

    def solve(self, depth: int = 3) -> tuple[int, Expr] | None:
        """The cheapest decision list found for all examples, as ``(cost, expr)``, or None."""
        memo: dict[tuple[int, int], tuple[int, Expr] | None] = {}
        covers: dict[int, tuple[int, Expr] | None] = {}
        preds = sorted(self.preds.items(), key=lambda kv: kv[1][0])[:MAX_PREDS]

        def cover(need: int) -> tuple[int, Expr] | None:
            if need not in covers:
                covers[need] = self._cover(need)
            return covers[need]

        def go(need: int, d: int) -> tuple[int, Expr] | None:
            key = (need, d)
            if key in memo:
                return memo[key]
            # a branch (the else-branch included) answers for at least MIN_BRANCH examples
            best = cover(need) if need == self.full or need.bit_count() >= MIN_BRANCH else None
            if d > 0:
                for pm, (pc, pe) in preds:
                    yes, no = need & pm, need & ~pm
                    if yes.bit_count() < MIN_BRANCH or no.bit_count() < MIN_BRANCH:
                        continue
                    then = cover(yes)
                    if then is None:
                        continue
                    if best is not None and 1 + pc + then[0] >= best[0]:
                        continue
                    rest = go(no, d - 1)
                    if rest is None:
                        continue
                    cost = 1 + pc + then[0] + rest[0]
                    if best is None or cost < best[0]:
                        best = (cost, Call(self.if_op, (pe, then[1], rest[1])))
            memo[key] = best
            return best

        if not self.terms:
            return None
        return go(self.full, depth)
