"""Model-written code, read and judged the same way everywhere: code (and its skill card) out of a model's
reply, the link to library skills, the overfit guards, and repairing a failing skill. The LLM proposer and
the learner both use this module; nothing here trusts the model: code counts only once it passes in the
sandbox.

**Linking.** Model code calls library skills by their Python names (``text_upper(x)``). Nothing is pasted:
:func:`link` puts a small loader in front of the code that loads each called skill from its own script, in
its own module (so a skill's ``from __future__`` line, its helpers and its own imports of the skills *it*
calls stay its own). A candidate loads from the library folder (``_LIBRARY``, readable in the sandbox); a
stored skill carries copies of what it calls in ``scripts/_vendor/`` pinned by sha256, exactly like a
program skill (:mod:`evoskill.standalone`), and runs alone.

**Overfit guards.** :func:`split_examples` holds some solver examples back from the prompt (the "hidden
tests"); :func:`literal_findings` flags code that returns example outputs as literals or compares its input
with example inputs; :func:`admit_python` is the learner's cross-validation of a model answer: it becomes a
building block only if it predicts the examples the model never saw and embeds no example.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelError
from .models.base import ConfigurationError, Message, Model
from .proposer import Solution
from .skill import MAX_NAME, NAME_RE
from .tasks import Example, Task

ENTRY = "solve"

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_CODE_CHARS = 20_000  # extraction looks at this much of a reply; a longer function is not plausible
_MAX_LINES = 300
_PARSE_ERRORS = (SyntaxError, ValueError, MemoryError, RecursionError)
_FEEDBACK_CHARS = 1500
#: entry-point names that say nothing: a skill gets a name from its card or its task instead
GENERIC_NAMES = frozenset({"solve", "solution", "f", "func", "function", "main", "run", "answer", "transform"})

SYSTEM = ("You write small, correct, general Python functions. Reply with exactly one ```python code block "
          "holding the function, then one ```json block describing it, and nothing else.")
RULES = ("Use only the Python standard library and the library functions listed (they are already defined: "
         "call them by name, do not import or redefine them). Do not read files, the environment or the "
         "network, do not print, and return the result. The examples are a sample: hidden tests call your "
         "function on other inputs, so write the general rule and never special-case the example inputs or "
         "return example outputs as literals.")
CARD = ('After the code, a ```json block: {"name": "<the function\'s name with hyphens>", "description": '
        '"<what it does, in one sentence>. Use when <when a caller needs it>."}')


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
    found = _candidates(text, [entry], last=False)
    if isinstance(found, str):
        return None, found
    block, note, funcs = found
    if entry in funcs:
        return block, note
    return f"{block}\n\n{entry} = {funcs[-1]}\n", f"function {funcs[-1]!r} used as {entry}"


def _candidates(text: str, prefer: Sequence[str | None], *, last: bool) -> tuple[str, str, list[str]] | str:
    """The best code block of a reply (one defining the first name of ``prefer`` that any block defines,
    else the first or ``last`` block defining a function), how it was found and the functions it defines;
    or the reason there is none."""
    text = (text or "")[:_CODE_CHARS]
    blocks = [b.strip() for lang, b in _FENCE.findall(text)
              if lang.lower() in ("", "python", "py", "python3") and b.strip()]
    prose = _FENCE.sub("", text) if blocks else text
    loose = _trim_to_python("\n".join(ln for ln in prose.splitlines() if not ln.lstrip().startswith("```")))
    candidates = [(b, "fenced") for b in blocks] + ([(loose, "unfenced")] if loose and loose not in blocks else [])
    if not candidates:
        return "no code in the reply"
    parsed: list[tuple[str, str, list[str]]] = []
    error = ""
    for block, how in candidates:
        try:
            parsed.append((block, how, _functions(ast.parse(block))))
        except SyntaxError as exc:
            error = error or f"SyntaxError: {exc.msg} (line {exc.lineno})"
        except _PARSE_ERRORS as exc:
            error = error or f"unparseable code ({type(exc).__name__})"
    for name in prefer:
        if not name:
            continue
        for how in ("fenced", "unfenced"):
            found = [(b, fs) for b, h, fs in parsed if h == how and name in fs]
            if found:
                note = "one code block" if len(blocks) <= 1 else f"the block defining {name} of {len(blocks)} blocks"
                return found[-1][0], note if how == "fenced" else "unfenced code", found[-1][1]
    with_funcs = [(b, h, fs) for b, h, fs in parsed if fs]
    if with_funcs:
        block, how, fs = with_funcs[-1] if last else with_funcs[0]
        note = ("one code block" if len(blocks) <= 1 else f"one of {len(blocks)} blocks") if how == "fenced" \
            else "unfenced code"
        return block, note, fs
    if error:
        return error
    wanted = next((n for n in prefer if n), None)
    return f"the code defines no function (expected {wanted or 'a function'})"


_SHOW = re.compile(r"^\s*SHOW\s*:?\s*([a-z0-9_, -]+?)\s*$", re.M)


@dataclass
class Reply:
    """What a model reply holds: the code and its entry point, the skill card, or sources it asks for."""

    code: str | None
    entry: str | None
    note: str
    name: str | None = None
    description: str | None = None
    show: list[str] = field(default_factory=list)


def _called_names(tree: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def read_reply(text: str, entry: str | None = None) -> Reply:
    """Read a reply written to the prompt's format (:data:`SYSTEM`, :data:`CARD`).

    The entry point is the function the card names, else ``entry`` (if given and defined), else the one
    top-level function no other one calls (the last such). Sources asked for with ``SHOW name`` lines
    (only honoured when there is no code) land in ``show``.
    """
    raw = (text or "")[:_CODE_CHARS]
    card = _card(raw)
    name = card.get("name") if card else None
    description = card.get("description") if card else None
    wanted = name.replace("-", "_") if isinstance(name, str) and name else None
    found = _candidates(raw, [wanted, entry], last=True)
    if isinstance(found, str):
        shows = [n.strip() for m in _SHOW.finditer(raw) for n in re.split(r"[,\s]+", m.group(1)) if n.strip()]
        return Reply(None, None, found, show=list(dict.fromkeys(shows)))
    block, note, funcs = found
    tree = ast.parse(block)
    if wanted in funcs:
        chosen = wanted
    elif entry in funcs:
        chosen = entry
    else:
        called = _called_names(tree)
        roots = [f for f in funcs if f not in called]
        chosen = (roots or funcs)[-1]
    return Reply(block, chosen, note, name=name if isinstance(name, str) else None,
                 description=" ".join(str(description).split()) if description else None)


def _card(text: str) -> dict[str, Any] | None:
    """The JSON skill card of a reply: a ```json block, else the last JSON object outside code blocks."""
    for lang, block in reversed(_FENCE.findall(text)):
        if lang.lower() in ("json", "") and block.lstrip().startswith("{"):
            value = _first_json_object(block)
            if value is not None:
                return value
    outside = _FENCE.sub("", text)
    value = _first_json_object(outside)
    return value if value is not None and ("name" in value or "description" in value) else None


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


# ---------------------------------------------------------------- linking library skills

_LOADER = '''
# Library skills this code calls, each loaded from its own script: the copy inside this skill
# (scripts/_vendor/<name>/, pinned by sha256 in _PINS), else a sibling skill folder, else _LIBRARY.
import hashlib as _hashlib
import sys as _sys
import types as _types
from pathlib import Path as _Path

_PINS: dict = {pins}
_LIBRARY = {library}


def _skill(name):
    """The entry point of the library skill ``name``."""
    module_name = name.replace("-", "_")
    places = []
    here = _Path(globals().get("__file__") or "")
    if here.is_file():
        here = here.resolve().parent
        places.append(here / "_vendor" / name / (module_name + ".py"))
        if len(here.parents) > 1:
            places.append(here.parents[1] / name / "scripts" / (module_name + ".py"))
    if _LIBRARY:
        places.append(_Path(_LIBRARY) / name / "scripts" / (module_name + ".py"))
    path = next((p for p in places if p.is_file()), None)
    if path is None:
        raise ImportError(f"skill {{name!r}} is neither in scripts/_vendor/ nor beside this skill")
    code = path.read_bytes()
    pin = _PINS.get(name)
    if pin and _hashlib.sha256(code).hexdigest() != pin:
        raise ImportError(f"{{path}} does not match the sha256 pinned for {{name!r}}: it was changed")
    module = _types.ModuleType("evoskill_skill_" + module_name)
    module.__file__ = str(path)
    _sys.modules.setdefault(module.__name__, module)
    exec(compile(code, str(path), "exec"), module.__dict__)
    return getattr(module, module_name)

'''


def free_names(code: str) -> set[str]:
    """Names the code reads but never binds itself (no def, assignment, parameter, import): the library
    skills it may call. Builtins are left out."""
    import builtins

    try:
        tree = ast.parse(code)
    except _PARSE_ERRORS:
        return set()
    read: set[str] = set()
    bound: set[str] = set(dir(builtins))
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            (read if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(n.name)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, ast.alias):
            bound.add((n.asname or n.name).split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.add(n.name)
    return read - bound


def calls_of(code: str, available: Mapping[str, str]) -> tuple[str, ...]:
    """The library skills (``available``: Python name -> skill name) the code calls without defining them."""
    names = free_names(code)
    return tuple(sorted({available[n] for n in names if n in available}))


def _header(code: str) -> tuple[str | None, list[str], str]:
    """(module docstring, ``from __future__`` lines, the rest) of ``code``."""
    try:
        tree = ast.parse(code)
    except _PARSE_ERRORS:
        return None, [], code
    lines = code.splitlines()
    doc = ast.get_docstring(tree, clean=True)
    cut = 0
    futures: list[str] = []
    for i, node in enumerate(tree.body):
        if i == 0 and doc is not None and isinstance(node, ast.Expr):
            cut = node.end_lineno or cut
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            futures.append("\n".join(lines[node.lineno - 1:node.end_lineno]))
            cut = node.end_lineno or cut
            continue
        break
    return doc, futures, "\n".join(lines[cut:]).strip("\n")


def link(code: str, calls: Sequence[str], *, library_dir: str | Path | None = None,
         pins: Mapping[str, str] | None = None, doc: str | None = None) -> str:
    """``code`` as a complete module whose calls of the library skills ``calls`` work: a loader in front
    (after the docstring and any ``from __future__`` line, which must come first) binds each skill's Python
    name to its entry point. ``library_dir`` is the library's ``skills/`` folder (candidates); ``pins``
    the sha256 of each vendored copy (stored skills). ``doc`` becomes the module docstring. Without calls
    or doc the code is returned as it is."""
    if not calls and not doc:
        return code
    own_doc, futures, rest = _header(code)
    text = (doc or own_doc or "").strip().replace("\\", "\\\\").replace('"""', "'''")
    parts = [f'"""{text}"""'] if text else []
    parts += futures
    if calls:
        pinned = "{" + "".join(f"\n    {k!r}: {v!r}," for k, v in sorted((pins or {}).items())) + ("\n}" if pins else "}")
        parts.append(_LOADER.format(pins=pinned, library=repr(str(library_dir)) if library_dir else "None").strip())
        parts.append("\n".join(f'{name.replace("-", "_")} = _skill("{name}")' for name in sorted(calls)))
    parts.append(rest if (own_doc is not None or futures) else code.strip("\n"))
    return "\n\n".join(p for p in parts if p) + "\n"


def skill_index(library: Any) -> dict[str, str]:
    """Python name -> skill name of every active library skill that has a script (what code may call)."""
    from .standalone import entry_script

    out: dict[str, str] = {}
    if library is None or not hasattr(library, "list"):
        return out
    from . import policy

    skills_dir = Path(getattr(library, "skills_dir", ""))
    rules = policy.load(getattr(library, "root", None))
    for rec in library.list():
        if rules.allows(rec.trust, "build") and entry_script(skills_dir / rec.name).is_file():
            out[rec.name.replace("-", "_")] = rec.name
    return out


def standalone_python(library: Any, sol: Solution) -> tuple[str, dict[str, Path]]:
    """A model-written solution as a stored skill's module: the skills it calls vendored (their
    ``scripts/`` folders, returned) and pinned, no path to the library left in it."""
    from . import standalone

    uses = [u for u in sol.uses if u.replace("-", "_") in free_names(sol.source)]
    scripts = standalone.scripts_of(library, uses) if uses else {}
    doc = _module_doc(sol.python)
    return link(sol.source, tuple(scripts), pins=standalone.pins(scripts), doc=doc), scripts


def _module_doc(code: str) -> str | None:
    try:
        return ast.get_docstring(ast.parse(code), clean=True)
    except _PARSE_ERRORS:
        return None


def card_of(sol: Solution) -> tuple[str | None, str | None]:
    """(skill name, description) a model gave its solution: the entry point's name (unless generic) and
    the module docstring of the linked code (the description from the reply's card)."""
    name = sol.entry.replace("_", "-").strip("-") if sol.entry.lower() not in GENERIC_NAMES else None
    if name is not None and (not NAME_RE.fullmatch(name) or len(name) > MAX_NAME):
        name = None
    return name, _module_doc(sol.python) if sol.kind == "python" else None


# ---------------------------------------------------------------- overfit guards


def split_examples(examples: Sequence[Example]) -> tuple[tuple[Example, ...], tuple[Example, ...]]:
    """(shown, held back): with 3 or more solver examples, the last quarter (1 to 3 of them) is held back
    from the model's prompt and used to check its code. The learner knows the split, so it can tell which
    examples a model answer predicted without having seen them."""
    exs = tuple(examples)
    k = 0 if len(exs) < 3 else min(3, max(1, len(exs) // 4))
    return exs[:len(exs) - k], exs[len(exs) - k:]


def _norm(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return tuple(_norm(x) for x in v)
    return v


def _literal(node: ast.AST) -> Any:
    try:
        return _norm(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _distinct(v: Any, length: int) -> bool:
    return (isinstance(v, str) and len(v.strip()) >= length) or (isinstance(v, tuple) and len(v) >= 2)


def literal_findings(code: str, examples: Sequence[Example]) -> list[str]:
    """Signs that ``code`` fits its examples instead of computing the rule: a literal that is a whole example
    output (a text of 4+ characters or a list of 2+ items that only one example has), or a comparison of
    the input with a whole example input (or a lookup table keyed by them). A table that also holds values
    beyond the examples (month names, say) is taken as the rule, not flagged. Empty when nothing is found."""
    try:
        tree = ast.parse(code)
    except _PARSE_ERRORS:
        return []
    outs = [_norm(ex.output) for ex in examples]
    unique_outs = {o for o in outs if outs.count(o) == 1 and _distinct(o, 4) and not isinstance(o, bool)}
    ins = {_norm(v) for ex in examples for v in ex.inputs if _distinct(_norm(v), 3)}
    found: list[str] = []
    skip: set[int] = set()
    for node in ast.walk(tree):  # tables with other values too are the rule, not a copy of the examples
        if isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
            elts = list(node.keys) if isinstance(node, ast.Dict) else list(node.elts)
            vals = [_literal(e) for e in elts if e is not None]
            if isinstance(node, ast.Dict):
                vals += [_literal(e) for e in node.values]
            known = [v for v in vals if v in unique_outs or v in ins]
            if len(vals) >= 3 and len(known) * 3 < len(vals) * 2:
                skip |= {id(e) for e in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant | ast.List | ast.Tuple):
            v = _literal(node)
            if v in unique_outs:
                found.append(f"returns the example output {_show(v)} as a literal")
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                elts = side.elts if isinstance(side, ast.List | ast.Tuple | ast.Set) else [side]
                for e in elts:
                    if _literal(e) in ins:
                        found.append(f"compares the input with the example input {_show(_literal(e))}")
        if isinstance(node, ast.Dict):
            keyed = [k for k in node.keys if k is not None and _literal(k) in ins]
            if keyed:
                found.append(f"looks up the example input {_show(_literal(keyed[0]))} in a table")
        if isinstance(node, ast.match_case) and isinstance(node.pattern, ast.MatchValue):
            if _literal(node.pattern.value) in ins:
                found.append(f"matches the example input {_show(_literal(node.pattern.value))}")
    return list(dict.fromkeys(found))


def _show(v: Any) -> str:
    text = json.dumps(list(v) if isinstance(v, tuple) else v, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def admit_python(verify: Any, task: Task, sol: Solution) -> tuple[bool, str]:
    """The learner's cross-validation of a model answer (``verify(sol, examples) -> Verdict``): refused if
    its code embeds examples; else admitted once it predicts the solver examples held back from the model's
    prompt (:func:`split_examples`), the same test a search answer passes by re-solving without one."""
    findings = literal_findings(sol.source, task.examples)
    if findings:
        return False, f"not admitted: the code {findings[0]} (fitted to the examples, likely overfit)"
    _, hidden = split_examples(task.examples)
    if not hidden:
        return True, (f"admitted (with {len(task.examples)} examples none was held back from the model; no "
                      "example embedded in the code)")
    verdict = verify(sol, hidden)
    if verdict.passed:
        return True, f"admitted (cross-validated: predicts {len(hidden)} example(s) the model never saw)"
    return False, "not admitted: it mispredicts examples held back from the model (likely overfit)"


# ---------------------------------------------------------------- naming (legacy) and repairing skills


def _first_json_object(text: str) -> dict[str, Any] | None:
    for m in re.finditer(r"\{", text):
        depth = 0
        in_string = False
        escaped = False
        for j in range(m.start(), len(text)):
            ch = text[j]
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
                continue
            if ch == '"':
                in_string = True
                continue
            depth += {"{": 1, "}": -1}.get(ch, 0)
            if depth == 0:
                try:
                    value = json.loads(text[m.start():j + 1])
                except ValueError:
                    break
                return value if isinstance(value, dict) else None
    return None


def describe_skill(model: Model, solution: Solution, task: Task) -> tuple[str, str] | None:
    """Ask ``model`` for a skill name and one-line description; None unless both are valid.

    The proposer gets both in its one structured reply (:func:`read_reply`); this separate call is only for
    code that came without a card."""
    prompt = (f"This Python function solves the task {task.name!r} ({task.description}).\n```python\n"
              f"{solution.source.strip()[-3000:]}\n```\nName it as a reusable skill. Reply with JSON only: "
              '{"name": "lowercase-words-with-hyphens", "description": "what it does. Use when ..."}')
    try:
        reply = model.complete([Message("user", prompt)], max_tokens=160, temperature=0.0)
    except ConfigurationError:
        raise
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
                 attempts: int = 2, max_tokens: int = 1200, reads: Sequence[str | Path] = ()) -> str | None:
    """A fixed version of a failing skill's ``code`` that passes ``examples``, or None. ``reads``: the
    folders the code may read in the sandbox (the library skills it calls)."""
    verifier = _verifier(sandbox, 10.0)
    verdict = verifier.check(code, entry, examples, reads=reads)
    if verdict.passed:
        return code
    current = code
    for _ in range(max(0, attempts)):
        prompt = (f"This Python function `{entry}` fails its examples.\n```python\n{current.strip()}\n```\n"
                  f"Failures:\n{verdict.describe()[:_FEEDBACK_CHARS]}\n\nExamples:\n"
                  f"{_example_lines(entry, examples)}\n\n{RULES} Reply with the fixed function in one "
                  "```python block.")
        try:
            reply = model.complete([Message("system", SYSTEM), Message("user", prompt)], max_tokens=max_tokens)
        except ConfigurationError:
            raise
        except ModelError:
            return None
        fixed, _ = extract_code(reply.text, entry)
        if fixed is None:
            continue
        verdict = verifier.check(fixed, entry, examples, reads=reads)
        if verdict.passed:
            return fixed
        current = fixed
    return None
