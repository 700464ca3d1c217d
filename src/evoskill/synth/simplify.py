"""Simplification: remove the steps of a found program that do nothing on the task's examples.

The search keeps, for every value it meets, only its cheapest program (observational equivalence), so a
primitive step that leaves its argument unchanged on every example never survives the enumeration. A
learned skill is a single step however much it does inside, and so escapes that rule: ``task-c030-1`` =
``(list-take (list-drop x0 1) (list-head x0))`` is cheaper than ``(list-drop x0 1)``, equals it on examples
whose first item is large, and then mispredicts any list whose first item is small. Such a call explains
the examples with a step the evidence never exercised: an overfit.

:func:`simplify` opens each learned call outside lambdas (inlines its body one level) and looks there for a
*no-op step*: a call whose value equals the value of one of its arguments on every example. Each no-op is
replaced by that argument. When opening a call (and the learned calls inside it) exposed a no-op, the
opened, simplified body replaces the call; otherwise the call stays (the skill did real work and its reuse is kept). Primitive no-ops in the
program itself go too. This repeats until nothing changes. Every replaced step had the same values on
every example, so the result reproduces the examples by construction; it is never larger.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..lang.program import Call, Expr, Lambda, compile_program, substitute

MAX_PASSES = 20


class _Values:
    """Values of sub-expressions (outside lambdas) on the examples' inputs, memoised."""

    def __init__(self, arity: int, inputs: Sequence[Sequence[Any]], functions: Mapping[str, Callable[..., Any]]):
        self.arity, self.inputs, self.functions = arity, inputs, functions
        self.memo: dict[Expr, tuple[Any, ...] | None] = {}

    def of(self, e: Expr) -> tuple[Any, ...] | None:
        if e not in self.memo:
            try:
                fn = compile_program(e, self.arity, self.functions)
                self.memo[e] = tuple(_frozen(fn(*[list(v) if isinstance(v, list) else v for v in ins]))
                                     for ins in self.inputs)
            except Exception:
                self.memo[e] = None
        return self.memo[e]


def _frozen(v: Any) -> Any:
    """A comparable form that keeps types apart (``True`` is not ``1``; a list is not a text)."""
    if isinstance(v, list | tuple):
        return ("list", tuple(_frozen(x) for x in v))
    return (type(v).__name__, v)


def drop_noops(e: Expr, values: _Values) -> Expr:
    """Replace, bottom-up and outside lambdas, every call that equals one of its arguments on every example."""
    if not isinstance(e, Call):
        return e
    args = tuple(a if isinstance(a, Lambda) else drop_noops(a, values) for a in e.args)
    node = Call(e.op, args)
    mine = values.of(node)
    if mine is not None:
        for a in args:
            if not isinstance(a, Lambda) and values.of(a) == mine:
                return a
    return node


def _open(e: Expr, learned: Mapping[str, Expr], values: _Values) -> Expr:
    """Open the learned calls (outside lambdas) that hide a no-op; leave the others as calls."""
    if not isinstance(e, Call):
        return e
    args = tuple(a if isinstance(a, Lambda) else _open(a, learned, values) for a in e.args)
    node = Call(e.op, args)
    body = learned.get(e.op)
    if body is not None:
        opened = substitute(body, {f"x{i}": a for i, a in enumerate(args)})
        # learned skills call each other without cycles, so opening the calls inside the body ends
        slim = drop_noops(_open(opened, learned, values), values)
        if slim != opened:
            return slim
    return node


def simplify(expr: Expr, arity: int, inputs: Sequence[Sequence[Any]], learned: Mapping[str, Expr],
             functions: Mapping[str, Callable[..., Any]]) -> Expr:
    """``expr`` without no-op steps, its own or hidden inside learned skills (see the module docstring).

    ``inputs`` are the examples' inputs; ``learned`` maps a learned skill's name to its program over
    ``x0..xn``; ``functions`` maps every skill name the program may reach to its callable.
    """
    values = _Values(arity, inputs, functions)
    for _ in range(MAX_PASSES):
        new = drop_noops(_open(expr, learned, values), values)
        if new == expr:
            break
        expr = new
    return expr
