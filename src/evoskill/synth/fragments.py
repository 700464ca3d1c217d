"""Learned fragments: the functions inside the library's programs, offered to the search as cheap leaves.

A learned skill is a whole program (a list to a list, say); what another task often needs from it is the
function inside it: ``(lambda (a) (int-div a 10))`` from "every item divided by ten", ``(lambda (a)
(list-count-of x0 a))`` from "how often each item occurs". DreamCoder's library holds such fragments as
productions of its grammar, so a body the library has found once costs one production after that. Here:

* :func:`lambda_fragments`: every lambda (of one or two parameters, in an argument slot of a known function
  type) of a learned program, its parameters renamed ``a``, ``b`` in order, keyed by that function type
  (``(int -> bool)`` for a ``list-filter``); a lambda that reads an enclosing lambda's parameter is none. The
  search adds each as a lambda leaf beside the enumerated ones (which would build it at cost 3-5; the
  enumerated copy goes when the learned one is cheaper, the learned one when it is not): one node
  when the guide voted for its skill on the task at hand (a near neighbour's answer) or when two learned
  programs hold it, two otherwise.
* :func:`body_fragments`: those bodies and their parts that read a parameter (``(list-count-of x0 a)`` of
  ``(int-eq 1 (list-count-of x0 a))``), a node dearer, as number or truth-value leaves of the function
  searches that solve a map's, filter's or zip's function from element pairs (:mod:`evoskill.synth.pointwise`).

Measured on the frozen library of a lists-rule run at 10,000 programs (docs/LEARNING.md, sixth pass): every
fragment at one node solved as many tasks as none (77; nine won, nine lost: the extra leaves slow the
searches they do not help); two nodes 81; one for voted skills and two for the others, bodies a node
dearer, 83 (a reused lambda at one node too: 83, and one more on another library). In the loop, lists-rule
at 10k went from 90 to 92 solved (round 1 alone 74 to 80).

A fragment may read the skill's inputs (``x0``); it reads the task's input of the same position and type,
and is skipped where the task has none. The fragments of a skill come only from the components the search
was given: a task never meets a fragment of a skill learned from itself (``Component.tasks`` keeps it out
upstream), and with no learned skill there are none: fragments change nothing for ``--no-learning``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

from ..lang.components import LEARNED_KINDS, Component
from ..lang.program import Call, Expr, Lambda, Var, size, substitute, variables

#: the cost of a learned lambda as a leaf when the guide voted for its skill on the task at hand (a
#: neighbour's answer calls it), and otherwise: a body the search would build at cost 3-5
VOTED_COST = 1
UNVOTED_COST = 2
#: a lambda this many learned programs hold costs VOTED_COST whatever the vote (DreamCoder's grammar makes a
#: fragment cheaper with every program that uses it)
REUSED = 2
#: a body or a part of one, as a leaf of a function search, costs this much more than its lambda
PART_EXTRA = 1
#: bodies bigger than this are not split into parts (their parts are many and rarely reused)
MAX_BODY_NODES = 9
PARAMS = ("a", "b")


def _walk(e: Expr, arg_type: Mapping[str, tuple[str, ...]], ftype: str | None = None) -> Iterator[tuple[str, Lambda]]:
    """Every lambda in ``e`` with the function type of the argument slot it fills."""
    if isinstance(e, Lambda):
        if ftype is not None and len(e.params) <= len(PARAMS):
            yield ftype, e
        yield from _walk(e.body, arg_type)
    elif isinstance(e, Call):
        types = arg_type.get(e.op, ())
        for i, a in enumerate(e.args):
            yield from _walk(a, arg_type, types[i] if i < len(types) else None)


INPUT = re.compile(r"x\d+")


def _free(e: Expr, bound: frozenset[str] = frozenset()) -> set[str]:
    """The variables ``e`` reads that no lambda inside it binds."""
    if isinstance(e, Var):
        return set() if e.name in bound else {e.name}
    if isinstance(e, Call):
        return set().union(*(_free(a, bound) for a in e.args))
    if isinstance(e, Lambda):
        return _free(e.body, bound | set(e.params))
    return set()


def _binds(e: Expr) -> set[str]:
    """The parameter names of every lambda inside ``e``."""
    if isinstance(e, Lambda):
        return set(e.params) | _binds(e.body)
    if isinstance(e, Call):
        return set().union(*(_binds(a) for a in e.args))
    return set()


def _normal(lam: Lambda) -> Lambda | None:
    """The lambda with its parameters named ``a``, ``b``; None if it reads a variable that is neither its own
    parameter nor an input (a parameter of an enclosing lambda), or if renaming could capture one."""
    if not all(v in lam.params or INPUT.fullmatch(v) for v in _free(lam)):
        return None
    names = PARAMS[:len(lam.params)]
    if lam.params == names:
        return lam
    if _binds(lam.body) & set(names):
        return None  # a nested lambda binds a new name: renaming could capture it
    return Lambda(names, substitute(lam.body, {p: Var(n) for p, n in zip(lam.params, names, strict=True)}))


def _fits(e: Expr, comp: Component, input_types: Sequence[str]) -> bool:
    """Every input ``e`` reads exists in the task with the skill's type for it."""
    for name in _free(e):
        if not INPUT.fullmatch(name):
            continue
        i = int(name[1:])
        if i >= len(input_types) or i >= len(comp.arg_types) or comp.arg_types[i] != input_types[i]:
            return False
    return True


def _cost(c: Component) -> int:
    """A fragment's cost by its skill: one node if the guide voted for it on this task, else two."""
    return VOTED_COST if c.rank > 0 else UNVOTED_COST


def lambda_fragments(comps: Sequence[Component], input_types: Sequence[str]) -> dict[str, dict[Lambda, int]]:
    """The library's lambdas by function type, each once at its cheapest cost."""
    arg_type = {c.name: c.arg_types for c in comps}
    held = [(c, [(ftype, lam) for ftype, raw in _walk(c.program, arg_type) if (lam := _normal(raw)) is not None])
            for c in sorted(comps, key=lambda c: -c.rank) if c.kind in LEARNED_KINDS and c.program is not None]
    used = Counter(lam for _, lams in held for lam in {lam for _, lam in lams})  # learned programs holding it
    out: dict[str, dict[Lambda, int]] = {}
    for c, lams in held:
        for ftype, lam in lams:
            if not _fits(lam, c, input_types):
                continue
            cost = VOTED_COST if used[lam] >= REUSED else _cost(c)
            have = out.setdefault(ftype, {})
            if lam not in have or have[lam] > cost:
                have[lam] = cost
    return out


def _parts(e: Expr, params: set[str]) -> Iterator[Expr]:
    """``e`` and its sub-expressions that read one of ``params`` (bare parameters excluded)."""
    if isinstance(e, Call):
        if variables(e) & params:
            yield e
        for a in e.args:
            yield from _parts(a, params)


def body_fragments(fragments: Mapping[str, Mapping[Lambda, int]]) -> dict[Expr, int]:
    """The bodies of ``fragments`` and their parts that read a parameter, each once at its cheapest cost."""
    out: dict[Expr, int] = {}
    for lams in fragments.values():
        for lam, cost in lams.items():
            if isinstance(lam.body, Lambda):
                continue
            parts = _parts(lam.body, set(lam.params)) if size(lam.body) <= MAX_BODY_NODES else iter([lam.body])
            for p in parts:
                if p not in out or out[p] > cost + PART_EXTRA:
                    out[p] = cost + PART_EXTRA
    return out
