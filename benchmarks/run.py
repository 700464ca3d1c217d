"""Benchmarks of the evolution loop against the issue's targets (not a test: run by hand, takes a while).

    python benchmarks/run.py sygus  [--budget 30]   strings-sygus, one pass from an empty learned library,
                                                   with learning and with --no-learning, in the same run
    python benchmarks/run.py new    [--budget 30]   strings-new with the library evolved on strings-sygus,
                                                   frozen (needs `sygus` first, or --library DIR)
    python benchmarks/run.py lists  [--budget 10]   lists-rule, three rounds, with learning and with --no-learning
    python benchmarks/run.py smoke                 a few tasks of each set with a tiny budget (what CI runs)

Options --proposer/--model pass through (e.g. --proposer hybrid --model local:smollm2). Results go to
benchmarks/results/<suite>-<proposer>/ and a Markdown table is printed (and appended to
benchmarks/results/results.md) with the exact command.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from evoskill.cli import main as cli

RESULTS = Path(__file__).resolve().parent / "results"


def evolve(tasks: str, run_dir: Path, *, budget: float, rounds: int = 1, learning: bool = True,
           library: Path | None = None, fresh: bool = True, proposer: str = "search", model: str | None = None,
           workers: int = 2) -> dict[str, Any]:
    if run_dir.exists():
        shutil.rmtree(run_dir)
    argv = ["evolve", tasks, "--rounds", str(rounds), "--budget", str(budget), "--run-dir", str(run_dir),
            "--workers", str(workers), "--proposer", proposer]
    if model:
        argv += ["--model", model]
    if not learning:
        argv.append("--no-learning")
    if fresh:
        argv.append("--fresh-library")
    elif library:
        argv += ["--library", str(library)]
    code = cli(argv)
    if code != 0:
        raise SystemExit(f"evoskill {' '.join(argv)} failed with status {code}")
    report: dict[str, Any] = json.loads((run_dir / "report.json").read_text())
    return report


def summary(label: str, report: dict[str, Any]) -> dict[str, Any]:
    rounds = report["rounds"]
    solved_secs = [t["seconds"] for t in report["per_task"] if t["solved"]]
    last = rounds[-1]
    tokens = sum(m["tokens_in"] + m["tokens_out"] for m in rounds)
    cfg = report["config"]
    proposer = cfg["proposer"] + (f" ({cfg['model']})" if cfg.get("model") else "")
    return {"run": label, "proposer": proposer, "budget": cfg["budget_seconds"], "tasks": report["tasks"], "solved": report["solved"], "generalized": report["generalized"],
            "per_round_generalized": [m["generalized"] for m in rounds],
            "median_s_per_solved": sorted(solved_secs)[len(solved_secs) // 2] if solved_secs else None,
            "tokens_per_solved": round(tokens / report["solved"]) if report["solved"] else None,
            "learned_skills": last["learned_skills"], "reuse_last_round": last["reuse"]}


def table(rows: list[dict[str, Any]], command: str) -> str:
    head = ("| run | proposer | s/task | solved | generalized | generalized per round | median s / solved "
            "| tokens / solved | learned skills |")
    lines = [f"Command: `{command}` ({time.strftime('%Y-%m-%d')})", "", head, "|" + "---|" * 9]
    for r in rows:
        med = "-" if r["median_s_per_solved"] is None else f"{r['median_s_per_solved']:.2f}"
        tok = "-" if r["tokens_per_solved"] is None else str(r["tokens_per_solved"])
        lines.append(f"| {r['run']} | {r['proposer']} | {r['budget']:g} | {r['solved']}/{r['tasks']} | {r['generalized']}/{r['tasks']} | "
                     f"{' → '.join(map(str, r['per_round_generalized']))} | {med} | {tok} | {r['learned_skills']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suite", choices=["sygus", "new", "lists", "smoke"])
    p.add_argument("--budget", type=float, default=None)
    p.add_argument("--proposer", default="search", choices=["search", "llm", "hybrid"])
    p.add_argument("--model", default=None)
    p.add_argument("--library", default=None, help="for `new`: the evolved library to freeze")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--limit", type=int, default=None, help="only the first N tasks of each set")
    p.add_argument("--out", default=str(RESULTS), help="results folder (default: benchmarks/results)")
    p.add_argument("--no-baseline", action="store_true",
                   help="skip the comparison run (--no-learning for sygus and lists, built-in skills only for new)")
    a = p.parse_args(argv)
    results = Path(a.out)
    out = results / f"{a.suite}-{a.proposer}"
    out.mkdir(parents=True, exist_ok=True)
    sl = f"[:{a.limit}]" if a.limit else ""
    kw: dict[str, Any] = {"proposer": a.proposer, "model": a.model, "workers": a.workers}
    rows = []
    if a.suite == "sygus":
        b = a.budget or 30
        rows.append(summary("strings-sygus, learning", evolve(f"strings-sygus{sl}", out / "learning", budget=b, **kw)))
        if not a.no_baseline:
            rows.append(summary("strings-sygus, --no-learning",
                                evolve(f"strings-sygus{sl}", out / "no-learning", budget=b, learning=False, **kw)))
    elif a.suite == "new":
        b = a.budget or 30
        lib = Path(a.library) if a.library else results / f"sygus-{a.proposer}" / "learning" / "library"
        if not lib.exists():
            raise SystemExit(f"no evolved library at {lib}: run `python benchmarks/run.py sygus` first")
        frozen = out / "frozen-library"
        if frozen.exists():
            shutil.rmtree(frozen)
        shutil.copytree(lib, frozen)
        rows.append(summary("strings-new, sygus library frozen",
                            evolve(f"strings-new{sl}", out / "frozen", budget=b, learning=False, fresh=False,
                                   library=frozen, **kw)))
        if not a.no_baseline:
            rows.append(summary("strings-new, built-in skills only",
                                evolve(f"strings-new{sl}", out / "core-only", budget=b, learning=False, **kw)))
    elif a.suite == "lists":
        b = a.budget or 10
        rows.append(summary("lists-rule, 3 rounds, learning",
                            evolve(f"lists-rule{sl}", out / "learning", budget=b, rounds=3, **kw)))
        if not a.no_baseline:
            rows.append(summary("lists-rule, 3 rounds, --no-learning",
                                evolve(f"lists-rule{sl}", out / "no-learning", budget=b, rounds=3, learning=False,
                                       **kw)))
    else:
        b = a.budget or 1
        for name in ("strings-sygus[:4]", "strings-new[:4]", "lists-rule[:4]"):
            rows.append(summary(name, evolve(name, out / name.split("[")[0], budget=b, rounds=2, **kw)))
    command = "python benchmarks/run.py " + " ".join(shlex.quote(x) for x in (argv or sys.argv[1:]))
    text = table(rows, command)
    print(text)
    with open(results / "results.md", "a", encoding="utf-8") as f:
        f.write("\n" + text)
    (out / "summary.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
