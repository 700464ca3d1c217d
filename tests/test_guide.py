"""The guide (task-conditioned search order) and evidence-weighted costs of learned skills (issue 17)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evoskill.guide import Guide, Solved, apply, features
from evoskill.lang.components import (
    WEAK_EVIDENCE,
    Component,
    components_from_skills,
    core_components,
    evidence_score,
    format_evidence,
    from_spec,
    parse_evidence,
    to_spec,
)
from evoskill.proposer import Attempt
from evoskill.synth.search import synthesize
from evoskill.tasks import Example, Task, load_tasks


@pytest.fixture(scope="module")
def comps() -> list[Component]:
    return core_components()


def _lists(name: str, pairs: list[tuple[list[int], list[int]]]) -> Task:
    return Task(name, "", tuple(Example((i,), o) for i, o in pairs), input_types=("list[int]",),
                output_type="list[int]")


def _learned(name: str, program: str, **kw: object) -> dict[str, object]:
    return {"name": name, "signature": "list[int] -> list[int]", "kind": "solution", "program": program, **kw}


def _solved(skill: str, task: Task, uses: set[str], evidence: float = 1.0) -> Solved:
    return Solved(skill, (task.input_types, task.output_type),
                  features([list(e.inputs) for e in task.examples], [e.output for e in task.examples]),
                  frozenset(uses), evidence, task.name)


SORT_DESC_A = _lists("a", [([3, 1, 2], [3, 2, 1]), ([5, 9, 0, 4], [9, 5, 4, 0]), ([7, 7, 1], [7, 7, 1]),
                           ([2, 8], [8, 2])])
SORT_DESC_B = _lists("b", [([4, 2, 3], [4, 3, 2]), ([6, 10, 1, 5], [10, 6, 5, 1]), ([8, 8, 2], [8, 8, 2]),
                           ([3, 9], [9, 3])])


@pytest.mark.parametrize("name", ["c001_1", "c040_1", "c121_1"])
def test_an_empty_library_gives_exactly_todays_order(comps: list[Component], name: str) -> None:
    task = next(t for t in load_tasks("lists-rule") if t.name == name)
    plan = Guide().plan_task(task)
    assert plan.scores == {} and plan.confidence == 0.0
    guided = apply(comps, plan)
    assert guided == comps
    a = synthesize(task, comps, budget_seconds=60, max_programs=20_000, seed=3)
    b = synthesize(task, guided, budget_seconds=60, max_programs=20_000, seed=3)
    assert (a.source, a.programs_tried) == (b.source, b.programs_tried)


def test_a_solved_neighbour_votes_for_its_skill_and_makes_the_search_cheaper(comps: list[Component]) -> None:
    learned = from_spec(to_spec(comps) + [_learned("sort-desc", "(list-reverse (list-sort x0))"),
                                          _learned("aa-plus-one", "(list-map (lambda (a) (int-add a 1)) x0)")])
    guide = Guide([_solved("sort-desc", SORT_DESC_A, {"list-reverse", "list-sort"})])
    plan = guide.plan_task(SORT_DESC_B)
    assert plan.scores["sort-desc"] == 1.0 and plan.scores["list-sort"] == 1.0
    assert "aa-plus-one" not in plan.scores and plan.neighbours[0][0] == "sort-desc"
    guided = {c.name: c for c in apply(learned, plan)}
    plain = {c.name: c for c in learned}
    assert plain["sort-desc"].cost == 2 and guided["sort-desc"].cost == 1  # voted, with evidence: a primitive's cost
    assert plain["aa-plus-one"].cost == 2 and guided["aa-plus-one"].cost == 4  # nobody voted: the most it can cost
    assert guided["list-sort"].rank == 1.0 and guided["list-reverse"].rank == 1.0 and guided["list-max"].rank == 0.0
    # a close neighbour never needed list-max: it comes one node later; what it used keeps its cost
    assert plan.confidence >= 0.3 and guided["list-max"].cost == plain["list-max"].cost + 1
    assert guided["list-sort"].cost == plain["list-sort"].cost
    far = apply(learned, type(plan)({"list-sort": 1.0}, 0.1))
    assert {c.name: c.cost for c in far}["list-max"] == plain["list-max"].cost  # a distant one: no such prior
    # a practice task votes (order, learned skills) but sets no prior on primitives
    practised = Guide([_solved("sort-desc", replace(SORT_DESC_A, name="practice-r1-a"),
                               {"list-reverse", "list-sort"})]).plan_task(SORT_DESC_B)
    assert practised.scores == plan.scores and practised.prior is None and plan.prior is not None
    assert {c.name: c.cost for c in apply(learned, practised)}["list-max"] == plain["list-max"].cost
    a = synthesize(SORT_DESC_B, learned, budget_seconds=60, max_programs=200_000)
    b = synthesize(SORT_DESC_B, list(guided.values()), budget_seconds=60, max_programs=200_000)
    assert b.solved and b.source == "(sort-desc x0)"
    assert b.programs_tried < a.programs_tried


def test_learned_skills_nobody_votes_for_do_not_slow_a_search(comps: list[Component]) -> None:
    # (list-take x0 2): found at cost 3 by primitives; 12 learned skills of the same type are in the way
    task = _lists("take2", [([4, 6, 5], [4, 6]), ([1, 0, 3, 2], [1, 0]), ([9, 2, 9, 8, 8], [9, 2])])
    extra = [_learned(f"aa-learned-{k}", f"(list-map (lambda (a) (int-add a {k})) x0)") for k in range(3, 15)]
    learned = from_spec(to_spec(comps) + extra)
    neighbour = _lists("n", [([5, 1, 2, 3], [5, 1, 2]), ([8, 8, 0, 1, 2], [8, 8, 0])])
    plan = Guide([_solved("take3", neighbour, {"list-take"})]).plan_task(task)
    base = synthesize(task, comps, budget_seconds=60, max_programs=100_000)
    unguided = synthesize(task, learned, budget_seconds=60, max_programs=100_000)
    guided = synthesize(task, apply(learned, plan), budget_seconds=60, max_programs=100_000)
    assert base.source == unguided.source == guided.source == "(list-take x0 2)"
    assert unguided.programs_tried > base.programs_tried  # the learned skills cost today
    assert guided.programs_tried <= base.programs_tried  # with the guide they cost nothing here


def test_the_guide_is_deterministic_and_never_learns_from_the_task_itself() -> None:
    items = [_solved(f"s{k}", _lists(f"t{k}", [([k, 1, 2], [2, 1, k]), ([3, k], [k, 3])]), {"list-reverse"})
             for k in range(8)]
    shuffled = list(items)
    random.Random(1).shuffle(shuffled)
    task = _lists("t3", [([3, 1, 2], [2, 1, 3]), ([3, 3], [3, 3])])
    p1, p2 = Guide(items).plan_task(task), Guide(shuffled).plan_task(task)
    assert p1 == p2 and len(p1.neighbours) == 5
    assert "s3" not in dict(p1.neighbours)  # the skill learned from t3 itself does not vote
    other_types = Task("x", "", (Example(("ab",), "ba"),), input_types=("str",), output_type="str")
    assert Guide(items).plan_task(other_types).scores == {}


def test_evidence_sets_the_cost_of_a_learned_skill() -> None:
    assert evidence_score(6, "cross-validated", "passed") == 1.0
    assert evidence_score(3, "cross-validated") == 0.5
    assert evidence_score(2, "uncheckable") < WEAK_EVIDENCE
    assert evidence_score(6, "cross-validated", "failed") < WEAK_EVIDENCE
    assert evidence_score(2, "uncheckable", helped=2) > 0.5  # two other tasks' checked answers use it
    assert evidence_score(6, "cross-validated", helped=1, misled=3) == 0.5  # three refused answers call it
    assert evidence_score(3, "cross-validated", misled=9) == 0.0
    weak = Component("w", ("str",), "str", str.upper, kind="solution", evidence=evidence_score(2, "uncheckable"))
    plain = Component("p", ("str",), "str", str.upper, kind="solution")
    assert weak.cost == 3 and plain.cost == 2
    guided = {c.name: c for c in apply([weak, plain], Guide([]).plan(("str",), "str", [["a"]], ["A"]))}
    assert guided == {"w": weak, "p": plain}
    # voted for by a similar task's answer, but weak: an unproven skill's cost, not a primitive's
    g = apply([weak], type(Guide().plan_task(SORT_DESC_B))({"w": 1.0}, 1.0))
    assert g[0].cost == 2
    assert apply([weak], type(Guide().plan_task(SORT_DESC_B))({"v": 1.0}, 1.0))[0].cost == 4  # unrelated task


def test_evidence_metadata_reaches_the_components() -> None:
    class M:
        def __init__(self, md: dict[str, str]) -> None:
            self.metadata = md

    class S:
        def __init__(self, name: str, md: dict[str, str]) -> None:
            self.name, self.manifest = name, M(md)

    text = format_evidence({"examples": 2, "checked": "uncheckable", "held-out": "", "source": "practice"})
    assert parse_evidence(text) == {"examples": "2", "checked": "uncheckable", "source": "practice"}
    skills = [S("weak", {"evoskill-kind": "solution", "evoskill-signature": "str -> str",
                         "evoskill-program": "(text-upper x0)", "evoskill-evidence": text}),
              S("old", {"evoskill-kind": "solution", "evoskill-signature": "str -> str",
                        "evoskill-program": "(text-lower x0)"})]
    failed_given = format_evidence({"examples": 6, "checked": "cross-validated", "held-out": "failed"})
    failed_practice = failed_given + ";source=practice"
    skills += [S(n, {"evoskill-kind": "solution", "evoskill-signature": "str -> str",
                     "evoskill-program": "(text-trim x0)", "evoskill-evidence": e})
               for n, e in (("given", failed_given), ("practised", failed_practice))]
    cs = {c.name: c for c in components_from_skills(skills)}
    assert cs["weak"].evidence < WEAK_EVIDENCE and cs["weak"].cost == 3
    # a given task's held-out verdict is for measurement only; a practice task's fresh inputs count
    assert cs["given"].evidence == 1.0 and cs["practised"].evidence < WEAK_EVIDENCE
    assert cs["old"].evidence == 0.5 and cs["old"].cost == 2  # stored before evidence: as before
    helped = {c.name: c for c in components_from_skills(skills, {"weak": {"uses": 3, "successes": 3}})}
    assert helped["weak"].evidence > 0.5 and helped["weak"].cost == 1
    # answers that call it and that cross-validation refused take its evidence back: no cheap vote for it
    misled = {c.name: c for c in components_from_skills(skills, {"given": {"uses": 3, "successes": 1}})}
    assert misled["given"].evidence == 0.75 < cs["given"].evidence  # 1 + 0.25 - 2 x 0.25
    worse = {c.name: c for c in components_from_skills(skills, {"given": {"uses": 4, "successes": 0}})}
    assert worse["given"].evidence == 0.0 and worse["given"].cost == 3
    assert apply([worse["given"]], type(Guide().plan_task(SORT_DESC_B))({"given": 1.0}, 1.0))[0].cost == 2


def test_rank_bias_and_evidence_travel_to_the_search_worker(comps: list[Component]) -> None:
    c = Component("x", ("list[int]",), "list[int]", list, kind="solution", evidence=0.2, rank=0.5, bias=-1,
                  program=None)
    spec = to_spec([*comps[:3], c])
    assert spec[-1]["rank"] == 0.5 and spec[-1]["bias"] == -1 and spec[-1]["evidence"] == 0.2
    assert "rank" not in spec[0] and "bias" not in spec[0]
    learned = from_spec(to_spec(comps) + [_learned("y", "(list-reverse x0)", rank=0.5, bias=-1, evidence=0.9)])
    y = next(k for k in learned if k.name == "y")
    assert (y.rank, y.bias, y.evidence) == (0.5, -1, 0.9)


def test_the_vote_decides_when_the_pointwise_searches_run() -> None:
    """Neighbours solved by direct programs defer the map/filter function searches; neighbours solved by a map
    keep them early. The proposer says which in the attempt's log."""
    from types import SimpleNamespace

    from evoskill.sandbox import Sandbox
    from evoskill.synth.search import POINTWISE_GUIDED, POINTWISE_OPS, SearchProposer

    direct = [_solved(f"d{k}", _lists(f"d{k}", [([k, 4, 2], [2, 4, k]), ([5, k], [k, 5])]), {"list-reverse"})
              for k in range(3)]
    mapped = [_solved(f"m{k}", _lists(f"m{k}", [([k, 4, 2], [k + 1, 5, 3]), ([5, k], [6, k + 1])]),
                      {"list-map", "int-add"}) for k in range(3)]
    task = _lists("new", [([7, 1, 3], [3, 1, 7]), ([2, 9], [9, 2]), ([4, 4, 8, 1], [1, 8, 4, 4])])
    assert Guide(direct).plan_task(task).share(POINTWISE_OPS) == 0.0
    assert Guide(mapped).plan_task(task).share(POINTWISE_OPS) == 1.0
    assert 0.0 < Guide(direct + mapped).plan_task(task).share(POINTWISE_OPS) < 1.0
    assert Guide().plan_task(task).share(POINTWISE_OPS) == 0.0  # no vote at all: nothing deferred (below)

    def logged(guide: Guide | None) -> dict[str, object]:
        seen: dict[str, object] = {}

        def runner(target: str, args: list[object], limits: object) -> object:
            seen.update(args[0])  # type: ignore[arg-type]
            return SimpleNamespace(ok=False, value=None, error_type="x", error_message="", limit=None)

        SearchProposer(Sandbox(), core_components(), runner=runner, max_programs=max_programs,
                       guide=(lambda: guide)).propose(task, budget_seconds=1)
        return seen

    max_programs: int | None = 10_000
    assert logged(Guide(direct))["pointwise_from"] > 1
    assert logged(Guide(mapped))["pointwise_from"] == 1
    assert logged(None)["pointwise_from"] == 1 and logged(Guide())["pointwise_from"] == 1
    # the same vote splits the budget between the enumeration and the function searches
    assert logged(Guide(mapped))["pointwise_share"] == POINTWISE_GUIDED  # 10,000 programs: 9,000 for functions
    assert logged(Guide(direct))["pointwise_share"] is None
    assert logged(None)["pointwise_share"] is None and logged(Guide())["pointwise_share"] is None
    max_programs = 100_000  # the default share already holds a whole function search (40,000): nothing moves
    assert logged(Guide(mapped))["pointwise_share"] is None
    max_programs = None  # under a time budget the clock could leave deferred searches nothing: never deferred
    assert logged(Guide(direct))["pointwise_from"] == 1
    assert logged(Guide(mapped))["pointwise_share"] is None


