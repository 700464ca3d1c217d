"""The library side of a run: what the loop learns from each success, and how it measures reuse.

A :class:`Learner` turns verified solutions into skills (:mod:`evoskill.distill`), runs library learning
after each round (:mod:`evoskill.compress`), curates (:mod:`evoskill.curate`), keeps usage statistics that
bias search, and checks held-out examples for measurement only.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import policy
from .lang.components import LEARNED_KINDS, Component, components_from_skills, to_spec
from .proposer import Attempt, Solution
from .sandbox import Sandbox
from .store import LibraryStore
from .tasks import Example, Task
from .verify import Verdict, Verifier


class Learner:
    """Binds a library and a sandbox for one run."""

    def __init__(self, library: LibraryStore, sandbox: Sandbox, *, model: Any = None) -> None:
        self.library = library
        self.sandbox = sandbox
        self.model = model
        self.verifier = Verifier(sandbox)
        self._lock = threading.Lock()
        self._components: list[Component] | None = None

    # ---- search building blocks ----------------------------------------------------------------------------

    def components(self) -> list[Component]:
        """Every active executable skill as a search component, weighted by its usage statistics."""
        with self._lock:
            if self._components is None:
                rules = policy.load(self.library.root)
                trusted = {r.name for r in self.library.list() if rules.allows(r.trust, "build")}
                skills = [s for s in self.library.skills()
                          if s.name in trusted and s.manifest.metadata.get("evoskill-signature")]
                stats = {s.name: self.library.stats(s.name) for s in skills}
                self._components = components_from_skills(skills, stats)
            return self._components

    def invalidate(self) -> None:
        """Forget cached components after the library changed."""
        with self._lock:
            self._components = None

    def learned_uses(self, sol: Solution) -> list[str]:
        """The learned (non-primitive) skills a solution calls."""
        kinds = {c.name: c.kind for c in self.components()}
        return [u for u in sol.uses if kinds.get(u) in LEARNED_KINDS]

    # ---- measurement ------------------------------------------------------------------------------------------

    def verify(self, sol: Solution, examples: Sequence[Example], judge: str | None = None) -> Verdict:
        """Run a solution on ``examples`` in the sandbox, from the host (a program over the library's
        components, Python as written); ``judge`` is the task's checker, if it has one."""
        if sol.kind == "program":
            from .verify import check_program

            return check_program(self.sandbox, sol.source, len(sol.arg_types), to_spec(self.components()),
                                 examples, judge=judge)
        skills_dir = getattr(self.library, "skills_dir", None)
        reads = [Path(skills_dir) / name for name in sol.uses] if skills_dir else []
        return self.verifier.check(sol.python, sol.entry, examples, judge=judge, reads=reads)

    def confirm(self, attempt: Attempt, task: Task) -> Attempt:
        """The one door from a proposer to the metrics and the library: a "solved" counts only once the host
        has re-run the solution on the solver examples in the sandbox (a worker could forge the flag)."""
        attempt.verified = False
        if not attempt.solved or attempt.solution is None:
            attempt.solved = False
            return attempt
        verdict = self.verify(attempt.solution, task.for_solver().examples, task.check)
        if verdict.passed:
            attempt.verified = True
        else:
            attempt.solved = False
            attempt.log.append({"event": "host-verification-failed", "detail": verdict.describe(limit=2)[:500]})
        return attempt

    def check_held_out(self, sol: Solution, task: Task) -> Verdict:
        """Whether a solution also passes the task's held-out examples (measurement only)."""
        return self.verify(sol, task.held_out, task.check)

    def library_size(self) -> tuple[int, int]:
        """(active skills, learned skills among them)."""
        recs = self.library.list()
        return len(recs), sum(1 for r in recs if r.kind in LEARNED_KINDS)

    # ---- learning ---------------------------------------------------------------------------------------------

    def distill(self, sol: Solution, task: Task, round: int) -> tuple[str | None, str]:
        """Store a verified solution as a skill; returns (skill name or None, reason)."""
        from .distill import distill

        name = description = None
        if sol.kind == "python":  # the name and description the model gave in its one structured reply
            from .authoring import card_of

            name, description = card_of(sol)
        result = distill(sol, task, library=self.library, sandbox=self.sandbox, round=round,
                         name=name, description=description)
        self.invalidate()
        skill = result.name if result.ok else None
        return skill, result.reason or ("stored" if skill else "rejected")

    def record_uses(self, sol: Solution, success: bool = True) -> None:
        """Count a use of every skill the solution calls; ``success`` is False for an overfit-looking one."""
        for name in sol.uses:
            try:
                self.library.record_use(name, success)
            except Exception:  # a skill merged away meanwhile: statistics are best effort
                continue
        self.invalidate()

    def compress(self, round: int) -> dict[str, int]:
        from .compress import learn_abstractions

        found = learn_abstractions(self.library, sandbox=self.sandbox, round=round)
        self.invalidate()
        stored = [a for a in found if a.stored]
        return {"abstractions": len(stored), "rewritten": sum(len(a.rewritten_stored) for a in stored)}

    def curate(self, round: int) -> dict[str, int]:
        from .curate import merge_equivalent, retire_failing

        merges = merge_equivalent(self.library, sandbox=self.sandbox)
        self.invalidate()
        repair = self._repair if self.model is not None else None
        retired = retire_failing(self.library, self.sandbox, repair=repair)
        self.invalidate()
        return {"merged": sum(len(m.archived) for m in merges), "retired": len(retired)}

    def _repair(self, skill: Any, reason: str) -> str | None:
        """Ask the model for a fix of a failing skill; kept only if the skill's own tests pass."""
        from .authoring import repair_skill
        from .verify import load_examples

        ep, ex = skill.entry_point, skill.examples_path
        if ep is None or ex is None:
            return None
        return repair_skill(self.model, self.sandbox, ep[0].read_text(encoding="utf-8"), ep[1], load_examples(ex))
