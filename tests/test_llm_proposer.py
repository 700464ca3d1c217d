"""The LLM proposer's loop, driven by ScriptedModel against the real sandbox and verifier."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from evoskill.authoring import describe_skill, extract_code, repair_skill
from evoskill.errors import ModelError
from evoskill.proposer import Solution
from evoskill.sandbox import Sandbox
from evoskill.synth.llm import LLMProposer
from evoskill.tasks import Example, Task
from evoskill.testing import ScriptedModel, network_guard

TASK = Task("first-word", "the first word of a sentence",
            (Example(("hello big world",), "hello"), Example(("a b",), "a")),
            held_out=(Example(("zebrafish quokka",), "zebrafish"),), input_types=("str",), output_type="str")
GOOD = "```python\ndef solve(x1: str) -> str:\n    return x1.split()[0]\n```"
WRONG = "```python\ndef solve(x1: str) -> str:\n    return x1\n```"


@pytest.fixture(autouse=True)
def _offline() -> Iterator[None]:
    with network_guard():
        yield


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=1) as sb:
        yield sb


def run(sandbox: Sandbox, replies: list[Any], task: Task = TASK, budget: float = 30.0,
        **kw: Any) -> tuple[Any, ScriptedModel]:
    model = ScriptedModel(replies)
    attempt = LLMProposer(model, sandbox, **kw).propose(task.for_solver(), budget_seconds=budget)
    model.assert_complete()
    return attempt, model


def test_solved_on_first_reply(sandbox: Sandbox) -> None:
    attempt, model = run(sandbox, [GOOD])
    assert attempt.solved and attempt.proposer == "llm" and attempt.programs_tried == 1
    sol = attempt.solution
    assert sol is not None and sol.kind == "python" and sol.entry == "solve" and sol.source == sol.python
    assert sol.arg_types == ("str",) and sol.return_type == "str" and sol.uses == ()
    assert attempt.tokens_in > 0 and attempt.tokens_out > 0 and attempt.seconds > 0
    entry = attempt.log[0]
    assert entry["passed"] and entry["verdict"] == "all 2 examples pass" and entry["reply"] == GOOD
    prompt = model.prompts()[0]
    assert "def solve(x1: str) -> str:" in prompt and "solve('hello big world') == 'hello'" in prompt


def test_repaired_after_failure_message(sandbox: Sandbox) -> None:
    attempt, model = run(sandbox, [WRONG, GOOD])
    assert attempt.solved and attempt.programs_tried == 2 and not attempt.log[0]["passed"]
    second = model.prompts()[1]
    assert 'should return "hello" but returned "hello big world"' in second
    assert attempt.log[0]["verdict"] in second
    assert model.options[1]["temperature"] > 0  # repairs vary a little


def test_no_code_is_recorded_and_asked_again(sandbox: Sandbox) -> None:
    attempt, model = run(sandbox, ["I would split the string on spaces.", GOOD])
    assert attempt.solved and attempt.log[0]["code"] is None and attempt.log[0]["no_code"] == "no code in the reply"
    assert "no usable Python code" in model.prompts()[1]


def test_picks_the_block_that_defines_the_function(sandbox: Sandbox) -> None:
    reply = ("Helper first:\n```python\nimport re\n```\nNow the function:\n```python\n"
             "def solve(x1):\n    return re.split(' ', x1)[0] if False else x1.split()[0]\n```\n"
             "Usage:\n```\nprint(solve('a b'))\n```\nHope this helps!")
    attempt, _ = run(sandbox, [reply])
    assert attempt.solved and attempt.solution is not None
    assert attempt.solution.python.startswith("def solve(x1):")


def test_only_function_with_other_name_is_aliased(sandbox: Sandbox) -> None:
    attempt, _ = run(sandbox, ["```python\ndef first_word(s):\n    return s.split()[0]\n```"])
    assert attempt.solved and "solve = first_word" in attempt.log[0]["code"]


def test_syntax_error_recorded_not_run(sandbox: Sandbox) -> None:
    attempt, model = run(sandbox, ["```python\ndef solve(x1):\n    return x1.split(\n```", GOOD])
    assert attempt.solved and attempt.programs_tried == 1
    assert attempt.log[0]["no_code"].startswith("SyntaxError")
    assert "SyntaxError" in model.prompts()[1]


def test_infinite_loop_hits_a_limit_without_crashing(sandbox: Sandbox) -> None:
    loop = "```python\ndef solve(x1):\n    while True:\n        pass\n```"
    attempt, _ = run(sandbox, [loop], budget=3.0, attempts=1)
    assert not attempt.solved and attempt.solution is None
    assert attempt.log[0]["limit"] in ("cpu", "wall") and "limit" in attempt.log[0]["verdict"]


def test_huge_reply_and_huge_output(sandbox: Sandbox) -> None:
    huge_reply = GOOD.replace("return", "x = 1\n    return") + "\n" + "blah " * 200_000
    big = "```python\ndef solve(x1):\n    print('y' * 50_000_000)\n    return 'z' * 30_000_000\n```"
    attempt, model = run(sandbox, [big, huge_reply], budget=30.0)
    assert attempt.solved  # the huge reply still had good code
    assert not attempt.log[0]["passed"] and len(attempt.log[0]["verdict"]) <= 1500
    assert len(attempt.log[1]["reply"]) <= 4000 and attempt.log[1]["reply_chars"] > 1_000_000
    assert len(model.prompts()[1]) < 10_000  # neither the output nor the reply floods the next prompt


def test_hostile_code_is_recorded_not_stored(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-do-not-leak")
    replies = [
        "```python\nimport socket\ndef solve(x1):\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
        "    return x1.split()[0]\n```",
        "```python\ndef solve(x1):\n    return open('/etc/shadow').read()\n```",
        "```python\nimport os\ndef solve(x1):\n    return os.environ.get('OPENAI_API_KEY', 'no key')\n```",
    ]
    attempt, model = run(sandbox, replies, attempts=3)
    assert not attempt.solved and attempt.solution is None and attempt.programs_tried == 3
    assert all(e["verdict"] and not e["passed"] for e in attempt.log)
    text = json.dumps(attempt.log) + "\n".join(model.prompts())
    assert "sk-secret-do-not-leak" not in text


def test_held_out_examples_never_reach_a_prompt(sandbox: Sandbox) -> None:
    for task in (TASK.for_solver(), TASK):  # even if a caller forgets for_solver()
        model = ScriptedModel([WRONG, WRONG])
        LLMProposer(model, sandbox, attempts=2).propose(task, budget_seconds=30)
        model.assert_complete()
        for prompt in model.prompts():
            assert "zebrafish" not in prompt and "quokka" not in prompt


def test_budget_and_model_errors_end_cleanly(sandbox: Sandbox) -> None:
    attempt, _ = run(sandbox, [], budget=0.0)
    assert not attempt.solved and attempt.log == [{"round": 1, "event": "budget-exhausted"}]
    attempt, _ = run(sandbox, [WRONG, ModelError("rate limited for good", provider="x", status=429)])
    assert not attempt.solved and attempt.log[-1]["event"] == "model-error"
    assert "rate limited" in attempt.log[-1]["error"]


def test_extract_code_edge_cases() -> None:
    assert extract_code("```python\ndef solve(a):\n    return a", "solve")[0] == "def solve(a):\n    return a"
    code, _ = extract_code("Sure! Here it is:\ndef solve(a):\n    return a + 1\nThis adds one.", "solve")
    assert code == "def solve(a):\n    return a + 1"
    assert extract_code("```python\nx = 1\n```", "solve") == (None, "the code defines no function (expected solve)")
    assert extract_code("", "solve") == (None, "no code in the reply")
    stray = "def solve(a):\n    return a[::-1]\n\nsolve('ab') == 'ba'\n```\n\nThis reverses `a`."
    assert extract_code(stray, "solve") == ("def solve(a):\n    return a[::-1]\n\nsolve('ab') == 'ba'",
                                            "unfenced code")
    assert extract_code("```json\n{\"a\": 1}\n```", "solve")[0] is None


# ---------------------------------------------------------------- library seam


@dataclass
class _Record:
    name: str
    description: str


@dataclass
class _Hit:
    record: _Record


@dataclass
class _Manifest:
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class _Skill:
    manifest: _Manifest
    entry_point: tuple[Path, str] | None


class FakeLibrary:
    """The two library calls the proposer uses: search() and get()."""

    def __init__(self, root: Path, skills: dict[str, tuple[str, str, str]]) -> None:
        self.skills = {}
        self.queries: list[tuple[str, int]] = []
        for name, (desc, sig, source) in skills.items():
            func = name.replace("-", "_")
            path = root / f"{func}.py"
            path.write_text(source)
            self.skills[name] = (desc, _Skill(_Manifest({"evoskill-signature": sig}), (path, func)))

    def search(self, query: str, k: int = 10) -> list[_Hit]:
        self.queries.append((query, k))
        return [_Hit(_Record(n, d)) for n, (d, _) in self.skills.items()][:k]

    def get(self, name: str) -> _Skill:
        return self.skills[name][1]


SKILLS = {
    "first-token": ("the first space-separated token", "str -> str",
                    "def first_token(s: str) -> str:\n    return s.split()[0]\n\n\n"
                    "if __name__ == '__main__':\n    import sys\n    print(first_token(sys.argv[1]))\n"),
    "upper-case": ("upper-case a string", "str -> str", "def upper_case(s: str) -> str:\n    return s.upper()\n"),
    "reverse-list": ("reverse a list", "list[int] -> list[int]",
                     "def reverse_list(xs):\n    return SECRET_SOURCE_MARKER[::-1]\n"),
}


def test_catalogue_sources_and_linking_with_fake_library(sandbox: Sandbox, tmp_path: Path) -> None:
    lib = FakeLibrary(tmp_path, SKILLS)
    model = ScriptedModel(["```python\ndef solve(x1):\n    return first_token(x1)\n```"])
    attempt = LLMProposer(model, sandbox, lib, catalogue_size=3).propose(TASK, budget_seconds=30)
    model.assert_complete()
    prompt = model.prompts()[0]
    assert prompt.index("- first-token: first_token(str -> str)") < prompt.index("Source of skill first-token")
    assert "- reverse-list" in prompt and "SECRET_SOURCE_MARKER" not in prompt  # only the top 2 sources
    assert "__main__" not in prompt and lib.queries[0][1] == 3
    assert attempt.solved and attempt.solution is not None and attempt.solution.uses == ("first-token",)
    assert attempt.solution.python.startswith("def first_token")


def test_broken_library_does_not_stop_the_proposer(sandbox: Sandbox) -> None:
    class Broken:
        def search(self, query: str, k: int = 10) -> list[Any]:
            raise RuntimeError("index corrupt")

    model = ScriptedModel([GOOD])
    attempt = LLMProposer(model, sandbox, Broken()).propose(TASK, budget_seconds=30)
    model.assert_complete()
    assert attempt.solved and attempt.log[0]["event"] == "library-search-failed"


def test_with_the_real_library(sandbox: Sandbox, tmp_path: Path) -> None:
    from evoskill.library import Library

    folder = tmp_path / "src" / "first-token"
    (folder / "scripts").mkdir(parents=True)
    (folder / "SKILL.md").write_text(
        "---\nname: first-token\ndescription: The first space-separated word of a sentence.\n"
        "metadata:\n  evoskill-signature: str -> str\n  evoskill-kind: solution\n---\n\n"
        "Returns the first word.\n")
    (folder / "scripts" / "first_token.py").write_text(SKILLS["first-token"][2])
    with Library(tmp_path / "lib") as lib:
        lib.add(folder)
        model = ScriptedModel(["```python\ndef solve(x1):\n    return first_token(x1)\n```"])
        attempt = LLMProposer(model, sandbox, lib).propose(TASK, budget_seconds=30)
    model.assert_complete()
    assert "first-token: first_token(str -> str)" in model.prompts()[0]
    assert attempt.solved and attempt.solution is not None and attempt.solution.uses == ("first-token",)


# ---------------------------------------------------------------- naming and repair


SOLUTION = Solution(kind="python", source="def solve(x1):\n    return x1.split()[0]\n",
                    python="def solve(x1):\n    return x1.split()[0]\n", entry="solve",
                    arg_types=("str",), return_type="str")


@pytest.mark.parametrize(("reply", "expected"), [
    ('Sure: {"name": "first-word", "description": "The first word of a sentence."}',
     ("first-word", "The first word of a sentence.")),
    ('{"name": "First Word", "description": "ok"}', None),
    ('{"name": "first-word", "description": "returns <b>word</b>"}', None),
    ('{"name": "' + "a" * 65 + '", "description": "ok"}', None),
    ('{"name": "first-word", "description": ""}', None),
    ("first-word: gets the first word", None),
    (ModelError("down"), None),
])
def test_describe_skill_validates(reply: Any, expected: Any) -> None:
    model = ScriptedModel([reply])
    assert describe_skill(model, SOLUTION, TASK) == expected
    model.assert_complete()


def test_repair_skill(sandbox: Sandbox) -> None:
    broken = "def first_word(s):\n    return s.split()[-1]\n"
    examples = list(TASK.examples)
    model = ScriptedModel(["```python\ndef first_word(s):\n    return s\n```",
                           "```python\ndef first_word(s):\n    return s.split()[0]\n```"])
    fixed = repair_skill(model, sandbox, broken, "first_word", examples)
    model.assert_complete()
    assert fixed is not None and "split()[0]" in fixed
    assert 'should return "hello" but returned "world"' in model.prompts()[0]
    model = ScriptedModel(["no idea", "```python\ndef first_word(s):\n    return ''\n```"])
    assert repair_skill(model, sandbox, broken, "first_word", examples) is None
    model.assert_complete()
    good = ScriptedModel([])
    assert repair_skill(good, sandbox, "def first_word(s):\n    return s.split()[0]\n", "first_word",
                        examples) is not None
    good.assert_complete()
