"""The LLM proposer's loop, driven by ScriptedModel against the real sandbox, verifier and library."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evoskill.authoring import (
    calls_of,
    card_of,
    describe_skill,
    extract_code,
    free_names,
    link,
    literal_findings,
    read_reply,
    repair_skill,
    skill_index,
    split_examples,
)
from evoskill.distill import distill
from evoskill.errors import ModelError
from evoskill.lang.program import parse, to_module
from evoskill.library import Library
from evoskill.models.base import Completion, ConfigurationError, time_left
from evoskill.proposer import Solution
from evoskill.sandbox import Sandbox
from evoskill.session import install_core
from evoskill.synth.llm import DEFAULT_REPLY_TOKENS, LLMProposer
from evoskill.tasks import Example, Task, task_from_dict
from evoskill.testing import ScriptedModel, network_guard

TASK = Task("first-word", "the first word of a sentence",
            (Example(("hello big world",), "hello"), Example(("a b",), "a")),
            held_out=(Example(("zebrafish quokka",), "zebrafish"),), input_types=("str",), output_type="str")
CARD = '```json\n{"name": "first-word", "description": "The first word of a text. Use when only the lead word matters."}\n```'
GOOD = "```python\ndef first_word(x1: str) -> str:\n    \"\"\"The first word.\"\"\"\n    return x1.split()[0]\n```\n" + CARD
WRONG = "```python\ndef first_word(x1: str) -> str:\n    return x1\n```\n" + CARD


@pytest.fixture(autouse=True)
def _offline() -> Iterator[None]:
    with network_guard():
        yield


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=1) as sb:
        yield sb


def run(sandbox: Sandbox, replies: list[Any], task: Task = TASK, budget: float = 30.0, library: Any = None,
        **kw: Any) -> tuple[Any, ScriptedModel]:
    model = ScriptedModel(replies)
    attempt = LLMProposer(model, sandbox, library, **kw).propose(task.for_solver(), budget_seconds=budget)
    model.assert_complete()
    return attempt, model


def replies(attempt: Any) -> list[dict[str, Any]]:
    """The log entries of model replies (catalogue and other events left out)."""
    return [e for e in attempt.log if "reply" in e]


def test_solved_on_first_reply(sandbox: Sandbox) -> None:
    attempt, model = run(sandbox, [GOOD])
    assert attempt.solved and attempt.proposer == "llm" and attempt.programs_tried == 1
    sol = attempt.solution
    assert sol is not None and sol.kind == "python" and sol.entry == "first_word"
    assert sol.arg_types == ("str",) and sol.return_type == "str" and sol.uses == ()
    assert sol.source.startswith("def first_word") and sol.python.startswith('"""The first word of a text.')
    assert card_of(sol) == ("first-word", "The first word of a text. Use when only the lead word matters.")
    assert attempt.tokens_in > 0 and attempt.tokens_out > 0 and attempt.seconds > 0
    entry = attempt.log[-1]
    assert entry["passed"] and entry["verdict"] == "all 2 examples pass" and entry["reply"] == GOOD
    prompt = model.prompts()[0]
    assert "def <name>(text: str) -> str:" in prompt and "f('hello big world') == 'hello'" in prompt
    assert "hidden tests" in prompt.lower() and "never special-case" in prompt
    assert '```json block: {"name"' in prompt  # one structured reply: code, name, what and when
    assert model.options[0]["max_tokens"] == DEFAULT_REPLY_TOKENS


def test_repaired_after_failure_message(sandbox: Sandbox) -> None:
    attempt, model = run(sandbox, [WRONG, GOOD])
    assert attempt.solved and attempt.programs_tried == 2 and not replies(attempt)[0]["passed"]
    second = model.prompts()[1]
    assert 'should return "hello" but returned "hello big world"' in second
    assert replies(attempt)[0]["verdict"] in second and "general rule" in second and "special-case" in second
    assert "Fix it." not in second
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
    assert attempt.solution.python.startswith("def solve(x1):") and attempt.solution.entry == "solve"
    assert card_of(attempt.solution) == (None, None)  # a generic name and no card: the learner names it


