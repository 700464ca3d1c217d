"""Headroom of a learning run: what its final library does, in seconds instead of minutes (issue 17).

    python benchmarks/headroom.py RUN [--budgets 10000 30000] [--guide K=8 ...] [--edits]

``RUN`` is one run folder of ``benchmarks/learning.py --out DIR`` (e.g. ``DIR/lists-rule-10000-learning``:
its ``library/``, ``attempts.jsonl`` and ``report.json``). Everything is searched in this process with
:func:`evoskill.synth.search.synthesize` on the frozen final library, as one guided attempt of the loop's
proposer would search (the guide's plan, the pointwise deferral, no task meeting a skill learned from
itself, the run's round-1 seed unless ``--seed``; not the portfolio's plain retries), so that a variant of
the guide can be judged on a grown library without growing it again. Not a test; run by hand.

Reported:

- **probe**: every task the run solved in round 1, searched again at the run's budget (the cost probe of
  ``learning.py``): solved, median programs round 1 → probe and their ratio, and the ratio of geometric
  means and of sums (the median alone sits in a gap on lists-rule and jumps with a handful of programs).
- **headroom**: the tasks the run left unsolved, searched at each of ``--budgets`` with the final library
  (guided) and with the built-in skills only (plain): how many each solves.
- **edits** (``--edits``): the unsolved tasks against every one-edit variant of the programs of their
  nearest solved neighbours (an integer constant swapped for a small one or one the examples suggest, a call
  swapped for a primitive of the same signature, a call dropped for one of its arguments, a call below
  the top replaced by ``x0``, a unary list primitive around the whole): how many a variant solves, and how
  many variants that takes.

- **seeds** (``--plain-seeds 0 1 2 ...``): every task of the set searched with the built-in skills alone at
  the run's budget, once per seed (a seed only breaks ties in the order of components within a cost
  level): solved per seed, their union and intersection, and how many of the run's answers lie outside the
  union (tasks no order of the built-ins reaches at that budget: what learning added beyond a lucky order).

- **guided seeds** (``--guided-seeds 0 1 2 ...``): the same with the final library, guided: how far the
  library's order (its votes and usage weights) makes the outcome independent of the tie-break, e.g. on
  the ``...-practiced`` run of ``learning.py --practice``, whose library is the practice library frozen.

``--guide NAME=VALUE`` overrides a constant of :mod:`evoskill.guide` (``K``, ``VOTED``, ``CONFIDENT``,
``UNVOTED_SKILL``, ``UNVOTED_PRIMITIVE``, ``TRUSTED_EVIDENCE``) for this process: an ablation on a frozen
library. It says nothing about the library that variant would have grown: only a loop run does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from learning import geomean_ratio  # benchmarks/learning.py, beside this script

from evoskill import guide as guide_module
from evoskill.lang.components import Component, from_spec, primitive_functions, to_spec, trusted_functions
from evoskill.lang.program import Call, Const, Expr, Lambda, Var, compile_program, to_sexpr
from evoskill.lang.values import same
from evoskill.learner import Learner
from evoskill.session import open_library
from evoskill.synth.constants import int_constants
from evoskill.synth.search import guided_components, plain_components, synthesize
from evoskill.tasks import Example, Task, load_tasks

GUIDE_CONSTANTS = ("K", "VOTED", "CONFIDENT", "UNVOTED_SKILL", "UNVOTED_PRIMITIVE", "TRUSTED_EVIDENCE")


def search(task: Task, comps: list[Component], learner: Learner | None, budget: int, seed: int = 0) -> int | None:
    """Programs tried to solve ``task`` (None: not solved), guided when a learner is given."""
    task = task.for_solver()
    plan = learner.guide().plan_task(task) if learner is not None else None
    usable, pointwise_from, pointwise_share = guided_components(task, [c for c in comps if task.name not in c.tasks], plan, budget)
    res = synthesize(task, from_spec(to_spec(usable)), budget_seconds=3600, max_programs=budget,
                     pointwise_from=pointwise_from, pointwise_share=pointwise_share, seed=seed)
    return res.programs_tried if res.solved else None


def ratios(first: dict[str, int], later: dict[str, int]) -> dict[str, Any]:
    both = sorted(set(first) & set(later))
    if not both:
        return {"tasks": 0}
    a, b = [first[n] for n in both], [later[n] for n in both]
    return {"tasks": len(both), "median_round1": statistics.median(a), "median_probe": statistics.median(b),
            "median_ratio": round(statistics.median(a) / max(1, statistics.median(b)), 2),
            "geomean_ratio": geomean_ratio(a, b),
            "sum_ratio": round(sum(a) / max(1, sum(b)), 2)}


# ---- one-edit variants of a neighbour's program ----------------------------------------------------------

def _subterms(e: Expr, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Expr]]:
    yield path, e
    if isinstance(e, Call):
        for i, a in enumerate(e.args):
            yield from _subterms(a, (*path, i))
    elif isinstance(e, Lambda):
        yield from _subterms(e.body, (*path, "body"))


def _put(e: Expr, path: tuple[Any, ...], new: Expr) -> Expr:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(e, Lambda):
        return Lambda(e.params, _put(e.body, rest, new))
    assert isinstance(e, Call)
    args = list(e.args)
    args[head] = _put(args[head], rest, new)
    return Call(e.op, tuple(args))


def edits(expr: Expr, comps: list[Component], consts: list[int]) -> Iterator[Expr]:
    """Distinct one-edit variants of ``expr`` (see the module docstring)."""
    sigs = {c.name: (c.arg_types, c.return_type) for c in comps}
    prims = [c for c in comps if c.kind == "primitive"]
    seen = {to_sexpr(expr)}

    def fresh(v: Expr) -> bool:
        key = to_sexpr(v)
        if key in seen:
            return False
        seen.add(key)
        return True

    for path, t in _subterms(expr):
        candidates: list[Expr] = []
        if isinstance(t, Const) and isinstance(t.value, int) and not isinstance(t.value, bool):
            candidates += [Const(c) for c in dict.fromkeys([*consts, *range(11)]) if c != t.value]
        if isinstance(t, Call):
            candidates += [Call(c.name, t.args) for c in prims
                           if c.name != t.op and (c.arg_types, c.return_type) == sigs.get(t.op)]
            candidates += [a for a in t.args if not isinstance(a, Lambda)]
            if path:
                candidates.append(Var("x0"))
        for c in candidates:
            v = _put(expr, path, c)
            if fresh(v):
                yield v
    for c in prims:
        if c.arg_types == ("list[int]",) and c.return_type == "list[int]":
            v = Call(c.name, (expr,))
            if fresh(v):
                yield v


def fits(expr: Expr, examples: tuple[Example, ...], arity: int, fns: dict[str, Any]) -> bool:
    try:
        f = compile_program(expr, arity, fns)
        return all(same(f(*e.inputs), e.output) for e in examples)
    except Exception:  # a variant that fails on some input is just a wrong variant
        return False


def edit_search(task: Task, learner: Learner, comps: list[Component], fns: dict[str, Any]
                ) -> tuple[int, Expr | None]:
    """Variants tried, and the first that fits the solver examples (None: none did)."""
    solver = task.for_solver()
    byname = {c.name: c for c in comps}
    tried = 0
    for name, _sim in learner.guide().plan_task(solver).neighbours:
        c = byname.get(name)
        if c is None or c.program is None or task.name in c.tasks:
            continue
        for v in edits(c.program, comps, int_constants(solver.examples)):
            tried += 1
            if fits(v, solver.examples, solver.arity, fns):
                return tried, v
    return tried, None


def _fail(message: str) -> NoReturn:
    raise SystemExit(f"headroom: {message}")


def _load_run(run: Path, task_set: str | None) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Task], str]:
    """The run's report, its attempts and its tasks (by name), or a one-line error."""
    for need in ("library", "attempts.jsonl", "report.json"):
        if not (run / need).exists():
            _fail(f"{run} has no {need}: give a run folder of benchmarks/learning.py --out "
                  "(e.g. DIR/lists-rule-10000-learning)")
    try:
        report = json.loads((run / "report.json").read_text())
        rows = [json.loads(line) for line in (run / "attempts.jsonl").read_text().splitlines() if line.strip()]
        names = [t["name"] for t in report["per_task"]]
        budget = report["config"]["max_programs"]
    except (ValueError, KeyError, TypeError) as exc:
        _fail(f"{run}: unreadable report.json or attempts.jsonl ({exc}); rerun benchmarks/learning.py")
    if budget is None:
        _fail(f"{run} ran without --max-programs: headroom compares program budgets")
    name = task_set or run.name.split(f"-{budget}-")[0]
    try:
        loaded = {t.name: t for t in load_tasks(name)}
    except Exception as exc:  # a set name inferred from an unusual folder name
        _fail(f"cannot load the task set {name!r} ({exc}); give it with --set")
    missing = [n for n in names if n not in loaded]
    if missing:
        _fail(f"the run attempted {len(missing)} tasks that {name!r} does not have (e.g. {missing[0]}); "
              "give the run's set with --set")
    return report, rows, {n: loaded[n] for n in names}, name


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", help="a run folder of benchmarks/learning.py --out (library/, attempts.jsonl)")
    p.add_argument("--set", default=None, help="the run's task set (default: the run folder's name up to the budget)")
    p.add_argument("--budgets", type=int, nargs="+", default=None, help="default: the run's budget")
    p.add_argument("--seed", type=int, default=None,
                   help="the search seed (default: the run's round-1 seed, as learning.py's probe uses)")
    p.add_argument("--guide", nargs="*", default=[], metavar="NAME=VALUE")
    p.add_argument("--edits", action="store_true")
    p.add_argument("--plain-seeds", type=int, nargs="*", default=[], metavar="SEED")
    p.add_argument("--guided-seeds", type=int, nargs="*", default=[], metavar="SEED")
    a = p.parse_args(argv)
    run = Path(a.run)
    report, rows, tasks, task_set = _load_run(run, a.set)
    budget = int(report["config"]["max_programs"])
    budgets = a.budgets or [budget]
    seed = a.seed if a.seed is not None else int(report["config"].get("seed", 0)) * 1000 + 1
    for item in a.guide:
        name, _, value = item.partition("=")
        if name not in GUIDE_CONSTANTS:
            _fail(f"--guide {item}: not one of {', '.join(GUIDE_CONSTANTS)}")
        try:
            setattr(guide_module, name, type(getattr(guide_module, name))(value))
        except ValueError:
            _fail(f"--guide {item}: {name} takes a {type(getattr(guide_module, name)).__name__}, e.g. {name}=8")
    first = {r["task"]: r["programs_tried"] for r in rows if r["round"] == 1 and r["solved"]}
    solved = {r["task"] for r in rows if r["solved"]}
    unsolved = sorted(set(tasks) - solved)
    learner = Learner(open_library(str(run / "library")), None)  # type: ignore[arg-type]  # nothing runs in a sandbox here
    comps = learner.components()
    bare = plain_components(comps)
    out: dict[str, Any] = {"run": str(run), "set": task_set, "seed": seed, "guide": a.guide}

    t0 = time.monotonic()
    later = {n: p for n in sorted(first) if (p := search(tasks[n], comps, learner, budget, seed)) is not None}
    out["probe"] = {"round1_solved": len(first), **ratios(first, later), "seconds": round(time.monotonic() - t0, 1)}

    out["headroom"] = {"unsolved": len(unsolved)}
    for b in budgets:
        guided = [n for n in unsolved if search(tasks[n], comps, learner, b, seed) is not None]
        alone = [n for n in unsolved if search(tasks[n], bare, None, b, seed) is not None]
        out["headroom"][str(b)] = {"guided": len(guided), "plain": len(alone), "guided_tasks": guided,
                                   "plain_tasks": alone}

    if a.edits:
        programs = {c.name: c.program for c in comps if c.program is not None}
        sigs = {c.name: (c.arg_types, c.return_type) for c in comps}
        fns = trusted_functions(primitive_functions(comps), programs, sigs)
        found: dict[str, Any] = {}
        counts = []
        for n in unsolved:
            tried, hit = edit_search(tasks[n], learner, comps, fns)
            counts.append(tried)
            if hit is not None:
                found[n] = {"variants": tried, "program": to_sexpr(hit),
                            "generalizes": fits(hit, tasks[n].held_out, tasks[n].arity, fns)}
        out["edits"] = {"solved": len(found), "of": len(unsolved),
                        "median_variants": statistics.median(counts) if counts else 0, "found": found}
    if a.plain_seeds:
        per_seed = {s: sorted(n for n in tasks if search(tasks[n], bare, None, budget, s) is not None)
                    for s in a.plain_seeds}
        union = set().union(*map(set, per_seed.values()))
        out["seeds"] = {"solved": {str(k): len(v) for k, v in per_seed.items()}, "union": len(union),
                        "intersection": len(set.intersection(*map(set, per_seed.values()))),
                        "tasks": {str(k): v for k, v in per_seed.items()},
                        "mean": round(statistics.mean(len(v) for v in per_seed.values()), 1),
                        "run_solved": len(solved), "run_outside_union": sorted(solved - union),
                        "union_not_in_run": sorted(union - solved)}
    if a.guided_seeds:
        per_seed = {s: sorted(n for n in tasks if search(tasks[n], comps, learner, budget, s) is not None)
                    for s in a.guided_seeds}
        out["guided_seeds"] = {"solved": {str(k): len(v) for k, v in per_seed.items()},
                               "mean": round(statistics.mean(len(v) for v in per_seed.values()), 1)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
