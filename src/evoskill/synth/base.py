"""The proposer contract: a task in, an :class:`Attempt` (maybe with a :class:`Solution`) out.

A proposer sees only ``task.for_solver()``: name, description and solver examples. A solution it returns
has passed the solver examples in the sandbox; whether it generalizes is decided later, by the loop, on
held-out examples the proposer never saw.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from ..tasks import Task


@dataclass
class Solution:
    """A program that passes a task's solver examples.

    ``kind`` is ``"program"`` (a DSL expression over library skills, ``source`` is its s-expression) or
    ``"python"`` (free Python from a model, ``source`` is the code). ``python`` is always a complete, runnable
    Python module defining ``entry``; ``uses`` names the library skills it calls.
    """

    kind: Literal["program", "python"]
    source: str
    python: str
    entry: str
    arg_types: tuple[str, ...]
    return_type: str
    uses: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Solution:
        return cls(kind=d["kind"], source=d["source"], python=d["python"], entry=d["entry"],
                   arg_types=tuple(d["arg_types"]), return_type=d["return_type"], uses=tuple(d.get("uses", ())))


@dataclass
class Attempt:
    """What one proposer did on one task: the solution if any, and what it cost."""

    task: str
    proposer: str
    solved: bool = False
    solution: Solution | None = None
    programs_tried: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    log: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["solution"] = self.solution.to_dict() if self.solution else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Attempt:
        d = dict(d)
        sol = d.pop("solution", None)
        return cls(**d, solution=Solution.from_dict(sol) if sol else None)


class Proposer(Protocol):
    """Anything that can attempt a task. ``name`` appears in run records (``search``, ``llm``, ``hybrid``)."""

    name: str

    def propose(self, task: Task, *, budget_seconds: float, seed: int = 0) -> Attempt:
        """Attempt ``task`` (already the solver's view) within the budget."""
        ...
