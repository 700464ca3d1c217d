"""Components: the typed building blocks the search synthesizer composes.

A :class:`Component` is a primitive skill (its Python function from :mod:`evoskill.lang.primitives`) or a
learned skill (``evoskill-kind`` ``solution`` / ``abstraction`` with an ``evoskill-program`` s-expression over
inputs ``x0..xn``, compiled with :func:`evoskill.lang.program.compile_program` over the components loaded
before it; learned skills may call other learned skills). Learned skills are first-class: the search treats
a learned skill exactly like a primitive of the same cost, so a composition of ten primitives costs one node.

Usage prior (DreamCoder/Probe-style): each component has a ``weight`` ``w = (successes + 1) / (uses + 2)``
(Laplace estimate of "a task that used this skill was solved"; 0.5 when unused). Its search cost is
``clamp(1 + round(-log2(2 w)), 1, 3)``: unused or successful skills cost 1 node, skills that are used often
but rarely lead to a solution cost 2-3, so they are tried later. Within one cost level the search tries
components by decreasing weight, so heavily and successfully used skills are tried first.
A use is a solution that calls the skill; it is a success when that solution also passed cross-validation
on its own examples (:meth:`evoskill.learner.Learner.admit`), a failure when it looked overfit. A learned
skill that no solution has used yet costs at least ``UNPROVEN_COST`` (2) nodes: learned shortcuts are
plentiful and some encode overfit solutions, so a shortcut becomes as cheap as a primitive only once
another task has used it.

Evidence before reuse (issue 17): each learned skill also has an ``evidence`` score
(:func:`evidence_score`, from its ``evoskill-evidence`` metadata: how many solver examples it was learned
from, whether cross-validation could check it, whether a practice task's answer passed the fresh inputs
it was checked on, plus how many other tasks' cross-validated answers call it; a given task's held-out
verdict is recorded but never counts). A skill with little evidence (< ``WEAK_EVIDENCE``: e.g. two examples
that cross-validation could not check, and no other task helped) costs 3 nodes.
The guide (:mod:`evoskill.guide`) then moves costs per task (``bias``) and orders components within a
cost level (``rank``); both are 0 without a guide, which leaves the order as it was.

Model-written Python skills (no ``evoskill-program``) are components too: in the host they are a stub
that refuses to run; :func:`from_spec`, inside the sandboxed search worker, imports their script.

:func:`to_spec` / :func:`from_spec` give a plain-JSON form of a component set, so that the host can send it
to a sandboxed worker (primitives travel by name, learned skills by program text).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import ParseError
from .primitives import FUNCTIONS, PRIMITIVES, parse_signature
from .program import Expr, compile_program, ops, parse, to_sexpr

LEARNED_KINDS = ("solution", "abstraction")
#: A learned skill no other solution has used yet costs this many nodes: a shortcut must earn its price.
UNPROVEN_COST = 2
#: A learned skill with less evidence than this (:func:`evidence_score`) costs 3 nodes.
WEAK_EVIDENCE = 0.3


def _sandbox_only(name: str) -> Callable[..., Any]:
    def refuse(*_args: Any) -> Any:
        raise RuntimeError(f"{name} is model-written Python: it runs only inside the sandbox")
    return refuse


def load_script_function(path: str, function: str) -> Callable[..., Any]:
    """Import a Python skill's entry point from its script (call this only inside the sandbox)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"evoskill_component_{function}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn: Callable[..., Any] = getattr(module, function)
    return fn


@dataclass(frozen=True)
class Component:
    """A typed function the search can call; ``program`` is set for learned skills."""

    name: str
    arg_types: tuple[str, ...]
    return_type: str
    fn: Callable[..., Any]
    kind: str = "primitive"
    weight: float = 0.5
    program: Expr | None = None
    uses: int = 0
    script: str | None = None
    #: tasks this skill was learned from, itself, through a skill it calls or (an abstraction) through the
    #: solutions it was found in: it may not solve them again
    tasks: frozenset[str] = frozenset()
    #: how far a learned skill may be trusted (:func:`evidence_score`); 1.0 for primitives
    evidence: float = 1.0
    #: the guide's score for the task at hand: tried earlier within a cost level (0: no opinion)
    rank: float = 0.0
    #: the guide's change to the cost, in nodes, for the task at hand
    bias: int = 0

    @property
    def arity(self) -> int:
        return len(self.arg_types)

    @property
    def cost(self) -> int:
        """Search cost in nodes, from the usage prior (see the module docstring)."""
        w = min(max(self.weight, 1e-6), 1.0)
        base = min(3, max(1, 1 + round(-math.log2(2 * w))))
        if self.kind in LEARNED_KINDS:
            floor = UNPROVEN_COST if self.uses == 0 else 1
            if self.evidence < WEAK_EVIDENCE:  # little evidence, little weight
                floor = 3
            base = max(base, floor)
        return min(4, max(1, base + self.bias)) if self.bias else base

    @property
    def signature(self) -> str:
        return f"{', '.join(self.arg_types)} -> {self.return_type}"


