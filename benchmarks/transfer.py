"""Transfer: a library evolved on lists-rule, frozen, on list functions it has not seen (issue 17).

    python benchmarks/transfer.py --library benchmarks/results/learning/lists-rule-10000-learning/library
                                  [--max-programs 10000]

The set (``benchmarks/transfer_lists.json``, written by this script, 20 functions of our own with 6 solver
and 5 held-out examples each, inputs drawn with a fixed seed) is attempted once with the frozen library
and once with the built-in skills only, with ``--no-learning`` both times and one worker. Prints a table
(solved, generalized, overfit, and the median programs tried on the tasks both solved) and appends it to ``benchmarks/results/results.md`` with the exact command.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from itertools import accumulate, takewhile
from pathlib import Path
from typing import Any

from evoskill.cli import main as cli

HERE = Path(__file__).resolve().parent
SET = HERE / "transfer_lists.json"

FUNCTIONS: dict[str, Callable[[list[int]], Any]] = {
    "evens-doubled": lambda xs: [2 * x for x in xs if x % 2 == 0],
    "drop-last-two": lambda xs: xs[:-2],
    "first-plus-last": lambda xs: xs[0] + xs[-1],
    "reverse-drop-one": lambda xs: xs[::-1][1:],
    "running-max": lambda xs: list(accumulate(xs, max)),
    "neighbour-differences": lambda xs: [b - a for a, b in zip(xs, xs[1:], strict=False)],
    "greater-than-first": lambda xs: [x for x in xs if x > xs[0]],
    "count-evens": lambda xs: sum(1 for x in xs if x % 2 == 0),
    "spread": lambda xs: max(xs) - min(xs),
    "rotate-left": lambda xs: xs[1:] + xs[:1],
    "last-digit-of-squares": lambda xs: [x * x % 10 for x in xs],
    "sorted-distinct": lambda xs: sorted(set(xs)),
    "until-zero": lambda xs: list(takewhile(lambda x: x != 0, xs)),
    "append-length": lambda xs: [*xs, len(xs)],
    "halves": lambda xs: [x // 2 for x in xs],
    "with-zeros-between": lambda xs: [v for x in xs for v in (x, 0)],
    "sum-of-odds": lambda xs: sum(x for x in xs if x % 2),
    "first-half": lambda xs: xs[:len(xs) // 2],
    "repeat-last": lambda xs: [*xs, xs[-1]],
    "sorted-descending-top3": lambda xs: sorted(xs, reverse=True)[:3],
}


def write_set(path: Path = SET, seed: int = 17) -> None:
    rng = random.Random(seed)
    tasks = []
    for name, fn in FUNCTIONS.items():
        rows = []
        while len(rows) < 11:
            xs = [rng.randint(0, 20) for _ in range(rng.randint(2, 9))]
            if name == "until-zero" and rng.random() < 0.6:
                xs[rng.randrange(len(xs))] = 0
            rows.append({"inputs": [xs], "output": fn(list(xs))})
        tasks.append({"name": name, "description": "a list function written for the transfer check",
                      "examples": rows[:6], "held_out": rows[6:]})
    path.write_text(json.dumps(tasks, indent=1) + "\n", encoding="utf-8")


def run(run_dir: Path, library: Path | None, max_programs: int) -> dict[str, Any]:
    if run_dir.exists():
        shutil.rmtree(run_dir)
    argv = ["evolve", str(SET), "--no-learning", "--workers", "1", "--budget", "120", "--max-programs",
            str(max_programs), "--run-dir", str(run_dir), "--json"]
    if library is None:
        argv.append("--fresh-library")
    else:
        run_dir.mkdir(parents=True)
        shutil.copytree(library, run_dir / "library")
        argv += ["--library", str(run_dir / "library")]
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        if cli(argv) != 0:
            raise SystemExit(f"evoskill {' '.join(argv)} failed")
    report: dict[str, Any] = json.loads((run_dir / "report.json").read_text())
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--library", required=True, help="the evolved lists-rule library to freeze")
    p.add_argument("--max-programs", type=int, default=10_000)
    p.add_argument("--out", default=str(HERE / "results" / "transfer"))
    a = p.parse_args(argv)
    write_set()
    out = Path(a.out)
    lines = [f"Command: `python benchmarks/transfer.py {' '.join(shlex.quote(x) for x in (argv or sys.argv[1:]))}` "
             f"({time.strftime('%Y-%m-%d')})", "",
             "| library | solved | generalized | overfit | median programs, tasks both solved |", "|---|---|---|---|---|"]
    reports = {label: run(out / ("frozen" if lib else "core"), lib, a.max_programs)
               for label, lib in (("lists-rule library, frozen", Path(a.library)), ("built-in skills only", None))}
    tried = {label: {t["name"]: t["programs_tried"] for t in rep["per_task"] if t["solved"]}
             for label, rep in reports.items()}
    both = sorted(set.intersection(*(set(v) for v in tried.values())))
    medians = {label: statistics.median(v[n] for n in both) if both else 0 for label, v in tried.items()}
    for label, rep in reports.items():
        over = sum(1 for t in rep["per_task"] if t["solved"] and t["generalized"] is False)
        lines.append(f"| {label} | {rep['solved']}/{rep['tasks']} | {rep['generalized']}/{rep['tasks']} | {over} | "
                     f"{medians[label]:,.0f} ({len(both)} tasks) |")
    frozen, core = medians.values()
    if frozen:
        lines += ["", f"Programs per task both solved: x{core / frozen:.1f} fewer with the frozen library."]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(HERE / "results" / "results.md", "a", encoding="utf-8") as f:
        f.write("\nTransfer (issue 17):\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
