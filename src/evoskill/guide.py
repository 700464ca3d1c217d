"""The guide: a task-conditioned search order learned from the library's solved tasks (issue 17).

What it learns from: every learned ``solution`` skill that has a program and its solver examples
(``tests/examples.json``): the task it came from, described by simple features of those examples, and the
components its program calls. Nothing else: held-out examples never reach the guide.

What it proposes for a new task (:meth:`Guide.plan`): a nearest-neighbour vote. The solved tasks of the
same signature are ranked by the distance of their features to the new task's; the ``K`` nearest vote, each
with weight ``similarity x evidence`` (:func:`evoskill.lang.components.evidence_score`: a skill learned
from few examples that cross-validation could not check votes little), for every component its program
calls and for its own skill. A component's score is the share of the vote it received (0..1).

How the search uses it (:func:`apply`): components are tried in decreasing score within a cost level (a
budget cut-off inside a level then falls on the least likely ones); a learned skill voted for by the
neighbours (score >= ``VOTED``) costs 1 node with enough evidence (else 2, however weak its evidence: the
task at hand resembles the one it came from); a learned skill nobody voted for costs ``UNVOTED_SKILL`` (4,
the most a component costs) nodes, so that a search that does not need it is not slowed by it (one node
more, as before, lost tasks to a crowd of learned shortcuts at the levels a 10,000-program budget ends in:
docs/LEARNING.md); a
primitive with a strong vote loses the usage penalty of one node, and when the nearest solved task is
close (similarity >= ``CONFIDENT``) a primitive none of the neighbours used costs one node more (a
contextual prior in the spirit of DreamCoder's grammar, over components rather than parent-child pairs;
only given tasks set it, not practice tasks).
The constants (``K`` = 5, ``CONFIDENT``, one node) were chosen by four probes on lists-rule at 10,000
programs (docs/LEARNING.md). With an empty library (no solved task)
the plan is empty and the search order is exactly the order without a guide.

The features (:func:`features`) are cheap facts about the examples: lengths and their ratios, whether the
output is a piece, a subsequence, a permutation, the reverse or a sort of the input, what share of its
items or characters come from the input, character classes, case, digits, constant outputs, and so on;
each in [0, 1], so that a plain L1 distance compares them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .lang.components import UNPROVEN_COST, evidence_score, format_evidence, parse_evidence

__all__ = ["PRACTICE_PREFIX", "Guide", "Plan", "Solved", "apply", "evidence_score", "features", "format_evidence", "parse_evidence"]

#: neighbours that vote
K = 5
#: tasks named so were proposed by the agent itself (``evoskill practice``)
PRACTICE_PREFIX = "practice-"
#: a learned skill with at least this share of the vote costs 1 node (given enough evidence)
VOTED = 0.25
#: at least this evidence for a voted skill to become as cheap as a primitive
TRUSTED_EVIDENCE = 0.5
#: when the nearest solved task is at least this similar, a primitive none of the neighbours used costs
#: ``UNVOTED_PRIMITIVE`` nodes more (the contextual prior: what similar tasks never needed comes later)
CONFIDENT = 0.3
UNVOTED_PRIMITIVE = 1
#: what a learned skill nobody voted for costs, in nodes (the most any component costs)
UNVOTED_SKILL = 4


# ---- features --------------------------------------------------------------------------------------------

def _frac(flags: Iterable[bool]) -> float:
    xs = list(flags)
    return sum(xs) / len(xs) if xs else 0.0


def _squash(x: float) -> float:
    """Any non-negative quantity into [0, 1)."""
    return x / (1.0 + x) if x > 0 else 0.0


def _is_subseq(small: Sequence[Any], big: Sequence[Any]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def _lcs_share(a: str, b: str) -> float:
    """Length of the longest common substring of ``a`` and ``b`` over ``len(b)``."""
    if not a or not b:
        return 0.0
    best = 0
    prev = [0] * (len(b) + 1)
    for ca in a[:200]:
        cur = [0] * (len(b) + 1)
        for j, cb in enumerate(b[:200], 1):
            if ca == cb:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best / len(b)


def _list_features(ins: list[list[Any]], outs: list[Any], out_is_list: bool) -> list[float]:
    f = []
    if out_is_list:
        pairs = [(i, o) for i, o in zip(ins, outs, strict=True)]
        f += [_frac(len(o) == len(i) for i, o in pairs), _frac(len(o) < len(i) for i, o in pairs),
              _frac(len(o) > len(i) for i, o in pairs), _frac(not o for _, o in pairs),
              1.0 if len({len(o) for o in outs}) == 1 else 0.0,
              _frac(_is_subseq(o, i) for i, o in pairs), _frac(sorted(o) == sorted(i) for i, o in pairs),
              _frac(o == i[::-1] for i, o in pairs), _frac(o == sorted(i) for i, o in pairs),
              _frac(o == i[:len(o)] for i, o in pairs), _frac(bool(o) and o == i[len(i) - len(o):] for i, o in pairs),
              _frac(o == sorted(o) for o in outs), _frac(set(o) <= set(i) for i, o in pairs),
              _frac(len(set(o)) < len(o) for o in outs),
              _frac(all(a == b for a, b in zip(i, o, strict=False)) and bool(o) for i, o in pairs)]
        items = [(x, i) for i, o in pairs for x in o]
        f += [_frac(x in i for x, i in items), _frac(isinstance(x, int) and x < 0 for x, _ in items),
              _frac(isinstance(x, int) and bool(i) and x > max(i) for x, i in items),
              _squash(sum(len(o) for o in outs) / max(1, sum(len(i) for i in ins)))]
        same = [(a, b) for i, o in pairs if len(i) == len(o) for a, b in zip(i, o, strict=True)]
        diffs = {b - a for a, b in same if isinstance(a, int) and isinstance(b, int)}
        f += [_frac(a == b for a, b in same), 1.0 if same and len(diffs) == 1 else 0.0]
    else:
        f += [0.0] * 17
    return f


def _int_features(ins: list[list[Any]], outs: list[Any]) -> list[float]:
    pairs = list(zip(ins, outs, strict=True))
    return [_frac(o == len(i) for i, o in pairs), _frac(o in i for i, o in pairs),
            _frac(bool(i) and o == sum(x for x in i if isinstance(x, int)) for i, o in pairs),
            _frac(o == 0 for o in outs), _frac(o < 0 for o in outs), 1.0 if len(set(outs)) == 1 else 0.0]


def _text_features(ins: list[str], outs: list[str]) -> list[float]:
    pairs = list(zip(ins, outs, strict=True))

    def cls(s: str) -> list[float]:
        n = max(1, len(s))
        return [sum(c.isdigit() for c in s) / n, sum(c.isupper() for c in s) / n, sum(c.islower() for c in s) / n,
                sum(c.isspace() for c in s) / n, sum(not c.isalnum() and not c.isspace() for c in s) / n]

    cin = [sum(x) / len(ins) for x in zip(*map(cls, ins), strict=True)] if ins else [0.0] * 5
    cout = [sum(x) / len(outs) for x in zip(*map(cls, outs), strict=True)] if outs else [0.0] * 5
    return [*cin, *cout,
            _frac(o in i for i, o in pairs), _frac(bool(o) and i in o for i, o in pairs),
            _frac(o == i.upper() for i, o in pairs), _frac(o == i.lower() for i, o in pairs),
            _frac(bool(o) and bool(i) and o[0] == i[0] for i, o in pairs),
            _frac(bool(o) and bool(i) and o[-1] == i[-1] for i, o in pairs),
            sum(_lcs_share(i, o) for i, o in pairs) / max(1, len(pairs)),
            _frac(all(c in i for c in o) for i, o in pairs),
            _squash(sum(len(o) for o in outs) / max(1, sum(len(i) for i in ins))),
            1.0 if len(set(outs)) == 1 else 0.0,
            _frac(len(o.split()) < len(i.split()) for i, o in pairs)]


def features(inputs: Sequence[Sequence[Any]], outputs: Sequence[Any]) -> tuple[float, ...]:
    """Feature vector of a task from its solver examples (inputs per example, outputs)."""
    ins0 = [list(x)[0] if x else None for x in inputs]
    outs = list(outputs)
    f: list[float] = [_squash(len(outs) / 6)]
    lists_in = [v for v in ins0 if isinstance(v, list)]
    if len(lists_in) == len(ins0) and lists_in:
        out_is_list = all(isinstance(o, list) for o in outs)
        f += _list_features(lists_in, outs, out_is_list)
        f += _int_features(lists_in, outs) if all(isinstance(o, int) and not isinstance(o, bool) for o in outs) \
            else [0.0] * 6
        f += [_squash(sum(map(len, lists_in)) / len(lists_in) / 8)]
    texts = [v for v in ins0 if isinstance(v, str)]
    if len(texts) == len(ins0) and texts and all(isinstance(o, str) for o in outs):
        f += _text_features(texts, outs)
        if any(len(x) > 1 for x in inputs):  # a second text input: what the output takes from it
            second = [str(x[1]) if len(x) > 1 else "" for x in inputs]
            f += [_frac(bool(s) and s in o for s, o in zip(second, outs, strict=True)),
                  sum(_lcs_share(s, o) for s, o in zip(second, outs, strict=True)) / max(1, len(outs))]
    if all(isinstance(o, bool) for o in outs):
        f += [_frac(outs)]
    return tuple(round(x, 4) for x in f)


# ---- the guide -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Solved:
    """One solved task the guide learns from."""

    skill: str
    signature: tuple[tuple[str, ...], str]
    features: tuple[float, ...]
    uses: frozenset[str]
    evidence: float = 1.0
    task: str = ""

    @property
    def practice(self) -> bool:
        """A task the agent proposed to itself (``evoskill practice``)."""
        return self.task.startswith(PRACTICE_PREFIX)


@dataclass
class Plan:
    """The guide's proposal for one task: a score per component (0..1) and how sure it is (0..1)."""

    scores: dict[str, float] = field(default_factory=dict)
    confidence: float = 0.0
    neighbours: list[tuple[str, float]] = field(default_factory=list)
    #: what the given (not practice) neighbours used, when the nearest of them is close (>= ``CONFIDENT``):
    #: a primitive outside it costs a node more. None: no such prior.
    prior: frozenset[str] | None = None
    #: each voting neighbour's weight and the components its program calls (what :meth:`share` counts)
    ballots: list[tuple[float, frozenset[str]]] = field(default_factory=list)

    def share(self, names: Iterable[str]) -> float:
        """The share of the vote (0..1) from neighbours whose programs call any of ``names``: how likely the
        guide thinks a program of that shape is (e.g. a map or filter whose function is searched apart)."""
        wanted = set(names)
        total = sum(w for w, _ in self.ballots)
        return sum(w for w, uses in self.ballots if uses & wanted) / total if total > 0 else 0.0


