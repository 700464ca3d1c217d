"""Wiring for the commands that run proposers: build the library, sandbox, proposer and run; show progress.

Kept apart from :mod:`evoskill.cli` (which only parses and prints) and from :mod:`evoskill.evolve` (which
knows nothing about terminals).
"""

from __future__ import annotations

import time
from argparse import Namespace
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .admission import admit
from .core import skills_root as core_skills_dir  # the bundled built-in skills (one folder per primitive)
from .errors import UserError
from .evolve import EvolveConfig, Run
from .executors import check_executor, open_cluster
from .learner import Learner
from .proposer import NEEDS_MODEL, Proposer, ProposerContext
from .proposer import make_proposer as registry_make
from .sandbox import Limits, Sandbox
from .store import LibraryStore
from .tasks import Task, load_tasks


def install_core(library: LibraryStore) -> int:
    """Add every bundled built-in skill the library lacks; returns how many were added or updated."""
    records = {r.name: r for r in library.list(include_archived=True)}
    have = {name: r.hash for name, r in records.items()}
    added = 0
    for folder in sorted(p for p in core_skills_dir().iterdir() if (p / "SKILL.md").is_file()):
        if folder.name in records and (records[folder.name].archived or records[folder.name].trust != "built-in"):
            continue  # archived by the user, or replaced by the user's own skill (--force): left as it is
        rec = library.add(folder, trust="built-in")
        if have.get(rec.name) != rec.hash:
            added += 1
    return added


def open_library(path: str | None, *, fresh_in: Path | None = None) -> LibraryStore:
    """The library named by ``path`` (a folder or a postgresql:// URL; default ``$EVOSKILL_LIBRARY``), or a
    fresh folder library under ``fresh_in``; core installed."""
    from .stores import open_store

    lib = open_store(str(fresh_in / "library") if fresh_in is not None else path)
    install_core(lib)
    return lib


def load_model(kind: str, model_id: str | None, options: list[str] | None = None,
               max_cost: float | None = None) -> Any:
    """The model for ``--proposer llm|hybrid`` (None for search), loaded before anything is written, behind
    a meter that counts every call (:class:`evoskill.models.base.Metered`). ``options`` are ``KEY=VALUE``
    backend options (values read as JSON when they parse); ``max_cost`` stops calls once spent."""
    if kind not in NEEDS_MODEL:
        return None
    if not model_id:
        raise UserError(f"--proposer {kind} needs a model", fix="add --model local:smollm2 (or openai:..., anthropic:...)")
    import json

    from .models import Metered, get_model

    opts: dict[str, Any] = {}
    for item in options or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--model-option {item!r} is not KEY=VALUE", fix="write e.g. --model-option reasoning_effort=low")
        try:
            opts[key.strip()] = json.loads(raw)
        except ValueError:
            opts[key.strip()] = raw
    return Metered(get_model(model_id, **opts), max_cost=max_cost)


def make_proposer(kind: str, model: Any, sandbox: Sandbox, learner: Learner, *,
                  max_programs: int | None = None, search_runner: Any = None) -> Proposer:
    """The proposer registered as ``kind`` (``model`` from :func:`load_model`; ``search_runner``: where
    search jobs run, None for ``sandbox``)."""
    return registry_make(kind, ProposerContext(sandbox=sandbox, learner=learner, model=model,
                                               max_programs=max_programs, search_runner=search_runner))


@contextmanager
def _progress(console: Console | None) -> Iterator[Any]:
    if console is None:
        yield None
        return
    cols = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("solved {task.fields[solved]}"), TimeElapsedColumn())
    with Progress(*cols, console=console, transient=False) as bar:
        yield bar


def round_table(rounds: list[dict[str, Any]]) -> Table:
    """One row per round; the column names are explained under the table."""
    t = Table("round", "tried", "solved", "general.", "new", "abstr.", "merged", "retired", "library", "reuse",
              "progs/solved", "cpu/solved", "conv.", "secs", title="evoskill evolve", box=box.SIMPLE,
              padding=(0, 1), caption=(
                  "solved: solver examples pass; general.: held-out pass too, of the tasks that have held-out "
                  "examples (n/a: none have); new: skills added; merged/retired: archived (never deleted); "
                  "library: active (learned); reuse: solutions calling a learned skill; conv.: new skills / skill "
                  "uses"))
    for m in rounds:
        def f(x: Any, fmt: str = "{:.2f}") -> str:
            return "-" if x is None else fmt.format(x)
        held = m.get("held_out_tasks", m["tasks"])
        t.add_row(str(m["round"]), str(m["attempted"]), f"{m['solved']}/{m['tasks']}",
                  f"{m['generalized']}/{held}" if held else "n/a", str(m["new_skills"]), str(m["new_abstractions"]),
                  str(m.get("merged", 0)), str(m.get("retired", 0)),
                  f"{m['library_size']} ({m['learned_skills']})", f(m["reuse"], "{:.0%}"),
                  f(m["programs_per_solved"], "{:,.0f}"), f(m["cpu_seconds_per_solved"]),
                  f(m["convergence"]), f(m["seconds"], "{:.0f}"))
    return t


