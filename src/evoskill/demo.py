"""The main job on the built-in default: ``python -m evoskill.demo`` (what ``make demo`` runs).

1. A short tour of the library: create one, add the bundled skills, search it, run a skill in the sandbox.
2. ``evoskill evolve`` on a bundled benchmark from an empty learned library, with a budget that finishes in
   about three minutes on two cores, then the learning curve.

No API key and no network are needed. Everything lands in ``runs/demo/`` (replaced on each run).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from rich.console import Console

from .cli import main as cli_main

DEFAULT_SET = "lists-rule"
DEFAULT_ROUNDS = 3
DEFAULT_BUDGET = 1.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evoskill.demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", default=DEFAULT_SET)
    p.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    p.add_argument("--budget", type=float, default=DEFAULT_BUDGET)
    p.add_argument("--dir", default="runs/demo")
    a = p.parse_args(argv)
    console = Console(highlight=False)
    root = Path(a.dir)
    if root.exists():
        shutil.rmtree(root)
    lib = str(root / "library")

    def step(title: str, *args: str) -> None:
        console.rule(f"[bold]{title}[/bold]  [dim]evoskill {' '.join(args)}[/dim]")
        code = cli_main([*args, "--library", lib])
        if code not in (0, 1):
            raise SystemExit(code)

    step("1. create a library with the built-in skills", "init")
    step("2. search it", "search", "split text by a delimiter", "-k", "3")
    step("3. run a skill in the sandbox", "run", "text-upper", "hello, skills")
    step(f"4. evolve on {a.tasks}: {a.rounds} rounds, {a.budget:g} s per task", "evolve", a.tasks,
         "--rounds", str(a.rounds), "--budget", str(a.budget), "--run-dir", str(root / "run"))
    step("5. abstractions learned by compression (evoskill list --kind solution shows the rest)", "list", "--kind",
         "abstraction")
    step("6. export the learned skills as standalone Agent Skills folders (for Claude Code, Codex, ...)", "export",
         "--to", str(root / "exported"))
    console.print(f"\nLearning curve: {root / 'run' / 'curve.png'}   report: {root / 'run' / 'report.json'}")
    console.print(f"Exported skills: {root / 'exported'} (each runs alone: python SKILL/scripts/NAME.py ARGS)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