def test_entry_is_the_function_no_other_calls(sandbox: Sandbox) -> None:
    reply = ("```python\ndef _words(s):\n    return s.split()\n\ndef lead_word(s):\n    return _words(s)[0]\n```")
    attempt, _ = run(sandbox, [reply])
    assert attempt.solved and attempt.solution is not None and attempt.solution.entry == "lead_word"
    assert "lead_word = " not in attempt.solution.python  # no alias: the real name is the entry point


def test_syntax_error_recorded_not_run(sandbox: Sandbox) -> None:
    attempt, model = run(sandbox, ["```python\ndef solve(x1):\n    return x1.split(\n```", GOOD])
    assert attempt.solved and attempt.programs_tried == 1
    assert attempt.log[0]["no_code"].startswith("SyntaxError")
    assert "SyntaxError" in model.prompts()[1]


def test_infinite_loop_hits_a_limit_without_crashing(sandbox: Sandbox) -> None:
    loop = "```python\ndef solve(x1):\n    while True:\n        pass\n```"
    attempt, _ = run(sandbox, [loop], budget=3.0, attempts=1)
    assert not attempt.solved and attempt.solution is None
    assert attempt.log[-1]["limit"] in ("cpu", "wall") and "limit" in attempt.log[-1]["verdict"]


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
    assert all(e["verdict"] and not e["passed"] for e in attempt.log if "reply" in e)
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
    assert not attempt.solved and attempt.log[-1] == {"round": 1, "event": "budget-exhausted"}
    attempt, _ = run(sandbox, [WRONG, ModelError("rate limited for good", provider="x", status=429)])
    assert not attempt.solved and attempt.log[-1]["event"] == "model-error"
    assert "rate limited" in attempt.log[-1]["error"]


def test_configuration_errors_propagate(sandbox: Sandbox) -> None:
    """A rejected key ends the run, not just the attempt (the loop re-raises it)."""
    model = ScriptedModel([ConfigurationError("openai rejected the API key (HTTP 401)", provider="openai",
                                              status=401)])
    with pytest.raises(ConfigurationError, match="rejected the API key"):
        LLMProposer(model, sandbox).propose(TASK, budget_seconds=30)


def test_every_call_runs_inside_the_task_deadline(sandbox: Sandbox) -> None:
    seen: list[float | None] = []

    class Clocked(ScriptedModel):
        def complete(self, messages: Any, **kw: Any) -> Completion:
            seen.append(time_left())
            return super().complete(messages, **kw)

    model = Clocked([WRONG, GOOD])
    LLMProposer(model, sandbox).propose(TASK, budget_seconds=12)
    assert len(seen) == 2 and all(s is not None and 0 < s <= 12 for s in seen) and seen[1] < seen[0]
    assert time_left() is None  # the scope ends with the attempt


def test_later_attempts_vary_temperature_and_seed_and_hear_what_went_wrong(sandbox: Sandbox) -> None:
    seeds: list[Any] = []

    class Seeded(ScriptedModel):
        def complete(self, messages: Any, **kw: Any) -> Completion:
            from evoskill.models.base import scoped_seed
            seeds.append(scoped_seed())
            return super().complete(messages, **kw)

    model = Seeded([WRONG, GOOD])
    proposer = LLMProposer(model, sandbox, attempts=1)
    assert not proposer.propose(TASK, budget_seconds=30, seed=1).solved
    assert proposer.propose(TASK, budget_seconds=30, seed=2).solved  # the next round
    assert model.options[0]["temperature"] == 0.0 and model.options[1]["temperature"] >= 0.6
    assert seeds[0] != seeds[1]
    assert "An earlier attempt at this task was wrong" in model.prompts()[1]
    assert "should return" in model.prompts()[1]


