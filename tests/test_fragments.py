"""Learned fragments: the lambdas of learned programs as cheap leaves of the search (issue 17)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evoskill.lang.components import Component, core_components, from_spec, to_spec
from evoskill.lang.program import Lambda, parse
from evoskill.synth.fragments import PART_EXTRA, UNVOTED_COST, VOTED_COST, body_fragments, lambda_fragments
from evoskill.synth.search import synthesize
from evoskill.tasks import Example, Task

ONCE = {"name": "list-once", "signature": "list[int] -> list[int]", "kind": "solution", "weight": 0.5,
        "program": "(list-filter (lambda (w0) (int-eq 1 (list-count-of x0 w0))) x0)"}
RULE = {"name": "list-odd-rule", "signature": "list[int] -> list[int]", "kind": "solution", "weight": 0.5,
        "program": "(list-filter (lambda (w0) (int-gt (int-mod (int-mul w0 3) 11) 5)) x0)"}
XS = [[15, 3, 22, 9], [8, 1, 14, 30, 2], [7, 20, 6], [13, 28, 4, 11, 5, 0]]


@pytest.fixture(scope="module")
def comps() -> list[Component]:
    return core_components()


def _learned(comps: list[Component], *skills: dict[str, str | float]) -> list[Component]:
    return from_spec(to_spec(comps) + list(skills))


def _task(name: str, fn: object) -> Task:
    assert callable(fn)
    return Task(name, "", tuple(Example((x,), fn(x)) for x in XS), input_types=("list[int]",),
                output_type="list[int]")


def test_a_learned_program_gives_its_lambda_and_the_parts_of_its_body(comps: list[Component]) -> None:
    learned = _learned(comps, ONCE)
    frags = lambda_fragments(learned, ("list[int]",))
    lam = parse("(list-filter (lambda (a) (int-eq 1 (list-count-of x0 a))) x0)").args[0]  # type: ignore[union-attr]
    assert isinstance(lam, Lambda)
    assert frags == {"(int -> bool)": {lam: UNVOTED_COST}}
    parts = body_fragments(frags)
    assert parts == {lam.body: UNVOTED_COST + PART_EXTRA,
                     parse("(list-count-of x0 a)"): UNVOTED_COST + PART_EXTRA}
    # the guide's vote for the skill makes its fragments cheaper
    voted = [replace(c, rank=0.5) if c.name == "list-once" else c for c in learned]
    assert lambda_fragments(voted, ("list[int]",)) == {"(int -> bool)": {lam: VOTED_COST}}


def test_no_learned_skill_no_fragment_and_inputs_must_match(comps: list[Component]) -> None:
    assert lambda_fragments(comps, ("list[int]",)) == {}
    # the lambda reads the skill's list input: a task whose first input is text has nothing for it to read
    assert lambda_fragments(_learned(comps, ONCE), ("str",)) == {}


def test_a_learned_lambda_serves_another_higher_order_call(comps: list[Component]) -> None:
    # learned inside a map; wanted as the key of a sort. 7 is no constant the lambda bodies are built from
    mod7 = {"name": "list-mod-seven", "signature": "list[int] -> list[int]", "kind": "solution", "weight": 0.5,
            "program": "(list-map (lambda (w0) (int-mod w0 7)) x0)"}
    task = _task("sort-by-mod7", lambda x: sorted(x, key=lambda a: a % 7))
    plain = synthesize(task, comps, budget_seconds=60, max_programs=150_000)
    assert not plain.solved
    r = synthesize(task, _learned(comps, mod7), budget_seconds=60, max_programs=150_000)
    assert r.solved and r.source == "(list-sort-by (lambda (a) (int-mod a 7)) x0)"


def test_a_part_of_a_learned_body_is_a_leaf_of_the_function_search(comps: list[Component]) -> None:
    task = _task("times-three-mod-eleven", lambda x: [a * 3 % 11 for a in x])
    plain = synthesize(task, comps, budget_seconds=60, max_programs=50_000)
    assert not plain.solved
    r = synthesize(task, _learned(comps, RULE), budget_seconds=60, max_programs=2000)
    assert r.solved and r.source == "(list-map (lambda (a) (int-mod (int-mul a 3) 11)) x0)"


def test_a_learned_body_that_fits_every_pair_ends_a_function_search_at_once(comps: list[Component]) -> None:
    from evoskill.synth.pointwise import FunctionSolver

    body = parse("(int-mod (int-mul a 3) 11)")
    points = [(a,) for xs in XS for a in xs]
    examples_of = [k for k, xs in enumerate(XS) for _ in xs]
    outs = [a * 3 % 11 for a, in points]
    inputs = [(xs,) for xs in XS]
    with_body = FunctionSolver(comps, [], float("inf"), {body: 2}, inputs)
    hit = with_body.solve(points, examples_of, outs, "int", ("a",))
    assert hit is not None and hit[1] == Lambda(("a",), body) and with_body.tried == 1
    # without it the same search enumerates, and these constants take it past its count
    bare = FunctionSolver(comps, [], float("inf"))
    bare.limit = 5000
    assert bare.solve(points, examples_of, outs, "int", ("a",)) is None and bare.tried == 5000


def test_no_function_search_on_a_list_that_cannot_beat_the_answer_in_hand(comps: list[Component]) -> None:
    # voted for: the body costs 2, the map over x0 4; every other source costs 2 or more, and a call and a
    # function around it 2 more, so none can give a cheaper answer and none is searched
    learned = [replace(c, rank=0.5) if c.name == "list-odd-rule" else c for c in _learned(comps, RULE)]
    task = _task("times-three-mod-eleven", lambda x: [a * 3 % 11 for a in x])
    for budget in (10_000, 100_000):
        r = synthesize(task, learned, budget_seconds=60, max_programs=budget)
        assert r.solved and r.source == "(list-map (lambda (a) (int-mod (int-mul a 3) 11)) x0)"
        assert r.programs_tried < 100  # before: the whole pointwise share (half the budget) went on others


def test_nested_lambdas_and_odd_names_give_only_sound_fragments(comps: list[Component]) -> None:
    nested = {"name": "list-counts", "signature": "list[int] -> list[int]", "kind": "solution", "weight": 0.5,
              "program": "(list-map (lambda (x) (list-count (lambda (v1) (int-eq v1 x)) x0)) x0)"}
    learned = _learned(comps, nested)
    frags = lambda_fragments(learned, ("list[int]",))
    # the outer lambda, renamed; the inner one reads the outer's parameter, so it is no fragment on its own
    assert frags == {"(int -> int)": {parse("(lambda (a) (list-count (lambda (v1) (int-eq v1 a)) x0))"): UNVOTED_COST}}
    task = _task("counts", lambda x: [x.count(a) for a in x])
    r = synthesize(task, learned, budget_seconds=60, max_programs=2000)
    assert r.solved and r.source is not None and "list-count" in r.source


def test_a_learned_list_valued_lambda_with_a_product_still_runs(comps: list[Component]) -> None:
    from evoskill.synth.search import _fragment_leaves

    triple = {"name": "list-triple", "signature": "list[int] -> list[int]", "kind": "solution", "weight": 0.5,
              "program": "(list-flat-map (lambda (w0) (list-singleton (int-mul w0 3))) x0)"}
    frags = lambda_fragments(_learned(comps, triple), ("list[int]",))
    ((ftype, lams),) = frags.items()
    leaves = _fragment_leaves(_task("t", lambda x: x), ftype, lams, {c.name: c.fn for c in comps})
    assert leaves and leaves[0][2][0](2) == [6]  # only an int-valued lambda is guarded against huge numbers
