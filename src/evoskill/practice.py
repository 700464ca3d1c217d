"""Self-proposed practice: learning with no given task (``evoskill practice``, issue 17).

Each round the agent dreams tasks at the edge of its library (:mod:`evoskill.synth.dream`, run in the
sandbox: compositions of its skills on inputs it samples, of a cost the search does not reach at once),
then attempts them with the ordinary loop (:class:`evoskill.evolve.Run`: the search sees only the solver
examples, the host re-checks every answer, cross-validation, distillation). An answer becomes a skill only
if it also gets the fresh held-out inputs right (``require_generalized``). Practice tasks are named
``practice-...``: their skills carry ``source=practice`` in ``evoskill-evidence`` and ``task:practice-...``
as their origin, and each round's metrics count them (``extra.evidence.from_practice``).

:func:`practice_round` is one such round; ``evoskill evolve --dream N`` runs one before each round of a
learning run, from the library as the given tasks have grown it (DreamCoder's dreaming inside the loop).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UserError
from .evolve import EvolveConfig, Run
from .files import atomic_write
from .guide import PRACTICE_PREFIX
from .lang.components import to_spec
from .learner import Learner
from .sandbox import Limits, Sandbox
from .store import LibraryStore
from .tasks import Task, task_from_dict

#: The sandbox job that dreams tasks (:func:`evoskill.synth.dream.dream_job`), named, not imported.
DREAM_JOB = "evoskill.synth.dream:dream_job"


@dataclass
class PracticeConfig:
    rounds: int = 3
    tasks: int = 40
    budget_seconds: float = 10.0
    max_programs: int | None = 100_000
    signature: tuple[tuple[str, ...], str] = (("list[int]",), "list[int]")
    min_cost: int = 4
    max_cost: int = 6
    seed: int = 0
    workers: int = 1
    #: as the run's own options (``evolve --no-compress`` also holds while it dreams)
    compress: bool = True
    cross_validate: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def parse_signature_arg(text: str) -> tuple[tuple[str, ...], str]:
    """``"list[int] -> list[int]"`` or ``"str, str -> str"`` as (input types, output type)."""
    left, sep, right = text.partition("->")
    ins = tuple(t.strip() for t in left.split(",") if t.strip())
    if not sep or not ins or not right.strip():
        raise UserError(f"--signature {text!r} is not 'TYPE, ... -> TYPE'", fix="e.g. --signature 'list[int] -> list[int]'")
    return ins, right.strip()


def dream_tasks(sandbox: Sandbox, learner: Learner, config: PracticeConfig, round: int) -> list[dict[str, Any]]:
    """This round's self-proposed tasks (the dreamed program kept for the record, never shown to the solver)."""
    ins, out = config.signature
    payload = {"components": to_spec(learner.components()), "input_types": list(ins), "output_type": out,
               "tasks": config.tasks, "seed": config.seed * 1000 + round, "min_cost": config.min_cost,
               "max_cost": config.max_cost, "budget_seconds": 60.0}
    rr = sandbox.call(DREAM_JOB, [payload], limits=Limits(cpu_seconds=120, wall_seconds=180, memory_mb=3072))
    if not rr.ok or not isinstance(rr.value, dict):
        raise UserError(f"dreaming tasks failed: {rr.error_type}: {rr.error_message}",
                        fix="try a smaller --tasks, or another --signature")
    found: list[dict[str, Any]] = rr.value.get("tasks", [])
    for d in found:
        d["name"] = f"{PRACTICE_PREFIX}r{round}-{d['name']}"
    return found


def as_task(d: dict[str, Any]) -> Task:
    """The task the solver gets: examples and held-out inputs, not the program that made them."""
    return task_from_dict({k: v for k, v in d.items() if k not in ("program", "cost")})


def practice_round(learner: Learner, proposer: Any, sandbox: Sandbox, config: PracticeConfig, round: int,
                   run_dir: Path, *, listener: Any = None, executor: Any = None) -> dict[str, Any]:
    """One round of practice on ``learner``'s library: dream ``config.tasks`` tasks, attempt them, keep what
    generalizes. Resumable: a round cut short (its tasks file written) goes on with the same tasks."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tasks_file = run_dir / f"round-{round}-tasks.jsonl"
    if tasks_file.exists():  # a round cut short: the same tasks again (the library has changed since)
        dreamed = [json.loads(line) for line in tasks_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        dreamed = dream_tasks(sandbox, learner, config, round)
        atomic_write(tasks_file, "".join(json.dumps(d) + "\n" for d in dreamed).encode("utf-8"))
    tasks = [as_task(d) for d in dreamed]
    row: dict[str, Any] = {"round": round, "proposed": len(tasks), "solved": 0, "generalized": 0, "kept": 0}
    if tasks:
        cfg = EvolveConfig(rounds=1, budget_seconds=config.budget_seconds, workers=config.workers, learning=True,
                           seed=config.seed * 1000 + round, max_programs=config.max_programs,
                           require_generalized=True, compress=config.compress, cross_validate=config.cross_validate)
        sub = run_dir / f"round-{round}"
        report = Run(tasks, proposer, learner, config=cfg, run_dir=sub, resume=(sub / "state.json").exists(),
                     listener=listener, executor=executor).run()
        per = report["per_task"]
        row.update(solved=sum(1 for t in per if t["solved"]), generalized=sum(1 for t in per if t["generalized"]),
                   kept=sum(1 for t in per if t.get("skill")),
                   skills=sorted(t["skill"] for t in per if t.get("skill")),
                   evidence=(report["rounds"][-1].get("extra") or {}).get("evidence"))
    return row


def practice(library: LibraryStore, sandbox: Sandbox, config: PracticeConfig, run_dir: Path, *,
             proposer_factory: Any, listener: Any = None) -> dict[str, Any]:
    """Run ``config.rounds`` rounds of practice on ``library``; returns a report (also ``report.json``)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    learner = Learner(library, sandbox)
    proposer = proposer_factory(learner)
    rounds = [practice_round(learner, proposer, sandbox, config, r, run_dir, listener=listener)
              for r in range(1, config.rounds + 1)]
    result = {"rounds": rounds, "kept": sum(r["kept"] for r in rounds),
              "library_size": learner.library_size(), "config": {**config.__dict__, "signature": list(config.signature)}}
    (run_dir / "report.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result