def _failing_searches(comps: list[Component]) -> tuple[Callable[[], Any], list[dict[str, Any]]]:
    """Search proposers guided towards a learned ``sort-desc`` whose searches all fail (a runner at the seam
    that records each payload instead of searching), and the payloads."""
    from types import SimpleNamespace

    from evoskill.sandbox import Sandbox
    from evoskill.synth.search import SearchProposer

    learned = from_spec(to_spec(comps) + [_learned("sort-desc", "(list-reverse (list-sort x0))")])
    guide = Guide([_solved("sort-desc", SORT_DESC_A, {"list-reverse", "list-sort"})])
    payloads: list[dict[str, Any]] = []

    def runner(target: str, args: list[Any], limits: object) -> object:
        payloads.append(args[0])
        return SimpleNamespace(ok=True, value={"solved": False, "programs_tried": 10}, error_type=None,
                               error_message="", limit=None)

    return (lambda: SearchProposer(Sandbox(), learned, runner=runner, guide=lambda: guide)), payloads


def test_after_a_failed_guided_search_the_next_attempt_searches_as_with_no_library(
        comps: list[Component]) -> None:
    """A retry does not repeat a failed guided search: attempts at a task alternate between guided (learned
    skills, the guide's order and costs) and plain (built-in components, no guide); the cross-validation fold
    of an attempt (fewer examples) searches in that attempt's mode and counts no failure."""
    make, payloads = _failing_searches(comps)
    proposer = make()

    def guided(payload: dict[str, object]) -> bool:
        specs = {c["name"]: c for c in payload["components"]}  # type: ignore[attr-defined, index]
        assert ("sort-desc" in specs) == (specs["list-max"].get("bias", 0) == 1)  # learned skills iff the guide
        return "sort-desc" in specs

    def fold() -> Attempt:  # cross-validation: the task without its last example
        return proposer.propose(replace(SORT_DESC_B, examples=SORT_DESC_B.examples[:-1]), budget_seconds=1,
                                seed=1002)

    tried = [proposer.propose(SORT_DESC_B, budget_seconds=1, seed=1001),
             proposer.propose(SORT_DESC_B, budget_seconds=1, seed=1002), fold(),
             proposer.propose(SORT_DESC_B, budget_seconds=1, seed=1003), fold()]
    # guided, plain, its fold plain too (a plain answer is checked by a plain search), guided, its fold guided
    assert [guided(p) for p in payloads] == [True, False, False, True, True]
    # the plain retry is the search a fresh library runs first: the first attempt's seed
    assert [p["seed"] for p in payloads] == [1001, 1001, 1002, 1003, 1002]
    assert ["plain" in a.log[0] for a in tried] == [False, True, True, False, False]


