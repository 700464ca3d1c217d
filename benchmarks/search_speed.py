"""Search speed and solve rate of the search synthesizer (in process, one core, no learning).

    python benchmarks/search_speed.py                       # programs/s on a fixed set of tasks
    python benchmarks/search_speed.py --profile             # ... plus the top of cProfile
    python benchmarks/search_speed.py --set strings-sygus --budget 5   # solved / generalized counts

"Generalized" means the program found from the solver examples also passes the task's held-out examples;
that check happens here, on the host side, after the search (the search never sees held-out examples).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from typing import Any

from evoskill.lang.components import core_components
from evoskill.lang.program import compile_program
from evoskill.synth.search import synthesize
from evoskill.tasks import Task, load_tasks

# unsolvable-in-budget tasks keep the search busy for the whole budget: a steady-state speed measure
SPEED_TASKS = {"strings-sygus": ["25239569", "38871714", "43120683"], "strings-new": ["capitalizeSentence"],
               "lists-rule": ["c041_1", "c042_1"]}


def generalizes(task: Task, source_expr: Any) -> bool:
    fns = {c.name: c.fn for c in core_components()}
    try:
        fn = compile_program(source_expr, task.arity, fns)
        for e in task.held_out:
            out = fn(*e.inputs)
            if isinstance(e.output, list):
                if not isinstance(out, list | tuple) or list(out) != e.output:
                    return False
            elif type(out) is not type(e.output) or out != e.output:
                return False
        return True
    except Exception:
        return False


def speed(budget: float, profile: bool) -> None:
    tasks = [t for spec, names in SPEED_TASKS.items() for t in load_tasks(spec) if t.name in names]
    comps = core_components()
    prof = cProfile.Profile() if profile else None
    total_p, total_s = 0, 0.0
    for t in tasks:
        if prof:
            prof.enable()
        r = synthesize(t, comps, budget_seconds=budget)
        if prof:
            prof.disable()
        total_p += r.programs_tried
        total_s += r.cpu_seconds
        print(f"{t.name:40s} solved={r.solved!s:5s} programs={r.programs_tried:>9d} "
              f"cpu={r.cpu_seconds:6.2f}s  {r.programs_tried / max(r.cpu_seconds, 1e-9):>10,.0f} programs/s")
    print(f"TOTAL {total_p} programs in {total_s:.2f} cpu-s: {total_p / max(total_s, 1e-9):,.0f} programs/s (one core)")
    if prof:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
        print(buf.getvalue())


def solve_rate(spec: str, budget: float, verbose: bool) -> None:
    tasks = load_tasks(spec)
    comps = core_components()
    solved = gen = 0
    t0 = time.perf_counter()
    for t in tasks:
        r = synthesize(t.for_solver(), comps, budget_seconds=budget)
        g = r.solved and r.program is not None and generalizes(t, r.program)
        solved += r.solved
        gen += g
        if verbose:
            print(f"{t.name:45s} {'G' if g else ('S' if r.solved else '-')} {r.seconds:6.2f}s "
                  f"{r.programs_tried:>9d}  {r.source or ''}", flush=True)
    print(f"{spec}: solved {solved}/{len(tasks)}, generalized {gen}/{len(tasks)} "
          f"(budget {budget}s/task, {time.perf_counter() - t0:.0f}s total)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", help="a bundled task set (e.g. strings-sygus) for a solve-rate run")
    ap.add_argument("--budget", type=float, default=2.0, help="seconds per task")
    ap.add_argument("--profile", action="store_true", help="print the top of cProfile (speed run)")
    ap.add_argument("-q", "--quiet", action="store_true", help="only the summary line")
    ns = ap.parse_args(argv)
    if ns.set:
        solve_rate(ns.set, ns.budget, not ns.quiet)
    else:
        speed(ns.budget, ns.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
