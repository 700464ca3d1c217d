"""The loop with a language model: a scripted model for the logic, the real local model for the real path."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2
import pytest

from evoskill import cli, standalone
from evoskill.evolve import EvolveConfig, Run
from evoskill.learner import Learner
from evoskill.library import Library
from evoskill.models.base import Completion, Message, Metered
from evoskill.models.registry import REGISTRY
from evoskill.proposer import Attempt, Solution
from evoskill.sandbox import Sandbox
from evoskill.session import install_core
from evoskill.synth.hybrid import HybridProposer
from evoskill.synth.llm import LLMProposer
from evoskill.synth.search import SearchProposer
from evoskill.tasks import Example, Task, task_from_dict
from evoskill.testing import ScriptedModel

REVERSE = task_from_dict({
    "name": "reverse-words", "description": "reverse the order of the words",
    "examples": [{"inputs": ["a b c"], "output": "c b a"}, {"inputs": ["hello world"], "output": "world hello"}],
    "held_out": [{"inputs": ["one two"], "output": "two one"}]})

CARD = '```json\n{"name": "reverse-word-order", "description": "Reverse the order of words in a text. Use when a sentence must read back to front."}\n```'
GOOD = "```python\ndef reverse_word_order(text: str) -> str:\n    \"\"\"Words in reverse order.\"\"\"\n    return ' '.join(reversed(text.split()))\n```\n" + CARD
WRONG = "```python\ndef solve(x0: str) -> str:\n    return x0[::-1]\n```"
HOSTILE = "```python\nimport os\ndef solve(x0):\n    return open('/etc/shadow').read() + os.environ.get('SECRET', '')\n```"


@pytest.fixture
def library(tmp_path: Path) -> Library:
    lib = Library(tmp_path / "lib")
    install_core(lib)
    return lib


def run_with(model: Any, library: Library, tmp_path: Path, proposer: str, *, max_programs: int = 50,
             learning: bool = True, tasks: Sequence[Task] = (REVERSE,), meter: Any = None,
             **config: Any) -> dict[str, Any]:
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox, model=model)
        llm = LLMProposer(model, sandbox, library, attempts=3, catalogue_size=0)
        search = SearchProposer(sandbox, learner.components, max_programs=max_programs)
        chosen = {"llm": llm, "hybrid": HybridProposer(search, llm)}[proposer]
        cfg = EvolveConfig(budget_seconds=30, workers=1, proposer=proposer, learning=learning, compress=False,
                           **config)
        return Run(list(tasks), chosen, learner, config=cfg, run_dir=tmp_path / "run", meter=meter).run()


def attempts_of(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]


def test_llm_repair_then_distill_with_model_written_name(library: Library, tmp_path: Path) -> None:
    """The name, docstring and description come in the one structured reply: no second naming call."""
    model = ScriptedModel([WRONG, GOOD])
    report = run_with(model, library, tmp_path, "llm")
    model.assert_complete()
    row = report["per_task"][0]
    assert row["solved"] and row["generalized"] and row["skill"] == "reverse-word-order"
    # the failure went back to the model for the repair
    assert "should return" in model.prompts()[1] and "c b a" in model.prompts()[1]
    skill = library.get("reverse-word-order")
    assert skill.manifest.metadata["evoskill-origin"] == "task:reverse-words"
    assert skill.description.startswith("Reverse the order of words in a text. Use when")
    script = (skill.path / "scripts" / "reverse_word_order.py").read_text()
    assert "def reverse_word_order(text: str) -> str:" in script and '"""Words in reverse order."""' in script
    assert "one two" not in (skill.path / "tests" / "examples.json").read_text()


def test_invalid_model_card_falls_back_to_deterministic_text(library: Library, tmp_path: Path) -> None:
    bad = GOOD.replace("def reverse_word_order", "def solve").replace('"reverse-word-order"', '"<Reverse>"') \
        .replace("Reverse the order of words in a text.", "<b>Reverse</b>")
    model = ScriptedModel([bad])
    report = run_with(model, library, tmp_path, "llm")
    model.assert_complete()
    assert report["per_task"][0]["skill"] == "reverse-words"
    description = library.get("reverse-words").description
    assert description.startswith("Reverse the order of the words.")  # the deterministic text, not a mangled card
    assert "<" not in description and "/b" not in description


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


def test_hybrid_runs_search_and_model_together(library: Library, tmp_path: Path) -> None:
    model = ScriptedModel([GOOD])
    report = run_with(model, library, tmp_path, "hybrid", max_programs=10)
    model.assert_complete()
    attempt = attempts_of(tmp_path)[0]
    stages = [e.get("stage") for e in attempt["log"] if isinstance(e, dict) and "stage" in e]
    assert stages == ["search", "llm"] and attempt["proposer"] == "hybrid"
    assert report["per_task"][0]["solved"]


# ---------------------------------------------------------------- cross-validation of model answers


class OneAnswer:
    """A proposer at the seam that returns one fixed model-written answer (as a plugin might)."""

    name = "llm"

    def __init__(self, code: str, entry: str) -> None:
        self.code, self.entry = code, entry

    def propose(self, task: Task, *, budget_seconds: float, seed: int = 0) -> Attempt:
        sol = Solution(kind="python", source=self.code, python=self.code, entry=self.entry,
                       arg_types=task.input_types, return_type=task.output_type)
        return Attempt(task=task.name, proposer=self.name, solved=True, solution=sol)


SHOUT = task_from_dict({"name": "shout", "description": "the text in capitals",
                        "examples": [{"inputs": ["abc"], "output": "ABC"}, {"inputs": ["hi there"], "output": "HI THERE"},
                                     {"inputs": ["good day"], "output": "GOOD DAY"},
                                     {"inputs": ["no way out"], "output": "NO WAY OUT"}]})


@pytest.mark.parametrize(("code", "admitted", "why"), [
    ("def shout(t):\n    return t.upper()\n", True, "cross-validated: predicts 1 example(s) the model never saw"),
    ("def shout(t):\n    return {'abc': 'ABC', 'hi there': 'HI THERE', 'good day': 'GOOD DAY', "
     "'no way out': 'NO WAY OUT'}[t]\n", False, "the code looks up the example input"),
])
def test_a_model_answer_is_a_building_block_only_after_cross_validation(library: Library, tmp_path: Path,
                                                                         code: str, admitted: bool, why: str) -> None:
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        report = Run([SHOUT], OneAnswer(code, "shout"), learner, run_dir=tmp_path / "run",
                     config=EvolveConfig(budget_seconds=10, workers=1, proposer="llm", compress=False)).run()
    row, record = report["per_task"][0], attempts_of(tmp_path)[0]
    assert row["solved"] and row["trusted"] is admitted and why in record["admission"]
    assert bool(row["skill"]) is admitted
    if not admitted:
        assert report["rounds"][0]["extra"]["not_admitted"] == 1 and "shout" not in {r.name for r in library.list()}


# ---------------------------------------------------------------- the hybrid hands over near misses


UNDERSCORE = task_from_dict({
    "name": "shout-joined", "description": "the text in capitals",
    "examples": [{"inputs": ["abc"], "output": "ABC"}, {"inputs": ["hi"], "output": "HI"},
                 {"inputs": ["ok"], "output": "OK"}, {"inputs": ["yes"], "output": "YES"},
                 {"inputs": ["x y"], "output": "X_Y"}, {"inputs": ["p q r"], "output": "P_Q_R"}]})


def test_hybrid_passes_near_misses_and_never_leaks_hidden_tests(library: Library, tmp_path: Path) -> None:
    folds_started = threading.Event()

    class Watched(SearchProposer):
        calls = 0

        def propose(self, task: Task, *, budget_seconds: float, seed: int = 0) -> Attempt:
            Watched.calls += 1
            if Watched.calls == 3:  # the first fold search (and its hint) is done
                folds_started.set()
            return super().propose(task, budget_seconds=budget_seconds, seed=seed)

    class Patient(ScriptedModel):
        def complete(self, messages: Any, **kw: Any) -> Completion:
            if not self.calls:
                folds_started.wait(30)
            return super().complete(messages, **kw)

    right = "```python\ndef shout_joined(text):\n    return text.upper().replace(' ', '_')\n```"
    model = Patient(["```python\ndef shout_joined(text):\n    return text.upper()\n```", right])
    with Sandbox(workers=2, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        search = Watched(sandbox, learner.components, max_programs=300)
        hybrid = HybridProposer(search, LLMProposer(model, sandbox, library, catalogue_size=0))
        attempt = hybrid.propose(UNDERSCORE, budget_seconds=30)
    assert attempt.solved and attempt.solution is not None and attempt.solution.kind == "python"
    repair = model.prompts()[1]
    assert "`text_upper(text)` fits every example except f('x y') == 'X_Y'" in repair
    assert all("P_Q_R" not in p and "p q r" not in p for p in model.prompts())  # the hidden test stays hidden
    assert attempt.log[0]["stage"] == "search" and attempt.log[0]["near_misses"]


def test_hybrid_stops_the_model_once_the_search_solves(library: Library, tmp_path: Path) -> None:
    class Slow(ScriptedModel):
        def complete(self, messages: Any, **kw: Any) -> Completion:
            time.sleep(3)
            return super().complete(messages, **kw)

    with Sandbox(workers=2, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        # what the search solves within its head start costs no model call at all
        model = Slow([WRONG])
        hybrid = HybridProposer(SearchProposer(sandbox, learner.components),
                                LLMProposer(model, sandbox, library, catalogue_size=0), head_start=20)
        attempt = hybrid.propose(SHOUT, budget_seconds=30)
        assert attempt.solved and attempt.solution is not None and attempt.solution.kind == "program"
        assert model.used == 0 and attempt.log[0]["model"] == "not asked"
        # without a head start both run; the model stops before its next call once the search has solved it

        class Late(SearchProposer):
            def propose(self, task: Task, *, budget_seconds: float, seed: int = 0) -> Attempt:
                time.sleep(1)  # the model's first call is under way by then
                return super().propose(task, budget_seconds=budget_seconds, seed=seed)

        model = Slow([WRONG, GOOD])
        hybrid = HybridProposer(Late(sandbox, learner.components),
                                LLMProposer(model, sandbox, library, catalogue_size=0), head_start=0)
        attempt = hybrid.propose(SHOUT, budget_seconds=30)
        assert hybrid.refit is hybrid.search  # cross-validation re-solves with the search alone
    assert attempt.solved and attempt.solution is not None and attempt.solution.kind == "program"
    assert model.used == 1 and any(e.get("event") == "cancelled" for e in attempt.log)


# ---------------------------------------------------------------- budget: cost in the metrics, --max-cost


def test_tokens_and_cost_of_every_call_are_in_the_metrics(library: Library, tmp_path: Path) -> None:
    model = Metered(ScriptedModel([WRONG, GOOD], cost_per_call=0.004))
    report = run_with(model, library, tmp_path, "llm", meter=model)
    first = report["rounds"][0]
    assert first["model_calls"] == 2 and first["cost_usd"] == pytest.approx(0.008) and first["tokens_in"] > 0
    assert report["model"]["cost_usd"] == pytest.approx(0.008) and report["stopped"] is None
    metrics = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[0])
    assert metrics["cost_usd"] == pytest.approx(0.008) and metrics["model_calls"] == 2


def _shout_tasks(n: int) -> list[Task]:
    return [replace(SHOUT, name=f"shout-{i}") for i in range(n)]


def test_max_cost_stops_the_run_cleanly_and_resume_continues(library: Library, tmp_path: Path) -> None:
    answer = "```python\ndef shout(t):\n    return t.upper()\n```"
    model = Metered(ScriptedModel([answer] * 3, cost_per_call=0.01))
    report = run_with(model, library, tmp_path, "llm", tasks=_shout_tasks(3), meter=model, max_cost=0.015)
    assert report["stopped"] and "cost limit of $0.015" in report["stopped"]
    assert report["rounds"] == [] and report["solved"] == 2  # stopped inside round 1, after two tasks
    assert report["model"]["cost_usd"] == pytest.approx(0.02)
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["current_round"] == 1 and len(state["done_in_round"]) == 2
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        model2 = Metered(ScriptedModel([answer], cost_per_call=0.01))
        learner = Learner(library, sandbox, model=model2)
        cfg = EvolveConfig(budget_seconds=30, workers=1, proposer="llm", compress=False, max_cost=1.0)
        done = Run(_shout_tasks(3), LLMProposer(model2, sandbox, library, catalogue_size=0), learner, config=cfg,
                   run_dir=tmp_path / "run", resume=True, meter=model2).run()
    assert done["stopped"] is None and done["solved"] == 3
    assert done["rounds"][0]["model_calls"] == 3 and done["rounds"][0]["cost_usd"] == pytest.approx(0.03)


# ---------------------------------------------------------------- through the command line


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_rejected_key_stops_the_run_at_once_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from evoskill.models.openai_backend import OpenAIModel

    seen: list[Any] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(401, json={"error": {"message": "Incorrect API key provided: sk-bad.\nYou can find "
                                                               "your API key at https://platform.openai.com.",
                                                    "type": "invalid_request_error", "code": "invalid_api_key"}})

    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    REGISTRY.load_entry_points()
    monkeypatch.setitem(REGISTRY._factories, "openai",
                        lambda name, **o: OpenAIModel(name, api_key="sk-bad", http_client=client, **o))
    tasks = tmp_path / "t.json"
    tasks.write_text(json.dumps([t.to_dict() for t in _shout_tasks(3)]))
    code, out, err = _cli(["evolve", str(tasks), "--proposer", "llm", "--model", "openai:gpt-5-mini", "--budget", "20",
                           "--workers", "1", "--fresh-library", "--run-dir", str(tmp_path / "run")], capsys)
    assert code == 1 and len(seen) == 1  # one call, then the run stopped: no retries, no other task
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: openai rejected the API key (HTTP 401)")
    assert "evoskill keys set openai" in lines[0]
    sent = json.loads(seen[0].content)
    assert "temperature" not in sent and "max_completion_tokens" in sent  # gpt-5-mini is a reasoning model


class StrongModel:
    """A scripted strong model: for each task it writes correct, general code that calls two library skills,
    names the function, documents it and describes it in its card; it reuses a skill it wrote before when
    the catalogue offers it. It answers by task (the calls' order does not matter) and counts tokens."""

    id = "scripted:strong"
    ANSWERS = {
        "initial": ("initial", "The first letter of a text in capitals. Use when a name must become an initial.",
                    "def initial(text: str) -> str:\n    \"\"\"The first letter, upper-cased.\"\"\"\n"
                    "    return text_upper(text_left(text.strip(), 1))\n"),
        "initials": ("initials-dotted", "The initials of a name, each followed by a dot. Use when a full name must "
                     "be shortened to its initials.",
                     "def initials_dotted(text: str) -> str:\n    \"\"\"Initials with dots, e.g. 'J.R.'.\"\"\"\n"
                     "    return ''.join(text_concat(initial(word), '.') for word in text.split())\n"),
    }

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] | None = None) -> Completion:
        prompt = "\n".join(m.content for m in messages)
        self.prompts.append(prompt)
        task = re.search(r"^Task: (\S+)", prompt, re.M).group(1)  # type: ignore[union-attr]
        name, description, code = self.ANSWERS[task]
        if task == "initials":
            assert "def initial(text: str) -> str:" in prompt, "the learned skill is in the catalogue"
        text = f"```python\n{code}```\n```json\n" + json.dumps({"name": name, "description": description}) + "\n```"
        return Completion(text, len(prompt) // 4, len(text) // 4, 0.01, 0.0025, self.id, finish="stop")


INITIALS = [
    {"name": "initial", "description": "the first letter of a name, in capitals",
     "examples": [{"inputs": ["ada"], "output": "A"}, {"inputs": ["bob smith"], "output": "B"},
                  {"inputs": [" carl"], "output": "C"}, {"inputs": ["dora"], "output": "D"}],
     "held_out": [{"inputs": ["eve"], "output": "E"}]},
    {"name": "initials", "description": "the initials of a full name with dots",
     "examples": [{"inputs": ["ada lovelace"], "output": "A.L."}, {"inputs": ["alan mathison turing"], "output": "A.M.T."},
                  {"inputs": ["grace"], "output": "G."}, {"inputs": ["john ronald tolkien"], "output": "J.R.T."}],
     "held_out": [{"inputs": ["barbara liskov"], "output": "B.L."}]},
]


def test_strong_model_end_to_end_through_evolve(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`evolve --proposer llm`: correct general code calling two library skills solves the tasks, each answer
    is cross-validated, stored as a standalone skill with a real name, and the second task reuses the first's."""
    strong = StrongModel()
    REGISTRY.load_entry_points()
    monkeypatch.setitem(REGISTRY._factories, "scripted", lambda name, **o: strong)
    tasks = tmp_path / "t.json"
    tasks.write_text(json.dumps(INITIALS))
    run_dir = tmp_path / "run"
    code, out, err = _cli(["evolve", str(tasks), "--proposer", "llm", "--model", "scripted:strong", "--budget", "30",
                           "--workers", "1", "--fresh-library", "--no-compress", "--run-dir", str(run_dir)], capsys)
    assert code == 0, err
    report = json.loads((run_dir / "report.json").read_text())
    assert report["solved"] == 2 and report["generalized"] == 2
    assert [t["skill"] for t in report["per_task"]] == ["initial", "initials-dotted"]
    assert all(t["trusted"] for t in report["per_task"])
    records = attempts_of(tmp_path)
    assert records[0]["solution"]["uses"] == ["text-left", "text-upper"]
    assert records[1]["solution"]["uses"] == ["initial", "text-concat"]  # a skill the model wrote, reused
    assert all("cross-validated" in r["admission"] for r in records)
    rounds = report["rounds"][0]
    assert rounds["reuse"] == 0.5 and rounds["model_calls"] == 2 and rounds["cost_usd"] == pytest.approx(0.005)
    assert "Model: 2 calls" in out
    assert not any("'eve'" in p or "liskov" in p for p in strong.prompts)  # held-out examples never reach a prompt
    lib = Library(run_dir / "library", create=False)
    skill = lib.get("initials-dotted")
    assert skill.description.startswith("The initials of a name")
    assert standalone.call_tree(skill.path) == [(0, "initial"), (1, "text-left"), (1, "text-upper"),
                                                (0, "text-concat")]
    alone = tmp_path / "alone" / "initials-dotted"
    shutil.copytree(skill.path, alone)
    assert standalone.run_alone(alone) == ""  # the stored skill runs with a plain python, nothing else
    lib.close()


# ---------------------------------------------------------------- the real local model


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
    assert report["model"]["model_calls"] >= 1
    if report["solved"]:  # whatever the tiny model wrote passed the examples in the sandbox
        lib = Library(tmp_path / "run" / "library", create=False)
        assert any(rec.kind == "solution" for rec in lib.list())


def test_model_written_skill_becomes_a_search_building_block(library: Library, tmp_path: Path) -> None:
    model = ScriptedModel([GOOD])
    run_with(model, library, tmp_path, "llm")
    model.assert_complete()
    shout = task_from_dict({"name": "shout-reversed", "description": "words reversed, in capitals",
                            "examples": [{"inputs": ["a b c d"], "output": "D C B A"},
                                         {"inputs": ["hello big wide world"], "output": "WORLD WIDE BIG HELLO"}]})
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
