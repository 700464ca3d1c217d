"""The library side of a run: what the loop learns from each success, and how it measures reuse.

A :class:`Learner` turns verified solutions into skills (:mod:`evoskill.distill`), runs library learning
after each round (:mod:`evoskill.compress`), curates (:mod:`evoskill.curate`), keeps usage statistics that
bias search, and checks held-out examples for measurement only.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import policy
from .guide import Guide, Solved, features, similarity
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
        self._guide: Guide | None = None
        self._solved: dict[tuple[str, str], Solved | None] = {}  # (skill, hash) -> what the guide learns from it
        self._task_features: dict[str, tuple[float, ...]] = {}
        self._similarities: dict[tuple[str, str, str], float] = {}

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

    def guide(self) -> Guide:
        """The guide fitted on the library's solved tasks (:mod:`evoskill.guide`); refitted after every change.

        It learns from every active learned solution skill with a program and its solver examples (the
        ``tests/examples.json`` it was stored with); a skill's features are computed once per version.
        """
        comps = {c.name: c for c in self.components()}
        with self._lock:
            if self._guide is None:
                solved = []
                for rec in self.library.list():
                    c = comps.get(rec.name)
                    if c is None or c.kind != "solution" or c.program is None:
                        continue
                    key = (rec.name, str(rec.hash))
                    if key not in self._solved:
                        self._solved[key] = self._learn_from(rec.name, c)
                    item = self._solved[key]
                    if item is not None:
                        solved.append(replace(item, evidence=c.evidence))
                self._guide = Guide(solved)
            return self._guide

    def _learn_from(self, name: str, comp: Component) -> Solved | None:
        from .lang.program import ops
        from .verify import load_examples

        try:
            skill = self.library.get(name)
            path = skill.examples_path
            examples = load_examples(path) if path is not None else []
        except Exception:  # unreadable examples: the guide does without this skill
            return None
        if not examples:
            return None
        origin = skill.manifest.metadata.get("evoskill-origin", "")
        task = origin[len("task:"):] if origin.startswith("task:") else ""
        assert comp.program is not None
        return Solved(name, (comp.arg_types, comp.return_type),
                      features([list(e.inputs) for e in examples], [e.output for e in examples]),
                      frozenset(ops(comp.program)), comp.evidence, task)

    def familiarity(self, task: Task) -> float:
        """How much a task resembles the library's solved tasks of its signature (the guide's similarity of
        the nearest one, 0..1; 0 when none is alike): the curriculum's estimate of how easy it is now."""
        guide = self.guide()
        solver = task.for_solver()
        sig = (tuple(solver.input_types), solver.output_type)
        f = self._task_features.get(task.name)
        if f is None:
            f = features([list(e.inputs) for e in solver.examples], [e.output for e in solver.examples])
            self._task_features[task.name] = f
        best = 0.0
        for s in guide.solved:
            if s.signature != sig or s.task == task.name:
                continue
            key = (task.name, s.skill, s.task)
            sim = self._similarities.get(key)
            if sim is None:
                sim = self._similarities[key] = similarity(f, s.features)
            best = max(best, sim)
        return best

    def invalidate(self) -> None:
        """Forget cached components (and the guide) after the library changed."""
        with self._lock:
            self._components = None
            self._guide = None

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

    def evidence_summary(self) -> dict[str, Any]:
        """The learned skills by evidence (:func:`evoskill.lang.components.evidence_score`): how many are weak
        (costed 3 nodes), how many trusted (may cost 1 where the guide votes for them), the median, and how
        many came from practice."""
        from .guide import TRUSTED_EVIDENCE
        from .lang.components import WEAK_EVIDENCE, parse_evidence

        learned = [c for c in self.components() if c.kind in LEARNED_KINDS]
        scores = sorted(c.evidence for c in learned)
        practice = 0
        for rec in self.library.list():
            if rec.kind in LEARNED_KINDS:
                try:
                    ev = parse_evidence(self.library.get(rec.name).manifest.metadata.get("evoskill-evidence", ""))
                except Exception:
                    continue
                practice += ev.get("source") == "practice"
        return {"learned": len(learned), "weak": sum(1 for x in scores if x < WEAK_EVIDENCE),
                "trusted": sum(1 for x in scores if x >= TRUSTED_EVIDENCE),
                "median": scores[len(scores) // 2] if scores else None, "from_practice": practice}

    def library_size(self) -> tuple[int, int]:
        """(active skills, learned skills among them)."""
        recs = self.library.list()
        return len(recs), sum(1 for r in recs if r.kind in LEARNED_KINDS)

    # ---- learning ---------------------------------------------------------------------------------------------

    def distill(self, sol: Solution, task: Task, round: int, evidence: str = "") -> tuple[str | None, str]:
        """Store a verified solution as a skill; returns (skill name or None, reason). ``evidence``: the
        ``evoskill-evidence`` metadata (:func:`evoskill.lang.components.format_evidence`)."""
        from .distill import distill

        name = description = None
        if sol.kind == "python":  # the name and description the model gave in its one structured reply
            from .authoring import card_of

            name, description = card_of(sol)
        result = distill(sol, task, library=self.library, sandbox=self.sandbox, round=round,
                         name=name, description=description, evidence=evidence)
        self.invalidate()
        skill = result.name if result.ok else None
        return skill, result.reason or ("stored" if skill else "rejected")

    def record_uses(self, sol: Solution, success: bool = True, *, learned_only: bool = False) -> None:
        """Count a use of every skill the solution calls; ``success`` is False for an overfit-looking one.
        ``learned_only``: count only learned skills (a practice answer: how often a primitive appears in
        programs the agent sampled itself says more about the sampler than about tasks)."""
        names = self.learned_uses(sol) if learned_only else sol.uses
        for name in names:
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
        skills_dir = getattr(self.library, "skills_dir", None)  # a model-written skill may call library skills
        return repair_skill(self.model, self.sandbox, ep[0].read_text(encoding="utf-8"), ep[1], load_examples(ex),
                            reads=[skills_dir] if skills_dir else [])
