"""The hybrid proposer: the search and the language model at the same time, sharing what the search learns.

The search starts in a thread with ``search_share`` of the budget; after a short head start (a tenth of
the budget, at most 2 s: what the search solves at once costs no model call) the model is asked too, and
the two overlap (a model call is mostly waiting). When the search fails, it looks for *near misses*:
programs that fit every shown example but one (the task re-searched without that example), and hands
them to the model, whose next repair message includes them. When the search solves the task, the model
stops before its next call. Skills the model writes land in the library and become search components;
abstractions found by search land in the library and appear in the model's catalogue.

The near-miss searches only ever see the examples the model is shown: the examples it holds back as
hidden tests never leak into a hint.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Collection
from dataclasses import replace
from typing import Any

from ..authoring import split_examples
from ..explain import parameter_names
from ..lang.program import Var, parse, substitute, to_python
from ..proposer import Attempt, Proposer, ProposerContext, Remembers
from ..tasks import Task

NEAR_MISS_FOLDS = 3


def _near_miss_text(source: str, task: Task, left_out: Any) -> str:
    try:
        names = parameter_names(task.input_types)
        expr = substitute(parse(source), {f"x{i}": Var(n) for i, n in enumerate(names)})
        shown = to_python(expr)
    except Exception:  # an unreadable program is shown as it is
        shown = source
    args = ", ".join(repr(a) for a in left_out.inputs)
    return f"`{shown}` fits every example except f({args}) == {left_out.output!r}"


class HybridProposer:
    """Search and model concurrently; the model is told the search's closest programs."""

    name = "hybrid"

    def __init__(self, search: Proposer, llm: Proposer, *, search_share: float = 0.5,
                 near_miss_share: float = 0.3, head_start: float = 2.0) -> None:
        self.search = search
        self.llm = llm
        #: what re-solves a task to cross-validate an answer (Learner.admit): the search alone, no model calls
        self.refit = search
        self.head_start = head_start
        self.search_share = search_share
        self.near_miss_share = near_miss_share
        params = inspect.signature(llm.propose).parameters
        self._llm_takes_hints = "hints" in params and "cancel" in params

    def memory(self, in_flight: Collection[str] = ()) -> dict[str, Any]:
        """The search side's memory (:class:`evoskill.proposer.Remembers`); the model side keeps none."""
        return self.search.memory(in_flight) if isinstance(self.search, Remembers) else {}

    def remember(self, memory: dict[str, Any]) -> None:
        if isinstance(self.search, Remembers):
            self.search.remember(memory)

    def _search_side(self, task: Task, budget: float, seed: int, out: dict[str, Any], hints: list[str],
                     cancel: threading.Event, searched: threading.Event) -> None:
        start = time.monotonic()
        try:
            try:
                first = self.search.propose(task, budget_seconds=max(0.5, budget * self.search_share), seed=seed)
                out["search"] = first
            finally:
                searched.set()
            if first.solved:
                cancel.set()
                return
            shown, _ = split_examples(task.examples)
            if len(shown) < 3:
                return
            near_budget = budget * self.near_miss_share
            for i in list(range(len(shown)))[::-1][:NEAR_MISS_FOLDS]:
                left = min(near_budget / NEAR_MISS_FOLDS, budget - (time.monotonic() - start) - 0.5)
                if left < 0.3 or cancel.is_set():
                    break
                fold = replace(task, examples=shown[:i] + shown[i + 1:], held_out=())
                near = self.search.propose(fold, budget_seconds=left, seed=seed)
                out["near_programs"] = out.get("near_programs", 0) + near.programs_tried
                if near.solved and near.solution is not None and near.solution.kind == "program":
                    hints.append(_near_miss_text(near.solution.source, task, shown[i]))
        except Exception as exc:  # the search side never takes the model side down
            out["error"] = f"{type(exc).__name__}: {exc}"

    def propose(self, task: Task, *, budget_seconds: float, seed: int = 0) -> Attempt:
        start = time.monotonic()
        task = task.for_solver()
        out: dict[str, Any] = {}
        hints: list[str] = []
        cancel, searched = threading.Event(), threading.Event()
        side = threading.Thread(target=self._search_side,
                                args=(task, budget_seconds, seed, out, hints, cancel, searched),
                                daemon=True, name=f"hybrid-search-{task.name}")
        side.start()
        searched.wait(min(self.head_start, budget_seconds / 10))
        if cancel.is_set():  # solved by the search at once: no model call
            side.join()
            quick: Attempt = out["search"]
            quick.proposer = self.name
            quick.log.insert(0, {"stage": "search", "solved": True, "model": "not asked"})
            quick.seconds = time.monotonic() - start
            return quick
        if self._llm_takes_hints:
            second = self.llm.propose(task, budget_seconds=budget_seconds, seed=seed,  # type: ignore[call-arg]
                                      hints=lambda: list(hints), cancel=cancel)
        else:
            second = self.llm.propose(task, budget_seconds=budget_seconds, seed=seed)
        if not second.solved:
            side.join(max(0.0, budget_seconds - (time.monotonic() - start)) + 5.0)
        first: Attempt | None = out.get("search")
        stage = {"stage": "search", "solved": bool(first and first.solved),
                 "programs_tried": first.programs_tried if first else 0, "near_misses": list(hints),
                 "finished": not side.is_alive()}
        if "error" in out:
            stage["error"] = out["error"]
        chosen = first if first is not None and first.solved else second
        chosen.proposer = self.name
        if chosen is not second:
            chosen.tokens_in += second.tokens_in
            chosen.tokens_out += second.tokens_out
            chosen.cost_usd += second.cost_usd
            chosen.programs_tried += second.programs_tried
        elif first is not None:
            chosen.programs_tried += first.programs_tried + int(out.get("near_programs", 0))
            chosen.cpu_seconds += first.cpu_seconds
        chosen.seconds = time.monotonic() - start
        chosen.log = [stage, *(first.log if first else []), {"stage": "llm", "solved": second.solved},
                      *second.log]
        return chosen


def make(context: ProposerContext) -> HybridProposer:
    """The ``hybrid`` entry of the proposer registry: the registered search and llm proposers together."""
    from ..proposer import make_proposer

    return HybridProposer(make_proposer("search", context), make_proposer("llm", context))