def test_truncated_reply_is_told_and_the_budget_grows(sandbox: Sandbox) -> None:
    cut = Completion("", 900, 1200, 0.1, 0.0, "scripted:reasoner", finish="length", reasoning_tokens=1200)
    half = Completion("```python\ndef first_word(x1):\n    return x1.split(", 900, 1200, 0.1, 0.0, "scripted:r",
                      finish="length")
    attempt, model = run(sandbox, [cut, half, GOOD])
    assert attempt.solved and attempt.programs_tried == 1
    assert "cut off at the token limit (1200 tokens, all of them reasoning)" in attempt.log[0]["no_code"]
    assert "cut off at the length limit" in model.prompts()[1] and "SyntaxError" not in model.prompts()[1]
    assert "cut off" in attempt.log[1]["no_code"] and "SyntaxError" not in attempt.log[1]["no_code"]
    budgets = [o["max_tokens"] for o in model.options]
    assert budgets == [DEFAULT_REPLY_TOKENS, 2 * DEFAULT_REPLY_TOKENS, 4 * DEFAULT_REPLY_TOKENS]


def test_cancel_stops_before_the_next_call(sandbox: Sandbox) -> None:
    stop = threading.Event()
    stop.set()
    model = ScriptedModel([GOOD])
    attempt = LLMProposer(model, sandbox).propose(TASK, budget_seconds=30, cancel=stop)
    assert not attempt.solved and model.used == 0 and attempt.log[-1]["event"] == "cancelled"


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
    assert "first_word = " not in (extract_code("```python\ndef first_word(s):\n    return s\n```", "first_word")[0]
                                   or "")
    assert "solve = first_word" in (extract_code("```python\ndef first_word(s):\n    return s\n```", "solve")[0] or "")


def test_read_reply_card_and_show() -> None:
    r = read_reply("```python\ndef a(x):\n    return x\n\ndef pick_lead(x):\n    return a(x)\n```\n"
                   '```json\n{"name": "pick-lead", "description": "Lead {word}. Use when needed."}\n```')
    assert (r.entry, r.name, r.description) == ("pick_lead", "pick-lead", "Lead {word}. Use when needed.")
    r = read_reply("SHOW text-upper, list_map\nSHOW int-add")
    assert r.code is None and r.show == ["text-upper", "list_map", "int-add"]


# ---------------------------------------------------------------- overfit guards


LONG = task_from_dict({"name": "shout", "description": "the text in capitals",
                       "examples": [{"inputs": ["abc"], "output": "ABC"}, {"inputs": ["hi there"], "output": "HI THERE"},
                                    {"inputs": ["good day"], "output": "GOOD DAY"},
                                    {"inputs": ["no way out"], "output": "NO WAY OUT"},
                                    {"inputs": ["zebra crossing"], "output": "ZEBRA CROSSING"}]})
SHOUT = "```python\ndef shout(text: str) -> str:\n    return text.upper()\n```"


def test_split_examples_holds_back_a_quarter() -> None:
    exs = [Example((i,), i) for i in range(12)]
    assert [len(p) for p in split_examples(exs[:2])] == [2, 0]
    assert [len(p) for p in split_examples(exs[:3])] == [2, 1]
    assert [len(p) for p in split_examples(exs[:8])] == [6, 2]
    assert [len(p) for p in split_examples(exs)] == [9, 3]


def test_held_back_examples_are_hidden_tests(sandbox: Sandbox) -> None:
    # passes the 4 shown examples by luck, fails the held-back one: told so, without its expected output
    lucky = ("```python\ndef shout(text: str) -> str:\n    return text.upper() if len(text) < 12 else text\n```")
    attempt, model = run(sandbox, [lucky, SHOUT], task=LONG)
    first, second = model.prompts()
    assert "zebra crossing" not in first.lower() and "Hidden tests check it on 1 more input" in first
    assert not replies(attempt)[0]["passed"] and "1/1 examples fail" in replies(attempt)[0]["hidden"]
    assert "fails 1 of 1 hidden tests" in second and "'zebra crossing'" in second
    assert "ZEBRA CROSSING" not in second  # the expected output of a hidden test is never shown
    assert attempt.solved and replies(attempt)[1]["passed"]


def test_literal_outputs_are_flagged_and_refused(sandbox: Sandbox) -> None:
    table = ("```python\ndef shout(text):\n    if text == 'hi there':\n        return 'HI THERE'\n"
             "    return {'abc': 'ABC', 'good day': 'GOOD DAY'}.get(text, text.upper())\n```")
    attempt, model = run(sandbox, [table, SHOUT], task=LONG)
    assert replies(attempt)[0]["verdict"].startswith("overfit:") and not replies(attempt)[0]["passed"]
    assert "compares the input with the example input" in model.prompts()[1]
    assert attempt.solved


