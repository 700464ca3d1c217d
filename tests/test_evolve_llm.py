"""The loop with a language model: a scripted model for the logic, the real local model for the real path."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from evoskill.evolve import EvolveConfig, Run
from evoskill.learner import Learner
from evoskill.library import Library
from evoskill.sandbox import Sandbox
from evoskill.session import install_core
from evoskill.synth.hybrid import HybridProposer
from evoskill.synth.llm import LLMProposer
from evoskill.synth.search import SearchProposer
from evoskill.tasks import Example, task_from_dict
from evoskill.testing import ScriptedModel

REVERSE = task_from_dict({
    "name": "reverse-words", "description": "reverse the order of the words",
    "examples": [{"inputs": ["a b c"], "output": "c b a"}, {"inputs": ["hello world"], "output": "world hello"}],
    "held_out": [{"inputs": ["one two"], "output": "two one"}]})

GOOD = "```python\ndef solve(x0: str) -> str:\n    return ' '.join(reversed(x0.split()))\n```"
WRONG = "```python\ndef solve(x0: str) -> str:\n    return x0[::-1]\n```"
HOSTILE = "```python\nimport os\ndef solve(x0):\n    return open('/etc/shadow').read() + os.environ.get('SECRET', '')\n```"


@pytest.fixture
def library(tmp_path: Path) -> Library:
    lib = Library(tmp_path / "lib")
    install_core(lib)
    return lib


def run_with(model: ScriptedModel, library: Library, tmp_path: Path, proposer: str, *, max_programs: int = 50,
             learning: bool = True) -> dict:
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox, model=model)
        llm = LLMProposer(model, sandbox, library, attempts=3, catalogue_size=0)
        search = SearchProposer(sandbox, learner.components, max_programs=max_programs)
        chosen = {"llm": llm, "hybrid": HybridProposer(search, llm)}[proposer]
        config = EvolveConfig(budget_seconds=30, workers=1, proposer=proposer, learning=learning, compress=False)
        return Run([REVERSE], chosen, learner, config=config, run_dir=tmp_path / "run").run()


def test_llm_repair_then_distill_with_model_written_name(library: Library, tmp_path: Path) -> None:
    described = '{"name": "reverse-word-order", "description": "Reverse the order of words in a text."}'
    model = ScriptedModel([WRONG, GOOD, described])
    report = run_with(model, library, tmp_path, "llm")
    model.assert_complete()
    row = report["per_task"][0]
    assert row["solved"] and row["generalized"] and row["skill"] == "reverse-word-order"
    # the failure went back to the model for the repair
    assert "should return" in model.prompts()[1] and "c b a" in model.prompts()[1]
    skill = library.get("reverse-word-order")
    assert skill.manifest.metadata["evoskill-origin"] == "task:reverse-words"
    assert "one two" not in (skill.path / "tests" / "examples.json").read_text()


def test_invalid_model_description_falls_back_to_deterministic_text(library: Library, tmp_path: Path) -> None:
    model = ScriptedModel([GOOD, "I think it should be called <Reverse>!"])
    report = run_with(model, library, tmp_path, "llm")
    model.assert_complete()
    assert report["per_task"][0]["skill"] == "reverse-words"


def test_hostile_or_wrong_code_is_recorded_and_nothing_stored(library: Library, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET", "hunter2")
    before = {r.name for r in library.list(include_archived=True)}
    model = ScriptedModel([HOSTILE, "no code here, sorry", WRONG])
    report = run_with(model, library, tmp_path, "llm")
    model.assert_complete()
    assert not report["per_task"][0]["solved"]
    assert {r.name for r in library.list(include_archived=True)} == before
    log = (tmp_path / "run" / "attempts.jsonl").read_text()
    assert "hunter2" not in log
    assert "PermissionError" in log or "FileNotFoundError" in log


def test_hybrid_searches_first_then_asks_the_model(library: Library, tmp_path: Path) -> None:
    model = ScriptedModel([GOOD, '{"name": "bad name", "description": "x"}'])
    report = run_with(model, library, tmp_path, "hybrid", max_programs=10)
    model.assert_complete()
    attempt = json.loads((tmp_path / "run" / "attempts.jsonl").read_text().splitlines()[0])
    stages = [e.get("stage") for e in attempt["log"] if isinstance(e, dict) and "stage" in e]
    assert stages[:2] == ["search", "llm"] and attempt["proposer"] == "hybrid"
    assert report["per_task"][0]["solved"]


@pytest.mark.model
def test_evolve_cli_with_the_real_local_model(tmp_path: Path) -> None:
    """SmolLM2 in-process drives `evoskill evolve --proposer llm`; its output flows through verification."""
    tasks = tmp_path / "t.json"
    tasks.write_text(json.dumps([{"name": "shout", "description": "upper-case the text",
                                  "examples": [{"inputs": ["abc"], "output": "ABC"}, {"inputs": ["Hi"], "output": "HI"}]}]))
    r = subprocess.run([sys.executable, "-m", "evoskill.cli", "evolve", str(tasks), "--proposer", "llm",
                        "--model", "local:smollm2", "--budget", "40", "--workers", "1", "--fresh-library",
                        "--run-dir", str(tmp_path / "run")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    attempt = json.loads((tmp_path / "run" / "attempts.jsonl").read_text().splitlines()[0])
    assert attempt["proposer"] == "llm" and attempt["tokens_in"] > 0 and attempt["tokens_out"] > 0
    verdicts = [e for e in attempt["log"] if isinstance(e, dict) and ("verdict" in e or "no_code" in e or "code" in e)]
    assert verdicts, attempt["log"]
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    if report["solved"]:  # whatever the tiny model wrote passed the examples in the sandbox
        lib = Library(tmp_path / "run" / "library", create=False)
        assert any(rec.kind == "solution" for rec in lib.list())


def test_model_written_skill_becomes_a_search_building_block(library: Library, tmp_path: Path) -> None:
    model = ScriptedModel([GOOD, '{"name": "reverse-word-order", "description": "Reverse the order of words."}'])
    run_with(model, library, tmp_path, "llm")
    model.assert_complete()
    shout = task_from_dict({"name": "shout-reversed", "description": "words reversed, in capitals",
                            "examples": [{"inputs": ["a b c"], "output": "C B A"},
                                         {"inputs": ["hello big world"], "output": "WORLD BIG HELLO"}]})
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        comp = next(c for c in learner.components() if c.name == "reverse-word-order")
        assert comp.script is not None
        with pytest.raises(RuntimeError, match="only inside the sandbox"):
            comp.fn("a b")  # model-written code never runs in the host process
        attempt = SearchProposer(sandbox, learner.components, max_programs=20000).propose(shout, budget_seconds=20)
        assert attempt.solved and attempt.solution is not None
        assert "reverse-word-order" in attempt.solution.uses
        unseen = replace(shout, held_out=(Example(("x y z",), "Z Y X"),))
        verdict = learner.check_held_out(attempt.solution, unseen)  # evaluated in the sandbox
        assert verdict.passed and verdict.total == 1
