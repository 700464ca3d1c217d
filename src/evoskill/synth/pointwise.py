"""Pointwise decomposition: learn the function inside a map, filter or zip from element pairs.

When the wanted output lines up with a list the search has already built, the higher-order call's
argument can be solved on its own, the way FlashMeta's witness functions and lambda-squared deduce
sub-problems from a higher-order operator's semantics:

* ``(list-map f v)``: every example's output has the length of ``v``, so each item gives one pair
  ``v[j] -> out[j]``; ``f`` is searched over those pairs.
* ``(list-mapi f v)``: the same with the 1-based position as first parameter, when the items alone do not
  decide the output.
* ``(list-filter p v)``: every output is a subsequence of ``v``, so each item of ``v`` is labelled kept or
  dropped; ``p`` is searched over those labels.
* ``(list-zip-with f v w)``: the output has the length of the shorter of two known lists.
* ``(list-interleave A B)``: every output is twice as long as ``v``; the items at odd and at even positions
  are each a list already built or a map/mapi over ``v``.

Sources are the cheapest lists built (cost <= 3; primitive-only ones first, lists built with learned skills
one cost level later; only lists that can line up with the output) plus the positions ``1..n`` of each list
input. The small function search (:class:`FunctionSolver`) runs its own bottom-up enumeration over the pairs, with
the parameters, small constants, constants read off the pairs (a common difference or sum, a common output)
and *outer* values: scalars of the task's inputs (length, first, last, largest, smallest, sum of a list
input) and the input lists themselves, so ``(lambda (a) (list-count-of x0 a))`` can be found, and the bodies
of learned lambdas and their parts (:mod:`evoskill.synth.fragments`); a learned body that maps every pair
is taken unless the built-ins give a cheaper function of the same values (only the levels below it are
enumerated). A list stops being tried as a source once nothing built on it can be cheaper than the
answer in hand (an interleave of two known lists excepted), and a function search over a list that is
still tried only enumerates functions cheap enough to beat that answer (branch and bound). The function
is found at its cheapest cost (bodies may be EUSolver-style conditionals, and must be small next to the
number of pairs they explain); the composed program is handed back to the search as a candidate like a
join or a conditional, so direct programs of nearly the same cost still win.

Only the task's solver examples are used.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..lang.components import Component, function_table
from ..lang.program import Call, Const, Expr, Lambda, Var, compile_program, input_name, ops, variables
from .conditionals import IF_OPS, Conditionals
from .enumerate import Enumerator, Found, Stop, is_list

SOURCE_MAX_COST = 3  # lists of at most this cost are tried as the list a map/filter runs over
FUNCTION_MAX_COST = 6
MAX_FUNCTION_COST = 12  # a conditional body may grow past FUNCTION_MAX_COST, up to this
SOLVE_PROGRAMS = 40_000  # per function search: a count, not a time, so the search stays deterministic
MAX_POINTS = 60
MAX_SOURCES = 12  # per round of sources, for map, mapi, zip and interleave (filters try every source)
WRAPPERS = ("list-map", "list-mapi", "list-filter", "list-zip-with")
OUTER = ("list-len", "list-head", "list-last", "list-max", "list-min", "list-sum")

Leaf = tuple[str, int, tuple[Any, ...], Expr]


def _consts(points: Sequence[tuple[int, ...]], outs: Sequence[Any], ret: str) -> list[int]:
    """Small integers plus constants the pairs suggest (a shared difference, sum, ratio or output)."""
    found = list(range(0, 11)) + [-1]
    if ret == "int":
        extra: Counter[int] = Counter()
        for p, y in zip(points, outs, strict=True):
            a = p[-1]
            extra[y - a] += 1
            extra[y + a] += 1
            extra[y] += 1
            if a and y % a == 0:
                extra[y // a] += 1
        found += [v for v, k in extra.most_common(8) if k > 1 and abs(v) < 10 ** 6]
    return list(dict.fromkeys(found))


class FunctionSolver:
    """Searches small lambdas over point sets; one per task search (it caches by point set)."""

    def __init__(self, components: Sequence[Component], outer: Sequence[tuple[str, int, Expr, tuple[Any, ...]]],
                 deadline: float, fragments: Mapping[Expr, int] | None = None, task_inputs: Sequence[Sequence[Any]] = ()) -> None:
        self.scalar = [c for c in components if c.return_type in ("int", "bool") and c.name != "int-if"
                       and all(t in ("int", "bool") for t in c.arg_types)]
        self.readers = [c for c in components if c.return_type in ("int", "bool") and len(c.arg_types) == 2
                        and is_list(c.arg_types[0]) and c.arg_types[1] == "int"]
        # outer: (type, cost, expr, one value per example)
        self.outer = list(outer)
        self.deadline = deadline
        # learned bodies (:mod:`.fragments`), each compiled once as a function of (a, b, x0, ...)
        self.fragments: list[tuple[Expr, int, Callable[..., Any]]] = []
        self.inputs: list[tuple[Any, ...]] = []
        arity = len(task_inputs[0]) if task_inputs else 0
        self.input_names = {input_name(i) for i in range(arity)}
        if fragments:
            fns = function_table(components)
            self.inputs = [tuple(tuple(v) if isinstance(v, list) else v for v in ins) for ins in task_inputs]
            for body, cost in fragments.items():
                try:
                    fn = compile_program(Lambda(("a", "b", *(f"x{i}" for i in range(arity))), body), 0, fns)()
                except Exception:
                    continue
                self.fragments.append((body, cost, fn))
        # point set -> (the cheapest function, or None, and the cost cap it was searched under)
        self.cache: dict[Any, tuple[tuple[int, Lambda] | None, int]] = {}
        self.tried = 0
        #: programs all function searches together may evaluate (the pointwise share of a task's budget)
        self.limit = 1 << 62

    def solve(self, points: Sequence[tuple[int, ...]], examples_of: Sequence[int], outs: Sequence[Any],
              ret: str, params: tuple[str, ...], max_cost: int = MAX_FUNCTION_COST) -> tuple[int, Lambda] | None:
        """The cheapest lambda ``params -> ret`` mapping every point (from example ``examples_of[i]``) to its out,
        if one costs at most ``max_cost`` (the caller's bound: a dearer function could not beat its answer in
        hand, so the levels above it are never enumerated)."""
        max_cost = min(max_cost, MAX_FUNCTION_COST)
        key = (frozenset(zip(points, examples_of, outs, strict=True)), ret, params)
        if key in self.cache:
            hit, cap = self.cache[key]
            if hit is not None:  # the cheapest there is
                return hit if hit[0] <= max_cost else None
            if max_cost <= cap:
                return None
        self.cache[key] = (None, max_cost)
        if max_cost < 1:
            return None
        found = self._search(points, examples_of, outs, ret, params, max_cost)
        self.cache[key] = (found, max_cost)
        return found

    def _search(self, points: Sequence[tuple[int, ...]], examples_of: Sequence[int], outs: Sequence[Any],
                ret: str, params: tuple[str, ...], max_cost: int) -> tuple[int, Lambda] | None:
        if time.perf_counter() > self.deadline:
            raise Stop()
        learned = self._fragment_leaves(points, examples_of, params) if self.fragments else []
        if self.tried + len(learned) > self.limit:
            learned = []  # the share is spent
        known = None
        if learned:
            self.tried += len(learned)  # each learned body evaluated counts as a program
            known = self._known(learned, tuple(outs), ret, len(points), params)
            if known is not None and known[0] > max_cost:
                known = None
        room = self.limit - self.tried
        if room <= 0:
            return known
        cols = list(zip(*points, strict=True))
        leaves: list[Leaf] = [("int", 1, tuple(col), Var(nm)) for nm, col in zip(params, cols, strict=True)]
        for v in _consts(points, outs, ret):
            leaves.append(("int", 1, (v,) * len(points), Const(v)))
        varying = len(set(examples_of)) > 1
        comps = list(self.scalar)
        for t, cost, expr, per_example in self.outer:
            if t == "int" and not varying:
                continue  # one example only: an outer scalar is just a constant
            if is_list(t) and not self.readers:
                continue
            leaves.append((t, cost, tuple(per_example[k] for k in examples_of), expr))
        if any(is_list(t) for t, *_ in self.outer):
            comps += self.readers
        target = tuple(outs)
        if known is not None:  # a learned body fits: only a cheaper function of the built-ins can beat it
            return self._cheaper(known, leaves, comps, target, ret, params, room)
        leaves += learned
        en = self._enumerator(comps, leaves, target, ret, room)
        # parity is no coincidence over dozens of items: no penalty inside a lambda
        cond = Conditionals(len(points), target, IF_OPS[ret], parity_penalty=0) if ret in IF_OPS else None
        found: tuple[int, Lambda] | None = None
        best: tuple[int, Expr] | None = None
        try:
            bare = _parameter_hit(leaves, target, ret)
            if bare is not None:
                raise Found(bare[1], bare[0])
            for level in range(1, min(FUNCTION_MAX_COST, max_cost) + 1):
                en.level = level
                en.step(level)
                if cond is not None and level >= 2:
                    best = _branch(cond, en, ret, level, best, upto=level == 2)
                if best is not None and best[0] <= level + 1:
                    break
        except Found as f:
            best = (f.cost, f.expr)
        except Stop:
            if time.perf_counter() > self.deadline:
                raise
            if cond is not None and en.level >= 2:  # the programs of the level cut short still count
                best = _branch(cond, en, ret, en.level, best)
        finally:
            self.tried += en.tried
        # minimum description length: a function must be much smaller than the evidence it explains
        if best is not None and best[0] <= max_cost and 2 * best[0] <= len(points):
            found = (best[0], Lambda(params, best[1]))
        if found is not None and not variables(found[1].body) & set(params):
            found = None  # a constant function: never what a map or filter means
        return found

    def _enumerator(self, comps: list[Component], leaves: list[Leaf], target: tuple[Any, ...], ret: str,
                    room: int) -> Enumerator:
        # bounded by a count of programs, not the clock, so that the search stays deterministic
        en = Enumerator(len(target), comps, leaves, deadline=self.deadline, max_programs=min(SOLVE_PROGRAMS, room),
                        max_values=30000, max_list=10 ** 6)
        en.target, en.target_type = target, ret
        return en

    def _cheaper(self, known: tuple[int, Lambda], leaves: list[Leaf], comps: list[Component],
                 target: tuple[Any, ...], ret: str, params: tuple[str, ...], room: int) -> tuple[int, Lambda]:
        """``known``, unless the built-ins make a function of the same values below its cost (the levels
        below it, without the learned leaves, whose values would hide a cheaper program of the same values)."""
        bare = _parameter_hit(leaves, target, ret)
        if bare is not None:
            return bare[0], Lambda(params, bare[1])
        en = self._enumerator(comps, leaves, target, ret, room)
        try:
            for level in range(1, known[0]):
                en.level = level
                en.step(level)
        except Found as f:
            if variables(f.expr) & set(params) and f.cost < known[0]:
                return f.cost, Lambda(params, f.expr)
        except Stop:
            if time.perf_counter() > self.deadline:
                raise
        finally:
            self.tried += en.tried
        return known

    @staticmethod
    def _known(learned: Sequence[Leaf], target: tuple[Any, ...], ret: str, n: int,
               params: tuple[str, ...]) -> tuple[int, Lambda] | None:
        """The cheapest learned body that maps every point to its out (and is small next to their number)."""
        hits = [(cost, expr) for t, cost, vec, expr in learned
                if t == ret and vec == target and variables(expr) & set(params) and 2 * cost <= n]
        if not hits:
            return None
        cost, expr = min(hits, key=lambda h: h[0])
        return cost, Lambda(params, expr)

    def _fragment_leaves(self, points: Sequence[tuple[int, ...]], examples_of: Sequence[int],
                         params: tuple[str, ...]) -> list[Leaf]:
        """The learned bodies that read only ``params`` (and the task's inputs), evaluated at every point."""
        out: list[Leaf] = []
        readable = self.input_names | set(params)
        for body, cost, fn in self.fragments:
            if not variables(body) <= readable:
                continue  # reads a parameter this function does not have
            try:
                vec = tuple(fn(*(p + (0,) * (2 - len(p))), *self.inputs[k]) for p, k in zip(points, examples_of, strict=True))
            except Exception:
                continue
            if all(type(v) is bool for v in vec):
                out.append(("bool", cost, vec, body))
            elif all(type(v) is int for v in vec):
                out.append(("int", cost, vec, body))
        return out


def _parameter_hit(leaves: Sequence[Leaf], target: tuple[Any, ...], ret: str) -> tuple[int, Expr] | None:
    """A bare parameter that already maps every point to its out (the cheapest function there is)."""
    for t, cost, vec, expr in leaves:
        if t == ret and vec == target and isinstance(expr, Var):
            return cost, expr
    return None


def _branch(cond: Conditionals, en: Enumerator, ret: str, level: int, best: tuple[int, Expr] | None, *,
            upto: bool = False) -> tuple[int, Expr] | None:
    """Add one level's terms and tests (``upto``: every level so far) and keep the cheaper decision list."""
    cond.add_terms(en.values(ret, level) if upto else en.values_at(ret, level))
    cond.add_preds(en.values("bool", level) if upto else en.values_at("bool", level))
    hit = cond.solve(depth=2)
    return hit if hit is not None and (best is None or hit[0] < best[0]) else best


def _head(e: Expr) -> str:
    return e.op if isinstance(e, Call) else ""


def _subsequence_labels(src: Sequence[int], out: Sequence[int]) -> list[bool] | None:
    """Greedy left-to-right match: which items of ``src`` make up ``out``; None if it is no subsequence."""
    labels = []
    j = 0
    for x in src:
        if j < len(out) and out[j] == x:
            labels.append(True)
            j += 1
        else:
            labels.append(False)
    return labels if j == len(out) else None


class Pointwise:
    """After each cost level, tries the new cheap lists as the source of a map, mapi, filter or zip."""

    def __init__(self, en: Enumerator, target: tuple[Any, ...], comps: Sequence[Component],
                 outer: Sequence[tuple[str, int, Expr, tuple[Any, ...]]], deadline: float,
                 max_tried: int | None = None, task_inputs: Sequence[Sequence[Any]] = (),
                 input_types: Sequence[str] = (), fragments: Mapping[Expr, int] | None = None) -> None:
        names = {c.name: c for c in comps}
        self.primitive = {c.name for c in comps if c.kind == "primitive"}
        self.en, self.target = en, target
        self.ops = {op: names[op].cost for op in (*WRAPPERS, "list-interleave") if op in names}
        self.solver = FunctionSolver(comps, outer, deadline, fragments, task_inputs)
        self.sources: list[tuple[int, tuple[Any, ...], Expr]] = []
        self.done_levels: set[int] = set()
        self.best: tuple[int, Expr] | None = None
        # new sources stop being tried after this many function programs: the rest is the enumeration's
        self.max_tried = max_tried if max_tried is not None else 1 << 62
        self.solver.limit = self.max_tried  # exact: a function search is cut short at the share, not after it
        # the positions 1..n of each list input: the source for rules that return positions
        self.positions: list[tuple[int, tuple[Any, ...], Expr]] = []
        if "list-range" in names and "list-len" in names:
            for i, t in enumerate(input_types):
                if is_list(t):
                    vec = tuple(tuple(range(1, len(inputs[i]) + 1)) for inputs in task_inputs)
                    expr = Call("list-range", (Const(1), Call("list-len", (Var(f"x{i}"),))))
                    self.positions.append((names["list-range"].cost + names["list-len"].cost + 2, vec, expr))

    def add_level(self, level: int) -> tuple[int, Expr] | None:
        if not self.ops or level > SOURCE_MAX_COST + FUNCTION_MAX_COST + 2:
            return self.best
        # Sources are taken in rounds r = 1, 2, ...: primitive-only lists of cost r, then lists of cost r - 1
        # that call learned skills (learned shortcuts are many and flood a level, so they wait one round).
        # Within a round, lists that line up with the output (same lengths) come before longer ones; a list
        # shorter than the output in some example is no source of anything (not even of a filter). A map,
        # mapi or zip is tried over the first MAX_SOURCES of a round, a filter over all of them (a list the
        # output is a subsequence of is rare).
        floor = min(self.ops.values()) + 1  # the cheapest call and function around a source
        for r in range(1, min(level, SOURCE_MAX_COST + 1) + 1):
            if r in self.done_levels:
                continue
            self.done_levels.add(r)
            candidates = []
            for c, learned in ((r, False), (r - 1, True)):
                if not 1 <= c <= SOURCE_MAX_COST:
                    continue
                for cost, vec, e in self.en.values_at("list[int]", c):
                    if (_head(e) in WRAPPERS or vec == self.target
                            or (not set(ops(e)) <= self.primitive) != learned):
                        continue
                    fit = self._fit(vec)
                    if fit < 2:
                        candidates.append((learned, fit, cost, vec, e))
            candidates.sort(key=lambda s: (s[0], s[1]))
            if r == SOURCE_MAX_COST:
                candidates = [(False, self._fit(vec), cost, vec, e) for cost, vec, e in self.positions] + candidates
            for k, (_learned, _fit, cost, vec, e) in enumerate(candidates):
                if self.solver.tried >= self.max_tried:
                    return self.best
                shaped = k < MAX_SOURCES
                if self.best is not None and cost + floor >= self.best[0]:
                    # nothing built on this list can be cheaper than the answer in hand, but an interleave
                    # of two lists already built does not count the list's cost
                    if shaped:
                        self._interleave(cost, vec, e)
                    continue
                self._single(cost, vec, e, shaped)
                if not shaped:
                    continue
                self._interleave(cost, vec, e)
                for scost, svec, se in self.sources:
                    self._zip(cost + scost, vec, e, svec, se)
                    self._zip(cost + scost, svec, se, vec, e)
                self.sources.append((cost, vec, e))
        return self.best

    def _fit(self, vec: tuple[Any, ...]) -> int:
        """0: ``vec`` has the output's lengths (a map, or a zip's shorter list); 1: it is longer somewhere, or
        half as long everywhere (a filter, a zip's longer list, half an interleave); 2: it is of no use."""
        pairs = list(zip(vec, self.target, strict=True))
        if all(len(v) == len(t) for v, t in pairs):
            return 0
        if all(len(v) >= len(t) for v, t in pairs) or all(2 * len(v) == len(t) for v, t in pairs):
            return 1
        return 2

    def _bound(self, around: int) -> int:
        """The dearest function worth searching when the rest of the program costs ``around``: with an
        answer in hand, only a strictly cheaper program counts."""
        return MAX_FUNCTION_COST if self.best is None else self.best[0] - around - 1

    def _offer(self, cost: int, expr: Expr) -> None:
        if self.best is None or cost < self.best[0]:
            self.best = (cost, expr)

    def _single(self, cost: int, vec: tuple[Any, ...], e: Expr, shaped: bool = True) -> None:
        target = self.target
        if (shaped and all(len(v) == len(t) for v, t in zip(vec, target, strict=True)) and any(target)
                and sum(map(len, vec)) <= MAX_POINTS):
            mapped = self._map_onto(vec, target, cost)
            if mapped is not None:
                # same lengths: nothing is dropped, so no filter can be the answer as well
                self._offer(mapped[0] + cost, Call(mapped[1], (mapped[2], e)))
                return
        if "list-filter" in self.ops:
            labels = [_subsequence_labels(v, t) for v, t in zip(vec, target, strict=True)]
            if all(lab is not None for lab in labels) and any(not all(lab or []) for lab in labels):
                points = [(x,) for v in vec for x in v]
                if len(points) <= MAX_POINTS:
                    ex = [k for k, v in enumerate(vec) for _ in v]
                    outs = [b for lab in labels for b in (lab or [])]
                    if self._functional(points, ex, outs):
                        hit = self.solver.solve(points, ex, outs, "bool", ("a",),
                                                self._bound(self.ops["list-filter"] + cost))
                        if hit:
                            self._offer(self.ops["list-filter"] + hit[0] + cost, Call("list-filter", (hit[1], e)))

    def _interleave(self, cost: int, vec: tuple[Any, ...], e: Expr) -> None:
        """``(list-interleave A B)`` when every output is twice as long as ``vec``: A and B are the items at
        odd and even positions, each a known list or a map/mapi over ``vec``."""
        if "list-interleave" not in self.ops:
            return
        target = self.target
        if not any(target) or not all(len(t) == 2 * len(v) for v, t in zip(vec, target, strict=True)):
            return
        halves = []
        for part in (tuple(t[0::2] for t in target), tuple(t[1::2] for t in target)):
            known = self.en.seen.get("list[int]", {}).get(part)
            if known is not None:
                halves.append(known)
                continue
            # the other half costs at least a node
            solved = self._map_onto(vec, part, cost + self.ops["list-interleave"] + 1)
            if solved is None:
                return
            halves.append((solved[0] + cost, Call(solved[1], (solved[2], e))))
        (ca, a), (cb, b) = halves
        self._offer(self.ops["list-interleave"] + ca + cb, Call("list-interleave", (a, b)))

    def _map_onto(self, vec: tuple[Any, ...], part: tuple[Any, ...], around: int) -> tuple[int, str, Lambda] | None:
        """The cheapest ``list-map`` or ``list-mapi`` function taking ``vec`` to ``part`` (same lengths), where
        the rest of the program costs ``around`` besides the call."""
        points = [(x,) for v in vec for x in v]
        ex = [k for k, v in enumerate(vec) for _ in v]
        outs = [y for t in part for y in t]
        if "list-map" in self.ops and self._functional(points, ex, outs):
            hit = self.solver.solve(points, ex, outs, "int", ("a",), self._bound(self.ops["list-map"] + around))
            if hit:
                return self.ops["list-map"] + hit[0], "list-map", hit[1]
        if "list-mapi" in self.ops:
            ipoints = [(j, x) for v in vec for j, x in enumerate(v, 1)]
            hit = self.solver.solve(ipoints, ex, outs, "int", ("a", "b"), self._bound(self.ops["list-mapi"] + around))
            if hit:
                return self.ops["list-mapi"] + hit[0], "list-mapi", hit[1]
        return None

    def _zip(self, cost: int, v: tuple[Any, ...], e: Expr, w: tuple[Any, ...], f: Expr) -> None:
        if "list-zip-with" not in self.ops or cost > SOURCE_MAX_COST + 1:
            return
        target = self.target
        if not all(min(len(a), len(b)) == len(t) for a, b, t in zip(v, w, target, strict=True)) or not any(target):
            return
        points = [(x, y) for a, b in zip(v, w, strict=True) for x, y in zip(a, b, strict=False)]
        if len(points) > MAX_POINTS:
            return
        ex = [k for k, (a, b) in enumerate(zip(v, w, strict=True)) for _ in range(min(len(a), len(b)))]
        outs = [y for t in target for y in t]
        if not self._functional(points, ex, outs):
            return
        hit = self.solver.solve(points, ex, outs, "int", ("a", "b"), self._bound(self.ops["list-zip-with"] + cost))
        if hit:
            self._offer(self.ops["list-zip-with"] + hit[0] + cost, Call("list-zip-with", (hit[1], e, f)))

    @staticmethod
    def _functional(points: Sequence[tuple[int, ...]], ex: Sequence[int], outs: Sequence[Any]) -> bool:
        """Within one example, equal points must have equal outputs (outer values are fixed per example)."""
        seen: dict[tuple[int, tuple[int, ...]], Any] = {}
        for p, k, y in zip(points, ex, outs, strict=True):
            if seen.setdefault((k, p), y) != y:
                return False
        return True


def outer_values(task_inputs: Sequence[Sequence[Any]], input_types: Sequence[str], comps: Sequence[Component],
                 ) -> list[tuple[str, int, Expr, tuple[Any, ...]]]:
    """Values of the inputs a lambda may read: int inputs, list inputs, and cheap scalars of list inputs."""
    by_name = {c.name: c for c in comps}
    out: list[tuple[str, int, Expr, tuple[Any, ...]]] = []
    for i, t in enumerate(input_types):
        col = tuple(inputs[i] for inputs in task_inputs)
        if t == "int":
            out.append(("int", 1, Var(f"x{i}"), col))
        elif is_list(t) and not t.startswith("list[{"):  # a table's rows are no numbers
            out.append(("list[int]", 1, Var(f"x{i}"), tuple(tuple(v) for v in col)))
            for name in OUTER:
                c = by_name.get(name)
                if c is None:
                    continue
                try:
                    vals = tuple(c.fn(list(v)) for v in col)
                except Exception:
                    continue
                out.append(("int", 1 + c.cost, Call(name, (Var(f"x{i}"),)), vals))
    return out