def test_literal_findings_rules() -> None:
    exs = LONG.examples
    assert literal_findings("def f(t):\n    return t.upper()", exs) == []
    assert literal_findings("def f(t):\n    return 'NO WAY OUT'", exs) == ['returns the example output "NO WAY OUT" as a literal']
    assert literal_findings("def f(t):\n    match t:\n        case 'abc':\n            return 'x'", exs)
    # a table with values beyond the examples is the rule (month names), not a copy of the examples
    months = [Example(("1",), "January"), Example(("3",), "March"), Example(("12",), "December")]
    code = ("NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',\n"
            "         'October', 'November', 'December']\ndef f(t):\n    return NAMES[int(t) - 1]")
    assert literal_findings(code, months) == []
    yes_no = [Example((1,), "yes"), Example((2,), "no"), Example((3,), "yes")]
    assert literal_findings("def f(n):\n    return 'yes' if n % 2 else 'no'", yes_no) == []


# ---------------------------------------------------------------- the library: retrieval and linking


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """The core skills plus learned ones: a program skill and two model-written skills that both define
    ``solve`` (the old pasting linked them into one namespace), one of them calling a core skill."""
    root = tmp_path_factory.mktemp("lib")
    lib = Library(root / "lib")
    install_core(lib)
    with Sandbox(workers=1, readable=[lib.root]) as sb:
        lead = task_from_dict({"name": "lead", "examples": [{"inputs": ["a b"], "output": "a"},
                                                            {"inputs": ["hello big world"], "output": "hello"}]})
        expr = parse('(text-before x0 " ")')
        prog = Solution(kind="program", source='(text-before x0 " ")', entry="lead",
                        python=to_module(expr, "lead", ("str",), "str", "lead"), arg_types=("str",),
                        return_type="str", uses=("text-before",))
        assert distill(prog, lead, library=lib, sandbox=sb, name="first-token").ok
        index = skill_index(lib)
        for name, code, examples in (
                ("exclaim", "def solve(text: str) -> str:\n    return text_concat(text, '!')\n",
                 [{"inputs": ["a"], "output": "a!"}, {"inputs": ["hi"], "output": "hi!"}]),
                ("double-text", "def solve(text: str) -> str:\n    return text + text\n",
                 [{"inputs": ["a"], "output": "aa"}, {"inputs": ["hi"], "output": "hihi"}])):
            task = task_from_dict({"name": name, "examples": examples})
            calls = calls_of(code, index)
            sol = Solution(kind="python", source=code, entry="solve", arg_types=("str",), return_type="str",
                           python=link(code, calls, library_dir=lib.skills_dir), uses=calls)
            res = distill(sol, task, library=lib, sandbox=sb, name=name)
            assert res.ok, res.reason
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def lib_sandbox(library: Library) -> Iterator[Sandbox]:
    with Sandbox(workers=1, readable=[library.root]) as sb:
        yield sb


BANG = task_from_dict({"name": "shout-lead", "description": "the first word in capitals with an exclamation mark",
                       "examples": [{"inputs": ["hello big world"], "output": "HELLO!"},
                                    {"inputs": ["a b"], "output": "A!"}, {"inputs": ["good day"], "output": "GOOD!"},
                                    {"inputs": ["no way out"], "output": "NO!"}]})