def similarity(a: Sequence[float], b: Sequence[float]) -> float:
    if len(a) != len(b):
        return 0.0
    d = sum(abs(x - y) for x, y in zip(a, b, strict=True))
    return math.exp(-d)


class Guide:
    """A nearest-neighbour vote over solved tasks (see the module docstring). Deterministic."""

    def __init__(self, solved: Iterable[Solved] = ()) -> None:
        self.solved = sorted(solved, key=lambda s: s.skill)

    def __len__(self) -> int:
        return len(self.solved)

    def plan(self, input_types: Sequence[str], output_type: str, inputs: Sequence[Sequence[Any]],
             outputs: Sequence[Any], *, exclude: Iterable[str] = ()) -> Plan:
        """The vote for a task given by its types and solver examples; ``exclude``: task names whose
        skills may not vote (a task never learns from itself)."""
        sig = (tuple(input_types), output_type)
        banned = set(exclude)
        pool = [s for s in self.solved if s.signature == sig and s.task not in banned]
        if not pool:
            return Plan()
        f = features(inputs, outputs)
        ranked = sorted(((similarity(f, s.features), s) for s in pool), key=lambda x: (-x[0], x[1].skill))[:K]
        ballots = [(sim * min(1.0, s.evidence), s.uses) for sim, s in ranked]
        votes: dict[str, float] = {}
        for (w, uses), (_, s) in zip(ballots, ranked, strict=True):
            for name in uses | {s.skill}:
                votes[name] = votes.get(name, 0.0) + w
        total = sum(w for w, _ in ballots)
        if total <= 0:
            return Plan(confidence=0.0)
        scores = {k: round(v / total, 4) for k, v in votes.items()}
        # the primitives' prior comes from given tasks only: which primitives a sampled practice program
        # happens to call says more about the sampler than about tasks (measured: docs/LEARNING.md)
        given = [(sim, s) for sim, s in ranked if not s.practice]
        prior = (frozenset().union(*(s.uses for _, s in given))
                 if given and given[0][0] >= CONFIDENT else None)
        return Plan(scores, round(ranked[0][0], 4), [(s.skill, round(sim, 4)) for sim, s in ranked], prior,
                    ballots)

    def plan_task(self, task: Any) -> Plan:
        solver = task.for_solver()
        return self.plan(solver.input_types, solver.output_type, [list(e.inputs) for e in solver.examples],
                         [e.output for e in solver.examples], exclude={solver.name})


def apply(components: Sequence[Any], plan: Plan) -> list[Any]:
    """Components with the plan's order (``rank``) and cost changes (``bias``); unchanged for an empty plan."""
    if not plan.scores:
        return list(components)
    out = []
    for c in components:
        s = plan.scores.get(c.name, 0.0)
        bias = 0
        base = c.cost
        if c.kind != "primitive":
            if s >= VOTED:  # the neighbours' answers call it: a primitive's cost, or an unproven one's if weak
                bias = (1 if c.evidence >= TRUSTED_EVIDENCE else UNPROVEN_COST) - base
            elif s == 0.0:
                bias = UNVOTED_SKILL - base
        elif s >= 0.5 and base > 1:
            bias = -1
        elif plan.prior is not None and c.name not in plan.prior:
            bias = UNVOTED_PRIMITIVE
        out.append(replace(c, rank=s, bias=bias) if (s or bias) else c)
    return out
