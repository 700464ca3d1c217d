"""Later rounds retry answers that failed cross-validation, and keep a better one only if it holds up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evoskill.evolve import EvolveConfig, Run
from evoskill.learner import Learner
from evoskill.library import Library
from evoskill.sandbox import Sandbox
from evoskill.session import install_core
from evoskill.tasks import task_from_dict
from evoskill.testing import ScriptedProposer

REVERSE = task_from_dict({
    "name": "reverse", "description": "the items in reverse order", "input_types": ["list[int]"],
    "output_type": "list[int]",
    "examples": [{"inputs": [[1, 2, 3]], "output": [3, 2, 1]}, {"inputs": [[4, 5]], "output": [5, 4]},
                 {"inputs": [[7, 8, 9]], "output": [9, 8, 7]}],
    "held_out": [{"inputs": [[4, 6]], "output": [6, 4]}]})

LOOKUP = "(list-if (int-eq (list-head x0) 4) (list-cons 5 (list-singleton 4)) (list-reverse x0))"
FOLD_LOOKUP = "(list-if (int-eq (list-head x0) 4) (list-cons 5 (list-singleton 4)) (list-singleton 3))"
GOOD = "(list-reverse x0)"


def _run(tmp_path: Path, programs: list[str], rounds: int) -> tuple[dict[str, Any], ScriptedProposer, Library]:
    library = Library(tmp_path / "lib")
    install_core(library)
    proposer = ScriptedProposer(programs)
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        config = EvolveConfig(rounds=rounds, budget_seconds=5, workers=1, compress=False, curate=False)
        report = Run([REVERSE], proposer, learner, config=config, run_dir=tmp_path / "run").run()
    return report, proposer, library


def test_an_answer_that_fails_cross_validation_is_retried_and_replaced(tmp_path: Path) -> None:
    report, proposer, library = _run(tmp_path, [LOOKUP, FOLD_LOOKUP, GOOD, GOOD], rounds=3)
    assert proposer.programs == [] and proposer.shown == [3, 2, 3, 2]  # round 3 leaves a trusted answer alone
    row = report["per_task"][0]
    assert row["program"] == GOOD and row["generalized"] and row["trusted"] and row["round"] == 2
    metrics = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [m["generalized"] for m in metrics] == [0, 1, 1]
    assert metrics[1]["extra"]["replaced"] == 1 and metrics[1]["newly_solved"] == 0
    assert row["skill"] and library.get(row["skill"]).manifest.metadata["evoskill-program"] == GOOD


def test_a_retry_that_is_no_better_keeps_the_first_answer(tmp_path: Path) -> None:
    report, proposer, _ = _run(tmp_path, [LOOKUP, FOLD_LOOKUP, LOOKUP, FOLD_LOOKUP], rounds=2)
    assert proposer.programs == []
    row = report["per_task"][0]
    assert row["program"] == LOOKUP and row["solved"] and not row["generalized"] and not row["trusted"]
    assert row["skill"] is None  # an answer that failed cross-validation never becomes a building block
    records = [json.loads(x) for x in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]
    assert records[-1]["kept"].startswith("previous answer kept")
