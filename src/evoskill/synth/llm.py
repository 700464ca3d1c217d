"""The LLM proposer: a language model writes one Python function, the sandbox decides whether it works.

Each round sends a compact catalogue of relevant library skills (names, signatures, descriptions; full
source only for the top two), the task description and the solver examples. The reply's code is run
against the solver examples in the sandbox; concrete failures go back to the model for a bounded number
of repairs. Nothing the model says is trusted: only a passing :class:`~evoskill.verify.Verdict` yields a
:class:`~evoskill.proposer.Solution`. Held-out examples never reach a prompt.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..authoring import (
    _FEEDBACK_CHARS,
    _PARSE_ERRORS,
    RULES,
    SYSTEM,
    _example_lines,
    _functions,
    _verifier,
    extract_code,
)
from ..errors import EvoskillError, ModelError, UserError
from ..models.base import Completion, Message, Model
from ..proposer import Attempt, ProposerContext, Solution
from ..tasks import Task

ENTRY = "solve"
_LOG_CHARS = 4000
@dataclass
class _Skill:
    name: str
    description: str
    signature: str
    function: str | None
    source: str | None


# ---------------------------------------------------------------- prompt pieces


def _signature(entry: str, task: Task) -> str:
    args = ", ".join(f"x{i + 1}: {t}" for i, t in enumerate(task.input_types))
    return f"def {entry}({args}) -> {task.output_type or 'object'}:"


def _strip_main(source: str) -> str:
    """Drop top-level ``if __name__ == "__main__":`` blocks so a skill's script can be inlined."""
    try:
        tree = ast.parse(source)
    except _PARSE_ERRORS:
        return source
    lines = source.splitlines()
    for node in reversed(tree.body):
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            del lines[node.lineno - 1:node.end_lineno]
    return "\n".join(lines).rstrip() + "\n"


