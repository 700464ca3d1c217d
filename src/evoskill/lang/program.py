"""Programs: expressions over library skills, as s-expressions, callables and readable Python.

Syntax (one concept, three forms)::

    (text-concat (text-upper x0) " ")          # a call of skill `text-concat`; x0 is the first input
    (list-map (lambda (a) (int-add a 1)) x0)    # a lambda with parameter a
    "abc"  42  -1  true  false  [1, 2, 3]       # constants are JSON values

Operator names are skill names (``a-z0-9-``); the Python name of a skill is its name with ``-`` as ``_``.
Inputs are ``x0, x1, ...``; lambda parameters are any other lower-case identifiers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from ..errors import ParseError, UserError


@dataclass(frozen=True, slots=True)
class Var:
    """An input (``x0``) or a lambda parameter (``a``)."""

    name: str


@dataclass(frozen=True, slots=True)
class Const:
    """A JSON constant; lists are stored as tuples so that expressions stay hashable."""

    value: Any


@dataclass(frozen=True, slots=True)
class Call:
    """A call of the skill ``op`` on ``args``."""

    op: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Lambda:
    """An anonymous function, only ever an argument of a higher-order skill."""

    params: tuple[str, ...]
    body: Expr


Expr = Union[Var, Const, Call, Lambda]  # noqa: UP007 (runtime alias used in isinstance-free code)


def py_name(op: str) -> str:
    """The Python identifier of a skill name."""
    return op.replace("-", "_")


def input_name(i: int) -> str:
    return f"x{i}"


# ---- printing and parsing -------------------------------------------------------------------------------

def _const_text(value: Any) -> str:
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return json.dumps(value, ensure_ascii=False)


def to_sexpr(e: Expr) -> str:
    """The canonical s-expression text of a program."""
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Const):
        return _const_text(e.value)
    if isinstance(e, Lambda):
        return f"(lambda ({' '.join(e.params)}) {to_sexpr(e.body)})"
    return "(" + " ".join([e.op, *(to_sexpr(a) for a in e.args)]) + ")"


_TOKEN = re.compile(r'\s*(?:(?P<open>\()|(?P<close>\))|(?P<str>"(?:[^"\\]|\\.)*")|(?P<list>\[[^\]]*\])'
                    r'|(?P<atom>[^\s()"\[\]]+))')


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ParseError(f"cannot read program at position {pos}: {text[pos:pos + 20]!r}",
                             fix="write programs like (text-upper x0)")
        pos = m.end()
        kind = m.lastgroup or ""
        yield kind, m.group(kind)


def parse(text: str) -> Expr:
    """Parse an s-expression into a program; raises :class:`ParseError` with the position."""
    toks = list(_tokens(text))
    expr, end = _parse_at(toks, 0)
    if end != len(toks):
        raise ParseError(f"unexpected text after the program: {toks[end][1]!r}")
    return expr


def _atom(kind: str, tok: str) -> Expr:
    if kind == "str":
        return Const(json.loads(tok))
    if kind == "list":
        value = json.loads(tok)
        return Const(tuple(value))
    if tok in ("true", "false"):
        return Const(tok == "true")
    if re.fullmatch(r"-?\d+", tok):
        return Const(int(tok))
    if re.fullmatch(r"[a-z_][a-z0-9_]*", tok):
        return Var(tok)
    raise ParseError(f"unknown atom {tok!r}", fix="inputs are x0, x1...; constants are JSON")


def _parse_at(toks: list[tuple[str, str]], i: int) -> tuple[Expr, int]:
    if i >= len(toks):
        raise ParseError("the program ends too early", fix="check the parentheses")
    kind, tok = toks[i]
    if kind == "close":
        raise ParseError("unexpected ')'")
    if kind != "open":
        return _atom(kind, tok), i + 1
    if i + 1 >= len(toks) or toks[i + 1][0] != "atom":
        raise ParseError("a call must start with a skill name", fix="write (name arg ...)")
    op = toks[i + 1][1]
    j = i + 2
    if op == "lambda":
        if j >= len(toks) or toks[j][0] != "open":
            raise ParseError("lambda needs a parameter list", fix="write (lambda (a) body)")
        params = []
        j += 1
        while j < len(toks) and toks[j][0] == "atom":
            params.append(toks[j][1])
            j += 1
        if j >= len(toks) or toks[j][0] != "close":
            raise ParseError("unclosed lambda parameter list")
        body, j = _parse_at(toks, j + 1)
        if j >= len(toks) or toks[j][0] != "close":
            raise ParseError("unclosed lambda")
        return Lambda(tuple(params), body), j + 1
    args: list[Expr] = []
    while True:
        if j >= len(toks):
            raise ParseError(f"unclosed call of {op}", fix="check the parentheses")
        if toks[j][0] == "close":
            return Call(op, tuple(args)), j + 1
        arg, j = _parse_at(toks, j)
        args.append(arg)


# ---- structure ------------------------------------------------------------------------------------------

def size(e: Expr) -> int:
    """Number of nodes: the measure search minimises (smaller programs generalize better)."""
    if isinstance(e, Call):
        return 1 + sum(size(a) for a in e.args)
    if isinstance(e, Lambda):
        return 1 + size(e.body)
    return 1


def ops(e: Expr) -> Iterator[str]:
    """Every skill name the program calls, with repetitions, in order."""
    if isinstance(e, Call):
        yield e.op
        for a in e.args:
            yield from ops(a)
    elif isinstance(e, Lambda):
        yield from ops(e.body)


def variables(e: Expr) -> set[str]:
    """The names of the variables a program reads (lambda bodies are not entered)."""
    if isinstance(e, Var):
        return {e.name}
    if isinstance(e, Call):
        return set().union(*(variables(a) for a in e.args))
    return set()


def substitute(e: Expr, env: Mapping[str, Expr]) -> Expr:
    """Replace variables by expressions (used to inline a learned skill's body)."""
    if isinstance(e, Var):
        return env.get(e.name, e)
    if isinstance(e, Call):
        return Call(e.op, tuple(substitute(a, env) for a in e.args))
    if isinstance(e, Lambda):
        inner = {k: v for k, v in env.items() if k not in e.params}
        return Lambda(e.params, substitute(e.body, inner))
    return e


# ---- to Python --------------------------------------------------------------------------------------------

def to_python(e: Expr) -> str:
    """A Python expression calling skills by their Python names (inputs keep their names)."""
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Const):
        return repr(list(e.value)) if isinstance(e.value, tuple) else repr(e.value)
    if isinstance(e, Lambda):
        return f"(lambda {', '.join(e.params)}: {to_python(e.body)})"
    return f"{py_name(e.op)}({', '.join(to_python(a) for a in e.args)})"


