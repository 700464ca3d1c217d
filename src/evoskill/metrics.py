"""What a run measures: per-task results, per-round metrics, the report and the learning curve."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .files import atomic_write

__all__ = ["RoundMetrics", "TaskResult", "write_curve", "write_json_atomic"]


@dataclass
class TaskResult:
    """The latest outcome for one task across the rounds of a run."""

    name: str
    solved: bool = False
    #: held-out examples pass too; None when the task has no held-out examples (n/a, never a pass)
    generalized: bool | None = False
    seconds: float = 0.0
    program: str | None = None
    skill: str | None = None
    round: int | None = None
    proposer: str | None = None
    programs_tried: int = 0
    attempts: int = 0
    error: str | None = None
    #: the solution passed cross-validation on its own solver examples (False: it may be overfit, so a
    #: later round tries the task again and keeps a cross-validated answer if it finds one)
    trusted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RoundMetrics:
    """One line of ``metrics.jsonl``."""

    round: int
    attempted: int = 0
    newly_solved: int = 0
    solved: int = 0
    generalized: int = 0
    #: tasks that have held-out examples (the denominator of ``generalized``)
    held_out_tasks: int = 0
    tasks: int = 0
    new_skills: int = 0
    new_abstractions: int = 0
    rewritten: int = 0
    merged: int = 0
    retired: int = 0
    library_size: int = 0
    learned_skills: int = 0
    reuse: float = 0.0
    skill_uses: int = 0
    convergence: float | None = None
    programs_tried: int = 0
    cpu_seconds: float = 0.0
    programs_per_solved: float | None = None
    cpu_seconds_per_solved: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    #: USD of the round's model calls at list prices (0.0 when no priced model was called)
    cost_usd: float = 0.0
    model_calls: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def finish(self) -> None:
        """Derive the ratios once the round's counts are in."""
        self.programs_per_solved = (self.programs_tried / self.newly_solved) if self.newly_solved else None
        self.cpu_seconds_per_solved = (self.cpu_seconds / self.newly_solved) if self.newly_solved else None
        self.convergence = (self.new_skills / self.skill_uses) if self.skill_uses else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a reader (or a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"), mode=0o600)


def write_curve(path: Path, rounds: list[RoundMetrics], title: str) -> None:
    """Plot solved and generalized share per round (and library size) to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [m.round for m in rounds]
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    total = max((m.tasks for m in rounds), default=1) or 1
    # solved: large hollow circles; generalized: small filled squares, so neither hides the other
    ax.plot(xs, [100 * m.solved / total for m in rounds], marker="o", markersize=11, markerfacecolor="none",
            markeredgewidth=2, label="solved (solver examples)")
    held = [m for m in rounds if m.held_out_tasks]
    if held:
        ax.plot([m.round for m in held], [100 * m.generalized / m.held_out_tasks for m in held], marker="s",
                markersize=5, label="generalized (% of tasks with held-out examples)")
    for m in rounds[-1:]:
        ax.annotate(f"{m.solved}/{total} solved", (m.round, 100 * m.solved / total), textcoords="offset points",
                    xytext=(8, 6), fontsize=8)
    if len(xs) == 1:
        ax.set_xlim(xs[0] - 1, xs[0] + 1)
    ax.set_xlabel("round")
    ax.set_ylabel("% of tasks")
    ax.set_ylim(0, 100)
    ax.set_xticks(xs)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.bar(xs, [m.learned_skills for m in rounds], alpha=0.15, color="gray", label="learned skills")
    ax2.set_ylabel("learned skills in library")
    lines, labels = ax.get_legend_handles_labels()
    l2, lab2 = ax2.get_legend_handles_labels()
    ax.legend(lines + l2, labels + lab2, loc="lower right", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
