"""Library learning: find sub-programs shared by solutions, turn them into skills, rewrite the users.

Like DreamCoder's compression step, done with Stitch (``stitch_core``). Our programs are translated to
Stitch's lambda calculus and back:

* a program of ``n`` inputs becomes ``n`` nested ``lam``; input ``x0`` is bound by the outermost one;
* a :class:`Lambda` of ``k`` parameters becomes ``k`` nested ``lam`` (de Bruijn variables ``$i``);
* every constant becomes an interned symbol ``@c<i>`` (so strings, lists and negative numbers are safe);
* a call ``(op a b)`` stays ``(op a b)``.

Every translation is checked: a program must come back unchanged (up to lambda parameter names), and a
rewritten program, with its abstractions inlined, must be the original program. An abstraction is kept
only if it compresses the corpus under a minimum-description-length measure (corpus + library get
smaller), is used by at least ``min_uses`` solutions, has well-typed first-order holes, and - when stored -
passes its own tests, which are recorded from the solutions that use it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stitch_core

from . import distill as dist
from . import staging
from .errors import EvoskillError, InvalidSkill, InvalidValue, ParseError
from .lang.components import primitive_functions, trusted_functions
from .lang.primitives import parse_signature as _parse_signature
from .lang.program import (
    Call,
    Const,
    Expr,
    Lambda,
    Var,
    compile_program,
    input_name,
    ops,
    parse,
    py_name,
    substitute,
    to_sexpr,
)
from .sandbox import Sandbox
from .store import LibraryStore
from .tasks import TYPES, Example, type_of
from .verify import load_examples

Signature = tuple[tuple[str, ...], str]
#: how many of Stitch's successive choices :func:`_candidates` weighs against our own measure per step
STITCH_TRIES = 6


# ---- data -------------------------------------------------------------------------------------------------

@dataclass
class CorpusItem:
    """One solution given to compression: its skill name, program, arity and examples."""

    name: str
    program: Expr
    arity: int
    examples: tuple[Example, ...] = ()
    arg_types: tuple[str, ...] = ()
    return_type: str = ""


@dataclass
class Abstraction:
    """A learned abstraction: a program over ``x0..x(arity-1)`` and the solutions rewritten to use it."""

    name: str
    body: Expr
    arity: int
    arg_types: tuple[str, ...] = ()
    return_type: str = ""
    uses: list[str] = field(default_factory=list)
    rewritten: dict[str, Expr] = field(default_factory=dict)
    saving: int = 0
    examples: list[Example] = field(default_factory=list)
    stitch_body: str = ""
    stored: bool = False
    reason: str = ""
    rewritten_stored: list[str] = field(default_factory=list)

    @property
    def signature(self) -> str:
        return f"{', '.join(self.arg_types)} -> {self.return_type}"


def description_length(e: Expr) -> int:
    """Size of a program under the MDL measure: one unit per call, variable, constant and lambda parameter."""
    if isinstance(e, Call):
        return 1 + sum(description_length(a) for a in e.args)
    if isinstance(e, Lambda):
        return len(e.params) + description_length(e.body)
    return 1


# ---- translation to and from stitch ---------------------------------------------------------------------------

class Interner:
    """A two-way table between constant values and safe Stitch symbols ``@c<i>``."""

    def __init__(self, literal: bool = False) -> None:
        self._by_key: dict[str, str] = {}
        self._values: dict[str, Any] = {}
        self._literal = literal  # spell constants out (for comparing, never for Stitch)

    def symbol(self, value: Any) -> str:
        key = json.dumps([type(value).__name__, list(value) if isinstance(value, tuple) else value])
        if self._literal:
            return "@" + key.replace(" ", "\\u0020")
        if key not in self._by_key:
            sym = f"@c{len(self._by_key)}"
            self._by_key[key] = sym
            self._values[sym] = value
        return self._by_key[key]

    def value(self, symbol: str) -> Any:
        return self._values[symbol]

    def __contains__(self, symbol: str) -> bool:
        return symbol in self._values


def to_stitch(e: Expr, arity: int, table: Interner, tag: str = "") -> str:
    """The Stitch s-expression of a program of ``arity`` inputs.

    Inputs become symbols private to the program (``%<tag>x0``): with a distinct ``tag`` per program, no
    abstraction can capture an input, so abstractions are closed terms over their holes. Our lambdas
    become ``lam`` with de Bruijn variables.
    """
    return _to_stitch(e, [], table, {input_name(i): f"%{tag}x{i}" for i in range(arity)})


def _to_stitch(e: Expr, env: list[str], table: Interner, inputs: Mapping[str, str]) -> str:
    if isinstance(e, Var):
        if e.name in env:
            return f"${env[::-1].index(e.name)}"
        if e.name in inputs:
            return inputs[e.name]
        raise ValueError(f"free variable {e.name}")
    if isinstance(e, Const):
        return table.symbol(e.value)
    if isinstance(e, Lambda):
        body = _to_stitch(e.body, env + list(e.params), table, inputs)
        return "(lam " * len(e.params) + body + ")" * len(e.params)
    if not e.args:
        return f"({e.op})"
    return "(" + " ".join([e.op, *(_to_stitch(a, env, table, inputs) for a in e.args)]) + ")"


SExp = str | list[Any]


def _read(text: str) -> SExp:
    stack: list[list[Any]] = [[]]
    for tok in re.findall(r"\(|\)|[^\s()]+", text):
        if tok == "(":
            stack.append([])
        else:
            item = stack.pop() if tok == ")" and len(stack) > 1 else tok
            stack[-1].append(item)
    if len(stack) != 1 or len(stack[0]) != 1:
        raise ValueError(f"unbalanced stitch expression {text!r}")
    return stack[0][0]  # type: ignore[no-any-return]


def from_stitch(text: str, arity: int, table: Interner, abstractions: Mapping[str, str] | None = None,
                *, hole_prefix: str = "x", lambda_prefix: str = "v") -> Expr:
    """Our program for a Stitch expression; ``abstractions`` maps Stitch names (``fn_0``) to skill names.

    Input symbols ``%<tag>x<i>`` become inputs ``x<i>`` (only ``i < arity``: an abstraction body, read with
    ``arity=0``, may not mention a program's input); holes ``#i`` become ``x<i>``. Raises ValueError on
    anything our language cannot express.
    """
    return _from(_read(text), [], table, dict(abstractions or {}), lambda_prefix, hole_prefix, arity)


def _from(s: SExp, env: list[str], table: Interner, abstractions: dict[str, str], lp: str, hp: str,
          arity: int) -> Expr:
    if isinstance(s, str):
        if s.startswith("$"):
            i = int(s[1:])
            if i >= len(env):
                raise ValueError("free de Bruijn variable")
            return Var(env[len(env) - 1 - i])
        if s.startswith("#"):
            return Var(f"{hp}{int(s[1:])}")
        if s.startswith("%"):
            i = int(s.rpartition("x")[2])
            if i >= arity:
                raise ValueError("an abstraction may not capture a program's input")
            return Var(input_name(i))
        if s in table:
            return Const(table.value(s))
        raise ValueError(f"bare symbol {s!r} (a function used as a value)")
    if s and s[0] == "lam":
        params: list[str] = []
        while isinstance(s, list) and len(s) == 2 and s[0] == "lam":
            params.append(f"{lp}{len(env) + len(params)}")
            s = s[1]
        return Lambda(tuple(params), _from(s, env + params, table, abstractions, lp, hp, arity))
    head, *rest = s
    while isinstance(head, list) and head and head[0] != "lam":  # flatten curried application
        head, rest = head[0], [*head[1:], *rest]
    if not isinstance(head, str) or head.startswith(("$", "#", "@")):
        raise ValueError("only skills can be applied")
    op = abstractions.get(head, head)
    return Call(op, tuple(_from(a, env, table, abstractions, lp, hp, arity) for a in rest))


def canonical(e: Expr, arity: int) -> str:
    """A name-independent form of a program (de Bruijn, constants spelled out), for comparing programs."""
    return to_stitch(e, arity, Interner(literal=True))


def map_calls(e: Expr, f: Callable[[str, tuple[Expr, ...]], Expr]) -> Expr:
    """Rebuild ``e`` bottom-up, every call ``(op args...)`` replaced by ``f(op, new_args)``."""
    if isinstance(e, Call):
        return f(e.op, tuple(map_calls(a, f) for a in e.args))
    return Lambda(e.params, map_calls(e.body, f)) if isinstance(e, Lambda) else e


def inline(e: Expr, bodies: Mapping[str, tuple[Expr, int]]) -> Expr:
    """Replace calls of the given abstractions by their bodies (parameters ``x0..``)."""
    def expand(op: str, args: tuple[Expr, ...]) -> Expr:
        if op not in bodies:
            return Call(op, args)
        body, k = bodies[op]
        if len(args) != k:
            raise ValueError(f"{op} called with {len(args)} arguments, wants {k}")
        return substitute(body, {input_name(i): a for i, a in enumerate(args)})
    return map_calls(e, expand)


# ---- signatures -----------------------------------------------------------------------------------------------

def parse_signature(text: str) -> Signature | None:
    """``"str, int -> str"`` as ``(("str", "int"), "str")``; None if it cannot be read."""
    try:
        return _parse_signature(text)
    except ParseError:
        return None


def _hole_types(body: Expr, arity: int, sigs: Mapping[str, Signature]) -> list[str | None]:
    found: list[str | None] = [None] * arity

    def note(op: str, args: tuple[Expr, ...]) -> Expr:
        sig = sigs.get(op)
        for i, a in enumerate(args):
            k = int(a.name[1:]) if isinstance(a, Var) and re.fullmatch(r"x\d+", a.name) else arity
            if sig and i < len(sig[0]) and k < arity:
                found[k] = found[k] or sig[0][i]
        return Call(op, args)

    map_calls(body, note)
    return found


# ---- the search ----------------------------------------------------------------------------------------------

def _skill_name(body: Expr, taken: Iterable[str]) -> str:
    head = body.op if isinstance(body, Call) else "expr"
    base = f"abs-{head}"[:52].strip("-") + "-" + hashlib.sha256(to_sexpr(body).encode()).hexdigest()[:6]
    n, name, used = 1, base, set(taken)
    while name in used:
        n, name = n + 1, f"{base}-{n + 1}"
    return name


def find_abstractions(corpus: Sequence[CorpusItem], *, max_new: int = 3, min_uses: int = 2, arity: int = 2,
                      signatures: Mapping[str, Signature] | None = None,
                      functions: Mapping[str, Callable[..., Any]] | None = None,
                      taken: Iterable[str] = ()) -> list[Abstraction]:
    """Up to ``max_new`` abstractions that compress ``corpus``, each used by at least ``min_uses`` items.

    Pure (no library, no sandbox). Each round asks Stitch for abstractions (:func:`_candidates`), translates them back,
    checks the rewrite (inlining gives the original program back), usage, MDL saving and hole types, and
    - with ``functions`` (skill name -> trusted callable) - records the abstraction's actual inputs and
    outputs on the users' examples as its tests. Each round takes the first of Stitch's next choices that
    passes (:func:`_candidates`); rounds stop when none does.
    """
    sigs = dict(signatures or {})
    table = Interner()
    current: dict[str, CorpusItem] = {}
    for item in corpus:  # keep only programs whose translation round-trips
        try:
            back = from_stitch(to_stitch(item.program, item.arity, table, item.name), item.arity, table)
            if canonical(back, item.arity) == canonical(item.program, item.arity):
                current[item.name] = item
        except ValueError:
            continue
    names = set(taken) | {o for it in current.values() for o in ops(it.program)}
    found: list[Abstraction] = []
    bodies: dict[str, tuple[Expr, int]] = {}
    for _ in range(max_new):
        if len(current) < min_uses:
            break
        items = list(current.values())
        cand = None
        for cand in _candidates(items, table, sigs, min_uses, names, arity):
            if functions is None or _record(cand, items, functions, bodies):
                break
            cand = None
        if cand is None:
            break
        names.add(cand.name)
        bodies[cand.name] = (cand.body, cand.arity)
        sigs[cand.name] = (cand.arg_types, cand.return_type)
        found.append(cand)
        for it in items:
            if it.name in cand.rewritten:
                current[it.name] = CorpusItem(it.name, cand.rewritten[it.name], it.arity, it.examples,
                                              it.arg_types, it.return_type)
    return found


def _candidates(items: list[CorpusItem], table: Interner, sigs: Mapping[str, Signature], min_uses: int,
                taken: set[str], arity: int) -> Iterator[Abstraction]:
    """Abstractions of ``items`` that pass our checks, best first by Stitch's measure.

    Stitch ranks by its own cost model, ours is the MDL of :func:`description_length`; the two disagree
    (a two-use body of seven nodes compresses for Stitch, not for us), so the next few of Stitch's
    choices are tried, each alone against the corpus as it is, rather than stopping at the first one we
    refuse. Abstractions that call an earlier one of the same Stitch run are skipped (their base was not
    kept)."""
    programs = [to_stitch(it.program, it.arity, table, it.name) for it in items]
    for tries in (1, STITCH_TRIES):  # Stitch's first choice alone first: usually it is the one kept
        try:
            # Our programs are first-order calls: no partial applications in bodies or arguments.
            result = stitch_core.compress(programs, iterations=tries, max_arity=arity, no_curried_bodies=True,
                                          no_curried_metavars=True)
        except Exception:  # a Stitch panic is not our caller's problem: no abstraction this time
            return
        for k, abst in enumerate(result.abstractions):
            if tries > 1 and k == 0:
                continue  # weighed already (Stitch is deterministic)
            if k and any(re.search(rf"(?<![^\s(]){re.escape(a.name)}(?![^\s)])", abst.body)
                         for a in result.abstractions[:k]):
                continue
            try:
                rewritten = result.rewritten if len(result.abstractions) == 1 else \
                    stitch_core.rewrite(programs, [abst]).rewritten
            except Exception:
                continue
            cand = _candidate(abst, rewritten, items, table, sigs, min_uses, taken)
            if cand is not None:
                yield cand
        if len(result.abstractions) < tries:
            return  # Stitch found nothing more that compresses


def _candidate(abst: stitch_core.Abstraction, rewritten_corpus: Sequence[str], items: list[CorpusItem], table: Interner,
               sigs: Mapping[str, Signature], min_uses: int, taken: set[str]) -> Abstraction | None:
    try:
        body = from_stitch(abst.body, 0, table, lambda_prefix="w")
    except ValueError:
        return None
    if not isinstance(body, Call) or abst.arity < 1:
        return None
    k = abst.arity
    order = [int(v[1:]) for v in dict.fromkeys(re.findall(r"\bx\d+\b", to_sexpr(body)))]
    if sorted(order) != list(range(k)):
        return None
    body = substitute(body, {input_name(old): Var(input_name(new)) for new, old in enumerate(order)})
    name = _skill_name(body, taken)
    mapping = {abst.name: name}
    rewritten: dict[str, Expr] = {}
    before = after = 0
    for it, text in zip(items, rewritten_corpus, strict=True):
        before += description_length(it.program)
        try:
            new = _reorder(from_stitch(text, it.arity, table, mapping), name, order)
            same = canonical(inline(new, {name: (body, k)}), it.arity) == canonical(it.program, it.arity)
        except ValueError:
            return None
        if not same:
            return None
        after += description_length(new)
        if name in set(ops(new)):
            rewritten[it.name] = new
    if len(rewritten) < min_uses:
        return None
    saving = before - (after + description_length(body) + k)
    if saving <= 0:
        return None
    holes = _hole_types(body, k, sigs)
    head = sigs.get(body.op) if isinstance(body, Call) else None
    ret = head[1] if head else ""
    if any(h is not None and h not in TYPES for h in holes) or (ret and ret not in TYPES):
        return None
    return Abstraction(name=name, body=body, arity=k, arg_types=tuple(h or "" for h in holes), return_type=ret,
                       uses=sorted(rewritten), rewritten=rewritten, saving=saving, stitch_body=abst.body)


def _reorder(e: Expr, name: str, order: list[int]) -> Expr:
    """Permute the arguments of calls of ``name``: new argument ``j`` is old argument ``order[j]``."""
    def swap(op: str, args: tuple[Expr, ...]) -> Expr:
        if op == name and len(args) != len(order):
            raise ValueError(f"{name} called with {len(args)} arguments")
        return Call(op, tuple(args[i] for i in order) if op == name else args)
    return map_calls(e, swap)


def _record(cand: Abstraction, items: list[CorpusItem], functions: Mapping[str, Callable[..., Any]],
            bodies: Mapping[str, tuple[Expr, int]]) -> bool:
    """Run the rewritten users on their examples, recording the abstraction's calls as its tests.

    False (reject) when a recorded value is not data (e.g. a function hole) or nothing could be recorded.
    """
    fns: dict[str, Callable[..., Any]] = dict(functions)
    calls: list[Example] = []

    def recorder(*args: Any) -> Any:
        calls.append(Example(tuple(args), impl(*args)))
        return calls[-1].output

    try:
        for other, (b, n) in bodies.items():
            fns[other] = compile_program(b, n, fns)
        impl = compile_program(cand.body, cand.arity, fns)
        fns[cand.name] = recorder
        runs = [(compile_program(cand.rewritten[it.name], it.arity, fns), it) for it in items
                if it.name in cand.rewritten]
    except Exception:
        return False
    seen: set[str] = set()
    for run, it in runs:
        for ex in it.examples:
            calls.clear()
            try:
                run(*ex.inputs)
            except Exception:  # noqa: S112 (a user that fails on its own example gives no test)
                continue
            for c in calls:
                try:
                    ins, out = tuple(type_of(v) for v in c.inputs), type_of(c.output)
                except InvalidValue:
                    return False
                if json.dumps(c.to_dict(), sort_keys=True) not in seen:
                    seen.add(json.dumps(c.to_dict(), sort_keys=True))
                    cand.examples.append(c)
                    cand.arg_types = tuple(a or t for a, t in zip(cand.arg_types, ins, strict=True))
                    cand.return_type = cand.return_type or out
    return bool(cand.examples) and all(cand.arg_types) and bool(cand.return_type)


# ---- with a library -------------------------------------------------------------------------------------------

def corpus_of(library: LibraryStore) -> tuple[list[CorpusItem], dict[str, Signature], dict[str, Expr]]:
    """The library's program solutions, every skill's signature, and every learned skill's program."""
    corpus: list[CorpusItem] = []
    sigs: dict[str, Signature] = {}
    programs: dict[str, Expr] = {}
    for skill in library.skills():
        meta = skill.manifest.metadata
        sig, source = parse_signature(meta.get("evoskill-signature", "")), meta.get("evoskill-program")
        if sig is not None:
            sigs[skill.name] = sig
        if sig is None or not source or meta.get("evoskill-kind") == "primitive":
            continue
        try:
            programs[skill.name] = expr = parse(source)
        except EvoskillError:
            continue
        if meta.get("evoskill-kind") == "solution":
            try:
                examples = tuple(load_examples(skill.path))
            except InvalidSkill:  # unreadable tests: its uses cannot be re-checked, so it is left out
                continue
            corpus.append(CorpusItem(skill.name, expr, len(sig[0]), examples, sig[0], sig[1]))
    return corpus, sigs, programs


def _found_in(library: LibraryStore, users: Iterable[str]) -> str:
    """The tasks (``task:...``, as in ``evoskill-origin``) of the solutions an abstraction was found in: they
    may not use it (it holds a piece of their own answers), even once those solutions are retired."""
    tasks = set()
    for user in users:
        try:
            origin = str(library.get(user).manifest.metadata.get("evoskill-origin", ""))
        except EvoskillError:
            continue
        if origin.startswith("task:"):
            tasks.add(origin)
    return ",".join(sorted(tasks))


def store_abstraction(a: Abstraction, *, library: LibraryStore, sandbox: Sandbox, round: int = 0) -> dist.DistillResult:
    """Store ``a`` as an ``evoskill-kind: abstraction`` skill through distill's validate + verify path."""
    examples = a.examples[:12]
    program = to_sexpr(a.body)
    signature = dist.signature_text(a.arg_types, a.return_type)
    desc = dist.program_description(a.body, a.arg_types, a.return_type, examples)
    desc = desc.rsplit(" Use it when", 1)[0] + (f" A step shared by {len(a.uses)} learned solutions; use it as a"
                                                " building block of larger programs.")
    meta = {"evoskill-kind": "abstraction", "evoskill-trust": "verified",
            "evoskill-origin": "author:evoskill-compress", "evoskill-round": str(round),
            "evoskill-parents": ",".join(sorted(set(ops(a.body)))), "evoskill-signature": signature,
            "evoskill-program": program, "evoskill-learned-from": _found_in(library, a.uses),
            "evoskill-version": dist.next_version(library, a.name)}
    try:
        code, scripts = dist.program_script(library, a.body, py_name(a.name), a.arg_types, a.return_type, desc)
    except EvoskillError as exc:
        return dist.DistillResult(a.name, None, str(exc))
    body = dist.body_text(a.name, desc, signature, program, examples)
    body += f"\nLearned by compression (Stitch) from: {', '.join(a.uses)}.\n"

    def build(root: Path) -> Path:
        return staging.stage_skill(root, name=a.name, description=desc, body=body, code=code,
                                examples=examples, metadata=meta, vendor_scripts=scripts)

    return dist.store_skill(build, a.name, library=library, sandbox=sandbox, examples=examples)


def learn_abstractions(source: LibraryStore | Sequence[CorpusItem | tuple[str, Expr, int, Sequence[Example]]], *,
                       sandbox: Sandbox | None = None, components: Any = None, max_new: int = 3,
                       min_uses: int = 2, arity: int = 2, round: int = 0,
                       signatures: Mapping[str, Signature] | None = None) -> list[Abstraction]:
    """Learn up to ``max_new`` abstractions from a library's program solutions (or a given corpus).

    With a library (:class:`~evoskill.store.LibraryStore`) and a ``sandbox``, each abstraction is stored as a skill (``a.stored``) and
    every solution that uses it is stored as a new version calling it (``a.rewritten_stored``), each only
    if it passes its tests. ``components`` gives the trusted primitive callables (default: the built-in
    primitives). With a plain corpus nothing is stored.
    """
    base = primitive_functions(components)
    if isinstance(source, LibraryStore):
        corpus, sigs, programs = corpus_of(source)
        taken: set[str] = {r.name for r in source.list(include_archived=True)}
    else:
        corpus = [c if isinstance(c, CorpusItem) else CorpusItem(c[0], c[1], c[2], tuple(c[3])) for c in source]
        sigs, programs, taken = {}, {}, set()
    sigs.update(signatures or {})
    fns = trusted_functions(base, programs, sigs)
    found = find_abstractions(corpus, max_new=max_new, min_uses=min_uses, arity=arity, signatures=sigs,
                              functions=fns, taken=taken)
    if not isinstance(source, LibraryStore) or sandbox is None:
        return found
    for a in found:
        res = store_abstraction(a, library=source, sandbox=sandbox, round=round)
        a.stored, a.reason = res.ok, res.reason
    stored = {a.name for a in found if a.stored}
    final = {user: (prog, a) for a in found for user, prog in a.rewritten.items()}  # the last rewrite wins
    for user, (prog, last) in sorted(final.items()):
        used = {op for op in ops(prog) if op in {a.name for a in found}}
        if not used or not used <= stored:
            continue
        res = dist.store_rewrite(user, prog, library=source, sandbox=sandbox, extra_parents=used)
        if res.ok:
            last.rewritten_stored.append(user)
    return found