def test_the_portfolio_memory_survives_a_resume(comps: list[Component], tmp_path: Path) -> None:
    """A run killed after a failed guided attempt resumes with the next attempt plain, as the uninterrupted
    run would: the search's portfolio is kept in the run's checkpoint (``state.json``) and handed back."""
    from evoskill.evolve import EvolveConfig, Run
    from evoskill.learner import Learner
    from evoskill.library import Library
    from evoskill.sandbox import Sandbox
    from evoskill.session import install_core

    proposer, payloads = _failing_searches(comps)
    library = Library(tmp_path / "lib")
    install_core(library)
    config = EvolveConfig(rounds=2, budget_seconds=1, workers=1, compress=False, curate=False)
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        Run([SORT_DESC_B], proposer(), learner, config=replace(config, rounds=1),
            run_dir=tmp_path / "run").run()
        state = json.loads((tmp_path / "run" / "state.json").read_text())
        assert state["proposer"]["portfolio"]["tries"][0][3] == 1  # one failed guided search, checkpointed
        first_seed = payloads[0]["seed"]
        Run([SORT_DESC_B], proposer(), learner, config=config, run_dir=tmp_path / "run", resume=True).run()
    specs = [{c["name"] for c in p["components"]} for p in payloads]  # type: ignore[attr-defined]
    # round 1 guided; the resumed round 2 plain (no learned skill) with the first attempt's seed
    assert ["sort-desc" in s for s in specs] == [True, False]
    assert payloads[1]["seed"] == first_seed


def test_an_attempt_still_in_flight_is_not_in_the_checkpointed_memory(comps: list[Component]) -> None:
    """With several workers the run checkpoints while other attempts run: their tasks are saved as they
    stood before those attempts started, so a resumed run makes the same attempt again."""
    make, payloads = _failing_searches(comps)
    first = make()
    first.propose(SORT_DESC_B, budget_seconds=1, seed=1001)  # guided, failed
    first.propose(SORT_DESC_B, budget_seconds=1, seed=1002)  # plain, failed, not yet recorded by the run
    settled, flying = first.memory(), first.memory(in_flight=[SORT_DESC_B.name])
    assert settled != flying and json.loads(json.dumps(flying)) == flying
    for memory, plain in ((flying, True), (settled, False)):  # the plain attempt again / the next, guided
        again = make()
        again.remember(memory)
        again.propose(SORT_DESC_B, budget_seconds=1, seed=1003)
        specs = {c["name"] for c in payloads[-1]["components"]}  # type: ignore[attr-defined]
        assert ("sort-desc" not in specs) == plain
