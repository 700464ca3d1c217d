"""Dreaming: tasks the agent proposes to itself, at the edge of what its library does (``evoskill practice``).

:func:`dream` samples inputs of a signature, enumerates programs over the library's components on them
(bottom-up, one program per distinct behaviour, exactly as the search does), and picks programs of a cost
the search does not reach at once (``min_cost`` .. ``max_cost``) whose outputs vary with the input and
differ from it. Each becomes a task: its outputs on the first ``examples`` inputs are the solver examples,
its outputs on the others are fresh held-out inputs the answer must also get right to be kept. The
program itself is not part of the task: the task is solved by the ordinary search, like any other.

Deterministic for a seed. It runs as a sandbox job (:data:`DREAM_JOB`), like the search.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from ..lang.components import Component, core_components, from_spec
from ..lang.program import Const, Expr, Var, ops, to_sexpr, variables
from ..tasks import Example, Task
from .enumerate import Enumerator, Stop, is_list
from .search import _lambda_leaves, _relevant

#: The sandbox job that dreams (``module:function``, JSON in and out).
DREAM_JOB = "evoskill.synth.dream:dream_job"


def sample_value(t: str, rng: random.Random) -> Any:
    """A random value of type ``t`` shaped like the bundled list tasks (0..10 items of 0..99)."""
    if t == "int":
        return rng.randint(0, 20)
    if t == "bool":
        return rng.random() < 0.5
    if t == "list[int]":
        return [rng.randint(0, 99) if rng.random() < 0.7 else rng.randint(0, 9) for _ in range(rng.randint(0, 10))]
    if t == "str":
        words = ["alpha", "bo", "Cid", "delta", "Echo", "fox", "gulf", "hotel", "ix", "Juliet", "42", "7-up"]
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
    raise ValueError(f"cannot sample a value of type {t}")


def _freeze(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def _thaw(v: Any) -> Any:
    return [_thaw(x) for x in v] if isinstance(v, tuple) else v


def dream(components: Sequence[Component], input_types: Sequence[str], output_type: str, *, tasks: int,
          seed: int = 0, examples: int = 6, held_out: int = 5, min_cost: int = 4, max_cost: int = 6,
          max_programs: int = 400_000, budget_seconds: float = 60.0) -> list[dict[str, Any]]:
    """Up to ``tasks`` self-proposed tasks as task dicts (``name``, ``examples``, ``held_out``, ``program``)."""
    rng = random.Random(seed)
    n = examples + held_out
    inputs = [tuple(sample_value(t, rng) for t in input_types) for _ in range(n)]
    probe = Task("dream", "", tuple(Example(i, None) for i in inputs), input_types=tuple(input_types),
                 output_type=output_type)
    comps = _relevant(sorted(components, key=lambda c: (-c.weight, c.name)), probe)
    deadline = time.perf_counter() + budget_seconds
    leaves: list[tuple[str, int, tuple[Any, ...], Expr]] = [
        (t, 1, tuple(_freeze(i[k]) for i in inputs), Var(f"x{k}")) for k, t in enumerate(input_types)]
    for v in (0, 1, 2, 3, -1):
        leaves.append(("int", 1, (v,) * n, Const(v)))
    domain = list(dict.fromkeys([x for i in inputs for v in i if isinstance(v, list) for x in v][:36] + [0, 1, 2, 3]))
    for ft in sorted({t for c in comps for t in c.arg_types if t.startswith("(")}):
        for t, c, vec, e in _lambda_leaves(ft, comps, domain, deadline):
            leaves.append((t, c, vec * n, e))
    en = Enumerator(n, comps, leaves, deadline=deadline, max_programs=max_programs, max_values=300_000,
                    max_list=20)
    try:
        en.run(max_cost)
    except Stop:
        pass
    own = tuple(_freeze(i[0]) for i in inputs) if input_types else ()
    learned = {c.name for c in comps if c.kind != "primitive"}
    pool: list[tuple[bool, int, tuple[Any, ...], Expr]] = []
    for cost in range(min_cost, max_cost + 1):
        for _c, vec, expr in en.values_at(output_type, cost):
            shown = vec[:examples]
            if not variables(expr) or len(set(shown)) < 3 or vec == own:
                continue
            if is_list(output_type) and sum(1 for v in shown if v) < examples // 2:
                continue  # mostly empty outputs say little
            pool.append((bool(set(ops(expr)) & learned), cost, vec, expr))
    # half the tasks (when there are learned skills) build on them: practice composes what was learned
    with_learned = [p for p in pool if p[0]]
    picks = rng.sample(with_learned, min(len(with_learned), tasks // 2)) if with_learned else []
    rest = [p for p in pool if not p[0]]
    picks += rng.sample(rest, min(len(rest), tasks - len(picks)))
    out = []
    for k, (_uses, cost, vec, expr) in enumerate(picks):
        rows = [{"inputs": [_thaw(_freeze(x)) for x in inputs[j]], "output": _thaw(vec[j])} for j in range(n)]
        out.append({"name": f"dream-{seed}-{k}", "description": "a task the agent proposed to itself",
                    "input_types": list(input_types), "output_type": output_type, "examples": rows[:examples],
                    "held_out": rows[examples:], "program": to_sexpr(expr), "cost": cost})
    return out


def dream_job(payload: dict[str, Any]) -> dict[str, Any]:
    """JSON in, JSON out: :func:`dream` inside a sandboxed worker (``components`` in ``to_spec`` form)."""
    comps = from_spec(payload["components"]) if payload.get("components") else core_components()
    found = dream(comps, payload["input_types"], payload["output_type"], tasks=int(payload.get("tasks", 20)),
                  seed=int(payload.get("seed", 0)), min_cost=int(payload.get("min_cost", 4)),
                  max_cost=int(payload.get("max_cost", 6)), max_programs=int(payload.get("max_programs", 400_000)),
                  budget_seconds=float(payload.get("budget_seconds", 60.0)))
    return {"tasks": found}
