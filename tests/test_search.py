"""The search synthesizer: real bundled tasks, determinism, learned components, sandbox job."""

from __future__ import annotations

import pytest

from evoskill.lang.components import (
    Component,
    components_from_skills,
    core_components,
    from_spec,
    prior_weight,
    to_spec,
)
from evoskill.lang.program import Const, Var, compile_program, parse
from evoskill.synth.enumerate import Enumerator
from evoskill.synth.search import entry_name, plain_components, search_job, synthesize
from evoskill.tasks import Example, Task, load_tasks


@pytest.fixture(scope="module")
def comps() -> list[Component]:
    return core_components()


def _task(spec: str, name: str) -> Task:
    return next(t for t in load_tasks(spec) if t.name == name)


def _passes(task: Task, source: str, comps: list[Component], held_out: bool = False) -> bool:
    fn = compile_program(parse(source), task.arity, {c.name: c.fn for c in comps})
    exs = task.held_out if held_out else task.examples
    return all(fn(*e.inputs) == e.output or list(fn(*e.inputs)) == e.output for e in exs)


@pytest.mark.parametrize("spec,name", [
    ("strings-sygus", "firstname"), ("strings-sygus", "lastname"), ("strings-sygus", "phone-1"),
    ("strings-sygus", "dr-name"), ("strings-new", "negativeInParentheses"),
    ("lists-rule", "c006_1"), ("lists-rule", "c010_1"), ("lists-rule", "c038_1"), ("lists-rule", "c071_1"),
    ("lists-rule", "c092_1"),
])
def test_solves_small_real_tasks(spec: str, name: str, comps: list[Component]) -> None:
    task = _task(spec, name)
    # bounded by programs, not seconds, so a loaded machine cannot fail it (each needs well under 3M programs)
    r = synthesize(task.for_solver(), comps, budget_seconds=300, max_programs=3_000_000)
    assert r.solved, (name, r.programs_tried)
    assert r.source is not None and _passes(task, r.source, comps)
    assert _passes(task, r.source, comps, held_out=True), r.source


def test_lambda_map(comps: list[Component]) -> None:
    task = Task("inc", "", (Example(([1, 2],), [2, 3]), Example(([5],), [6]), Example(([],), [])),
                input_types=("list[int]",), output_type="list[int]")
    r = synthesize(task, comps, budget_seconds=5)
    assert r.source == "(list-map (lambda (a) (int-add a 1)) x0)"


@pytest.mark.parametrize("name,lam", [("c048_1", "(lambda (a) (list-range 1 a))"),
                                      ("c051_1", "(lambda (a) (list-repeat a a))")])
def test_flat_map_with_a_list_valued_lambda(name: str, lam: str, comps: list[Component]) -> None:
    """Rule et al.: every item becomes a run (1..item) or item copies of itself; the runs are joined."""
    task = _task("lists-rule", name)
    r = synthesize(task.for_solver(), comps, budget_seconds=20, max_programs=2_000_000)
    assert r.source == f"(list-flat-map {lam} x0)"
    assert _passes(task, r.source, comps, held_out=True)


def test_a_join_whose_pieces_vanish_only_where_the_output_does(comps: list[Component]) -> None:
    """Rule et al. c016: the reversed list, then the list without its head; the input [] gives [] and [71]
    gives [71]. A piece may be empty where the output is (an empty input), never elsewhere."""
    task = _task("lists-rule", "c016_1")
    r = synthesize(task.for_solver(), comps, budget_seconds=60, max_programs=5_000)
    assert r.solved and r.source is not None, r.programs_tried
    assert _passes(task, r.source, comps, held_out=True), r.source
    assert r.source.startswith("(list-append (list-reverse x0)"), r.source


def test_deterministic_under_max_programs(comps: list[Component]) -> None:
    task = _task("strings-sygus", "initials")
    a = synthesize(task, comps, budget_seconds=30, max_programs=30000)
    b = synthesize(task, list(reversed(comps)), budget_seconds=30, max_programs=30000)
    assert (a.source, a.programs_tried) == (b.source, b.programs_tried)
    assert a.programs_tried <= 30000


def test_learned_component_is_used(comps: list[Component]) -> None:
    def ex(a: str, b: str) -> Example:
        return Example((a,), b)
    task = Task("slug", "", (ex("  Hello Big World ", "hello_big_world"), ex("A b", "a_b"),
                             ex(" Data  Set", "data_set")), input_types=("str",), output_type="str")
    base = synthesize(task, comps, budget_seconds=20, max_programs=3000)
    assert not base.solved and base.programs_tried == 3000
    slug = {"name": "text-slug", "signature": "str -> str", "kind": "abstraction", "weight": 0.9,
            "program": '(text-lower (text-substitute (text-trim x0) " " "_"))'}
    learned = from_spec(to_spec(comps) + [slug])
    assert any(c.name == "text-slug" and c.program is not None for c in learned)
    r = synthesize(task, learned, budget_seconds=20, max_programs=3000)
    assert r.solved and r.source == "(text-slug x0)"
    assert r.programs_tried < 3000


