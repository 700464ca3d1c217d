"""Admission: a verified answer must survive cross-validation on its own solver examples before the loop lets
it become a building block.

The loop (:mod:`evoskill.evolve`, and `evoskill solve --save`) calls :func:`admit` with the proposer that
found the answer: re-solving the task without an example is the loop's business, not the library's. The
:class:`~evoskill.learner.Learner` only runs what it is given in the sandbox. Held-out examples play no part.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .proposer import Proposer, Solution
from .tasks import Task

if TYPE_CHECKING:
    from .learner import Learner

__all__ = ["admit", "pasted_outputs"]


def admit(task: Task, sol: Solution, proposer: Proposer, learner: Learner, budget_seconds: float,
          seed: int = 0) -> tuple[bool, str]:
    """Cross-validate a solution on its own solver examples before it may become a building block.

    With three or more examples, the proposer solves the task again without its last example; the
    solution is admitted when that program predicts the left-out example (an overfit lookup table
    rarely does). Held-out examples play no part. With fewer examples there is nothing to hold back.
    A model's answer (``kind == "python"``) passes the same kind of test without a second model call:
    it must predict the solver examples held back from the model's prompt and embed no example
    (:func:`evoskill.authoring.admit_python`).
    """
    if sol.kind == "python":
        from .authoring import admit_python

        return admit_python(learner.verify, task, sol)
    if len(task.examples) < 3:
        pasted = pasted_outputs(sol, task)
        if pasted:
            return False, (f"not admitted: with {len(task.examples)} examples it cannot be cross-validated, and "
                           f"it pastes text of the expected outputs ({pasted}): give 3 or more examples")
        return True, "admitted (too few examples to cross-validate; no output pasted as a constant)"
    fold = replace(task, examples=task.examples[:-1], held_out=())
    left_out = task.examples[-1:]
    refit = getattr(proposer, "refit", proposer)  # the hybrid re-solves with its search alone: no model cost
    attempt = refit.propose(fold, budget_seconds=budget_seconds, seed=seed)
    if not attempt.solved or attempt.solution is None:
        return False, "not admitted: the task minus one example was not re-solved"
    fold_sol = attempt.solution
    if fold_sol.kind == "program" and fold_sol.source == sol.source:
        return True, "admitted (cross-validated: same program without the last example)"
    verdict = learner.check_held_out(fold_sol, replace(task, held_out=left_out))
    if verdict.passed:
        return True, "admitted (cross-validated: predicts the left-out example)"
    return False, "not admitted: a program fit without the last example mispredicts it (likely overfit)"


def pasted_outputs(sol: Solution, task: Task) -> str:
    """A constant of the program that is a piece of some expected output found in no input ("" if none).

    With too few examples to cross-validate, such a program is most likely a lookup table of the examples.
    """
    from .lang.program import Const, Expr, parse

    if sol.kind != "program":
        return ""
    try:
        expr: Expr = parse(sol.source)
    except Exception:
        return ""
    consts: list[object] = []

    def walk(e: object) -> None:
        if isinstance(e, Const):
            consts.append(e.value)
        for child in getattr(e, "args", ()) or ():
            walk(child)
        body = getattr(e, "body", None)
        if body is not None:
            walk(body)

    walk(expr)
    inputs = " ".join(str(v) for ex in task.examples for v in ex.inputs)
    for c in consts:
        if isinstance(c, str) and len(c) >= 2 and c not in inputs:
            if any(isinstance(ex.output, str) and c in ex.output for ex in task.examples):
                return repr(c)
        if isinstance(c, tuple) and len(c) >= 2 and any(list(c) == ex.output for ex in task.examples):
            return repr(list(c))
    return ""
