"""Does learning pay at a fixed search budget? (issue 17; not a test: run by hand, takes a while)

    python benchmarks/learning.py [--sets lists-rule strings-sygus] [--budgets 10000 100000] [--rounds 3]

For every set and every program budget (``--max-programs``, which does not move with machine load), in one
run: ``evoskill evolve`` for ``--rounds`` rounds from the built-in skills with learning, and the same with
``--no-learning``; then the *cost probe*: every task the learning run solved in round 1 is searched again
with the library as it stands after the last round (frozen; a task never sees a skill learned from itself),
so that the programs tried per task can be compared, round 1 against the last round, on tasks solved in both.

Reported per set and budget: solved and generalized per round for both runs, answers that pass the solver
examples but fail the held-out ones (overfit; in a learning run also how many of those cross-validation
refused, so that no skill was learned from them), the median programs tried per solved task in round 1 and in
the probe (and their ratio; also the ratio of geometric means, which a gap in the costs around the
median does not move), the curriculum order of round 1 when the run reports one, and the wall time of
each run. The probe is also set against ``--no-learning``'s round 1 (tasks both solved): how many fewer
programs the round-3 library needs than the built-in skills alone. A table goes to stdout and is appended to ``benchmarks/results/results.md`` with the exact
command; everything else (run folders, ``learning.json``) under ``--out``.

``--practice ROUNDS`` first runs ``evoskill practice`` from the built-in skills (no given task) and adds a
``practiced`` run per set of ``--practice-sets``: ``--practiced-rounds`` rounds (1 unless given) with that
library frozen, against the same rounds of ``--no-learning``. With one round a task gets one guided
attempt; with three it also gets the proposer's plain attempt in round 2, as the learning and
``--no-learning`` runs do. ``--practiced-library DIR`` measures a library practised before (no new
practice).

``--dream N`` passes ``--dream N`` to the learning run (``evoskill evolve --dream``: before each round it
practises on N tasks it proposes to itself, ``--practice-programs`` programs a task); the table marks the
row.

``--library DIR`` starts the learning runs (and the ``--no-learning`` one) from a copy of DIR instead of
the built-in skills (e.g. a library after ``evoskill practice``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from evoskill.cli import main as cli

RESULTS = Path(__file__).resolve().parent / "results"


def geomean_ratio(before: list[int], after: list[int]) -> float:
    """The ratio of the geometric means of two program counts (a count of 0 taken as 1), to 2 places."""
    return round(statistics.geometric_mean([max(1, x) for x in before])
                 / statistics.geometric_mean([max(1, x) for x in after]), 2)


def evolve(tasks: str, run_dir: Path, *, max_programs: int, seconds: float, rounds: int, learning: bool,
           library: Path | None, seed: int, extra: list[str] | None = None) -> tuple[dict[str, Any], float]:
    """One ``evoskill evolve`` run (one worker); returns its report and wall seconds."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    argv = ["evolve", tasks, "--rounds", str(rounds), "--budget", str(seconds), "--max-programs", str(max_programs),
            "--run-dir", str(run_dir), "--workers", "1", "--seed", str(seed), "--json"]
    if not learning:
        argv.append("--no-learning")
    argv += extra or []
    if library is None:
        argv.append("--fresh-library")
    else:
        copy = run_dir / "library"
        run_dir.mkdir(parents=True)
        shutil.copytree(library, copy)
        argv += ["--library", str(copy)]
    t0 = time.monotonic()
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        code = cli(argv)
    wall = time.monotonic() - t0
    if code != 0:
        raise SystemExit(f"evoskill {' '.join(argv)} failed with status {code}")
    report: dict[str, Any] = json.loads((run_dir / "report.json").read_text())
    return report, wall


def attempts(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "attempts.jsonl").read_text().splitlines() if line.strip()]