def prior_weight(uses: int, successes: int) -> float:
    """The Laplace-smoothed success rate of a skill: ``(successes + 1) / (uses + 2)``."""
    uses = max(uses, successes, 0)
    return (max(successes, 0) + 1) / (uses + 2)


def _stat(stats: Mapping[str, Any] | None, name: str) -> tuple[int, int]:
    """``(uses, successes)`` from a stats mapping whose values are objects, dicts or pairs."""
    if not stats or name not in stats:
        return 0, 0
    s = stats[name]
    if isinstance(s, Mapping):
        return int(s.get("uses", 0)), int(s.get("successes", 0))
    if isinstance(s, tuple | list) and len(s) == 2:
        return int(s[0]), int(s[1])
    return int(getattr(s, "uses", 0)), int(getattr(s, "successes", 0))


def evidence_score(examples: int, checked: str = "", held_out: str = "", helped: int = 0,
                   misled: int = 0) -> float:
    """How much a learned skill may be trusted as a cheap building block (0 .. 1.5).

    ``examples``: solver examples it was learned from (6 or more count fully); ``checked``:
    ``cross-validated`` or ``uncheckable`` (too few examples to hold one back); ``held_out``: ``passed``,
    ``failed`` or ``""`` (no held-out check); ``helped``: other tasks whose cross-validated answers call it;
    ``misled``: answers calling it that cross-validation refused (or runs of it that failed), each taking
    back what a helped task gives.
    """
    score = min(max(examples, 0), 6) / 6
    if checked == "uncheckable":
        score *= 0.6
    if held_out == "failed":
        score *= 0.25
    elif held_out == "passed":
        score = min(1.0, score * 1.25)
    return round(max(0.0, min(1.5, score + 0.25 * max(helped, 0) - 0.25 * max(misled, 0))), 3)


def parse_evidence(text: str) -> dict[str, str]:
    """``evoskill-evidence`` metadata (``key=value;key=value``) as a dict."""
    out = {}
    for part in (text or "").split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def format_evidence(fields: Mapping[str, Any]) -> str:
    return ";".join(f"{k}={fields[k]}" for k in sorted(fields) if fields[k] not in (None, ""))


def skill_evidence(meta: Mapping[str, str], helped: int = 0, misled: int = 0) -> float:
    """The evidence score of a learned skill from its ``evoskill-evidence`` metadata and its successes.

    A skill stored before evidence was recorded (or an abstraction, which has no examples of its own)
    counts as learned from 3 cross-validated examples: a neutral 0.5, the cost it had before.

    The held-out verdict of a given task is recorded (provenance) but does not count: a task's held-out
    examples are for measurement only, and the loop decides nothing on them. Only a practice task's
    held-out check counts, because its held-out inputs are fresh inputs the agent drew for itself.
    """
    ev = parse_evidence(meta.get("evoskill-evidence", ""))
    try:
        examples = int(ev.get("examples", "3"))
    except ValueError:
        examples = 0
    held_out = ev.get("held-out", "") if ev.get("source") == "practice" else ""
    return evidence_score(examples, ev.get("checked", ""), held_out, helped, misled)


def core_components(stats: Mapping[str, Any] | None = None) -> list[Component]:
    """One component per bundled primitive (no disk access)."""
    out = []
    for p in PRIMITIVES:
        args, ret = parse_signature(p.signature)
        out.append(Component(p.name, args, ret, p.fn, "primitive", prior_weight(*_stat(stats, p.name))))
    return out