def test_never_sees_held_out(comps: list[Component]) -> None:
    task = _task("strings-sygus", "firstname")
    bad = Task(task.name, "", task.examples, held_out=(Example(("Ann Lee",), "WRONG"),),
               input_types=task.input_types, output_type=task.output_type)
    r = synthesize(bad, comps, budget_seconds=5)
    assert r.solved and r.source == "(text-before x0 \" \")"


def test_search_job_json(comps: list[Component]) -> None:
    task = _task("strings-sygus", "lastname").for_solver()
    out = search_job({"task": task.to_dict(), "components": to_spec(comps), "budget_seconds": 5,
                      "max_programs": None, "seed": 0})
    assert out["solved"] and out["program"] == '(text-after x0 " ")'
    assert out["programs_tried"] > 0


def test_components_from_skills_and_prior() -> None:
    class M:
        def __init__(self, md: dict[str, str]) -> None:
            self.metadata = md

    class S:
        def __init__(self, name: str, md: dict[str, str]) -> None:
            self.name, self.manifest = name, M(md)

    skills = [S("second-then-first", {"evoskill-kind": "solution", "evoskill-signature": "str -> str",
                                      "evoskill-program": '(first-word (text-after x0 " "))'}),
              S("first-word", {"evoskill-kind": "abstraction", "evoskill-signature": "str -> str",
                               "evoskill-program": '(text-before x0 " ")'})]
    cs = {c.name: c for c in components_from_skills(skills, {"first-word": {"uses": 10, "successes": 9}})}
    assert cs["second-then-first"].fn("a b c") == "b"
    assert cs["first-word"].weight == prior_weight(10, 9) and cs["first-word"].cost == 1
    assert prior_weight(20, 0) < 0.1 and Component("x", (), "int", int, weight=prior_weight(20, 0)).cost == 3


def test_entry_name() -> None:
    assert entry_name("11604909.sl") == "f_11604909_sl"
    assert entry_name("name-combine-2") == "name_combine_2"


def test_proposer_in_sandbox(comps: list[Component]) -> None:
    sandbox_mod = pytest.importorskip("evoskill.sandbox")
    from evoskill.synth.search import SearchProposer
    sb = sandbox_mod.Sandbox(workers=1)
    try:
        task = _task("strings-sygus", "firstname")
        att = SearchProposer(sb, lambda: comps).propose(task, budget_seconds=5)
    finally:
        sb.close()
    assert att.solved and att.solution is not None, att.log
    assert att.solution.source == '(text-before x0 " ")'
    assert att.solution.entry == "firstname" and att.solution.uses == ("text-before",)
    assert "def firstname(x0: str) -> str" in att.solution.python


def test_components_from_core_skill_folders() -> None:
    from evoskill.core import skills_root
    from evoskill.skill import Skill
    skills = [Skill.load(d) for d in sorted(skills_root().iterdir())]
    cs = components_from_skills(skills, include_core=False)
    assert len(cs) == len(skills) == len(core_components())
    assert [c.name for c in from_spec(to_spec(cs))] == [c.name for c in cs]


def test_small_calls_of_a_level_run_first_on_list_tasks(comps: list[Component]) -> None:
    """A budget that ends inside a cost level goes to its small calls first: the running sum (a ``list-scan``
    over a handful of lambdas, cost 5) comes before ``list-cons`` of every number onto every list of cost 3,
    which the components' names used to put first (the built-ins then needed about 145k programs)."""
    task = _task("lists-rule", "c071_1")
    r = synthesize(task, plain_components(comps), budget_seconds=60, max_programs=10_000)
    # (programs_tried also counts the map/filter function searches' own share, up to half the budget again)
    assert r.solved and r.source is not None and _passes(task, r.source, comps, held_out=True)


def test_without_size_order_a_level_runs_in_the_given_order(comps: list[Component]) -> None:
    """``by_size=False`` keeps the components' order within each level; the size order changes it."""
    calls: list[tuple[int, str]] = []

    class Recording(Enumerator):
        def _apply(self, comp: Component, parts: tuple[int, ...], level: int, half: bool = False) -> None:
            calls.append((level, comp.name))
            super()._apply(comp, parts, level, half)

    given = [c for c in comps if c.name in ("list-cons", "list-reverse", "list-len", "int-add")]
    leaves = [("int", 1, (3, 4), Var("x0")), ("list[int]", 1, ((1, 2), (5,)), Var("x1")),
              ("int", 1, (1, 1), Const(1)), ("int", 1, (2, 2), Const(2))]

    def firsts(by_size: bool) -> dict[int, list[str]]:
        calls.clear()
        Recording(2, given, leaves, by_size=by_size).run(4)
        out: dict[int, list[str]] = {}
        for level, name in calls:
            if name not in out.setdefault(level, []):
                out[level].append(name)
        return out

    rank = {c.name: k for k, c in enumerate(given)}
    plain = firsts(False)
    assert all(names == sorted(names, key=rank.__getitem__) for names in plain.values())
    sized = firsts(True)
    assert sized != plain and {k: sorted(v) for k, v in sized.items()} == {k: sorted(v) for k, v in plain.items()}
