"""Scaffolding: a new executable skill folder, empty or from the first public function of a Python file."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from .errors import UserError
from .lang.program import cli_main
from .skill import NAME_RE, SkillManifest, render_skill_md

_STUB = '''def {func}(text: str) -> str:
    """{description}"""
    return text
'''


def _pick_function(source: str, origin: str, function: str | None) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """The function named ``function``, else the first public one (``def`` or ``async def``)."""
    try:
        tree = ast.parse(source, filename=origin)
    except SyntaxError as exc:
        raise UserError(f"{origin}:{exc.lineno}: not valid Python ({exc.msg})", fix="fix the syntax error") from None
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if function is not None:
        for node in funcs:
            if node.name == function:
                return node
        names = ", ".join(n.name for n in funcs) or "none"
        raise UserError(f"{origin} defines no function {function!r}", fix=f"choose one of: {names}")
    for node in funcs:
        if not node.name.startswith("_"):
            return node
    raise UserError(f"{origin} defines no public function", fix="add a def whose name does not start with _")


def _module_without_main(source: str) -> str:
    """The whole module (imports, constants, helpers) minus ``from __future__`` lines and a ``__main__`` block."""
    tree = ast.parse(source)
    lines = source.splitlines()
    drop: set[int] = set()
    for node in tree.body:
        is_main = (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
                   and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if is_main or is_future:
            drop.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(getattr(tree.body[0], "value", None),
                                                                       ast.Constant):
        first = tree.body[0]
        drop.update(range(first.lineno - 1, first.end_lineno or first.lineno))  # the module docstring
    return "\n".join(line for i, line in enumerate(lines) if i not in drop).strip("\n")


def new_skill(name: str, dest: Path, *, source_file: Path | None = None, description: str | None = None,
              author: str = "user", function: str | None = None) -> Path:
    """Create ``dest/name/`` with SKILL.md, ``scripts/<name>.py`` and ``tests/examples.json``."""
    if not NAME_RE.fullmatch(name) or len(name) > 64:
        fixed = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", name.lower())).strip("-")[:64]
        raise UserError(f"invalid skill name {name!r}", fix=f"use lowercase a-z, 0-9 and single hyphens, e.g. {fixed!r}")
    folder = dest / name
    if folder.exists():
        raise UserError(f"{folder} already exists", fix="choose another name or remove the folder")
    func = name.replace("-", "_")
    if source_file is not None:
        try:
            source = source_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read {source_file}: {exc}", fix="give a UTF-8 Python file") from None
        node = _pick_function(source, str(source_file), function)
        doc = ast.get_docstring(node) or ""
        description = description or (doc.strip().splitlines()[0] if doc.strip() else f"The function {node.name}.")
        code = _module_without_main(source)
        if isinstance(node, ast.AsyncFunctionDef):
            code = "import asyncio\n" + code + (f"\n\n\n_{func}_async = {node.name}\n\n\n"
                                                f"def {func}(*args):\n    \"\"\"{description}\"\"\"\n"
                                                f"    return asyncio.run(_{func}_async(*args))\n")
        elif node.name != func:
            code += f"\n\n\n{func} = {node.name}\n"
    else:
        description = description or f"Describe what {name} does and when to use it."
        code = _STUB.format(func=func, description=description)
    description = description.replace("<", "(").replace(">", ")")[:1024]
    header = f'"""{description}"""\n\nfrom __future__ import annotations\n\nimport json\nimport sys\n'
    if "from __future__" in code:
        code = "\n".join(line for line in code.splitlines() if not line.startswith("from __future__"))
    script = header + "\n" + code.rstrip() + "\n" + cli_main(func)
    manifest = SkillManifest(
        name=name, description=description, license="Apache-2.0",
        metadata={"evoskill-version": "1", "evoskill-kind": "solution", "evoskill-trust": "imported",
                  "evoskill-origin": f"author:{author}"},
        body=f"# {name}\n\n{description}\n\nRun `python scripts/{func}.py ARGS...` (JSON arguments) or import "
             f"`{func}` from `scripts/{func}.py`.\n\nExamples live in `tests/examples.json`.\n")
    (folder / "scripts").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "SKILL.md").write_text(render_skill_md(manifest), encoding="utf-8")
    (folder / "scripts" / f"{func}.py").write_text(script, encoding="utf-8")
    (folder / "tests" / "examples.json").write_text(json.dumps([], indent=1) + "\n", encoding="utf-8")
    return folder
