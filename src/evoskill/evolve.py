"""The evolution loop: attempt tasks in parallel batches, verify, distill, compress, curate, measure.

One round attempts every task not yet solved. ``workers`` tasks are in flight at once, each proposer call
inside a sandboxed worker; as each finishes, its success is distilled into a skill (verified in the sandbox
before it is stored) and the next task goes out, so later tasks build on what was just learned. After a round, library learning looks for
shared structure (:mod:`evoskill.compress`) and curation merges duplicates and retires failing skills
(:mod:`evoskill.curate`). Held-out examples are used for one thing only: measuring ``generalized``.

The run directory holds ``state.json`` (a checkpoint after every task, so ``--resume`` loses nothing),
``attempts.jsonl`` (every attempt, appended), ``metrics.jsonl`` (one line per round), ``report.json`` and
``curve.png``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .admission import admit
from .errors import UserError
from .guide import PRACTICE_PREFIX
from .lang.components import format_evidence
from .learner import Learner
from .metrics import RoundMetrics, TaskResult, write_curve, write_json_atomic
from .models.base import ConfigurationError
from .proposer import Attempt, Proposer, Remembers
from .tasks import Task

#: Called with ("start", round, number of tasks to attempt) when a round starts or resumes,
#: ("task", task_name, attempt) after each task and ("round", round, metrics) after each round.
Listener = Callable[[str, Any, Any], None]


@dataclass
class EvolveConfig:
    """Options of one run; stored in the checkpoint so ``--resume`` continues the same run."""

    rounds: int = 1
    budget_seconds: float = 10.0
    workers: int = 2
    learning: bool = True
    seed: int = 0
    proposer: str = "search"
    model: str | None = None
    max_programs: int | None = None
    compress: bool = True
    curate: bool = True
    cross_validate: bool = True
    #: with learning, attempt first the tasks most like those already solved (re-estimated after each task);
    #: off by default: on lists-rule and strings-sygus it was measured no better than the given order
    curriculum: bool = False
    #: an answer becomes a skill only if it also passes the task's held-out examples (practice tasks, whose
    #: held-out examples are fresh inputs the agent drew itself)
    require_generalized: bool = False
    #: stop the run cleanly (resumable) once the model calls have cost this many USD (None: no limit)
    max_cost: float | None = None
    #: with learning, before each round the agent practises on this many tasks it proposes to itself from
    #: its library as it stands (DreamCoder's dreaming; :func:`evoskill.practice.practice_round`); 0: none
    dream: int = 0
    #: programs per dreamed task
    dream_programs: int = 100_000

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RunState:
    """Everything needed to resume: per-task results, finished rounds, progress inside the current round."""

    task_names: list[str]
    config: dict[str, Any]
    per_task: dict[str, TaskResult] = field(default_factory=dict)
    rounds: list[RoundMetrics] = field(default_factory=list)
    current_round: int = 1
    done_in_round: list[str] = field(default_factory=list)
    partial: dict[str, Any] = field(default_factory=dict)
    #: what the proposer learned from its own attempts (:class:`evoskill.proposer.Remembers`)
    proposer: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_names": self.task_names, "config": self.config,
            "per_task": {k: v.to_dict() for k, v in self.per_task.items()},
            "rounds": [m.to_dict() for m in self.rounds], "current_round": self.current_round,
            "done_in_round": self.done_in_round, "partial": self.partial, "proposer": self.proposer,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunState:
        return cls(task_names=d["task_names"], config=d["config"],
                   per_task={k: TaskResult(**v) for k, v in d["per_task"].items()},
                   rounds=[RoundMetrics(**m) for m in d["rounds"]], current_round=d["current_round"],
                   done_in_round=d["done_in_round"], partial=d.get("partial", {}),
                   proposer=d.get("proposer", {}))


#: Makes the pool that runs task attempts, given the number of workers (the executor seam: threads by
#: default; anything with ``concurrent.futures.Executor``'s ``submit`` and context manager works).
ExecutorFactory = Callable[[int], Executor]


class Run:
    """One evolution run over a list of tasks, writing its records to ``run_dir``.

    ``learner`` is the library side (verification on the host, cross-validation, distillation, library
    learning); every proposer result passes :meth:`~evoskill.learner.Learner.confirm` before it is counted.
    """

    def __init__(self, tasks: Sequence[Task], proposer: Proposer, learner: Learner, *,
                 config: EvolveConfig, run_dir: Path, resume: bool = False,
                 listener: Listener | None = None, executor: ExecutorFactory | None = None,
                 meter: Any = None, dreamer: Callable[[int], dict[str, Any]] | None = None) -> None:
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            raise UserError("two tasks share a name", fix="give every task its own name")
        self.tasks = list(tasks)
        self.proposer = proposer
        self.learner = learner
        self.config = config
        self.run_dir = Path(run_dir)
        self.listener = listener or (lambda *_: None)
        self.executor: ExecutorFactory = executor or (lambda n: ThreadPoolExecutor(max_workers=n))
        #: counts every model call (:class:`evoskill.models.base.Metered`); None: tokens from the attempts
        self.meter = meter
        self._metered = meter.usage() if meter is not None else None
        #: practises before round r (``config.dream``): returns that practice round's report row
        self.dreamer = dreamer
        self.state = self._open_state(names, resume)
        if resume and self.state.proposer and isinstance(proposer, Remembers):
            proposer.remember(self.state.proposer)

    # ---- checkpointing ------------------------------------------------------------------------------------

    def _open_state(self, names: list[str], resume: bool) -> RunState:
        path = self.run_dir / "state.json"
        if resume and path.exists():
            state = RunState.from_dict(json.loads(path.read_text(encoding="utf-8")))
            if state.task_names != names:
                raise UserError(f"{self.run_dir} holds a run over other tasks",
                                fix="resume with the same tasks, or choose another --run-dir")
            return state
        if path.exists() and not resume:
            raise UserError(f"{self.run_dir} already holds a run",
                            fix="pass --resume to continue it, or choose another --run-dir")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        state = RunState(task_names=names, config=self.config.to_dict(),
                         per_task={n: TaskResult(n) for n in names})
        write_json_atomic(path, state.to_dict())
        return state

    def _checkpoint(self, in_flight: Iterable[str] = ()) -> None:
        """Write ``state.json``; ``in_flight``: tasks whose attempts are not yet recorded (they count as not
        yet made in the proposer's memory)."""
        if isinstance(self.proposer, Remembers):
            self.state.proposer = self.proposer.memory(sorted(in_flight))
        write_json_atomic(self.run_dir / "state.json", self.state.to_dict())

    def _append(self, name: str, record: dict[str, Any]) -> None:
        with open(self.run_dir / name, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")

    # ---- the loop -------------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Run (or resume) every round; returns the report."""
        cfg = self.config
        if self.meter is not None and cfg.max_cost is not None:  # what is left of the limit after a resume
            self.meter.max_cost = self.meter.usage().cost_usd + max(0.0, cfg.max_cost - self._spent())
        while self.state.current_round <= cfg.rounds and not self._over_cost():
            r = self.state.current_round
            todo = [t for t in self.tasks if self._wanted(t, r) and t.name not in self.state.done_in_round]
            if todo and cfg.learning and cfg.dream and self.dreamer is not None and "dream" not in self.state.partial:
                self.listener("dream", r, cfg.dream)
                self.state.partial["dream"] = self.dreamer(r)
                self._checkpoint()
                if self._over_cost():  # the dreams' curation may have asked the model for repairs
                    self._write_outputs()
                    break
            t0 = time.monotonic() - float(self.state.partial.get("seconds", 0.0))
            self.listener("start", r, len(todo))
            self._attempt_all(r, todo, t0)
            if self._over_cost():  # stopped cleanly inside the round: --resume (with a higher limit) goes on
                self._checkpoint()
                self._write_outputs()
                break
            metrics = self._finish_round(r, time.monotonic() - t0)
            self.listener("round", r, metrics)
        return self.report()

    def _fold_meter(self) -> None:
        """Add the model calls made since the last fold (every call, whoever made it) to this round."""
        if self.meter is None or self._metered is None:
            return
        now = self.meter.usage()
        delta, self._metered = now.minus(self._metered), now
        p = self.state.partial
        for key, value in (("tokens_in", delta.tokens_in), ("tokens_out", delta.tokens_out),
                           ("cost_usd", delta.cost_usd), ("model_calls", delta.calls)):
            p[key] = p.get(key, 0) + value

    def _spent(self) -> float:
        """USD the model calls of this run have cost so far (finished rounds and the current one)."""
        return sum(m.cost_usd for m in self.state.rounds) + float(self.state.partial.get("cost_usd", 0.0))

    def _over_cost(self) -> bool:
        self._fold_meter()
        return self.config.max_cost is not None and self._spent() >= self.config.max_cost

    def _wanted(self, task: Task, r: int) -> bool:
        """Unsolved tasks, and (when learning) solved ones whose answer failed cross-validation: the
        library has grown since, so a later round may find an answer that holds up."""
        res = self.state.per_task[task.name]
        if not res.solved:
            return True
        retry = self.config.learning and self.config.cross_validate
        return retry and not res.trusted and res.round is not None and res.round < r

    def _attempt_all(self, r: int, todo: list[Task], t0: float) -> None:
        """Keep ``workers`` attempts in flight; record each as it finishes, then start the next task.

        A batch is the window of tasks in flight: the library is updated (distill, checkpoint) after every
        finished task, so the next task out already sees what was just learned, and a slow task never holds
        the other workers back.
        """
        seed = self.config.seed * 1000 + r
        order = {t.name: i for i, t in enumerate(todo)}
        pending = list(todo)

        def pick() -> Task | None:
            if not pending:
                return None
            if self.config.curriculum and self.config.learning:
                pending.sort(key=self._difficulty(order))
            return pending.pop(0)

        with self.executor(max(1, self.config.workers)) as pool:
            in_flight: dict[Future[tuple[Attempt, tuple[bool, str]]], Task] = {}
            for _ in range(max(1, self.config.workers)):
                first = pick()
                if first is None:
                    break
                in_flight[pool.submit(self._attempt, first, seed)] = first
            while in_flight:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=lambda f: order[in_flight[f].name]):
                    task = in_flight.pop(fut)
                    attempt, admission = fut.result()
                    self._record(r, task, attempt, admission)
                    self.state.partial["seconds"] = time.monotonic() - t0
                    self._checkpoint(t.name for t in in_flight.values())
                    self.listener("task", task.name, attempt)
                    nxt = pick() if not self._over_cost() else None
                    if nxt is not None:
                        in_flight[pool.submit(self._attempt, nxt, seed)] = nxt

    def _difficulty(self, order: dict[str, int]) -> Callable[[Task], tuple[float, int, int]]:
        """The curriculum's sort key: most familiar first (the guide's similarity to solved tasks), then the
        fewest programs spent on it in earlier rounds, then the given order."""
        def key(task: Task) -> tuple[float, int, int]:
            try:
                familiar = self.learner.familiarity(task)
            except Exception:  # an estimate only: a task it cannot read keeps its place
                familiar = 0.0
            return (-round(familiar, 3), self.state.per_task[task.name].programs_tried, order[task.name])
        return key

    def _attempt(self, task: Task, seed: int) -> tuple[Attempt, tuple[bool, str]]:
        """Propose (in a worker thread); for a success that may be learned, also cross-validate it."""
        admission = (True, "admitted")
        try:
            attempt = self.proposer.propose(task.for_solver(), budget_seconds=self.config.budget_seconds, seed=seed)
            attempt = self.learner.confirm(attempt, task)
            # Cross-validation: a search answer re-runs the search without an example; a model answer must
            # predict the examples held back from its prompt (admission.admit).
            if (attempt.solved and attempt.solution is not None
                    and self.config.learning and self.config.cross_validate):
                # Dropping an example makes a search easier: three times the original time is plenty.
                fold_budget = min(self.config.budget_seconds, max(2.0, 3 * attempt.seconds))
                admission = admit(task.for_solver(), attempt.solution, self.proposer, self.learner,
                                  fold_budget, seed=seed)
        except ConfigurationError:  # a bad key, model or parameter fails every task: the run stops at once
            raise
        except Exception as exc:  # a proposer failure is recorded against the task, never ends the run
            attempt = Attempt(task=task.name, proposer=self.proposer.name,
                              log=[{"error": f"{type(exc).__name__}: {exc}"}])
        return attempt, admission

    def _record(self, r: int, task: Task, attempt: Attempt, admission: tuple[bool, str]) -> None:
        self._fold_meter()
        res = self.state.per_task[task.name]
        res.attempts += 1
        res.seconds += attempt.seconds
        res.programs_tried += attempt.programs_tried
        p = self.state.partial
        p["attempted"] = p.get("attempted", 0) + 1
        p["programs_tried"] = p.get("programs_tried", 0) + attempt.programs_tried
        p["cpu_seconds"] = p.get("cpu_seconds", 0.0) + attempt.cpu_seconds
        if self.meter is None:  # else _fold_meter counts every call, not only the proposer's
            p["tokens_in"] = p.get("tokens_in", 0) + attempt.tokens_in
            p["tokens_out"] = p.get("tokens_out", 0) + attempt.tokens_out
            p["cost_usd"] = p.get("cost_usd", 0.0) + attempt.cost_usd
        record: dict[str, Any] = {"round": r, **attempt.to_dict()}
        retry = res.solved
        if retry and attempt.solved and not admission[0]:
            # the task already has an answer; an answer that is no better is recorded but not taken
            record["kept"] = "previous answer kept: the new one did not cross-validate either"
        elif attempt.solved and attempt.verified and attempt.solution is not None:
            sol = attempt.solution
            res.solved, res.round, res.proposer, res.program = True, r, attempt.proposer, sol.source
            res.error = None
            res.trusted = admission[0]
            verdict = self.learner.check_held_out(sol, task) if task.held_out else None
            res.generalized = bool(verdict and verdict.passed) if task.held_out else None
            record["generalized"] = res.generalized
            if retry:
                p["replaced"] = p.get("replaced", 0) + 1
            else:
                p["newly_solved"] = p.get("newly_solved", 0) + 1
            learned = self.learner.learned_uses(sol)
            p["reusing"] = p.get("reusing", 0) + (1 if learned else 0)
            p["skill_uses"] = p.get("skill_uses", 0) + len(sol.uses)
            if self.config.learning:
                admitted, why = admission
                if admitted and self.config.require_generalized and not res.generalized:
                    admitted, why = False, "not kept: the answer fails fresh inputs"
                record["admission"] = why
                evidence = format_evidence({
                    "examples": len(task.examples),
                    "checked": "cross-validated" if "cross-validated" in why else "uncheckable",
                    "held-out": ("passed" if res.generalized else "failed") if task.held_out else "",
                    "source": "practice" if task.name.startswith(PRACTICE_PREFIX) else ""})
                skill, reason = self.learner.distill(sol, task, r, evidence) if admitted else (None, why)
                res.skill = skill
                record["skill"] = skill
                record["distill"] = reason
                if skill:
                    p["new_skills"] = p.get("new_skills", 0) + 1
                else:
                    p["not_admitted"] = p.get("not_admitted", 0) + (0 if admitted else 1)
                self.learner.record_uses(sol, admitted, learned_only=task.name.startswith(PRACTICE_PREFIX))
        elif retry:
            record["kept"] = "previous answer kept: no new answer found"
        else:
            res.error = next((str(e.get("error") or e.get("reason")) for e in attempt.log if isinstance(e, dict)
                              and (e.get("error") or e.get("event") == "cannot-attempt")), None)
        self.state.done_in_round.append(task.name)
        p.setdefault("order", []).append(task.name)
        self._append("attempts.jsonl", record)

    def _finish_round(self, r: int, seconds: float) -> RoundMetrics:
        p = self.state.partial
        m = RoundMetrics(round=r, attempted=p.get("attempted", 0), newly_solved=p.get("newly_solved", 0),
                         tasks=len(self.tasks), new_skills=p.get("new_skills", 0),
                         programs_tried=p.get("programs_tried", 0), cpu_seconds=round(p.get("cpu_seconds", 0.0), 3),
                         tokens_in=p.get("tokens_in", 0), tokens_out=p.get("tokens_out", 0),
                         cost_usd=round(p.get("cost_usd", 0.0), 6), model_calls=p.get("model_calls", 0),
                         skill_uses=p.get("skill_uses", 0),
                         extra={"not_admitted": p.get("not_admitted", 0), "replaced": p.get("replaced", 0),
                                "order": p.get("order", []),
                                "curriculum": bool(self.config.curriculum and self.config.learning)})
        if "dream" in p:
            m.extra["dream"] = {k: v for k, v in p["dream"].items() if k != "skills"}
        if self.config.learning:
            if self.config.compress:
                learned = self.learner.compress(r)
                m.new_abstractions = learned.get("abstractions", 0)
                m.rewritten = learned.get("rewritten", 0)
                m.new_skills += m.new_abstractions
            if self.config.curate:
                curated = self.learner.curate(r)
                m.merged = curated.get("merged", 0)
                m.retired = curated.get("retired", 0)
        self._fold_meter()  # repairs asked of the model while curating count in this round too
        m.tokens_in, m.tokens_out = p.get("tokens_in", 0), p.get("tokens_out", 0)
        m.cost_usd, m.model_calls = round(p.get("cost_usd", 0.0), 6), p.get("model_calls", 0)
        results = self.state.per_task.values()
        m.solved = sum(1 for t in results if t.solved)
        m.generalized = sum(1 for t in results if t.generalized)
        m.held_out_tasks = sum(1 for t in self.tasks if t.held_out)
        answers = m.newly_solved + p.get("replaced", 0)
        m.reuse = round(p.get("reusing", 0) / answers, 3) if answers else 0.0
        m.library_size, m.learned_skills = self.learner.library_size()
        if self.config.learning:
            m.extra["evidence"] = self.learner.evidence_summary()
        m.seconds = round(seconds, 2)
        m.finish()
        self.state.rounds.append(m)
        self.state.current_round = r + 1
        self.state.done_in_round = []
        self.state.partial = {}
        self._append("metrics.jsonl", m.to_dict())
        self._checkpoint()
        self._write_outputs()
        return m

    # ---- outputs --------------------------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        per_task = [self.state.per_task[n].to_dict() for n in self.state.task_names]
        return {
            "tasks": len(per_task),
            "solved": sum(1 for t in per_task if t["solved"]),
            "generalized": sum(1 for t in per_task if t["generalized"]),
            "tasks_with_held_out": sum(1 for t in self.tasks if t.held_out),
            "rounds": [m.to_dict() for m in self.state.rounds],
            "config": self.state.config,
            "per_task": per_task,
            "model": self._usage_totals(),
            "stopped": (f"the cost limit of ${self.config.max_cost:g} was reached (spent ${self._spent():.4f}); "
                        "continue with --resume and a higher --max-cost") if self._over_cost() else None,
        }

    def _usage_totals(self) -> dict[str, Any]:
        """Model calls, tokens and USD of the whole run so far (finished rounds and the current one)."""
        p = self.state.partial
        return {k: sum(getattr(m, k) for m in self.state.rounds) + p.get(k, 0)
                for k in ("model_calls", "tokens_in", "tokens_out", "cost_usd")}

    def _write_outputs(self) -> None:
        write_json_atomic(self.run_dir / "report.json", self.report())
        title = f"evoskill evolve: {len(self.tasks)} tasks, {self.config.proposer}, " \
                f"{'learning' if self.config.learning else 'no learning'}"
        write_curve(self.run_dir / "curve.png", self.state.rounds, title)