def probe(tasks_spec: str, names: list[str], library: Path, *, max_programs: int, seconds: float, seed: int
          ) -> dict[str, int]:
    """Programs tried per task (solved ones only) when searched again with ``library`` frozen."""
    from evoskill.learner import Learner
    from evoskill.sandbox import Limits, Sandbox
    from evoskill.session import make_proposer, open_library
    from evoskill.tasks import load_tasks

    wanted = set(names)
    tasks = [t for t in load_tasks(tasks_spec) if t.name in wanted]
    lib = open_library(str(library))
    out: dict[str, int] = {}
    limits = Limits(cpu_seconds=seconds * 2 + 10, wall_seconds=seconds * 3 + 30, memory_mb=4096)
    with Sandbox(workers=1, limits=limits, readable=[lib.root]) as sandbox:
        learner = Learner(lib, sandbox)
        proposer = make_proposer("search", None, sandbox, learner, max_programs=max_programs)
        for t in tasks:
            a = learner.confirm(proposer.propose(t.for_solver(), budget_seconds=seconds, seed=seed), t)
            if a.solved:
                out[t.name] = a.programs_tried
    return out


def overfit(report: dict[str, Any]) -> int:
    """Answers that pass the solver examples but fail the held-out ones."""
    return sum(1 for t in report["per_task"] if t["solved"] and t["generalized"] is False)


def overfit_refused(report: dict[str, Any]) -> int:
    """Overfit answers that cross-validation on the solver examples refused: kept as the task's answer but
    given no reuse weight (a learning run only; ``--no-learning`` does not cross-validate)."""
    return sum(1 for t in report["per_task"] if t["solved"] and t["generalized"] is False and not t["trusted"])


def measure(tasks: str, budget: int, a: argparse.Namespace, out: Path) -> dict[str, Any]:
    lib = Path(a.library) if a.library else None
    row: dict[str, Any] = {"set": tasks, "budget": budget}
    if a.practiced is not None and tasks in a.practice_sets and "practiced" in a.arms:
        # the library after practice alone (no given task), frozen: against the same rounds of --no-learning
        run_dir = out / f"{tasks}-{budget}-practiced"
        report, wall = evolve(tasks, run_dir, max_programs=budget, seconds=a.seconds, rounds=a.practiced_rounds,
                              learning=False, library=a.practiced, seed=a.seed)
        row["practiced"] = {"solved": [m["solved"] for m in report["rounds"]],
                            "generalized": [m["generalized"] for m in report["rounds"]],
                            "tasks": report["tasks"], "overfit": overfit(report), "wall_seconds": round(wall, 1),
                            "learned_skills": report["rounds"][-1]["learned_skills"]}
        print(json.dumps({"practiced": row["practiced"]}), file=sys.stderr, flush=True)
    probed: dict[str, int] | None = None
    for label, learning in (("learning", True), ("no-learning", False)):
        if label not in a.arms:
            continue
        run_dir = out / f"{tasks}-{budget}-{label}"
        extra = ["--curriculum"] if a.curriculum else []
        if learning and a.dream:
            extra += ["--dream", str(a.dream), "--dream-programs", str(a.practice_programs)]
        report, wall = evolve(tasks, run_dir, max_programs=budget, seconds=a.seconds, rounds=a.rounds,
                              learning=learning, library=lib, seed=a.seed, extra=extra)
        row[label] = {
            "solved": [m["solved"] for m in report["rounds"]],
            "generalized": [m["generalized"] for m in report["rounds"]],
            "tasks": report["tasks"], "overfit": overfit(report), "wall_seconds": round(wall, 1),
            "learned_skills": report["rounds"][-1]["learned_skills"],
            "order": (report["rounds"][0].get("extra") or {}).get("order"),
            "evidence": (report["rounds"][-1].get("extra") or {}).get("evidence"),
            "dream": [(m.get("extra") or {}).get("dream") for m in report["rounds"]],
            "dream_tasks": a.dream if learning else 0,
        }
        if learning:
            row[label]["overfit_refused"] = overfit_refused(report)
        if learning:
            first = {r["task"]: r["programs_tried"] for r in attempts(run_dir) if r["round"] == 1 and r["solved"]}
            t0 = time.monotonic()
            later = probe(tasks, sorted(first), run_dir / "library", max_programs=budget, seconds=a.seconds,
                          seed=a.seed * 1000 + 1)
            both = sorted(set(first) & set(later))
            r1 = statistics.median(first[n] for n in both) if both else None
            r3 = statistics.median(later[n] for n in both) if both else None
            row["cost"] = {"tasks_in_both": len(both), "median_round1": r1, "median_last": r3,
                           "ratio": round(r1 / r3, 2) if r1 and r3 else None,
                           # the median sits in a gap of the costs on lists-rule: the geometric mean does not
                           "geomean_ratio": geomean_ratio([first[n] for n in both], [later[n] for n in both])
                           if both else None,
                           "cheaper": sum(1 for n in both if later[n] < first[n]),
                           "dearer": sum(1 for n in both if later[n] > first[n]),
                           "lost": len(first) - len(both), "probe_seconds": round(time.monotonic() - t0, 1),
                           "per_task": {n: [first[n], later[n]] for n in both}}
            probed = later
        elif probed is not None and row.get("cost"):
            # the same probe against the built-in skills: tasks --no-learning solved in round 1 and the
            # round-3 library solved again, programs tried by each
            plain = {r["task"]: r["programs_tried"] for r in attempts(run_dir) if r["round"] == 1 and r["solved"]}
            common = sorted(set(plain) & set(probed))
            if common:
                m0 = statistics.median(plain[n] for n in common)
                m1 = statistics.median(probed[n] for n in common)
                row["cost"]["against_no_learning"] = {"tasks": len(common), "median_no_learning": m0,
                                                      "median_last": m1, "ratio": round(m0 / m1, 2) if m1 else None}
        shown = {k: row[k] for k in row if k in (label, "cost")}
        if "cost" in shown:
            shown["cost"] = {k: v for k, v in shown["cost"].items() if k != "per_task"}
        print(json.dumps(shown), file=sys.stderr, flush=True)
    return row