def _names_used(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except _PARSE_ERRORS:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _record(reply: Completion | None, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if reply is not None:
        entry.update(reply=reply.text[:_LOG_CHARS], reply_chars=len(reply.text), tokens_in=reply.tokens_in,
                     tokens_out=reply.tokens_out, seconds=round(reply.seconds, 3), cost_usd=reply.cost_usd,
                     model=reply.model)
    entry.update(fields)
    return entry


# ---------------------------------------------------------------- the proposer


class LLMProposer:
    """Proposes Python solutions written by ``model``, verified in ``sandbox`` on the solver examples."""

    name = "llm"

    def __init__(self, model: Model, sandbox: Any, library: Any = None, *, attempts: int = 3,
                 max_tokens: int = 400, catalogue_size: int = 8, entry: str = ENTRY) -> None:
        self.model = model
        self.sandbox = sandbox
        self.library = library
        self.attempts = max(1, attempts)
        self.max_tokens = max_tokens
        self.catalogue_size = catalogue_size
        self.entry = entry

    # -- library retrieval (duck-typed: the library may be absent or partial)
    def _retrieve(self, task: Task, log: list[dict[str, Any]]) -> list[_Skill]:
        lib = self.library
        if lib is None or not hasattr(lib, "search") or self.catalogue_size <= 0:
            return []
        try:
            hits = list(lib.search(f"{task.name} {task.description}", k=self.catalogue_size))
        except Exception as exc:  # a broken index must not stop the proposer
            log.append({"event": "library-search-failed", "error": f"{type(exc).__name__}: {exc}"})
            return []
        skills = []
        for hit in hits[:self.catalogue_size]:
            rec = getattr(hit, "record", hit)
            name = str(getattr(rec, "name", ""))
            if not name:
                continue
            skill = _Skill(name, str(getattr(rec, "description", "")), "", None, None)
            try:
                loaded = lib.get(name)
                meta = getattr(getattr(loaded, "manifest", None), "metadata", None) or {}
                skill.signature = str(meta.get("evoskill-signature", ""))
                ep = getattr(loaded, "entry_point", None)
                if ep:
                    path, skill.function = Path(ep[0]), str(ep[1])
                    skill.source = _strip_main(path.read_text(encoding="utf-8"))
            except Exception as exc:
                log.append({"event": "library-get-failed", "skill": name, "error": f"{type(exc).__name__}: {exc}"})
            skills.append(skill)
        return skills

    def prompt(self, task: Task, skills: Sequence[_Skill]) -> str:
        """The first user message for ``task`` (already the solver view)."""
        parts = [f"Task: {task.name}"]
        if task.description:
            parts.append(f"Description: {task.description}")
        parts.append(f"Write this function:\n{_signature(self.entry, task)}")
        parts.append("It must satisfy these examples:\n" + _example_lines(self.entry, task.examples))
        if skills:
            cat = []
            for s in skills:
                call = f"{s.function}({s.signature})" if s.function else s.signature
                cat.append(f"- {s.name}: {call} -- {s.description}".replace("  ", " "))
            parts.append("Library skills you may call:\n" + "\n".join(cat))
            for s in skills[:2]:
                if s.source:
                    parts.append(f"Source of skill {s.name}:\n```python\n{s.source.strip()}\n```")
        parts.append(RULES)
        return "\n\n".join(parts)

    def _link(self, code: str, skills: Sequence[_Skill]) -> tuple[str, tuple[str, ...]]:
        """Inline the source of every library skill the code calls but does not define."""
        used = _names_used(code)
        try:
            defined = set(_functions(ast.parse(code)))
        except _PARSE_ERRORS:
            return code, ()
        chosen = [s for s in skills if s.function and s.source and s.function in used - defined]
        if not chosen:
            return code, ()
        module = "\n\n".join(s.source.strip() for s in chosen if s.source) + "\n\n\n" + code
        return module, tuple(s.name for s in chosen)

    def propose(self, task: Task, *, budget_seconds: float, seed: int = 0) -> Attempt:
        """Ask, verify, repair; ``solved`` only if the code passes every solver example in the sandbox."""
        start = time.monotonic()
        task = task.for_solver()  # defensive: held-out examples never reach a prompt
        attempt = Attempt(task=task.name, proposer=self.name)
        log = attempt.log
        skills = self._retrieve(task, log)
        base = [Message("system", SYSTEM), Message("user", self.prompt(task, skills))]
        messages = list(base)
        for round_no in range(1, self.attempts + 1):
            remaining = budget_seconds - (time.monotonic() - start)
            if remaining <= 0:
                log.append({"round": round_no, "event": "budget-exhausted"})
                break
            try:
                reply = self.model.complete(messages, max_tokens=self.max_tokens,
                                            temperature=0.0 if round_no == 1 else 0.3)
            except ModelError as exc:
                log.append({"round": round_no, "event": "model-error", "error": str(exc)})
                break
            attempt.tokens_in += reply.tokens_in
            attempt.tokens_out += reply.tokens_out
            attempt.cost_usd += reply.cost_usd or 0.0
            code, note = extract_code(reply.text, self.entry)
            if code is None:
                log.append(_record(reply, round=round_no, code=None, no_code=note))
                feedback = (f"Your reply had no usable Python code ({note}). Reply with one ```python block "
                            f"defining `{self.entry}`.")
            else:
                module, uses = self._link(code, skills)
                try:
                    remaining = budget_seconds - (time.monotonic() - start)
                    verdict = _verifier(self.sandbox, remaining).check(module, self.entry, task.examples)
                except EvoskillError as exc:
                    log.append(_record(reply, round=round_no, code=module, note=note,
                                       event="sandbox-error", error=str(exc)))
                    break
                attempt.programs_tried += 1
                described = verdict.describe()[:_FEEDBACK_CHARS]
                log.append(_record(reply, round=round_no, code=module, note=note, uses=list(uses),
                                   passed=verdict.passed, verdict=described, limit=verdict.limit,
                                   verify_seconds=round(verdict.seconds, 3)))
                if verdict.passed:
                    attempt.solved = True
                    attempt.solution = Solution(kind="python", source=module, python=module, entry=self.entry,
                                                arg_types=tuple(task.input_types), return_type=task.output_type,
                                                uses=uses)
                    break
                feedback = f"That code is wrong. On the examples:\n{described}\nFix it. Reply with one ```python block."
            messages = [*base, Message("assistant", reply.text[:_LOG_CHARS]), Message("user", feedback)]
        attempt.seconds = time.monotonic() - start
        return attempt


def make(context: ProposerContext) -> LLMProposer:
    """The ``llm`` entry of the proposer registry."""
    if context.model is None:
        raise UserError("--proposer llm needs a model", fix="add --model local:smollm2 (or openai:..., anthropic:...)")
    return LLMProposer(context.model, context.sandbox, context.learner.library)