def test_model_code_calls_core_program_and_model_written_skills_at_once(library: Library,
                                                                       lib_sandbox: Sandbox) -> None:
    """Every core script starts with ``from __future__ import annotations``; the program skill imports what
    it calls through its own loader; both model-written skills define ``solve``. All work together."""
    reply = ('```python\n"""Shouting."""\nfrom __future__ import annotations\n\nimport re\n\n\n'
             "def shout_lead(text: str) -> str:\n"
             '    """The first word, upper-cased, with a bang."""\n'
             "    word = first_token(re.sub(r'\\s+', ' ', text))\n"
             "    return exclaim(text_upper(double_text(word)[:len(word)]))\n```\n"
             '```json\n{"name": "shout-lead", "description": "The first word shouted. Use when a title needs a bang."}\n```')
    attempt, model = run(lib_sandbox, [reply], task=BANG, library=library)
    entry = next(e for e in attempt.log if "reply" in e)
    assert attempt.solved, entry
    sol = attempt.solution
    assert sol is not None and sol.uses == ("double-text", "exclaim", "first-token", "text-upper")
    assert sol.python.index("from __future__") < sol.python.index("_skill(")  # the future import stays first
    assert "def text_upper" not in sol.python and "def first_token" not in sol.python  # loaded, not pasted
    prompt = model.prompts()[0]
    assert "def text_upper(s: str) -> str:" in prompt and "def exclaim(" in prompt


def test_catalogue_fits_the_types_and_ranks_by_examples(library: Library, lib_sandbox: Sandbox) -> None:
    attempt, model = run(lib_sandbox, [SHOUT], task=LONG, library=library)
    prompt = model.prompts()[0]
    cat = next(e for e in attempt.log if e.get("event") == "catalogue")
    assert 15 <= len(cat["shown"]) <= 20 and cat["ranked_by_examples"] > 0
    assert cat["shown"][0] == "text-upper"  # it turns the examples' inputs into their outputs
    assert "list_map" not in prompt and "list[int]" not in prompt  # no list skills for a text task
    assert "__main__" not in prompt and "def main(" not in prompt and "json.loads" not in prompt
    stubs = prompt[prompt.index("```python"):]
    assert stubs.count('"""') == 2 * len(cat["shown"])  # one one-line docstring per stub


def test_list_task_catalogue_shows_function_types_as_python(library: Library, lib_sandbox: Sandbox) -> None:
    task = task_from_dict({"name": "double-all", "description": "double every number in the list",
                           "examples": [{"inputs": [[1, 2]], "output": [2, 4]}, {"inputs": [[5]], "output": [10]}]})
    reply = "```python\ndef double_all(items):\n    return list_map(lambda n: int_mul(n, 2), items)\n```"
    attempt, model = run(lib_sandbox, [reply], task=task, library=library)
    assert "def list_map(f: Callable[[int], int], xs: list[int]) -> list[int]:" in model.prompts()[0]
    assert "text_upper" not in model.prompts()[0]
    assert attempt.solved and attempt.solution is not None and attempt.solution.uses == ("int-mul", "list-map")


def test_source_on_demand(library: Library, lib_sandbox: Sandbox) -> None:
    attempt, model = run(lib_sandbox, ["SHOW first-token", SHOUT], task=LONG, library=library)
    assert attempt.solved and "asked for the source of first-token" in attempt.log[1]["no_code"]
    shown = model.prompts()[1]
    assert "def first_token(" in shown and "_skill(" not in shown.split("SHOW first-token")[-1]


def test_a_tasks_own_skill_is_not_offered(library: Library, lib_sandbox: Sandbox) -> None:
    own = task_from_dict({"name": "exclaim", "description": "add an exclamation mark",
                          "examples": [{"inputs": ["a"], "output": "a!"}, {"inputs": ["b"], "output": "b!"}]})
    recall = "```python\ndef exclaim_it(t):\n    return exclaim(t)\n```"
    attempt, model = run(lib_sandbox, [recall, "```python\ndef exclaim_it(t):\n    return t + '!'\n```"], task=own,
                         library=library)
    assert "def exclaim(" not in model.prompts()[0]
    first = replies(attempt)[0]
    assert first["uses"] == [] and "NameError" in first["verdict"]  # nor is it linked when called by name
    assert attempt.solved