@dataclass(frozen=True)
class RunPlace:
    """Where an evolution run happens, beside what it does (:class:`~evoskill.evolve.EvolveConfig`): the
    library (a folder or a postgresql:// URL; ``fresh_library`` makes an empty one inside the run folder),
    the run folder (default ``runs/<time>``), whether to resume it, the executor and the model's options."""

    library: str | None = None
    fresh_library: bool = False
    run_dir: str | None = None
    resume: bool = False
    executor: str = "local"
    address: str | None = None
    model_options: tuple[str, ...] = ()


def run_evolve(tasks_spec: str | Sequence[str], config: EvolveConfig, place: RunPlace = RunPlace(),
               console: Console | None = None) -> dict[str, Any]:
    """``evoskill evolve``: run or resume ``config`` on the tasks named by ``tasks_spec``, showing progress on
    ``console``; returns the report."""
    tasks = load_tasks(tasks_spec)
    if not tasks:
        raise UserError("no tasks to attempt", fix="name a task file or a bundled set (evoskill benchmarks)")
    run_dir = Path(place.run_dir) if place.run_dir else Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    if (run_dir / "state.json").exists() and not place.resume:
        raise UserError(f"{run_dir} already holds a run", fix="pass --resume to continue it, or choose another --run-dir")
    executor, address = place.executor, place.address
    check_executor(executor, address)  # before anything is written (e.g. Ray not installed)
    model = load_model(config.proposer, config.model, list(place.model_options), config.max_cost)
    library = open_library(place.library, fresh_in=run_dir if place.fresh_library else None)
    limits = Limits(cpu_seconds=config.budget_seconds * 2 + 10, wall_seconds=config.budget_seconds * 3 + 30,
                    memory_mb=4096, output_bytes=4_000_000)
    with (Sandbox(workers=config.workers, limits=limits, readable=[library.root]) as sandbox,
          open_cluster(executor, address, workers=config.workers, readable=[str(library.root)]) as cluster):
        learner = Learner(library, sandbox, model=model)
        proposer = make_proposer(config.proposer, model, sandbox, learner, max_programs=config.max_programs,
                                 search_runner=cluster.call if cluster else None)
        with _progress(console) as bar:
            solved = {"n": 0}

            def listener(event: str, key: Any, value: Any) -> None:
                if bar is None:
                    return
                if event == "start":
                    solved["n"] = 0
                    solved["bar"] = bar.add_task(f"round {key}", total=value, solved=0)
                elif event == "task":
                    solved["n"] += 1 if value.solved else 0
                    bar.update(solved["bar"], advance=1, solved=solved["n"])

            dreamer = _dreamer(tasks, config, sandbox, learner, run_dir / "dream", cluster) if config.dream else None
            run = Run(tasks, proposer, learner, config=config, run_dir=run_dir, resume=place.resume,
                      listener=listener, executor=cluster.executor if cluster else None, meter=model,
                      dreamer=dreamer)
            report = run.run()
    if console is not None:
        console.print(round_table(report["rounds"]))
        used = report.get("model") or {}
        if used.get("model_calls"):
            console.print(f"Model: {used['model_calls']} calls, {used['tokens_in']:,} tokens in, {used['tokens_out']:,} "
                          f"out, ${used['cost_usd']:.4f} at list prices")
        if report.get("stopped"):
            console.print(f"Stopped: {report['stopped']}")
        console.print(f"Run records in {run_dir}/ (report.json, metrics.jsonl, curve.png); library at {library.root}")
    report["run_dir"] = str(run_dir)
    return report


def _dreamer(tasks: Sequence[Task], config: EvolveConfig, sandbox: Sandbox, learner: Learner,
             run_dir: Path, cluster: Any = None) -> Callable[[int], dict[str, Any]]:
    """``evolve --dream N``: before round r, one round of practice (:func:`evoskill.practice.practice_round`)
    on tasks of the given tasks' most common signature, dreamed from the library as it stands; searched
    without a model, ``config.dream_programs`` programs a task."""
    from collections import Counter

    from .practice import PracticeConfig, practice_round

    signature, _ = Counter((t.input_types, t.output_type) for t in tasks).most_common(1)[0]
    pconfig = PracticeConfig(rounds=1, tasks=config.dream, budget_seconds=config.budget_seconds,
                             max_programs=config.dream_programs, signature=signature, seed=config.seed,
                             workers=config.workers, compress=config.compress, cross_validate=config.cross_validate)
    proposer = make_proposer("search", None, sandbox, learner, max_programs=config.dream_programs,
                             search_runner=cluster.call if cluster else None)

    def dream(r: int) -> dict[str, Any]:
        t0 = time.monotonic()
        try:
            row = practice_round(learner, proposer, sandbox, pconfig, r, run_dir,
                                 executor=cluster.executor if cluster else None)
        except UserError as exc:  # e.g. no inputs of this signature can be drawn: the given tasks go on
            row = {"round": r, "proposed": 0, "solved": 0, "generalized": 0, "kept": 0, "skipped": str(exc)}
        return {**row, "seconds": round(time.monotonic() - t0, 1)}
    return dream