def _learned(name: str, signature: str, program: str, kind: str, weight: float,
             functions: Mapping[str, Callable[..., Any]], uses: int = 0) -> Component:
    args, ret = parse_signature(signature)
    expr = parse(program)
    fn = compile_program(expr, len(args), functions)
    return Component(name, args, ret, fn, kind, weight, expr, uses)


def components_from_skills(skills: Iterable[Any], stats: Mapping[str, Any] | None = None, *,
                           include_core: bool = True) -> list[Component]:
    """Components from skill-like objects (``.name``, ``.manifest.metadata``).

    Primitives load their function from :mod:`evoskill.lang.primitives` by name (unknown primitives are
    skipped); learned skills with an ``evoskill-program`` are compiled in dependency order. Skills that
    cannot be loaded (bad signature, unknown callee, cycles) are skipped. ``include_core`` adds the bundled
    primitives that the given skills do not already name.
    """
    comps: dict[str, Component] = {}
    pending: list[tuple[str, str, str, str, float, int]] = []
    origins: dict[str, str] = {}
    found_in: dict[str, list[str]] = {}
    evidence: dict[str, float] = {}
    for sk in skills:
        meta = dict(getattr(getattr(sk, "manifest", None), "metadata", None) or {})
        name = str(getattr(sk, "name", ""))
        kind = meta.get("evoskill-kind", "")
        sig = meta.get("evoskill-signature", "")
        origins[name] = meta.get("evoskill-origin", "")
        if meta.get("evoskill-learned-from"):  # an abstraction: the tasks of the solutions it was found in
            found_in[name] = [t for u in str(meta["evoskill-learned-from"]).split(",") for t in _task(u.strip())]
        uses, successes = _stat(stats, name)
        weight = prior_weight(uses, successes)
        if kind in LEARNED_KINDS:
            evidence[name] = skill_evidence(meta, successes, uses - successes)
        if kind == "primitive" and name in FUNCTIONS:
            try:
                args, ret = parse_signature(sig) if sig else (None, None)
            except ParseError:
                continue
            if args is None or ret is None:
                continue
            comps[name] = Component(name, args, ret, FUNCTIONS[name], "primitive", weight)
        elif kind in LEARNED_KINDS and meta.get("evoskill-program") and sig:
            pending.append((name, sig, meta["evoskill-program"], kind, weight, uses))
        elif kind in LEARNED_KINDS and sig and getattr(sk, "entry_point", None):
            # Model-written Python: never imported here, only inside the sandboxed search worker.
            try:
                args, ret = parse_signature(sig)
            except ParseError:
                continue
            script, func = sk.entry_point
            comps[name] = Component(name, args, ret, _sandbox_only(name), kind, weight, None, uses,
                                    f"{script}:{func}")
    if include_core:
        for c in core_components(stats):
            comps.setdefault(c.name, c)
    _resolve(comps, pending)
    return [replace(c, evidence=evidence[c.name]) if c.name in evidence else c
            for c in _with_tasks(comps, origins, found_in)]


def _task(origin: str) -> set[str]:
    """The task an ``evoskill-origin`` names (``task:NAME``), if any."""
    return {origin[len("task:"):]} if origin.startswith("task:") else set()