def test_free_names_and_calls() -> None:
    code = ("import re\nfrom x import y as z\nK = 1\ndef f(a, *b, c=2, **d):\n    for i in a:\n        pass\n"
            "    try:\n        pass\n    except E as e:\n        pass\n    return text_upper(a) + z(K) + len(b)\n")
    assert free_names(code) == {"text_upper", "E"}
    assert calls_of(code, {"text_upper": "text-upper", "len": "list-len"}) == ("text-upper",)
    assert link("def f():\n    return 1\n", ()) == "def f():\n    return 1\n"


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
    with pytest.raises(ConfigurationError):
        repair_skill(ScriptedModel([ConfigurationError("bad key", status=401)]), sandbox, broken, "first_word",
                     examples)


def test_stored_model_skill_is_standalone(library: Library, tmp_path: Path) -> None:
    """A model-written skill that calls a core skill carries it (vendored, pinned) and runs alone."""
    import shutil

    from evoskill import standalone

    skill = library.get("exclaim")
    assert standalone.call_tree(skill.path) == [(0, "text-concat")]
    script = (skill.path / "scripts" / "exclaim.py").read_text()
    assert "_LIBRARY = None" in script and "'text-concat': '" in script and "exclaim = solve" in script
    copy = tmp_path / "alone" / "exclaim"
    shutil.copytree(skill.path, copy)
    assert standalone.run_alone(copy) == ""


# ---------------------------------------------------------------- abstractions (last: it adds to the library)


@pytest.fixture(scope="module")
def abstraction(library: Library, lib_sandbox: Sandbox) -> str:
    """Three program skills sharing structure; compression learns an abstraction and rewrites them to call it."""
    from evoskill.compress import learn_abstractions

    shared = [("first-initial", '(text-concat (text-upper (text-left x0 1)) (text-concat "." ""))',
               [(["john smith"], "J."), (["ada"], "A.")]),
              ("two-initials", '(text-concat (text-upper (text-left x0 1)) (text-concat "." '
               '(text-concat (text-upper (text-left (text-after x0 " ") 1)) ".")))',
               [(["john smith"], "J.S."), (["ada lovelace"], "A.L.")]),
              ("initial-and-last", '(text-concat (text-upper (text-left x0 1)) (text-concat "." '
               '(text-concat " " (text-after x0 " "))))',
               [(["john smith"], "J. smith"), (["ada lovelace"], "A. lovelace")])]
    for name, prog, exs in shared:
        task = Task(name=name, description=name.replace("-", " "), input_types=("str",), output_type="str",
                    examples=tuple(Example(tuple(i), o) for i, o in exs))
        sol = Solution(kind="program", source=prog, python="", entry="f", arg_types=("str",), return_type="str")
        assert distill(sol, task, library=library, sandbox=lib_sandbox, name=name).ok
    found = learn_abstractions(library, sandbox=lib_sandbox, max_new=1)
    assert found and found[0].stored, found[0].reason
    assert library.get(found[0].name).manifest.metadata["evoskill-kind"] == "abstraction"
    return found[0].name


def test_model_code_calls_an_abstraction_and_a_rewritten_program(library: Library, lib_sandbox: Sandbox,
                                                                 abstraction: str) -> None:
    """A learned abstraction and a program skill rewritten to call it (so it loads it through its own
    vendored copy) are called from one piece of model code, with a core skill."""
    func = abstraction.replace("-", "_")
    arity = len(library.get(abstraction).manifest.metadata["evoskill-signature"].split("->")[0].split(","))
    args = ", ".join(["name"] + ['"."'] * (arity - 1))
    task = task_from_dict({"name": "initials-pair", "description": "initials, then the same again",
                           "examples": [{"inputs": ["john smith"], "output": "J.S. J."},
                                        {"inputs": ["ada lovelace"], "output": "A.L. A."},
                                        {"inputs": ["bo diddley"], "output": "B.D. B."}]})
    reply = (f"```python\ndef initials_pair(name: str) -> str:\n    first = {func}({args})\n"
             "    return text_concat(two_initials(name), ' ' + first[:2])\n```")
    attempt, model = run(lib_sandbox, [reply], task=task, library=library)
    entry = next(e for e in attempt.log if "reply" in e)
    assert attempt.solved, entry["verdict"]
    assert attempt.solution is not None and set(attempt.solution.uses) == {abstraction, "text-concat", "two-initials"}
    assert abstraction in library.get("two-initials").manifest.metadata["evoskill-program"]