def _first_task(spec: str) -> Task:
    tasks = load_tasks(spec)
    if not tasks:
        raise UserError(f"{spec} holds no task", fix="give a task file with at least one task")
    return tasks[0]


def run_solve(args: Namespace) -> dict[str, Any]:
    """``evoskill solve``: one task with the current library; prints the program and (with --save) the skill."""
    task = _first_task(args.taskfile)
    model = load_model(args.proposer, args.model, getattr(args, "model_option", None))
    library = open_library(args.library)
    limits = Limits(cpu_seconds=args.budget * 2 + 10, wall_seconds=args.budget * 3 + 30, memory_mb=4096)
    with Sandbox(workers=1, limits=limits, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox, model=model)
        proposer = make_proposer(args.proposer, model, sandbox, learner, max_programs=args.max_programs)
        attempt = learner.confirm(proposer.propose(task.for_solver(), budget_seconds=args.budget, seed=args.seed),
                                  task)
        # The keys are the same for every task (documented in the README); None where a value does not apply.
        result: dict[str, Any] = {"task": task.name, "solved": attempt.solved, "programs_tried": attempt.programs_tried,
                                  "seconds": round(attempt.seconds, 3), "program": None, "python": None,
                                  "generalized": None, "admission": None, "skill": None, "distill": None,
                                  "error": next((str(e.get("error") or e.get("reason")) for e in attempt.log
                                                 if isinstance(e, dict) and (e.get("error") or e.get("reason"))),
                                                None)}
        if attempt.solved and attempt.solution:
            sol = attempt.solution
            result.update(program=sol.source, python=sol.python)
            if task.held_out:
                result["generalized"] = learner.check_held_out(sol, task).passed
            if args.save:
                # the same cross-validation as `evolve` before anything is stored
                fold_budget = min(args.budget, max(2.0, 3 * attempt.seconds))
                admitted, why = admit(task.for_solver(), sol, proposer, learner, fold_budget, seed=args.seed)
                result["admission"] = why
                if admitted:
                    result["skill"], result["distill"] = learner.distill(sol, task, 0)
                else:
                    result["distill"] = "not stored: " + why
                learner.record_uses(sol, admitted)
    return result


def run_practice(args: Namespace, console: Console | None = None) -> dict[str, Any]:
    """``evoskill practice``: self-proposed tasks at the edge of the library, kept if they generalize."""
    from .practice import PracticeConfig, parse_signature_arg, practice

    run_dir = Path(args.run_dir) if args.run_dir else Path("runs") / ("practice-" + time.strftime("%Y%m%d-%H%M%S"))
    if (run_dir / "report.json").exists():
        raise UserError(f"{run_dir} already holds a practice run", fix="choose another --run-dir")
    fresh = run_dir if getattr(args, "fresh_library", False) else None
    library = open_library(args.library, fresh_in=fresh)
    config = PracticeConfig(rounds=args.rounds, tasks=args.tasks, budget_seconds=args.budget,
                            max_programs=args.max_programs, signature=parse_signature_arg(args.signature),
                            seed=args.seed, workers=max(1, args.workers))
    limits = Limits(cpu_seconds=args.budget * 2 + 10, wall_seconds=args.budget * 3 + 30, memory_mb=4096,
                    output_bytes=4_000_000)
    with Sandbox(workers=config.workers, limits=limits, readable=[library.root]) as sandbox:
        report = practice(library, sandbox, config, run_dir,
                          proposer_factory=lambda learner: make_proposer("search", None, sandbox, learner,
                                                                         max_programs=config.max_programs))
    if console is not None:
        t = Table("round", "proposed", "solved", "generalized", "kept as skills", title="evoskill practice",
                  box=box.SIMPLE)
        for r in report["rounds"]:
            t.add_row(str(r["round"]), str(r["proposed"]), str(r["solved"]), str(r["generalized"]), str(r["kept"]))
        console.print(t)
        console.print(f"Records in {run_dir}/ (report.json, round-N-tasks.jsonl); library at {library.root}")
    report["run_dir"] = str(run_dir)
    report["library"] = str(library.root)
    return report

