"""Generate the bundled core skill folders from :data:`evoskill.lang.primitives.PRIMITIVES`.

``python -m evoskill.core.build`` (re)writes ``evoskill/core/skills/<name>/`` for every primitive:
``SKILL.md`` (rendered with :func:`evoskill.skill.render_skill_md`), ``scripts/<name_with_underscores>.py``
(the primitive's own source, self-contained, runnable from the command line) and ``tests/examples.json``.
``--check`` only reports whether the folders are up to date (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import inspect
import json
import shutil
import sys
from pathlib import Path

from ..lang.primitives import MAX_ITEMS, MAX_TEXT, PRIMITIVES, Primitive, parse_signature
from ..skill import SkillManifest, render_skill_md
from . import skills_root

_HEADER = '''"""{name}: {doc}

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
{callable}from typing import Any

MAX_TEXT = {max_text}
MAX_ITEMS = {max_items}


'''

_MAIN = '''

def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw
{fn_arg}

def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
{convert}    print(json.dumps({func}(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
'''

_FN_ARG = '''

def _function(text: str) -> Callable[..., Any]:
    """A function argument given as an evoskill lambda, e.g. "(lambda (a) (int-add a 1))" (needs evoskill)."""
    from evoskill.lang.primitives import FUNCTIONS
    from evoskill.lang.program import compile_program, parse

    fn: Callable[..., Any] = compile_program(parse(text), 0, FUNCTIONS)()
    return fn
'''


def _script(p: Primitive) -> str:
    arg_types, _ = parse_signature(p.signature)
    higher = [i for i, t in enumerate(arg_types) if t.startswith("(")]
    src = inspect.getsource(p.fn).rstrip() + "\n"
    convert = "".join(f"    args[{i}] = _function(args[{i}])\n" for i in higher)
    doc = (p.fn.__doc__ or "").strip().splitlines()[0]
    imp = "from collections.abc import Callable\n" if "Callable" in src else ""
    return (_HEADER.format(name=p.name, doc=doc, max_text=MAX_TEXT, max_items=MAX_ITEMS, callable=imp) + src
            + _MAIN.format(fn_arg=_FN_ARG if higher else "", convert=convert, func=p.py_name))


def _body(p: Primitive) -> str:
    arg_types, ret = parse_signature(p.signature)
    ex_inputs, ex_out = p.examples[0]
    lines = [f"# {p.name}", "", (p.fn.__doc__ or "").strip(), "",
             f"Signature: `{p.signature}`. Positions are 1-based; the function never raises on odd inputs.",
             "", "## Use", "",
             f"In an evoskill program: `({p.name} {' '.join(f'x{i}' for i in range(len(arg_types)))})`.", "",
             f"From Python: `scripts/{p.py_name}.py` defines `{p.py_name}`.", "",
             "From the command line (arguments are JSON values):", "", "```",
             f"python scripts/{p.py_name}.py {' '.join(_shell(a) for a in ex_inputs)}",
             json.dumps(ex_out), "```", "", "More examples: `tests/examples.json`.", ""]
    return "\n".join(lines)


def _shell(value: object) -> str:
    text = json.dumps(value)
    return "'" + text.replace("'", "'\\''") + "'"


def _words(text: str) -> str:
    """Descriptions may not contain angle brackets: write comparisons out in words."""
    for sym, word in (("<>", "differs from"), ("<=", "is at most"), (">=", "is at least"), ("<", "is less than"),
                      (">", "is greater than")):
        text = text.replace(f" {sym} ", f" {word} ")
    if "<" in text or ">" in text:
        raise ValueError(f"a comparison without spaces around it cannot be put in words: {text!r}")
    return text


def manifest(p: Primitive) -> SkillManifest:
    """The SKILL.md manifest of a primitive."""
    return SkillManifest(
        name=p.name, description=_words(p.description), license="Apache-2.0",
        metadata={"evoskill-kind": "primitive", "evoskill-trust": "built-in", "evoskill-version": "1",
                  "evoskill-origin": "author:evoskill", "evoskill-signature": p.signature},
        body=_body(p))


def render(p: Primitive) -> dict[str, str]:
    """Relative path -> text of every file of the primitive's folder."""
    examples = [{"inputs": list(i), "output": o} for i, o in p.examples]
    return {"SKILL.md": render_skill_md(manifest(p)),
            f"scripts/{p.py_name}.py": _script(p),
            "tests/examples.json": json.dumps(examples, indent=2, ensure_ascii=False) + "\n"}


def stale(root: Path | None = None) -> list[str]:
    """Paths (relative to ``root``) that are missing, different or extra compared with a fresh build."""
    root = root or skills_root()
    out = []
    expected = set()
    for p in PRIMITIVES:
        for rel, text in render(p).items():
            path = root / p.name / rel
            expected.add(path)
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                out.append(f"{p.name}/{rel}")
    if root.is_dir():
        for path in root.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path not in expected:
                out.append(str(path.relative_to(root)))
    return sorted(out)


def build(root: Path | None = None) -> int:
    """Write every primitive's folder under ``root`` (removing folders of primitives that are gone)."""
    root = root or skills_root()
    root.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in PRIMITIVES}
    for d in root.iterdir():
        if d.is_dir() and d.name not in names:
            shutil.rmtree(d)
    for p in PRIMITIVES:
        for rel, text in render(p).items():
            path = root / p.name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return len(PRIMITIVES)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evoskill.core.build", description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report stale files")
    ns = ap.parse_args(argv)
    if ns.check:
        bad = stale()
        for b in bad:
            print(f"stale: {b}")
        return 1 if bad else 0
    n = build()
    print(f"wrote {n} core skills to {skills_root()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