def table(rows: list[dict[str, Any]], command: str) -> str:
    lines = [f"Command: `{command}` ({time.strftime('%Y-%m-%d')})", "",
             "| set | programs/task | run | solved per round | generalized per round | overfit | "
             "median programs / solved, round 1 → last (tasks) | wall s |", "|" + "---|" * 8]
    for r in rows:
        for label in ("learning", "no-learning", "practiced"):
            if label not in r:
                continue
            d = r[label]
            cost = "-"
            if label == "learning" and r.get("cost") and r["cost"]["median_round1"] is not None:
                c = r["cost"]
                geo = f"geometric mean ×{c['geomean_ratio']}, " if c.get("geomean_ratio") else ""
                cost = (f"{c['median_round1']:,.0f} → {c['median_last']:,.0f} (×{c['ratio']}, {geo}"
                        f"{c['tasks_in_both']} tasks; cheaper {c['cheaper']}, dearer {c['dearer']})")
                if c.get("against_no_learning"):
                    n = c["against_no_learning"]
                    cost += (f"; `--no-learning` {n['median_no_learning']:,.0f} → {n['median_last']:,.0f} "
                             f"(×{n['ratio']}, {n['tasks']} tasks)")
            over = str(d["overfit"])
            if d.get("overfit_refused"):
                over += f" ({d['overfit_refused']} refused by cross-validation)"
            run = f"{label} (`--dream {d['dream_tasks']}`)" if d.get("dream_tasks") else label
            lines.append(f"| {r['set']} | {r['budget']:,} | {run} | {' → '.join(map(str, d['solved']))} /{d['tasks']} "
                         f"| {' → '.join(map(str, d['generalized']))} | {over} | {cost} | {d['wall_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", nargs="+", default=["lists-rule", "strings-sygus"])
    p.add_argument("--budgets", nargs="+", type=int, default=[10_000, 100_000])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=120.0,
                   help="seconds per task as well (high, so that the program budget is what binds)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--library", default=None, help="start from a copy of this library instead of the built-in skills")
    p.add_argument("--out", default=str(RESULTS / "learning"))
    p.add_argument("--arms", nargs="+", default=["learning", "no-learning", "practiced"],
                   choices=["learning", "no-learning", "practiced"],
                   help="which runs (the --no-learning one does not depend on the library's learning; "
                        "'practiced' needs --practice)")
    p.add_argument("--curriculum", action="store_true", help="pass --curriculum to evolve")
    p.add_argument("--practice", type=int, default=0, metavar="ROUNDS",
                   help="first run `evoskill practice` for ROUNDS rounds from the built-in skills, then measure "
                        "each of --practice-sets with that library frozen (one round, the 'practiced' run)")
    p.add_argument("--dream", type=int, default=0, metavar="N",
                   help="pass --dream N to the learning run: practise on N self-proposed tasks before each round")
    p.add_argument("--practice-tasks", type=int, default=40)
    p.add_argument("--practice-programs", type=int, default=100_000)
    p.add_argument("--practice-sets", nargs="+", default=["lists-rule"])
    p.add_argument("--practiced-rounds", type=int, default=1,
                   help="rounds of the 'practiced' run (library frozen); compare with --rounds of --no-learning")
    p.add_argument("--practiced-library", default=None, metavar="DIR",
                   help="measure this practised library as the 'practiced' run instead of practising anew")
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    t0 = time.monotonic()
    a.practiced = Path(a.practiced_library) if a.practiced_library else None
    if a.practiced is not None and a.practice:
        raise SystemExit("--practice and --practiced-library both given: give --practice N to practise anew, or "
                         "--practiced-library DIR to measure a library practised before")
    if a.practiced is not None and not (a.practiced / "skills").is_dir():
        raise SystemExit(f"--practiced-library {a.practiced}: no skills/ folder there (give the library of a "
                         "practice run, e.g. OUT/practice/library)")
    if a.practice:
        pdir = out / "practice"
        if pdir.exists():
            shutil.rmtree(pdir)
        argv_p = ["practice", "--rounds", str(a.practice), "--tasks", str(a.practice_tasks), "--max-programs",
                  str(a.practice_programs), "--budget", str(a.seconds), "--fresh-library", "--workers", "1",
                  "--seed", str(a.seed), "--run-dir", str(pdir), "--json"]
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            if cli(argv_p) != 0:
                raise SystemExit(f"evoskill {' '.join(argv_p)} failed")
        a.practiced = pdir / "library"
        rep = json.loads((pdir / "report.json").read_text())
        print(json.dumps({"practice": rep["rounds"], "seconds": round(time.monotonic() - t0)}), file=sys.stderr,
              flush=True)
    for budget in a.budgets:
        for tasks in a.sets:
            rows.append(measure(tasks, budget, a, out))
            (out / "learning.json").write_text(json.dumps(rows, indent=1))
    command = "python benchmarks/learning.py " + " ".join(shlex.quote(x) for x in (argv or sys.argv[1:]))
    text = table(rows, command) + f"\nTotal wall time {time.monotonic() - t0:.0f} s.\n"
    if a.practice:
        rep = json.loads((out / "practice" / "report.json").read_text())
        text += "\nPractice (no given task): " + "; ".join(
            f"round {r['round']}: {r['proposed']} proposed, {r['solved']} solved, {r['generalized']} generalized, "
            f"{r['kept']} kept" for r in rep["rounds"]) + "\n"
    print(text)
    with open(RESULTS / "results.md", "a", encoding="utf-8") as f:
        f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