def compile_program(e: Expr, arity: int, functions: Mapping[str, Callable[..., Any]]) -> Callable[..., Any]:
    """A Python callable of ``arity`` inputs, with ``functions`` (skill name -> callable) in scope."""
    namespace = {py_name(k): v for k, v in functions.items()}
    params = ", ".join(input_name(i) for i in range(arity))
    missing = sorted({op for op in ops(e) if op not in functions})
    if missing:
        raise UserError(f"the program calls unknown skills: {', '.join(missing)}",
                        fix="add them to the library or restore them")
    fn: Callable[..., Any] = eval(f"lambda {params}: {to_python(e)}", namespace)  # noqa: S307 (our own AST)
    return fn


_PY_TYPES = {"str": "str", "int": "int", "bool": "bool", "list[int]": "list[int]", "list[str]": "list[str]",
             "list[bool]": "list[bool]", "float": "float"}

_LOADER = '''

def _skill(name: str) -> Callable[..., Any]:
    """The entry point of a skill this one calls.

    Its copy travels inside this folder (``scripts/_vendor/<name>/``) and must match the sha256 pinned
    in ``_PINS``; without a copy, a sibling skill folder is used (skills side by side, as in a library).
    """
    module_name = name.replace("-", "_")
    here = Path(__file__).resolve().parent
    path = here / "_vendor" / name / f"{module_name}.py"
    if not path.is_file():
        path = here.parents[1] / name / "scripts" / f"{module_name}.py"
    if not path.is_file():
        raise ImportError(f"skill {name!r} is neither in {here / '_vendor'} nor beside this skill")
    code = path.read_bytes()
    pin = _PINS.get(name)
    if pin and hashlib.sha256(code).hexdigest() != pin:
        raise ImportError(f"{path} does not match the sha256 pinned for {name!r}: it was changed")
    module = types.ModuleType(f"evoskill_skill_{module_name}")
    module.__file__ = str(path)
    exec(compile(code, str(path), "exec"), module.__dict__)
    return getattr(module, module_name)  # type: ignore[no-any-return]

'''

_MAIN_TEMPLATE = '''

def main(argv: list[str]) -> None:
    """Command line: each argument is a JSON value (a bare word is a string); prints the JSON result."""
    args = []
    for raw in argv:
        try:
            args.append(json.loads(raw))
        except json.JSONDecodeError:
            args.append(raw)
    print(json.dumps({entry}(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
'''


def cli_main(entry: str) -> str:
    """The ``main`` that makes a skill script runnable: JSON arguments in, the JSON result of ``entry`` out."""
    return _MAIN_TEMPLATE.replace("{entry}", entry)


def py_type(t: str) -> str:
    """The Python annotation of an evoskill type (function types become ``Callable``)."""
    if t in _PY_TYPES:
        return _PY_TYPES[t]
    if t.startswith("("):
        return "Callable[..., Any]"
    from .types import py_annotation

    return py_annotation(t)


def to_module(e: Expr, entry: str, arg_types: tuple[str, ...], return_type: str, doc: str,
              pins: Mapping[str, str] | None = None, params: Sequence[str] | None = None) -> str:
    """A complete, readable Python module defining ``entry`` as this program over the skills it calls.

    Runnable as a function (import it) and from the command line (JSON arguments in, JSON out).
    ``pins`` maps each called skill to the sha256 of its vendored script (see :mod:`evoskill.standalone`);
    ``params`` names the inputs (default ``x0, x1, ...``).
    """
    used = sorted(set(ops(e)))
    names = list(params) if params is not None else [input_name(i) for i in range(len(arg_types))]
    if params is not None:
        e = substitute(e, {input_name(i): Var(n) for i, n in enumerate(names)})
    sig = ", ".join(f"{n}: {py_type(t)}" for n, t in zip(names, arg_types, strict=True))
    text = doc.strip().replace("\\", "\\\\").replace('"""', "'''")
    lines = [f'"""{text}"""', "", "from __future__ import annotations", "",
             "import hashlib", "import json", "import sys", "import types",
             "from collections.abc import Callable", "from pathlib import Path", "from typing import Any", ""]
    body = ["_PINS: dict[str, str] = {", *(f'    "{k}": "{v}",' for k, v in sorted((pins or {}).items())), "}"]
    body += [_LOADER.rstrip(), ""]
    body += [f'{py_name(op)} = _skill("{op}")' for op in used]
    body += ["", "", f"def {entry}({sig}) -> {py_type(return_type)}:",
             f'    """{text}"""',
             f"    return {to_python(e)}  # type: ignore[no-any-return]",
             cli_main(entry).rstrip()]
    return "\n".join(lines + body) + "\n"
