"""What the LLM proposer's prompts cost on the bundled task sets, measured, then priced at list prices.

For every task of each set this builds the first prompt exactly as ``evoskill evolve --proposer llm`` does
(a fresh library holding the built-in skills; the catalogue ranked with the sandbox probe; hidden tests
held back), and a repair prompt (that prompt plus a wrong reply and the failure message). Tokens are
counted with the tokenizer of the local model (SmolLM2, through its llama.cpp server's ``/tokenize``), so
no network and no key are needed; hosted models' tokenizers count English and Python within roughly
10-20% of it. Replies are measured on reference answers of the form the prompt asks for (a function and
its JSON card).

    python benchmarks/llm_cost.py [--sets strings-sygus lists-rule] [--limit 20] [--json out.json]

Costs are printed per model for one call, for a task solved on the first reply, and for a task that uses
all three replies of an attempt. Reasoning models also bill their hidden reasoning as output: the table
adds ``--reasoning`` tokens per call for them (an assumption to set, not a measurement).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from evoskill.authoring import SYSTEM, split_examples
from evoskill.library import Library
from evoskill.models.base import PRICES
from evoskill.models.local_backend import LocalModel
from evoskill.sandbox import Sandbox
from evoskill.session import install_core
from evoskill.synth.llm import LLMProposer
from evoskill.tasks import load_tasks

#: models priced in the table (provider:model, reasoning?)
MODELS = [("openai:gpt-4.1-mini", False), ("openai:gpt-5-mini", True), ("openai:o4-mini", True),
          ("openai:gpt-5", True), ("anthropic:claude-haiku-4-5", False), ("anthropic:claude-sonnet-4-6", False),
          ("anthropic:claude-opus-4-6", False)]

REPLIES = [
    '```python\ndef initials_dotted(text: str) -> str:\n    """Initials with dots, e.g. \'J.R.\'."""\n'
    "    return ''.join(text_concat(initial(word), '.') for word in text.split())\n```\n```json\n"
    '{"name": "initials-dotted", "description": "The initials of a name, each followed by a dot. Use when a '
    'full name must be shortened to its initials."}\n```',
    '```python\ndef keep_evens_doubled(items: list[int]) -> list[int]:\n    """Every even item, doubled, in order."""\n'
    "    return list_map(lambda n: n * 2, list_filter(lambda n: n % 2 == 0, items))\n```\n```json\n"
    '{"name": "keep-evens-doubled", "description": "The even numbers of a list, each doubled. Use when only even '
    'values matter and must be scaled."}\n```',
    '```python\nimport re\n\n\ndef phone_area_code(text: str) -> str:\n    """The three-digit area code of a phone '
    'number written in any common format."""\n    digits = re.sub(r"\\D", "", text)\n    if len(digits) == 11 and '
    'digits.startswith("1"):\n        digits = digits[1:]\n    return digits[:3]\n```\n```json\n{"name": '
    '"phone-area-code", "description": "The area code of a North American phone number. Use when phone numbers '
    'in mixed formats must be grouped by region."}\n```',
]
FEEDBACK = ("That code is wrong on the examples:\n2/4 examples fail:\nf(\"Nancy FreeHafer\") should return \"Dr. "
            "Nancy\" but returned \"Nancy\"\nf(\"Andrew Cencici\") should return \"Dr. Andrew\" but returned "
            "\"Andrew\"\nFind the general rule that fits every example (hidden tests use other inputs; do not "
            "special-case these). Reply with the corrected ```python block and the ```json card.")


def tokenizer(model: LocalModel) -> Any:
    root = model.base_url.rsplit("/v1", 1)[0]

    def count(text: str) -> int:
        req = urllib.request.Request(f"{root}/tokenize", data=json.dumps({"content": text}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 (loopback only)
            return len(json.loads(resp.read())["tokens"])

    return count


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", nargs="+", default=["strings-sygus", "strings-new", "lists-rule"])
    ap.add_argument("--limit", type=int, default=None, help="tasks per set (default: all)")
    ap.add_argument("--reasoning", type=int, default=2000, help="hidden reasoning tokens per call, reasoning models")
    ap.add_argument("--json", default=None, help="write the measurements here")
    args = ap.parse_args(argv)
    count = tokenizer(LocalModel("smollm2"))
    chat_overhead = 4  # per message, roughly what chat templates add
    reply_tokens = statistics.mean(count(r) for r in REPLIES)
    results: dict[str, Any] = {"reply_tokens": reply_tokens, "sets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        lib = Library(Path(tmp) / "lib")
        install_core(lib)
        with Sandbox(workers=1, readable=[lib.root]) as sandbox:
            proposer = LLMProposer(None, sandbox, lib)  # type: ignore[arg-type]
            for name in args.sets:
                spec = f"{name}[:{args.limit}]" if args.limit else name
                firsts, repairs = [], []
                for task in load_tasks(spec):
                    solver = task.for_solver()
                    shown, hidden = split_examples(solver.examples)
                    skills = proposer.catalogue(solver, [], shown)
                    prompt = proposer.prompt(solver, skills, shown, len(hidden))
                    first = count(SYSTEM) + count(prompt) + 2 * chat_overhead
                    firsts.append(first)
                    repairs.append(first + reply_tokens + count(FEEDBACK) + 2 * chat_overhead)
                results["sets"][name] = {"tasks": len(firsts), "prompt_mean": statistics.mean(firsts),
                                         "prompt_max": max(firsts), "repair_mean": statistics.mean(repairs)}
                print(f"{name}: {len(firsts)} tasks, first prompt {statistics.mean(firsts):.0f} tokens "
                      f"(max {max(firsts)}), repair prompt {statistics.mean(repairs):.0f}; reply {reply_tokens:.0f}",
                      file=sys.stderr)
        lib.close()
    print("\n| model | $ in/out per M | set | task, right on the 1st reply | task, all 3 replies |")
    print("|---|---|---|---|---|")
    for model, reasoning in MODELS:
        pin, pout = PRICES[model]
        out_tokens = reply_tokens + (args.reasoning if reasoning else 0)
        for name, m in results["sets"].items():
            one = (m["prompt_mean"] * pin + out_tokens * pout) / 1e6
            three = ((m["prompt_mean"] + 2 * m["repair_mean"]) * pin + 3 * out_tokens * pout) / 1e6
            print(f"| {model} | {pin:g}/{pout:g} | {name} | ${one:.4f} | ${three:.4f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
