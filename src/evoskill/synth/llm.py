"""The LLM proposer: a language model writes one Python function, the sandbox decides whether it works.

Each round sends a compact catalogue of relevant library skills (names, signatures, descriptions; full
source only for the top two), the task description and the solver examples. The reply's code is run
against the solver examples in the sandbox; concrete failures go back to the model for a bounded number
of repairs. Nothing the model says is trusted: only a passing :class:`~evoskill.verify.Verdict` yields a
:class:`~evoskill.synth.base.Solution`. Held-out examples never reach a prompt.
"""

from __future__ import annotations

import ast
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import EvoskillError, ModelError
from ..models.base import Completion, Message, Model
from ..tasks import Example, Task
from .base import Attempt, Solution

ENTRY = "solve"
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_LOG_CHARS = 4000
_CODE_CHARS = 20_000  # extraction looks at this much of a reply; a longer function is not plausible
_MAX_LINES = 300
_PARSE_ERRORS = (SyntaxError, ValueError, MemoryError, RecursionError)
_FEEDBACK_CHARS = 1500
SYSTEM = ("You write small, correct, self-contained Python functions. Reply with exactly one ```python code "
          "block containing the function, and nothing else.")
RULES = ("Use only the Python standard library and the skills shown. Do not read files, the environment or "
         "the network, do not print, and return the result.")


@dataclass
class _Skill:
    name: str
    description: str
    signature: str
    function: str | None
    source: str | None


# ---------------------------------------------------------------- code extraction


def _functions(tree: ast.Module) -> list[str]:
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _trim_to_python(text: str) -> str | None:
    """From unfenced text, the span starting at the first ``def``/``import`` that parses, prose cut off."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"(def |import |from \S+ import )", ln)), None)
    if start is None:
        return None
    for end in range(min(len(lines), start + _MAX_LINES), start, -1):
        chunk = "\n".join(lines[start:end]).strip()
        try:
            if _functions(ast.parse(chunk)):
                return chunk
        except _PARSE_ERRORS:
            continue
    return "\n".join(lines[start:]).strip()


def extract_code(text: str, entry: str = ENTRY) -> tuple[str | None, str]:
    """The Python code in a model reply that defines ``entry``, and a note on how it was found.

    Prefers fenced blocks that define ``entry`` (the last such one), then unfenced code (prose and stray
    fences cut off), then any code defining a function: if that function has another name,
    ``entry = name`` is appended. Returns ``(None, reason)`` when there is no usable code.
    """
    text = (text or "")[:_CODE_CHARS]
    blocks = [b.strip() for lang, b in _FENCE.findall(text)
              if lang.lower() in ("", "python", "py", "python3") and b.strip()]
    loose = _trim_to_python("\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("```")))
    candidates = [(b, "fenced") for b in blocks] + ([(loose, "unfenced")] if loose and loose not in blocks else [])
    if not candidates:
        return None, "no code in the reply"
    parsed: list[tuple[str, str, list[str]]] = []
    error = ""
    for block, how in candidates:
        try:
            parsed.append((block, how, _functions(ast.parse(block))))
        except SyntaxError as exc:
            error = error or f"SyntaxError: {exc.msg} (line {exc.lineno})"
        except _PARSE_ERRORS as exc:
            error = error or f"unparseable code ({type(exc).__name__})"
    for how in ("fenced", "unfenced"):
        found = [b for b, h, fs in parsed if h == how and entry in fs]
        if found:
            note = "one code block" if len(blocks) <= 1 else f"the block defining {entry} of {len(blocks)} blocks"
            return found[-1], note if how == "fenced" else "unfenced code"
    with_funcs = [(b, fs) for b, _, fs in parsed if fs]
    if with_funcs:
        block, fs = with_funcs[0]
        return f"{block}\n\n{entry} = {fs[-1]}\n", f"function {fs[-1]!r} used as {entry}"
    if error:
        return None, error
    return None, f"the code defines no function (expected {entry})"


# ---------------------------------------------------------------- prompt pieces


def _signature(entry: str, task: Task) -> str:
    args = ", ".join(f"x{i + 1}: {t}" for i, t in enumerate(task.input_types))
    return f"def {entry}({args}) -> {task.output_type or 'object'}:"


def _example_lines(entry: str, examples: Sequence[Example], limit: int = 10) -> str:
    out = []
    for ex in examples[:limit]:
        line = f"{entry}({', '.join(repr(a) for a in ex.inputs)}) == {ex.output!r}"
        out.append(line if len(line) <= 300 else line[:297] + "...")
    return "\n".join(out)


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


def _verifier(sandbox: Any, remaining: float) -> Any:
    from ..sandbox import Limits
    from ..verify import Verifier
    wall = max(1.0, min(10.0, remaining))
    return Verifier(sandbox, Limits(cpu_seconds=min(5.0, wall), wall_seconds=wall, memory_mb=512))


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


# ---------------------------------------------------------------- naming and repairing skills


def _first_json_object(text: str) -> dict[str, Any] | None:
    for m in re.finditer(r"\{", text):
        depth = 0
        for j in range(m.start(), len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                try:
                    value = json.loads(text[m.start():j + 1])
                except ValueError:
                    break
                return value if isinstance(value, dict) else None
    return None


def describe_skill(model: Model, solution: Solution, task: Task) -> tuple[str, str] | None:
    """Ask ``model`` for a skill name and one-line description; None unless both are valid."""
    prompt = (f"This Python function solves the task {task.name!r} ({task.description}).\n```python\n"
              f"{solution.python.strip()[:3000]}\n```\nName it as a reusable skill. Reply with JSON only: "
              '{"name": "lowercase-words-with-hyphens", "description": "one sentence saying what it does"}')
    try:
        reply = model.complete([Message("user", prompt)], max_tokens=120, temperature=0.0)
    except ModelError:
        return None
    data = _first_json_object(reply.text)
    if data is None:
        return None
    name, desc = str(data.get("name", "")).strip(), " ".join(str(data.get("description", "")).split())
    if not NAME_RE.match(name) or len(name) > 64:
        return None
    if not 1 <= len(desc) <= 1024 or "<" in desc or ">" in desc:
        return None
    return name, desc


def repair_skill(model: Model, sandbox: Any, code: str, entry: str, examples: Sequence[Example],
                 attempts: int = 2) -> str | None:
    """A fixed version of a failing skill's ``code`` that passes ``examples``, or None."""
    verifier = _verifier(sandbox, 10.0)
    verdict = verifier.check(code, entry, examples)
    if verdict.passed:
        return code
    current = code
    for _ in range(max(0, attempts)):
        prompt = (f"This Python function `{entry}` fails its examples.\n```python\n{current.strip()}\n```\n"
                  f"Failures:\n{verdict.describe()[:_FEEDBACK_CHARS]}\n\nExamples:\n"
                  f"{_example_lines(entry, examples)}\n\n{RULES} Reply with the fixed function in one "
                  "```python block.")
        try:
            reply = model.complete([Message("system", SYSTEM), Message("user", prompt)], max_tokens=600)
        except ModelError:
            return None
        fixed, _ = extract_code(reply.text, entry)
        if fixed is None:
            continue
        verdict = verifier.check(fixed, entry, examples)
        if verdict.passed:
            return fixed
        current = fixed
    return None
