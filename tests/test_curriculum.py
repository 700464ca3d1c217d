"""The curriculum: within a round, the tasks most like those already solved go first; the order is reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evoskill.evolve import EvolveConfig, Run
from evoskill.learner import Learner
from evoskill.library import Library
from evoskill.sandbox import Sandbox
from evoskill.session import install_core
from evoskill.tasks import Task, task_from_dict
from evoskill.testing import ScriptedProposer


def _task(name: str, pairs: list[tuple[list[int], list[int]]]) -> Task:
    return task_from_dict({"name": name, "input_types": ["list[int]"], "output_type": "list[int]",
                           "examples": [{"inputs": [i], "output": o} for i, o in pairs]})


TASKS = [
    _task("reverse", [([1, 2, 3], [3, 2, 1]), ([4, 5], [5, 4]), ([7, 8, 9], [9, 8, 7])]),
    _task("tail", [([1, 2, 3], [2, 3]), ([4, 5], [5]), ([7, 8, 9, 6], [8, 9, 6])]),
    _task("double-tail", [([1, 2, 3], [4, 6]), ([4, 5], [10]), ([7, 8, 9, 6], [16, 18, 12])]),
    _task("reverse-again", [([5, 1, 2, 0], [0, 2, 1, 5]), ([3, 3, 1], [1, 3, 3]), ([2, 6], [6, 2])]),
]
ANSWERS = {"reverse": "(list-reverse x0)", "tail": "(list-drop x0 1)", "reverse-again": "(list-reverse x0)",
           "double-tail": "(list-map (lambda (a) (int-mul a 2)) (list-drop x0 1))"}


class ByName:
    """Answers each task with its own program, whatever order the tasks come in."""

    name = "by-name"

    def propose(self, task: Any, *, budget_seconds: float, seed: int = 0) -> Any:
        return ScriptedProposer([ANSWERS[task.name]]).propose(task, budget_seconds=budget_seconds, seed=seed)


@pytest.mark.parametrize("curriculum", [True, False])
def test_the_most_familiar_task_goes_next_and_the_order_is_reported(tmp_path: Path, curriculum: bool) -> None:
    library = Library(tmp_path / "lib")
    install_core(library)
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        config = EvolveConfig(rounds=1, budget_seconds=5, workers=1, compress=False, curate=False,
                              curriculum=curriculum)
        report = Run(TASKS, ByName(), learner, config=config, run_dir=tmp_path / "run").run()
        assert report["solved"] == 4
        # what the curriculum saw: the second reverse is much more like the first than the others are
        assert learner.familiarity(TASKS[3]) > 2 * learner.familiarity(TASKS[1])
    metrics = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[0])
    order = metrics["extra"]["order"]
    if curriculum:
        assert order[:2] == ["reverse", "reverse-again"] and metrics["extra"]["curriculum"] is True
    else:
        assert order == [t.name for t in TASKS] and metrics["extra"]["curriculum"] is False
    ev = metrics["extra"]["evidence"]
    assert ev["learned"] >= 3 and ev["from_practice"] == 0
