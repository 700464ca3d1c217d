"""The hybrid proposer: a short search first, then the language model with what is left of the budget.

Skills the model writes land in the library and become search components; abstractions found by search
land in the library and appear in the model's catalogue. The two share the library, not state.
"""

from __future__ import annotations

import time

from ..proposer import Attempt, Proposer, ProposerContext
from ..tasks import Task


class HybridProposer:
    """Search for ``search_share`` of the budget; if that fails, ask the model."""

    name = "hybrid"

    def __init__(self, search: Proposer, llm: Proposer, *, search_share: float = 0.3) -> None:
        self.search = search
        self.llm = llm
        self.search_share = search_share

    def propose(self, task: Task, *, budget_seconds: float, seed: int = 0) -> Attempt:
        start = time.monotonic()
        first = self.search.propose(task, budget_seconds=max(0.5, budget_seconds * self.search_share), seed=seed)
        if first.solved:
            first.proposer = self.name
            first.log.insert(0, {"stage": "search", "solved": True})
            return first
        left = max(1.0, budget_seconds - (time.monotonic() - start))
        second = self.llm.propose(task, budget_seconds=left, seed=seed)
        second.proposer = self.name
        second.programs_tried += first.programs_tried
        second.cpu_seconds += first.cpu_seconds
        second.seconds = time.monotonic() - start
        second.log = [{"stage": "search", "solved": False, "programs_tried": first.programs_tried},
                      *first.log, {"stage": "llm"}, *second.log]
        return second


def make(context: ProposerContext) -> HybridProposer:
    """The ``hybrid`` entry of the proposer registry: the registered search and llm proposers together."""
    from ..proposer import make_proposer

    return HybridProposer(make_proposer("search", context), make_proposer("llm", context))
