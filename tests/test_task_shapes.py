"""Tasks as agents have them (issue 14): any JSON shape, float tolerance, checker functions, tasks in words."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evoskill.errors import InvalidTaskFile
from evoskill.evolve import EvolveConfig, Run
from evoskill.lang import types
from evoskill.learner import Learner
from evoskill.library import Library
from evoskill.sandbox import Sandbox
from evoskill.session import install_core
from evoskill.standalone import run_alone
from evoskill.tasks import task_from_dict
from evoskill.testing import ScriptedProposer

EVOSKILL = [sys.executable, "-m", "evoskill.cli"]


@pytest.mark.parametrize("value, expected", [
    ([True, False], "list[bool]"), (["a", "b"], "list[str]"), (1.5, "float"), (None, "null"),
    ([[1, 2], [3]], "list[list[int]]"), ({"name": "x", "age": 3}, "{age: int, name: str}"),
    ({"a b": 1}, "dict[str, int]"), ([], "list[any]"), ([1, 2.5], "list[float]"), ([1, "a"], "list[int | str]"),
])
def test_type_of_any_json_shape(value: object, expected: str) -> None:
    assert types.type_of(value) == expected
    assert types.fits(value, expected)


@pytest.mark.parametrize("ts, joined", [
    (["int", "float"], "float"), (["str", "null"], "null | str"), (["list[any]", "list[int]"], "list[int]"),
    (["{a: int}", "{a: float}"], "{a: float}"), (["{a: int}", "{b: str}"], "dict[str, int | str]"),
    (["int", "str"], "int | str"),
])
def test_examples_that_disagree_are_joined(ts: list[str], joined: str) -> None:
    assert types.join(ts) == joined


def test_tasks_of_new_shapes_load() -> None:
    bools = task_from_dict({"name": "flags", "examples": [{"inputs": [[1, 2]], "output": [False, True]}]})
    assert bools.input_types == ("list[int]",) and bools.output_type == "list[bool]"
    rec = task_from_dict({"name": "rec", "examples": [{"inputs": [{"name": "Ada", "age": 36}], "output": "Ada"}]})
    assert rec.input_types == ("{age: int, name: str}",)
    opt = task_from_dict({"name": "opt", "examples": [{"inputs": ["a"], "output": None}, {"inputs": ["b"], "output": 2}]})
    assert opt.output_type == "int | null"
    flt = task_from_dict({"name": "f", "tolerance": 1e-3, "examples": [{"inputs": [1], "output": 0.5}]})
    assert flt.examples[0].tolerance == 1e-3 and flt.output_type == "float"
    assert bools.searchable == "" and "tolerance" in flt.searchable and rec.searchable == ""
    assert "int | null" in opt.searchable  # records are searched (issue 14); optional values are not
    words = task_from_dict({"name": "w", "description": "sort a list", "input_types": ["list[int]"],
                            "output_type": "list[int]", "check": "def check(inputs, output):\n    return True\n"})
    assert not words.examples and "needs examples" in words.searchable
    with pytest.raises(InvalidTaskFile, match="no 'output'"):
        task_from_dict({"name": "x", "examples": [{"inputs": [1]}]})
    with pytest.raises(InvalidTaskFile, match="unknown type"):
        task_from_dict({"name": "x", "input_types": ["lst[int]"], "examples": [{"inputs": [[1]], "output": 1}]})


SORT_CHECK = "def check(inputs, output):\n    return output == sorted(inputs[0])\n"
SORTED = {"name": "sort-any", "description": "sort the numbers", "check": SORT_CHECK,
          "examples": [{"inputs": [[3, 1, 2]]}, {"inputs": [[5, 4]]}, {"inputs": [[9, 7, 8]]}],
          "held_out": [{"inputs": [[2, 1]]}], "input_types": ["list[int]"], "output_type": "list[int]"}


@pytest.mark.parametrize("program, solved", [("(list-sort x0)", True), ("(list-reverse x0)", False)])
def test_checker_decides_verification_distillation_and_metrics(tmp_path: Path, program: str, solved: bool) -> None:
    task = task_from_dict(SORTED)
    library = Library(tmp_path / "lib")
    install_core(library)
    with Sandbox(workers=1, readable=[library.root]) as sb:
        learner = Learner(library, sb)
        config = EvolveConfig(rounds=1, budget_seconds=5, workers=1, compress=False, curate=False,
                              cross_validate=False)
        report = Run([task], ScriptedProposer([program]), learner, config=config, run_dir=tmp_path / "run").run()
    assert report["solved"] == int(solved) and report["generalized"] == int(solved)
    if solved:
        skill = library.get(report["per_task"][0]["skill"])
        assert (skill.path / "tests" / "check.py").read_text() == SORT_CHECK  # the checker travels with it
        assert all("output" not in e for e in json.loads((skill.path / "tests" / "examples.json").read_text()))
        alone = tmp_path / "alone" / skill.name
        shutil.copytree(skill.path, alone)
        assert run_alone(alone) == ""
        test = subprocess.run([*EVOSKILL, "test", skill.name, "--library", str(library.root)], capture_output=True,
                              text=True)
        assert test.returncode == 0, test.stdout
    else:
        assert "check rejects" in (tmp_path / "run" / "attempts.jsonl").read_text()
    library.close()


def test_float_tolerance_in_verification(tmp_path: Path) -> None:
    from evoskill.verify import Verifier

    task = task_from_dict({"name": "third", "tolerance": 1e-6, "examples": [{"inputs": [1], "output": 0.333333333}]})
    code_ok = "def f(x):\n    return x / 3\n"
    code_bad = "def f(x):\n    return round(x / 3, 2)\n"
    with Sandbox(workers=1) as sb:
        assert Verifier(sb).check(code_ok, "f", task.examples).passed
        assert not Verifier(sb).check(code_bad, "f", task.examples).passed
