"""Simplification: no-op steps hidden in learned skills are removed; skills that do real work stay."""

from __future__ import annotations

from evoskill.lang.components import Component, core_components
from evoskill.lang.primitives import FUNCTIONS
from evoskill.lang.program import compile_program, parse, to_sexpr
from evoskill.synth.search import synthesize
from evoskill.synth.simplify import simplify
from evoskill.tasks import Example, Task

# "the first N items after the head, N = the head": a real learned skill of a lists-rule run
TAKE_HEAD = "(list-take (list-drop x0 1) (list-head x0))"


def _learned(name: str, program: str) -> Component:
    expr = parse(program)
    return Component(name, ("list[int]",), "list[int]", compile_program(expr, 1, FUNCTIONS), "solution", 0.9,
                     expr, uses=3)


def _simplify(program: str, inputs: list[list[int]], learned: list[Component]) -> str:
    fns = {**FUNCTIONS, **{c.name: c.fn for c in learned}}
    progs = {c.name: c.program for c in learned if c.program is not None}
    return to_sexpr(simplify(parse(program), 1, [(i,) for i in inputs], progs, fns))


def test_a_learned_call_whose_take_never_cuts_is_opened() -> None:
    skill = _learned("take-by-head", TAKE_HEAD)
    # the head is at least the length in every example: the take does nothing here
    inputs = [[5, 2, 13, 6, 3], [3, 33], [8, 2, 6, 9]]
    got = _simplify("(list-map (lambda (a) (int-mul a (list-head x0))) (take-by-head x0))", inputs, [skill])
    assert got == "(list-map (lambda (a) (int-mul a (list-head x0))) (list-drop x0 1))"


def test_a_learned_call_that_does_real_work_stays() -> None:
    skill = _learned("take-by-head", TAKE_HEAD)
    inputs = [[2, 7, 8, 9], [1, 5, 6], [3, 1, 1, 1, 1]]  # the take cuts in every example
    program = "(list-reverse (take-by-head x0))"
    assert _simplify(program, inputs, [skill]) == program


def test_nested_learned_calls_are_opened_to_the_no_op() -> None:
    inner = _learned("take-by-head", TAKE_HEAD)
    outer = Component("sorted-take", ("list[int]",), "list[int]",
                      lambda xs: sorted(inner.fn(xs)), "solution", 0.9, parse("(list-sort (take-by-head x0))"), 2)
    inputs = [[9, 3, 1, 2], [7, 5, 4]]
    got = _simplify("(list-reverse (sorted-take x0))", inputs, [inner, outer])
    assert got == "(list-reverse (list-sort (list-drop x0 1)))"


def test_types_are_kept_apart() -> None:
    """``True == 1`` in Python, but a bool step is never replaced by an int argument of equal value."""
    inputs = [[1, 2], [1]]
    assert _simplify("(int-eq (list-head x0) 1)", inputs, []) == "(int-eq (list-head x0) 1)"


def test_primitive_no_ops_go_bottom_up() -> None:
    """Reversing a palindrome, then sorting a sorted list: both steps do nothing on these examples."""
    assert _simplify("(list-sort (list-reverse x0))", [[1, 1], [2]], []) == "x0"


def test_search_returns_the_simplified_program_that_generalizes() -> None:
    """With the shortcut in the library, the search's answer no longer depends on a no-op take."""
    comps = [*core_components(), _learned("take-by-head", TAKE_HEAD)]
    f = lambda xs: [x * xs[0] for x in xs[1:]]  # noqa: E731
    ins = [[5, 2, 13, 6, 3], [3, 33], [9], [8, 2, 6, 9], [6, 3, 1], [10, 5]]
    task = Task("times-head", "", tuple(Example((i,), f(i)) for i in ins), input_types=("list[int]",),
                output_type="list[int]")
    r = synthesize(task, comps, budget_seconds=20, max_programs=2_000_000)
    assert r.solved and r.source is not None
    assert "take-by-head" not in r.source, r.source
    fn = compile_program(parse(r.source), 1, FUNCTIONS)
    held = [[2, 7, 8, 9], [1, 4, 4]]  # small heads: a take by the head would cut here
    assert all(fn(i) == f(i) for i in held), r.source
