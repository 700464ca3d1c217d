"""The search synthesizer: the default proposer, composing library skills bottom-up.

Pipeline for one task (solver examples only; held-out examples never reach this module):

1. **Type-directed pruning**: only components over the task's own types plus ``int``/``bool``; no parity
   tests on text tasks (they split a few examples by luck); no top-level ``if`` in the enumeration
   (conditionals are step 5's job).
2. **Leaves**: the inputs ``x0..xn`` and constants from the task (:mod:`evoskill.synth.constants`): pieces
   of the outputs no input contains, substrings common to all outputs or to one input across examples,
   repeated input values (categories), delimiters, ``0..3, -1``, a common output length.
3. **Lambdas**: for every function type a component takes (``(int -> int)``, ``(int -> bool)``,
   ``(int, int -> int)``), bodies of cost <= 4 are enumerated over the lambda parameters as a separate
   value space (the "examples" are the task's integers, or pairs of them), deduplicated by behaviour, and
   compiled to Python functions. *Closures*: two-parameter bodies with the second parameter bound to a
   cheap integer of the input (``(list-head x0)``, ``(list-len x0)``...) give one-parameter lambdas that
   read the input, e.g. ``(lambda (a) (int-ne a (list-head x0)))``. *Learned lambdas*
   (:mod:`evoskill.synth.fragments`): every lambda of a learned program the search was given is a leaf of
   its own, at one node or two, so a function the library has found once is cheap in any call that takes a
   function of its type.
4. **Bottom-up enumeration** (:mod:`evoskill.synth.enumerate`) by increasing cost (nodes, weighted by each
   component's usage prior, :mod:`evoskill.lang.components`), with observational equivalence: one program
   per distinct output vector per type, values evaluated on whole example vectors at once. The first
   program equal to the wanted outputs is the cheapest one (the best bet to generalize from 2-3 examples).
5. **Composed answers**, tried after every cost level: *joins* (the target as ``text-concat`` /
   ``list-append`` of up to 4 known values, each a non-empty piece of every output: found by prefix
   splitting and hash look-ups, far cheaper than enumerating the concatenation), and *conditionals*
   (:mod:`evoskill.synth.conditionals`, EUSolver-style divide and conquer into decision lists). A composed
   answer of cost ``c`` is accepted once every direct program of cost ``<= c - slack`` has been ruled out
   (slack 3 for joins, 1 for conditionals, which overfit more easily), and *pointwise* answers
   (:mod:`evoskill.synth.pointwise`): when the output lines up with a cheap list already built, the function
   of a ``list-map``/``list-mapi``/``list-filter``/``list-zip-with`` is solved from element pairs (slack 2).
6. **Simplification** (:mod:`evoskill.synth.simplify`): the answer loses every step that does nothing on the
   examples, also steps hidden inside learned skills, and is checked again.

The guide (:mod:`evoskill.guide`, fitted on the host from the library's solved tasks and applied in
:meth:`SearchProposer.propose`) reorders components within a cost level and moves the cost of learned
skills for the task at hand, and decides when the pointwise function searches run (at once when most of the
vote goes to programs built on a map, filter or zip, else, under a program budget, after cost level 5, or
when the budget stops the enumeration first); without solved tasks it changes nothing. The proposer keeps a portfolio over attempts:
after a failed guided search, the next attempt at the same task searches as with no library (built-in
components, no usage prior, no guide), the one after is guided again.

Deterministic: the order of everything depends only on the task, the components and ``seed`` (a seed
shuffles the order of equally weighted components within a cost level; the calls of a level run smallest
first before that order counts, except in the main search of a task with text: :meth:`Enumerator.step`);
only the budget cut-off reads the clock. ``max_programs`` bounds the number of candidate programs the enumeration evaluates, exactly;
the pointwise function searches may evaluate at most half as many again (a count too).

Speed, measured with ``python benchmarks/search_speed.py --budget 3`` (one core, steady state on tasks the
search does not solve): about 0.7-0.85 M programs/s overall (machine load moves it; README has the latest), ~1.0-1.25 M/s on text tasks, ~0.3-0.4 M/s on list
tasks (list values are tuples of tuples, and each list primitive copies). cProfile (``--profile``) hot
spots: the body of ``Enumerator._apply`` itself (``tuple(map(fn, v0, v1))`` plus the ``seen`` lookup,
~50% of the time), then the primitives (``text_before``/``text_after``/``str.find``, ``text_concat``,
``int_of_text``), then ``accept`` (building the expression and the size caps, only for new values) and
the joins/conditionals steps (~5%).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import resource
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..guide import Guide, Plan
from ..guide import apply as apply_plan
from ..lang import types
from ..lang.components import (
    LEARNED_KINDS,
    Component,
    core_components,
    from_spec,
    function_table,
    prior_weight,
    to_spec,
)
from ..lang.primitives import MAX_ITEMS, PATTERN_ARGS, function_type
from ..lang.program import (
    Call,
    Const,
    Expr,
    Lambda,
    Var,
    compile_program,
    ops,
    substitute,
    to_module,
    to_sexpr,
    variables,
)
from ..lang.values import same
from ..proposer import Attempt, ProposerContext, Solution
from ..tasks import Example, Task, task_from_dict
from .conditionals import ARBITRARY, IF_OPS, Conditionals
from .constants import contains_piece, int_constants, int_domain, list_constants, string_constants
from .enumerate import Enumerator, Found, Stop, is_list
from .formats import pattern_type, patterns
from .fragments import body_fragments, lambda_fragments
from .pointwise import SOLVE_PROGRAMS, SOURCE_MAX_COST, Pointwise, outer_values
from .records import (
    GENERIC,
    build_record,
    derived_types,
    field_leaves,
    freeze,
    instances,
    row_functions,
    row_lambdas,
)
from .simplify import simplify

LAMBDA_MAX_COST = 4
MAX_COST = 40
JOIN_SLACK = 3  # joins generalize well: take them early
IF_SLACK = 1  # conditionals overfit more easily: let direct programs catch up first
POINTWISE_SLACK = 2  # a map/filter/zip whose function was solved from element pairs
#: under a budget of N programs the task's enumeration may try N and the map/filter function searches
#: (:mod:`.pointwise`) N * POINTWISE_SHARE more; the guide moves programs between the two (below)
POINTWISE_SHARE = 0.5
POINTWISE_RATE = 200_000  # function programs per second (measured: benchmarks/search_speed.py lists tasks)
ROWS_LEVEL = 3  # after this level, a list output over a table is tried as a map or filter of its rows
ROWS_SHARE = 0.5  # of what is left of the budget, for the function of that map or filter
#: the cost level the pointwise function searches wait for when the guide defers them (similar solved tasks
#: never needed a map, filter or zip): every source of cost <= 3 is built by then
POINTWISE_LATE = 5
#: the function searches' share when the guide expects a map, filter or zip (most of the vote goes to
#: programs built on one): the enumeration gives up what they take, so a guided search tries no more
#: programs in all than an unguided one (docs/LEARNING.md, ninth pass)
POINTWISE_GUIDED = 0.9
#: the higher-order calls a pointwise answer is built on (a neighbour's program calling one keeps them early)
POINTWISE_OPS = frozenset({"list-map", "list-mapi", "list-filter", "list-zip-with", "list-interleave"})


@dataclass
class SearchResult:
    """What one search did: the program (if solved) and what it cost."""

    solved: bool
    program: Expr | None
    programs_tried: int
    seconds: float
    cpu_seconds: float
    cost: int = 0

    @property
    def source(self) -> str | None:
        return to_sexpr(self.program) if self.program is not None else None


def _freeze(value: Any, t: str) -> Any:
    return freeze(value)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _lambda_leaves(ftype: str, components: Sequence[Component], domain: list[int], deadline: float,
                   max_cost: int = LAMBDA_MAX_COST) -> list[tuple[str, int, tuple[Any, ...], Expr]]:
    """Small lambda bodies for a function type, each a leaf: a vector of one repeated Python function."""
    sig = function_type(ftype)
    if sig is None:
        return []
    params_t, ret = sig
    if any(t != "int" for t in params_t) or ret not in ("int", "bool", "list[int]"):
        return []
    k = len(params_t)
    names = ("a", "b")[:k]
    points: list[tuple[int, ...]]
    if k == 1:
        points = [(d,) for d in domain]
    else:
        small = domain[:12]
        points = [(x, y) for x in small for y in small]
    columns = list(zip(*points, strict=True))
    # bodies of a list-valued lambda (for list-flat-map) build a list from numbers: a repeat, a range, ...
    body_types = ("int", "bool", "list[int]") if ret == "list[int]" else ("int", "bool")
    scalar = [c for c in components
              if c.return_type in body_types and all(t in ("int", "bool") for t in c.arg_types)]
    leaves: list[tuple[str, int, tuple[Any, ...], Expr]] = [
        ("int", 1, tuple(col), Var(f"x{i}")) for i, col in enumerate(columns)]
    for v in (0, 1, 2, 3, 10, -1):
        leaves.append(("int", 1, (v,) * len(points), Const(v)))
    en = Enumerator(len(points), scalar, leaves, deadline=deadline, max_values=20000, max_list=MAX_ITEMS)
    try:
        en.run(max_cost)
    except Stop:
        pass
    env = {f"x{i}": Var(nm) for i, nm in enumerate(names)}
    fns = {c.name: c.fn for c in components}
    out: list[tuple[str, int, tuple[Any, ...], Expr]] = []
    for cost, _vec, body in en.values(ret):
        if not variables(body):  # a constant body is never what map/filter want
            continue
        lam = Lambda(names, substitute(body, env))
        try:
            fn = compile_program(lam, 0, fns)()
        except Exception:
            continue
        # only products grow integers fast enough to stall a fold or scan (repeated squaring)
        risky = ret == "int" and "int-mul" in set(ops(lam.body))
        out.append((ftype, cost, (_guard(fn) if risky else fn,), lam))
    return out


def _guard(fn: Callable[..., int], bound: int = 10 ** 12) -> Callable[..., int]:
    """A lambda that raises instead of growing huge integers (a fold of squares would take forever)."""
    def guarded(*args: int) -> int:
        r = fn(*args)
        if -bound <= r <= bound:
            return r
        raise OverflowError("value too large for the search")
    return guarded


def synthesize(task: Task, components: Sequence[Component] | None = None, *, budget_seconds: float = 10.0,
               max_programs: int | None = None, seed: int = 0, max_memory_mb: int = 1000,
               pointwise_from: int = 1, pointwise_share: float | None = None) -> SearchResult:
    """Search for the cheapest program reproducing every solver example of ``task``.

    ``pointwise_from``: the cost level at which the pointwise function searches start (1: with the first
    level; the guide defers them to :data:`POINTWISE_LATE` for tasks like ones that never needed them). If
    the enumeration stops before that level, they run then, with their own share of the budget.
    ``pointwise_share``: that share (default :data:`POINTWISE_SHARE`); under ``max_programs`` the
    enumeration's count moves the other way, so the two together never exceed
    ``(1 + POINTWISE_SHARE) * max_programs``.
    """
    t0, c0 = time.perf_counter(), _cpu()
    deadline = t0 + budget_seconds
    share = POINTWISE_SHARE if pointwise_share is None else pointwise_share
    enum_programs = (None if max_programs is None
                     else max(1, max_programs + int((POINTWISE_SHARE - share) * max_programs)))
    task = task.for_solver()
    comps = list(components) if components is not None else core_components()
    examples = task.examples
    n = len(examples)
    out_t = task.output_type
    target = tuple(_freeze(e.output, out_t) for e in examples)
    # the record primitives are typed per task below; kept out of the shuffle, the order of the others
    # (and so every tie between equal programs) does not depend on them
    generic = [c for c in comps if c.kind == "primitive" and c.name in GENERIC]
    comps = [c for c in comps if not (c.kind == "primitive" and c.name in GENERIC)]
    # components by the guide's score (0 for all without a guide), then decreasing weight, then name
    # (deterministic); a seed shuffles equal runs
    comps.sort(key=lambda c: (-c.rank, -c.weight, c.name))
    if seed:
        rng = random.Random(seed)
        rng.shuffle(comps)
        comps.sort(key=lambda c: (-c.rank, -c.weight))
    all_comps = comps + generic
    sub_tried = 0
    main: list[Enumerator] = []  # the task's own enumeration, once it exists

    def solve(sub: Task, share: float) -> tuple[int, Expr] | None:
        """The whole search on a sub-problem (a field of a record, the function of a map over rows)."""
        nonlocal sub_tried
        spent = sub_tried + sum(m.tried for m in main)
        left = None if max_programs is None else max(1, int((max_programs - spent) * share))
        seconds = max(0.05, (deadline - time.perf_counter()) * share)
        res = synthesize(sub, all_comps, budget_seconds=seconds, max_programs=left, seed=seed,
                         max_memory_mb=max_memory_mb)
        sub_tried += res.programs_tried
        return (res.cost, res.program) if res.solved and res.program is not None else None

    if types.record_fields(out_t):  # a record is built field by field; nothing else makes one
        built = build_record(task, solve)
        ok = built is not None and _check(built[1], task, all_comps)
        return SearchResult(ok, built[1] if ok and built else None, sub_tried, time.perf_counter() - t0,
                            _cpu() - c0, built[0] if ok and built else 0)
    comps = _patterned(_relevant(comps, task))
    typed, field_names = instances(task, all_comps)
    comps += typed
    fragments = lambda_fragments(all_comps, task.input_types)
    functions = function_table(all_comps)
    leaves = _leaves(task, comps, deadline, fragments, functions) + field_names
    leaves += row_lambdas(task, comps, int_constants(examples), deadline)
    sizes_text = [len(v) for e in examples for v in (*e.inputs, e.output) if isinstance(v, str)]
    sizes_list = [len(v) for e in examples for v in (*e.inputs, e.output) if isinstance(v, list)]
    en = Enumerator(n, comps, leaves, deadline=deadline, max_programs=enum_programs,
                    max_text=max(100, 2 * max(sizes_text, default=0)),
                    max_list=max(30, 2 * max(sizes_list, default=0)), max_memory_mb=max_memory_mb,
                    # the size order, except where any type holds text (also dict[str, int]): Enumerator.step
                    by_size=not any("str" in t for t in (*task.input_types, out_t)))
    en.target, en.target_type = target, out_t
    main.append(en)
    direct = [(c, e) for t, c, v, e in leaves if t == out_t and v == target]
    joiner = _Joiner(en, out_t, target, comps)
    cond = (Conditionals(n, target, IF_OPS[out_t], learned=[c.name for c in comps if c.kind in LEARNED_KINDS])
            if out_t in IF_OPS and n > 1 else None)
    pointwise = (Pointwise(en, target, comps, outer_values([e.inputs for e in examples], task.input_types, comps),
                           deadline, max_tried=_pointwise_share(budget_seconds, max_programs, share),
                           task_inputs=[e.inputs for e in examples], input_types=task.input_types,
                           fragments=body_fragments(fragments))
                 if out_t == "list[int]" else None)  # element pairs are numbers: lists of numbers only
    fallback: tuple[int, Expr] | None = None
    slack = 0
    deferred = pointwise is not None and pointwise_from > 1  # the function searches have not run yet
    result: tuple[int, Expr] | None = min(direct, key=lambda ce: ce[0]) if direct else None
    try:
        for level in range(1, MAX_COST + 1):
            if result is not None:
                break
            en.level = level
            en.step(level)
            joined = joiner.add_level(level)
            if joined is not None and (fallback is None or joined[0] < fallback[0]):
                fallback, slack = joined, JOIN_SLACK
            if cond is not None and level >= 2:
                cond.add_terms(en.values_at(out_t, level) if level > 2 else en.values(out_t, level))
                cond.add_preds(en.values_at("bool", level) if level > 2 else en.values("bool", level))
                best = cond.solve()
                if best is not None and (fallback is None or best[0] < fallback[0]):
                    fallback, slack = best, IF_SLACK
            if pointwise is not None and level >= pointwise_from:
                deferred = False
                mapped = pointwise.add_level(level)
                if mapped is not None and (fallback is None or mapped[0] < fallback[0]):
                    fallback, slack = mapped, POINTWISE_SLACK
            if level == ROWS_LEVEL and is_list(out_t):
                before = sub_tried
                over_rows = row_functions(task, lambda sub, share: solve(sub, share * ROWS_SHARE))
                en.limit -= sub_tried - before  # the sub-searches' programs count against the budget
                if over_rows is not None and (fallback is None or over_rows[0] < fallback[0]):
                    fallback, slack = over_rows, POINTWISE_SLACK
            # a composed answer is taken once direct programs of nearly its cost have been ruled out
            if fallback is not None and fallback[0] <= level + slack:
                result = fallback
                break
    except Found as f:
        result = (f.cost, f.expr)
    except Stop:
        pass
    if result is None and pointwise is not None and deferred:
        try:  # deferred, and the enumeration stopped first: the function searches still get their share
            mapped = pointwise.add_level(SOURCE_MAX_COST + 1)  # every round of sources at once
            if mapped is not None and (fallback is None or mapped[0] < fallback[0]):
                fallback = mapped
        except Stop:
            pass
    if result is None and fallback is not None and not _lucky_split(fallback[1]):
        result = fallback  # the budget ran out before direct programs of nearly its cost were ruled out
    if pointwise is not None:
        en.tried += pointwise.solver.tried
    en.tried += sub_tried
    if result is not None and not _check(result[1], task, all_comps):
        result = None
    if result is not None:
        slim = _simplified(result[1], task, all_comps)
        if slim != result[1] and _check(slim, task, all_comps):
            result = (result[0], slim)
    return SearchResult(result is not None, result[1] if result else None, en.tried,
                        time.perf_counter() - t0, _cpu() - c0, result[0] if result else 0)


def _lucky_split(expr: Expr) -> bool:
    """A conditional whose test is a parity (:data:`~.conditionals.ARBITRARY`): not an answer when the budget
    ran out before direct programs of nearly its cost were ruled out. On lists-rule at 10,000 programs such
    answers were `c036_1` and `c139_1`, which failed their held-out examples at every seed, and `c120_1`,
    whose rule is the parity of the length: it is then found as a map whose function holds the test
    (docs/LEARNING.md, ninth pass)."""
    return (isinstance(expr, Call) and expr.op in IF_OPS.values() and isinstance(expr.args[0], Call)
            and expr.args[0].op in ARBITRARY)


def _pointwise_share(budget_seconds: float, max_programs: int | None, share: float = POINTWISE_SHARE) -> int:
    """How many programs the pointwise function searches may spend: a count, so runs are repeatable."""
    count = int(share * POINTWISE_RATE * budget_seconds)
    return min(count, int(share * max_programs)) if max_programs is not None else count


def _relevant(comps: Sequence[Component], task: Task) -> list[Component]:
    """Type-directed pruning: only components over the task's own types (plus int and bool).

    Also: no parity tests on text tasks, and no top-level ``if`` in the enumeration (see below).
    """
    allowed = {*task.input_types, task.output_type, "int", "bool", *derived_types(task)}
    if "str" in allowed and any(is_list(t) for t in allowed):
        allowed.add("list[str]")  # words of a text on the way to a list (kept out of text-only tasks: branching)

    def ok(t: str) -> bool:
        ft = function_type(t)
        return ok_all(ft[0]) and ft[1] in allowed if ft else t in allowed

    def ok_all(ts: Sequence[str]) -> bool:
        return all(ok(t) for t in ts)

    keep = [c for c in comps if ok_all(c.arg_types) and ok(c.return_type)]
    if not any(is_list(t) for t in (*task.input_types, task.output_type)):
        # parity of text lengths splits a few examples by luck and almost never means anything
        keep = [c for c in keep if c.name not in ARBITRARY]
    if len(task.examples) > 1 and task.output_type in IF_OPS:
        # a conditional at the top is the divide-and-conquer step's job (it demands >= 2 examples a branch)
        keep = [c for c in keep if c.name != IF_OPS[task.output_type]]
    return keep


def _patterned(comps: Sequence[Component]) -> list[Component]:
    """Primitives that take a pattern get it as a type of its own: only patterns read off the examples feed it.

    Any text in that position would multiply the search by the number of text values for a call that
    almost always gives ``""``; a pattern inferred by :mod:`evoskill.synth.formats` is what makes the call
    read the data's structure (``(text-date x0 "%b %y")``) instead of pasting pieces of the outputs.
    """
    out = []
    for c in comps:
        at = PATTERN_ARGS.get(c.name) if c.kind == "primitive" else None
        if at is not None:
            args = list(c.arg_types)
            args[at] = pattern_type(c.name)
            c = replace(c, arg_types=tuple(args))
        out.append(c)
    return out


class _Joiner:
    """Concatenation by decomposition: the target as a join of up to 4 known values (text or lists).

    Values that are a piece (substring, sub-list) of the target in every example are kept; after each
    level the target is split greedily: a piece that is a prefix of what remains, then the rest is looked
    up among known values or split again. This finds long ``text-concat`` chains that plain enumeration
    would reach only at a much higher cost.
    """

    OPS = {"str": "text-concat", "list[int]": "list-append"}

    def __init__(self, en: Enumerator, out_t: str, target: tuple[Any, ...], comps: Sequence[Component]) -> None:
        self.en, self.out_t, self.target = en, out_t, target
        names = {c.name for c in comps}
        op = self.OPS.get(out_t)
        # where an output is empty every piece is (see add_level): those examples say nothing about a join, so
        # when some are empty, most outputs (and at least two) must not be for a join to be tried
        filled = sum(1 for t in target if t)
        enough = filled == len(target) or filled >= max(2, (len(target) + 1) // 2)
        self.op = op if op in names and enough else None
        self.pieces: list[tuple[int, tuple[Any, ...], Expr]] = []
        self.seen_levels: set[int] = set()

    def add_level(self, level: int) -> tuple[int, Expr] | None:
        if self.op is None:
            return None
        new = []
        levels = [c for c in sorted(self.en.vecs.get(self.out_t, {})) if c <= level and c not in self.seen_levels]
        for c in levels:
            self.seen_levels.add(c)
            for k, (cost, vec, e) in enumerate(self.en.values_at(self.out_t, c)):
                if k % 20000 == 19999 and time.perf_counter() > self.en.deadline:
                    raise Stop()
                # a piece must be non-empty in every example whose output is: a piece that vanishes from a
                # non-empty output is almost always a coincidence that does not generalize (where the output
                # is empty, e.g. for an empty input, every piece is)
                if all((p or not t) and contains_piece(p, t) for p, t in zip(vec, self.target, strict=True)):
                    new.append((cost, vec, e))
        if not new:
            return None
        self.pieces.extend(new)
        self.pieces.sort(key=lambda x: x[0])
        index = self.en.seen.get(self.out_t, {})
        failed: set[tuple[Any, ...]] = set()

        def split(rem: tuple[Any, ...], depth: int) -> tuple[int, Expr] | None:
            hit = index.get(rem)
            if hit is not None:
                return hit
            if depth == 0 or rem in failed:
                return None
            for cost, vec, e in self.pieces:
                if all(r[:len(p)] == p for p, r in zip(vec, rem, strict=True)):
                    rest = tuple(r[len(p):] for p, r in zip(vec, rem, strict=True))
                    sub = split(rest, depth - 1)
                    if sub is not None:
                        return cost + sub[0] + 1, Call(self.op or "", (e, sub[1]))
            failed.add(rem)
            return None

        return split(self.target, 3)


def _leaves(task: Task, comps: Sequence[Component], deadline: float, fragments: Mapping[str, Mapping[Lambda, int]],
            functions: Mapping[str, Callable[..., Any]]) -> list[tuple[str, int, tuple[Any, ...], Expr]]:
    examples = task.examples
    n = len(examples)
    leaves: list[tuple[str, int, tuple[Any, ...], Expr]] = []
    for i, t in enumerate(task.input_types):
        leaves.append((t, 1, tuple(_freeze(e.inputs[i], t) for e in examples), Var(f"x{i}")))
        leaves.extend(field_leaves(t, Var(f"x{i}"), leaves[-1][2]))
    used_types = {t for c in comps for t in c.arg_types}
    if "str" in used_types:
        for s in string_constants(examples):
            leaves.append(("str", 1, (s,) * n, Const(s)))
    if "int" in used_types:
        for v in int_constants(examples):
            leaves.append(("int", 1, (v,) * n, Const(v)))
    if "list[int]" in used_types:
        for lst in list_constants(examples):
            leaves.append(("list[int]", 1, (lst,) * n, Const(lst)))
    wanted = {t for c in comps for t in c.arg_types if t.startswith("pattern:")}
    for name, pattern in patterns(examples, task.input_types):
        if pattern_type(name) in wanted:
            leaves.append((pattern_type(name), 1, (pattern,) * n, Const(pattern)))
    ftypes = sorted({t for c in comps for t in c.arg_types if t.startswith("(")})
    if ftypes:
        domain = int_domain(examples)
        learned_leaves = []
        for ft in ftypes:
            learned = fragments.get(ft, {})
            enumerated: dict[Expr, int] = {}
            for t, c, vec, e in _lambda_leaves(ft, comps, domain, deadline):
                if not (isinstance(e, Lambda) and learned.get(e, c) < c):  # a learned lambda is its own leaf
                    leaves.append((t, c, vec * n, e))
                    enumerated[e] = c
            # a learned lambda the enumeration already has at no higher cost would only be tried twice
            cheaper = {lam: c for lam, c in learned.items() if enumerated.get(lam, c + 1) > c}
            learned_leaves += _fragment_leaves(task, ft, cheaper, functions)
        for ft in ftypes:
            leaves.extend(_closures(ft, task, comps, domain, deadline))
        leaves.extend(learned_leaves)
    return leaves


def _fragment_leaves(task: Task, ftype: str, fragments: Mapping[Lambda, int],
                     functions: Mapping[str, Callable[..., Any]]) -> list[tuple[str, int, tuple[Any, ...], Expr]]:
    """The library's lambdas of one function type (:mod:`.fragments`) as leaves at their cost: one Python
    function per example (a lambda may read the task's inputs)."""
    sig = function_type(ftype)
    out: list[tuple[str, int, tuple[Any, ...], Expr]] = []
    for lam, cost in fragments.items():
        try:
            make = compile_program(lam, task.arity, functions)
            fns = tuple(make(*(_freeze(v, t) for v, t in zip(e.inputs, task.input_types, strict=True)))
                        for e in task.examples)
        except Exception:
            continue
        # only products grow integers fast enough to stall a fold or scan (as in _lambda_leaves)
        if sig is not None and sig[1] == "int" and "int-mul" in set(ops(lam.body)):
            fns = tuple(_guard(f) for f in fns)
        out.append((ftype, cost, fns, lam))
    return out


def _bind(f: Callable[[int, int], Any], c: int) -> Callable[[int], Any]:
    return lambda a: f(a, c)


def _closures(ftype: str, task: Task, comps: Sequence[Component], domain: list[int], deadline: float,
              ) -> list[tuple[str, int, tuple[Any, ...], Expr]]:
    """Lambdas of one parameter that also read a value of the input, e.g. ``(lambda (a) (int-eq a (list-head x0)))``.

    Two-parameter bodies (cost <= 3) get their second parameter replaced by a cheap integer expression of
    the inputs (an int input, or a ``list[int] -> int`` component on a list input); the function then
    differs per example, so the leaf's vector holds one bound function per example.
    """
    sig = function_type(ftype)
    if sig is None or sig[0] != ("int",) or sig[1] not in ("int", "bool"):
        return []
    examples = task.examples
    outer: list[tuple[int, Expr, tuple[int, ...]]] = []
    for i, t in enumerate(task.input_types):
        if t == "int":
            outer.append((1, Var(f"x{i}"), tuple(e.inputs[i] for e in examples)))
        elif is_list(t):
            for c in comps:
                if c.arg_types == (t,) and c.return_type == "int":
                    try:
                        vals = tuple(c.fn(list(e.inputs[i])) for e in examples)
                    except Exception:
                        continue
                    outer.append((1 + c.cost, Call(c.name, (Var(f"x{i}"),)), vals))
    if not outer:
        return []
    two = _lambda_leaves(f"(int, int -> {sig[1]})", comps, domain, deadline, max_cost=3)
    probe = domain[:20]
    out: list[tuple[str, int, tuple[Any, ...], Expr]] = []
    seen: set[tuple[Any, ...]] = set()
    for _t, bcost, (f,), lam in two:
        assert isinstance(lam, Lambda)
        if variables(lam.body) != {"a", "b"}:
            continue
        for ocost, oexpr, vals in outer:
            fs = tuple(_bind(f, v) for v in vals)
            try:
                key = tuple(tuple(g(d) for d in probe) for g in fs)
            except Exception:
                continue
            if key in seen:
                continue
            seen.add(key)
            out.append((ftype, bcost - 1 + ocost, fs, Lambda(("a",), substitute(lam.body, {"b": oexpr}))))
    return out


def _simplified(expr: Expr, task: Task, comps: Sequence[Component]) -> Expr:
    """The program without no-op steps, its own or hidden in learned skills (:mod:`.simplify`)."""
    learned = {c.name: c.program for c in comps if c.program is not None}
    fns = function_table(comps)
    return simplify(expr, task.arity, [e.inputs for e in task.examples], learned, fns)


def _check(expr: Expr, task: Task, comps: Sequence[Component]) -> bool:
    """Re-run the program on the solver examples with the real (list-typed) calling convention."""
    fns = function_table(comps)
    try:
        fn = compile_program(expr, task.arity, fns)
        return all(same(fn(*[list(v) if isinstance(v, list) else v for v in e.inputs]), e.output)
                   for e in task.examples)
    except Exception:
        return False


# ---- sandbox job and proposer ---------------------------------------------------------------------------

def search_job(payload: dict[str, Any]) -> dict[str, Any]:
    """JSON in, JSON out: run :func:`synthesize` inside a sandboxed worker.

    ``payload``: ``task`` (solver view as a dict), ``components`` (:func:`to_spec` form), ``budget_seconds``,
    ``max_programs`` (optional), ``seed``.
    """
    raw = dict(payload["task"])
    raw["held_out"] = []
    task = task_from_dict(raw)
    comps = from_spec(payload["components"]) if payload.get("components") else core_components()
    res = synthesize(task, comps, budget_seconds=float(payload.get("budget_seconds", 10.0)),
                     max_programs=payload.get("max_programs"), seed=int(payload.get("seed", 0)),
                     max_memory_mb=int(payload.get("max_memory_mb", 1000)),
                     pointwise_from=int(payload.get("pointwise_from", 1)),
                     pointwise_share=(None if payload.get("pointwise_share") is None
                                      else float(payload["pointwise_share"])))
    return {"solved": res.solved, "program": res.source, "programs_tried": res.programs_tried,
            "seconds": res.seconds, "cpu_seconds": res.cpu_seconds, "cost": res.cost}


def entry_name(task_name: str) -> str:
    """A Python identifier derived from a task name."""
    s = re.sub(r"[^0-9a-zA-Z]+", "_", task_name).strip("_").lower() or "solve"
    return f"f_{s}" if s[0].isdigit() else s


#: The sandbox job a search runs as (``module:function``, JSON in and out).
SEARCH_JOB = "evoskill.synth.search:search_job"
#: Calls trusted ``module:function`` with JSON arguments under sandbox :class:`~evoskill.sandbox.Limits` and
#: returns the sandbox's ``RunResult``, like :meth:`Sandbox.call`: by default the proposer's own sandbox;
#: :mod:`evoskill.executors` runs it on a Ray cluster.
SearchRunner = Callable[[str, list[Any], Any], Any]


class _Portfolio:
    """Which search an attempt at a task runs: a portfolio over attempts.

    The guide's order (and the learned skills it makes cheap) can bury what a plain search finds, so after a
    failed guided search the next attempt at the task searches as with no library (built-in components, no
    usage prior, no guide, the first attempt's seed: the very search a fresh library runs first); the one
    after is guided again, by a library that has grown since. Another view of a task attempted before (its
    cross-validation without an example, a model's near miss: same name, other examples) searches in the
    mode of that task's last attempt, so that a plain answer is checked by a plain search, and counts nothing.
    """

    def __init__(self) -> None:
        #: per task (name, digest of its solver examples): the seed of its first attempt and its failed searches
        self._tries: dict[tuple[str, str], list[int]] = {}
        #: per task name: the key and the mode (plain or not) of its last attempt
        self._last: dict[str, tuple[tuple[str, str], bool]] = {}
        #: per task name: its key, tries entry and last mode before its latest attempt started (what a
        #: checkpoint keeps for a task whose attempt is still in flight)
        self._before: dict[str, tuple[tuple[str, str], list[int] | None, tuple[tuple[str, str], bool] | None]] = {}
        #: attempts run in worker threads while the run checkpoints this memory
        self._lock = threading.Lock()

    def choose(self, task: Task, seed: int, *, guided: bool) -> tuple[bool, int, tuple[str, str] | None]:
        """``(plain, seed, key)`` for an attempt whose search could be ``guided``; ``key`` is what
        :meth:`failed` is told if the search fails (None: a view, or nothing to alternate with)."""
        key = (task.name, _digest(task))
        with self._lock:
            last = self._last.get(task.name)
            if last is not None and last[0] != key:
                return last[1] and guided, seed, None
            old = self._tries.get(key)
            self._before[task.name] = (key, list(old) if old is not None else None, last)
            tries = self._tries.setdefault(key, [seed, 0])
            plain = guided and tries[1] % 2 == 1
            self._last[task.name] = (key, plain)
            return plain, tries[0] if plain else seed, key if guided else None

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._tries[key][1] += 1

    def to_dict(self, in_flight: Collection[str] = ()) -> dict[str, Any]:
        """JSON-ready memory; a task named in ``in_flight`` as it stood before its latest attempt started."""
        with self._lock:
            tries = {k: list(v) for k, v in self._tries.items()}
            last = dict(self._last)
            for name in in_flight:
                if name not in self._before:
                    continue
                key, entry, was = self._before[name]
                if entry is None:
                    tries.pop(key, None)
                else:
                    tries[key] = entry
                if was is None:
                    last.pop(name, None)
                else:
                    last[name] = was
            return {"tries": [[n, d, first, failed] for (n, d), (first, failed) in sorted(tries.items())],
                    "last": [[n, d, plain] for n, ((_, d), plain) in sorted(last.items())]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> _Portfolio:
        p = cls()
        p._tries = {(str(n), str(k)): [int(first), int(failed)] for n, k, first, failed in d.get("tries", [])}
        p._last = {str(n): ((str(n), str(k)), bool(plain)) for n, k, plain in d.get("last", [])}
        return p


def _digest(task: Task) -> str:
    """A task's solver examples, fingerprinted the same way in every process (a checkpoint outlives it)."""
    data = json.dumps([[list(e.inputs), e.output] for e in task.examples], sort_keys=True, default=repr)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def plain_components(comps: Sequence[Component]) -> list[Component]:
    """The built-in components as a fresh library has them: no learned skill, no usage prior."""
    return [replace(c, weight=prior_weight(0, 0), uses=0) for c in comps if c.kind not in LEARNED_KINDS]


def guided_components(task: Task, comps: Sequence[Component], plan: Plan | None,
                      max_programs: int | None) -> tuple[list[Component], int, float | None]:
    """``comps`` ordered and priced by the guide's ``plan`` (unchanged without one), and the cost level at which
    the pointwise function searches start (``pointwise_from`` of :func:`synthesize`).

    The shape of program the neighbours needed: unless most of the vote goes to programs built on a map,
    filter or zip, the function searches that build one wait until the direct programs of cost <= 5 are
    tried. Only under a program budget: a wrong guess then costs programs, not the answer (they still run
    when the budget stops the enumeration); under a time budget the clock would leave them none.

    The same vote splits the budget: the third value is the function searches' share of it
    (``pointwise_share`` of :func:`synthesize`; None: the default), up to :data:`POINTWISE_GUIDED` when
    most of the vote expects a map or filter (a deep predicate needs more than the default share of a small
    budget to be reached), but no more than one function search may spend
    (:data:`~evoskill.synth.pointwise.SOLVE_PROGRAMS`).
    """
    if plan is None:
        return list(comps), 1, None
    if not (plan.ballots and max_programs is not None and task.output_type == "list[int]"):
        return apply_plan(comps, plan), 1, None
    if plan.share(POINTWISE_OPS) < 0.5:
        return apply_plan(comps, plan), POINTWISE_LATE, None
    # never more than one function search can spend on its own: where the default share already holds one
    # (100,000 programs and up), nothing moves
    share = min(POINTWISE_GUIDED, SOLVE_PROGRAMS / max_programs)
    return apply_plan(comps, plan), 1, share if share > POINTWISE_SHARE else None


class SearchProposer:
    """The default proposer: bottom-up search over library components inside a sandboxed worker.

    ``runner`` decides where the search job runs (the seam of :mod:`evoskill.executors`); the rest of
    :meth:`propose` is the same wherever it runs.
    """

    name = "search"

    def __init__(self, sandbox: Any, components: Sequence[Component] | Callable[[], Sequence[Component]],
                 *, max_programs: int | None = None, memory_mb: int = 3072,
                 runner: SearchRunner | None = None, guide: Callable[[], Guide | None] | None = None) -> None:
        self.sandbox = sandbox
        self.components = components
        #: the library's guide, refitted whenever the library changes (None: the unguided order)
        self.guide = guide
        self.max_programs = max_programs
        self.memory_mb = memory_mb
        self.runner: SearchRunner = runner or self._in_sandbox
        self._portfolio = _Portfolio()

    def memory(self, in_flight: Collection[str] = ()) -> dict[str, Any]:
        """The portfolio's memory, kept in the run's checkpoint (:class:`evoskill.proposer.Remembers`)."""
        return {"portfolio": self._portfolio.to_dict(in_flight)}

    def remember(self, memory: dict[str, Any]) -> None:
        self._portfolio = _Portfolio.from_dict(memory.get("portfolio") or {})

    def _in_sandbox(self, target: str, args: list[Any], limits: Any) -> Any:
        """The default runner: the job in this proposer's own sandbox."""
        return self.sandbox.call(target, args, limits=limits)

    def _components(self) -> list[Component]:
        c = self.components
        return list(c() if callable(c) else c)

    def propose(self, task: Task, *, budget_seconds: float, seed: int = 0) -> Attempt:
        from ..sandbox import Limits

        task = task.for_solver()
        why = task.searchable
        if why:
            return Attempt(task=task.name, proposer=self.name, log=[{"event": "cannot-attempt", "reason": why}])
        # A task's own skill (or one built on it) would "solve" it by recall, not by search.
        comps = [c for c in self._components() if task.name not in c.tasks]
        guide = self.guide() if self.guide is not None else None
        plan = guide.plan_task(task) if guide is not None else None
        plain, seed, counted = self._portfolio.choose(task, seed, guided=plan is not None and bool(plan.scores))
        if plain:
            comps, plan = plain_components(comps), None
        comps, pointwise_from, pointwise_share = guided_components(task, comps, plan, self.max_programs)
        late = pointwise_from > 1
        payload = {"task": task.to_dict(), "components": to_spec(comps), "budget_seconds": budget_seconds,
                   "max_programs": self.max_programs, "seed": seed,
                   "max_memory_mb": max(256, self.memory_mb // 3), "pointwise_from": pointwise_from,
                   "pointwise_share": pointwise_share}
        t0 = time.perf_counter()
        limits = Limits(cpu_seconds=budget_seconds + 10, wall_seconds=budget_seconds * 2 + 15,
                        memory_mb=self.memory_mb)
        rr = self.runner(SEARCH_JOB, [payload], limits)
        seconds = time.perf_counter() - t0
        attempt = Attempt(task=task.name, proposer=self.name, seconds=seconds)
        ran = rr.ok and isinstance(rr.value, dict)
        if counted is not None and not (ran and rr.value.get("solved")):
            self._portfolio.failed(counted)  # a search that dies is a failed search too
        if not ran:
            attempt.log.append({"event": "search-failed", "error_type": rr.error_type,
                                "error_message": rr.error_message, "limit": rr.limit})
            return attempt
        v = rr.value
        attempt.programs_tried = int(v.get("programs_tried", 0))
        attempt.cpu_seconds = float(v.get("cpu_seconds", 0.0))
        attempt.log.append({"event": "search", "programs_tried": attempt.programs_tried,
                            "seconds": v.get("seconds"), "cost": v.get("cost"),
                            **({"guide": plan.neighbours[:3]} if plan is not None and plan.neighbours else {}),
                            **({"pointwise": "late"} if late else {}),
                            **({"pointwise_share": pointwise_share} if pointwise_share is not None else {}),
                            **({"plain": "a retry after a failed guided search: no learned skills, no guide"}
                               if plain else {}),
                            **({"node": v["node"]} if v.get("node") else {})})
        if v.get("solved") and v.get("program"):
            from ..lang.program import parse
            expr = parse(v["program"])
            entry = entry_name(task.name)
            doc = task.description.strip() or f"Solves task {task.name}."
            python = to_module(expr, entry, task.input_types, task.output_type, doc)
            attempt.solved = True
            attempt.solution = Solution(kind="program", source=v["program"], python=python, entry=entry,
                                        arg_types=task.input_types, return_type=task.output_type,
                                        uses=tuple(sorted(set(ops(expr)))))
        return attempt


__all__ = ["make", "SearchProposer", "SearchResult", "entry_name", "guided_components", "plain_components",
           "search_job", "synthesize", "Example"]


def make(context: ProposerContext) -> SearchProposer:
    """The ``search`` entry of the proposer registry."""
    return SearchProposer(context.sandbox, context.learner.components, max_programs=context.max_programs,
                          runner=context.search_runner, guide=getattr(context.learner, "guide", None))