def _with_tasks(comps: dict[str, Component], origins: Mapping[str, str],
                found_in: Mapping[str, Iterable[str]] | None = None) -> list[Component]:
    """Each component with the tasks it was learned from: its own, those of the skills it calls, and - for an
    abstraction - those of the solutions it was found in (``found_in``: else a task would meet a piece of its
    own answer again, e.g. when the cost probe searches it anew). Calls form no cycle; the tasks an
    abstraction was found in are not followed further."""
    memo: dict[str, frozenset[str]] = {}

    def tasks_of(name: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        if name in memo:
            return memo[name]
        own = _task(origins.get(name, "")) | set((found_in or {}).get(name, ()))
        c = comps.get(name)
        if c is not None and c.program is not None and name not in seen:
            for op in set(ops(c.program)):
                own |= tasks_of(op, seen | {name})
        memo[name] = frozenset(own)
        return memo[name]

    return [replace(c, tasks=tasks_of(n)) if tasks_of(n) else c for n, c in comps.items()]


def _resolve(comps: dict[str, Component], pending: list[tuple[str, str, str, str, float, int]]) -> None:
    """Compile learned skills once everything they call is loaded (repeat until no progress)."""
    while pending:
        progress = False
        rest = []
        for item in pending:
            name, sig, program, kind, weight, uses = item
            try:
                needed = set(ops(parse(program)))
            except Exception:
                progress = True  # unparsable: drop it
                continue
            if not needed <= comps.keys():
                rest.append(item)
                continue
            try:
                comps[name] = _learned(name, sig, program, kind, weight, {k: c.fn for k, c in comps.items()}, uses)
            except Exception:
                pass
            progress = True
        pending = rest
        if not progress:
            break


def to_spec(components: Iterable[Component]) -> list[dict[str, Any]]:
    """Plain JSON: primitives by name, learned components with their program (in the given order)."""
    out = []
    for c in components:
        d: dict[str, Any] = {"name": c.name, "signature": c.signature, "kind": c.kind, "weight": c.weight,
                             "uses": c.uses}
        if c.program is not None:
            d["program"] = to_sexpr(c.program)
        if c.script is not None:
            d["script"] = c.script
        for key, value, default in (("evidence", c.evidence, 1.0), ("rank", c.rank, 0.0), ("bias", c.bias, 0)):
            if value != default:
                d[key] = value
        out.append(d)
    return out


def script_folders(spec: Iterable[Mapping[str, Any]]) -> list[str]:
    """The skill folders whose scripts the components in ``spec`` load: what a sandboxed job over them reads."""
    folders = []
    for d in spec:
        if d.get("script"):
            script = Path(str(d["script"]).rpartition(":")[0])
            folder = script.parents[1] if script.parent.name == "scripts" else script.parent
            if str(folder) not in folders:
                folders.append(str(folder))
    return folders


def from_spec(spec: Iterable[Mapping[str, Any]]) -> list[Component]:
    """Rebuild components from :func:`to_spec` output (learned ones compiled in dependency order)."""
    comps: dict[str, Component] = {}
    pending = []
    order = []
    for d in spec:
        name = str(d["name"])
        order.append(name)
        weight = float(d.get("weight", 0.5))
        uses = int(d.get("uses", 0))
        if d.get("program"):
            pending.append((name, str(d["signature"]), str(d["program"]), str(d.get("kind", "solution")), weight,
                            uses))
        elif d.get("script"):
            path, _, func = str(d["script"]).rpartition(":")
            try:
                args, ret = parse_signature(str(d["signature"]))
                fn = load_script_function(path, func)
            except Exception:  # a broken Python skill is left out of the search, not fatal
                continue
            comps[name] = Component(name, args, ret, fn, str(d.get("kind", "solution")), weight, None, uses,
                                    str(d["script"]))
        elif name in FUNCTIONS:
            args, ret = parse_signature(str(d["signature"]))
            comps[name] = Component(name, args, ret, FUNCTIONS[name], "primitive", weight)
    _resolve(comps, pending)
    extras = {str(d["name"]): {k: d[k] for k in ("evidence", "rank", "bias") if k in d} for d in spec}
    return [replace(comps[n], **extras[n]) if extras.get(n) else comps[n] for n in order if n in comps]


# ---- trusted callables ---------------------------------------------------------------------------------------

def trusted_functions(base: Mapping[str, Callable[..., Any]], programs: Mapping[str, Expr],
                      sigs: Mapping[str, tuple[tuple[str, ...], str]]) -> dict[str, Callable[..., Any]]:
    """``base`` (built-in primitives) plus every learned program skill compiled over them.

    Only programs are compiled (never a model's Python), so everything runs trusted code in-process.
    """
    fns = dict(base)
    pending = {n: e for n, e in programs.items() if n not in fns and n in sigs}
    progress = True
    while pending and progress:
        progress = False
        for name, expr in list(pending.items()):
            if all(op in fns for op in ops(expr)):
                fns[name] = compile_program(expr, len(sigs[name][0]), fns)
                del pending[name]
                progress = True
    return fns


def function_table(components: Iterable[Component]) -> dict[str, Callable[..., Any]]:
    """The primitives' Python functions and each of ``components``' by its name: what a program over these
    components is compiled against."""
    return {**FUNCTIONS, **{c.name: c.fn for c in components}}


def primitive_functions(components: Any) -> dict[str, Callable[..., Any]]:
    if components is None:
        return dict(FUNCTIONS)
    if isinstance(components, Mapping):
        return dict(components)
    return {c.name: c.fn for c in components if getattr(c, "kind", "primitive") == "primitive"}
