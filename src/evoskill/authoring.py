"""Model-written code, read and judged the same way everywhere: code out of a model's reply, and the two
library-side model calls (naming a skill, repairing a failing one). The LLM proposer and the learner both
use this module; nothing here trusts the model: repaired code counts only once it passes in the sandbox.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from typing import Any

from .errors import ModelError
from .models.base import Message, Model
from .proposer import Solution
from .skill import MAX_NAME, NAME_RE
from .tasks import Example, Task

ENTRY = "solve"

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_CODE_CHARS = 20_000  # extraction looks at this much of a reply; a longer function is not plausible
_MAX_LINES = 300
_PARSE_ERRORS = (SyntaxError, ValueError, MemoryError, RecursionError)
_FEEDBACK_CHARS = 1500
SYSTEM = ("You write small, correct, self-contained Python functions. Reply with exactly one ```python code "
          "block containing the function, and nothing else.")
RULES = ("Use only the Python standard library and the skills shown. Do not read files, the environment or "
         "the network, do not print, and return the result.")


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


def _example_lines(entry: str, examples: Sequence[Example], limit: int = 10) -> str:
    out = []
    for ex in examples[:limit]:
        line = f"{entry}({', '.join(repr(a) for a in ex.inputs)}) == {ex.output!r}"
        out.append(line if len(line) <= 300 else line[:297] + "...")
    return "\n".join(out)


def _verifier(sandbox: Any, remaining: float) -> Any:
    from .sandbox import Limits
    from .verify import Verifier
    wall = max(1.0, min(10.0, remaining))
    return Verifier(sandbox, Limits(cpu_seconds=min(5.0, wall), wall_seconds=wall, memory_mb=512))


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
    if not NAME_RE.fullmatch(name) or len(name) > MAX_NAME:
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
