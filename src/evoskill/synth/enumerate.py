"""Bottom-up enumeration with observational equivalence, the engine of the search synthesizer.

Values are *vectors*: one value per example, as a tuple. Every component is evaluated on whole vectors at
once (``tuple(map(fn, v0, v1))``), so the per-program cost is one C-level ``map`` plus one set lookup.
Programs are kept per type and per cost level; a new program is dropped when its vector was seen before
for that type (observational equivalence), or when a value exceeds the size caps. Lists are stored as
tuples so that vectors hash. A lambda argument is a vector of the same function repeated, so higher-order
components need no special case.

Within a level, the calls (a component and a split of the cost among its arguments) run by the guide's
rank, the usage weight, then smallest first; with ``by_size=False``, in the components' given order
(:meth:`Enumerator.step`).

Commutative primitives are evaluated once per unordered pair. Once ``max_values`` values are stored or
the process's peak memory passes ``max_memory_mb``, new values are only compared with the target.
``max_programs`` is exact: inner loops are sliced to the remaining count.

Hot spots (cProfile on strings-sygus): the inner ``tuple(map(fn, ...))`` calls and the primitives
themselves (``text_before``/``text_after`` and ``str.find``, ``text_concat``...), then the ``seen`` dict
lookups. Expressions are only built for programs that survive deduplication.
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import islice, product
from typing import Any

from ..lang.components import Component
from ..lang.primitives import COMMUTATIVE
from ..lang.program import Call, Expr


class Found(Exception):
    """Raised inside the loops when a program matching the target is built."""

    def __init__(self, expr: Expr, cost: int) -> None:
        super().__init__()
        self.expr = expr
        self.cost = cost


#: values evaluated between two looks at the clock and the program count
CHUNK = 1024


class Stop(Exception):
    """The budget (time or programs) is spent."""


def is_list(t: str) -> bool:
    return t.startswith("list")


class Enumerator:
    """Programs by increasing cost over fixed example inputs.

    ``leaves`` are ``(type, cost, vector, expr)``: inputs, constants, lambdas. ``target`` (a vector of the
    wanted type) stops the enumeration with :class:`Found`; without it, :meth:`run` enumerates to
    ``max_cost`` (used to build lambda bodies).
    """

    def __init__(self, n: int, components: Sequence[Component], leaves: Sequence[tuple[str, int, tuple[Any, ...], Expr]],
                 *, target: tuple[Any, ...] | None = None, target_type: str = "", deadline: float = float("inf"),
                 max_programs: int | None = None, max_text: int = 200, max_list: int = 50, max_int: int = 10 ** 7,
                 max_values: int = 2_000_000, max_memory_mb: int = 1000, by_size: bool = True) -> None:
        self.n = n
        #: order the calls of a level smallest first within equal rank and weight (see :meth:`step`)
        self.by_size = by_size
        self.components = list(components)
        self.vecs: dict[str, dict[int, list[tuple[Any, ...]]]] = {}
        self.exprs: dict[str, dict[int, list[Expr]]] = {}
        # vector -> (cost, expr) of the first program with that value; None if it broke a size cap
        self.seen: dict[str, dict[tuple[Any, ...], tuple[int, Expr] | None]] = {}
        self.target = target
        self.target_type = target_type
        self.deadline = deadline
        self.limit = max_programs if max_programs is not None else 1 << 62
        self.tried = 0
        self.stored = 0
        self.max_values = max_values
        self.max_memory_kb = max_memory_mb * 1024
        self._mem_checked = 0
        self.max_text, self.max_list, self.max_int = max_text, max_list, max_int
        self.level = 0
        for t, cost, vec, expr in leaves:
            self._store(t, cost, vec, expr)

    # ---- storage -----------------------------------------------------------------------------------
    def _ok(self, t: str, out: tuple[Any, ...]) -> bool:
        if t == "str" or is_list(t):
            return max(map(len, out)) <= (self.max_text if t == "str" else self.max_list)
        if t == "int":
            m = self.max_int
            return max(out) <= m and min(out) >= -m
        return True

    def _store(self, t: str, cost: int, vec: tuple[Any, ...], expr: Expr) -> bool:
        seen = self.seen.setdefault(t, {})
        if vec in seen:
            return False
        if not self._ok(t, vec):
            seen[vec] = None
            return False
        seen[vec] = (cost, expr)
        self.vecs.setdefault(t, {}).setdefault(cost, []).append(vec)
        self.exprs.setdefault(t, {}).setdefault(cost, []).append(expr)
        self.stored += 1
        if self.target is not None and t == self.target_type and vec == self.target:
            raise Found(expr, cost)
        return True

    def values(self, t: str, max_cost: int | None = None) -> Iterator[tuple[int, tuple[Any, ...], Expr]]:
        """Every stored ``(cost, vector, expr)`` of type ``t``, cheapest first."""
        levels = self.vecs.get(t, {})
        for c in sorted(levels):
            if max_cost is not None and c > max_cost:
                break
            yield from ((c, v, e) for v, e in zip(levels[c], self.exprs[t][c], strict=True))

    def values_at(self, t: str, cost: int) -> Iterator[tuple[int, tuple[Any, ...], Expr]]:
        """The stored ``(cost, vector, expr)`` of type ``t`` at exactly this cost."""
        vs = self.vecs.get(t, {}).get(cost, [])
        es = self.exprs.get(t, {}).get(cost, [])
        return ((cost, v, e) for v, e in zip(vs, es, strict=True))

    # ---- enumeration -------------------------------------------------------------------------------
    def _parts(self, total: int, types: Sequence[str]) -> Iterator[tuple[int, ...]]:
        """Cost splits of ``total`` over argument types, using only non-empty levels."""
        if len(types) == 1:
            if self.vecs.get(types[0], {}).get(total):
                yield (total,)
            return
        for c in sorted(self.vecs.get(types[0], {})):
            if c >= total:
                break
            for rest in self._parts(total - c, types[1:]):
                yield (c, *rest)

    def run(self, max_cost: int) -> None:
        """Enumerate cost levels ``level+1 .. max_cost``; may raise Found or Stop."""
        while self.level < max_cost:
            self.level += 1
            self.step(self.level)

    def step(self, level: int) -> None:
        """One cost level: every component over every split of the rest of the cost among its arguments.

        The calls of a level (a component and a cost split: a *job*) run by the component's ``rank`` (the
        guide's score), then its ``weight`` (the usage prior), then smallest job first, then the components'
        given order; without ``by_size``, in the components' given order. Under a prior that knows no more
        than that, each program of a job of ``n`` argument combinations is one of ``n`` equally likely ones,
        so a budget that ends inside a level is best spent on small jobs first (a ``list-scan`` over a
        handful of lambdas before a ``list-cons`` of every number onto every list). Measured on list tasks;
        on text the small jobs are the structural primitives over one inferred pattern, which are not the
        likelier programs, so :func:`evoskill.synth.search.synthesize` turns it off for the main search of
        a task with text (its searches over numbers, lambda bodies and map/filter functions, keep it;
        docs/LEARNING.md, fifth pass).
        """
        jobs = []
        for k, comp in enumerate(self.components):
            rest = level - comp.cost
            if rest < comp.arity or comp.arity == 0:
                continue
            sym = comp.name in COMMUTATIVE and comp.arity == 2 and comp.kind == "primitive"
            for parts in self._parts(rest, comp.arg_types):
                if sym and parts[0] > parts[1]:
                    continue  # the mirrored split gives the same values
                half = sym and parts[0] == parts[1]
                jobs.append((-comp.rank, -comp.weight, self._size(comp, parts, half), k, comp, parts, half)
                            if self.by_size else (k, comp, parts, half))
        if self.by_size:
            jobs.sort(key=lambda j: j[:4])
        for *_, comp, parts, half in jobs:
            self._apply(comp, parts, level, half)

    def _size(self, comp: Component, parts: tuple[int, ...], half: bool) -> int:
        """How many argument combinations one call runs (each unordered pair once when ``half``)."""
        sizes = [len(self.vecs[t][c]) for t, c in zip(comp.arg_types, parts, strict=True)]
        return sizes[0] * (sizes[0] + 1) // 2 if half else math.prod(sizes)

    def _check(self, count: int) -> None:
        self.tried += count
        if self.stored - self._mem_checked > 50_000:
            # stop storing new values (keep evaluating against the target) once memory is spent
            self._mem_checked = self.stored
            if resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > self.max_memory_kb:
                self.max_values = min(self.max_values, self.stored)
        if self.tried >= self.limit or time.perf_counter() > self.deadline:
            raise Stop()

    def _apply(self, comp: Component, parts: tuple[int, ...], level: int, half: bool = False) -> None:
        rt = comp.return_type
        fn: Callable[..., Any] = comp.fn
        seen = self.seen.setdefault(rt, {})
        new_v = self.vecs.setdefault(rt, {}).setdefault(level, [])
        new_e = self.exprs.setdefault(rt, {}).setdefault(level, [])
        V = [self.vecs[t][c] for t, c in zip(comp.arg_types, parts, strict=True)]
        E = [self.exprs[t][c] for t, c in zip(comp.arg_types, parts, strict=True)]
        op = comp.name
        conv = is_list(rt)
        ok = self._ok
        target = self.target if rt == self.target_type else None

        def accept(out: tuple[Any, ...], args: tuple[Expr, ...]) -> None:
            if out == target:
                raise Found(Call(op, args), level)
            if self.stored >= self.max_values:  # memory spent: only watch for the target
                return
            if not ok(rt, out):
                seen[out] = None
                return
            e = Call(op, args)
            seen[out] = (level, e)
            new_v.append(out)
            new_e.append(e)
            self.stored += 1

        remaining = self.limit - self.tried
        if comp.arity == 1:
            V0, E0 = V[0], E[0]
            if len(V0) > remaining:
                V0 = V0[:remaining]
            # in chunks, so that a slow component (a learned skill can be quadratic) still meets the deadline
            for lo in range(0, len(V0), CHUNK):
                chunk = V0[lo:lo + CHUNK]
                for i, v in enumerate(chunk, lo):
                    try:
                        out = tuple(map(tuple, map(fn, v))) if conv else tuple(map(fn, v))
                    except Exception:
                        continue
                    if out not in seen:
                        accept(out, (E0[i],))
                self._check(len(chunk))
        elif comp.arity == 2:
            V0, E0, V1, E1 = V[0], E[0], V[1], E[1]
            for i, v0 in enumerate(V0):
                remaining = self.limit - self.tried
                start = i if half else 0  # commutative with equal costs: each unordered pair once
                W = V1[start:start + remaining]
                e0 = E0[i]
                for lo in range(0, len(W), CHUNK):
                    for j, v1 in enumerate(W[lo:lo + CHUNK], start + lo):
                        try:
                            out = tuple(map(tuple, map(fn, v0, v1))) if conv else tuple(map(fn, v0, v1))
                        except Exception:
                            continue
                        if out not in seen:
                            accept(out, (e0, E1[j]))
                    self._check(min(CHUNK, len(W) - lo))
        elif comp.arity == 3:
            V0, E0, V1, E1, V2, E2 = V[0], E[0], V[1], E[1], V[2], E[2]
            for i, v0 in enumerate(V0):
                e0 = E0[i]
                for j, v1 in enumerate(V1):
                    remaining = self.limit - self.tried
                    W = V2 if len(V2) <= remaining else V2[:remaining]
                    e1 = E1[j]
                    for k, v2 in enumerate(W):
                        try:
                            out = (tuple(map(tuple, map(fn, v0, v1, v2))) if conv
                                   else tuple(map(fn, v0, v1, v2)))
                        except Exception:
                            continue
                        if out not in seen:
                            accept(out, (e0, e1, E2[k]))
                    self._check(len(W))
        else:
            idx = product(*[range(len(v)) for v in V])
            while True:
                remaining = self.limit - self.tried
                chunk = list(islice(idx, min(remaining, 4096)))
                if not chunk:
                    break
                for combo in chunk:
                    vs = [V[a][b] for a, b in enumerate(combo)]
                    try:
                        out = tuple(map(tuple, map(fn, *vs))) if conv else tuple(map(fn, *vs))
                    except Exception:
                        continue
                    if out not in seen:
                        accept(out, tuple(E[a][b] for a, b in enumerate(combo)))
                self._check(len(chunk))
