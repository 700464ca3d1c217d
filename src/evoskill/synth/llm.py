"""The LLM proposer: a language model writes one Python function, the sandbox decides whether it works.

**Prompt.** The task, its *shown* examples (some solver examples are held back as hidden tests, see
:func:`~evoskill.authoring.split_examples`; the prompt says so), and a catalogue of library skills as Python
signature stubs with one-line docstrings: only skills whose types fit the task, ranked by the task's words
and by how close each comes to the examples' outputs when run on their inputs (in the sandbox). The model
replies with one ```python block (a function with a real name and a docstring) and one ```json card (name,
what it does, when to use it); it may ask for a skill's source with ``SHOW name`` first.

**Checking.** The code is linked to every library skill it calls (:func:`~evoskill.authoring.link`: loaded,
never pasted), checked for pasted example literals, run on the shown examples, then on the hidden ones.
Failures go back to the model for a bounded number of repairs; a reply cut off by the token limit is
told as such (with a larger budget next time). Nothing the model says is trusted: only code passing every
solver example in the sandbox yields a :class:`~evoskill.proposer.Solution`. Held-out examples never reach
a prompt.

**Budget.** Every model call runs in a :func:`~evoskill.models.base.call_scope` ending at the task's
deadline (request timeouts, retries and their waits included). The first call of a task's first attempt
is greedy; later attempts of the same task (later rounds) use a higher temperature and another seed and
are told what the earlier attempt got wrong. Configuration errors (key, model, parameters) propagate and
end the run; any other model failure ends only this attempt.
"""

from __future__ import annotations

import ast
import difflib
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import policy
from ..authoring import (
    _FEEDBACK_CHARS,
    _PARSE_ERRORS,
    CARD,
    RULES,
    SYSTEM,
    _verifier,
    calls_of,
    link,
    literal_findings,
    read_reply,
    skill_index,
    split_examples,
)
from ..errors import EvoskillError, ModelError, UserError
from ..explain import parameter_names
from ..lang.primitives import function_type, parse_signature
from ..lang.values import same
from ..models.base import Completion, ConfigurationError, Message, Model, call_scope
from ..proposer import Attempt, ProposerContext, Solution
from ..tasks import Example, Task

ENTRY = "solve"
_LOG_CHARS = 4000
#: visible reply tokens asked for by default (reasoning models get their thinking allowance on top)
DEFAULT_REPLY_TOKENS = 1200
MAX_REPLY_TOKENS = 16_000
CATALOGUE_SIZE = 16
_PROBE_SKILLS = 80
_STOP = frozenset("a an the of to in on for and or from by with is are be it its as at this that into "
                  "if else than then which what when where how string text list value number given "
                  "return returns function task benchmark sygus pbe strings track sl et al rule".split())


@dataclass
class _Skill:
    """A library skill as the catalogue shows it."""

    name: str
    function: str
    arg_types: tuple[str, ...]
    return_type: str
    summary: str
    kind: str
    script: Path | None
    score: float = 0.0
    #: ``task:<name>`` for a skill learned from a task
    origin: str | None = None

    def stub(self) -> str:
        """``def name(params) -> type:`` with a one-line docstring."""
        return f'{self.signature()}\n    """{self.summary}"""'

    def signature(self) -> str:
        if self.script is not None:
            try:
                tree = ast.parse(self.script.read_text(encoding="utf-8"))
                for node in tree.body:
                    if isinstance(node, ast.FunctionDef) and node.name == self.function:
                        returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
                        return f"def {self.function}({ast.unparse(node.args)}){returns}:"
            except (OSError, UnicodeDecodeError, *_PARSE_ERRORS):
                pass
        params = ", ".join(f"{n}: {_annotation(t)}" for n, t in zip(_params(self.arg_types), self.arg_types,
                                                                     strict=True))
        return f"def {self.function}({params}) -> {_annotation(self.return_type)}:"

    def source(self, limit: int = 60) -> str:
        """The entry function's own source (no command-line boilerplate), at most ``limit`` lines."""
        if self.script is None:
            return self.stub()
        try:
            text = self.script.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (OSError, UnicodeDecodeError, *_PARSE_ERRORS):
            return self.stub()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == self.function:
                seg = ast.get_source_segment(text, node) or self.stub()
                lines = seg.splitlines()
                return "\n".join(lines[:limit] + (["    ..."] if len(lines) > limit else []))
        return self.stub()


def _annotation(t: str) -> str:
    ft = function_type(t)
    if ft is not None:
        return f"Callable[[{', '.join(_annotation(a) for a in ft[0])}], {_annotation(ft[1])}]"
    return t if t in ("str", "int", "bool", "list[int]") else "Any"


def _params(types: Sequence[str]) -> list[str]:
    names = []
    for i, t in enumerate(types):
        names.append("f" if function_type(t) else parameter_names(types)[i])
    return names


def _flat_types(t: str) -> list[str]:
    ft = function_type(t)
    if ft is None:
        return [t]
    return [x for a in (*ft[0], ft[1]) for x in _flat_types(a)]


def _words(text: str) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z]+", text.lower()):
        if len(w) > 1 and w not in _STOP:
            out.add(w[:-1] if len(w) > 3 and w.endswith("s") else w)
    return out


def _first_sentence(text: str, limit: int = 110) -> str:
    text = " ".join(text.split()).replace('"""', "'''").replace("\\", "/")
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    first = m.group(1) if m else text
    return first if len(first) <= limit else first[:limit - 3].rstrip() + "..."


def _similarity(got: Any, want: Any) -> float:
    if same(got, want):
        return 1.0
    if isinstance(want, str) and isinstance(got, str):
        return 0.8 * difflib.SequenceMatcher(None, got[:300], want[:300]).ratio()
    if isinstance(want, list) and isinstance(got, list):
        if not want and not got:
            return 1.0
        rest = list(want)
        common = 0
        for x in got:
            if x in rest:
                rest.remove(x)
                common += 1
        return 0.8 * common / max(len(got), len(want), 1)
    return 0.0


def probe_job(jobs: list[list[Any]], inputs: list[list[Any]]) -> list[list[Any] | None]:
    """Sandbox side of the example ranking: each job ``[script, function, positions]`` is loaded (in its
    own module) and called on every example's inputs at ``positions``; returns one value per input (None
    for errors), or None for a skill that cannot be loaded. Each skill gets 0.2 s."""
    import signal
    import types

    class _Slow(Exception):
        pass

    def alarm(*_: Any) -> None:
        raise _Slow

    signal.signal(signal.SIGALRM, alarm)
    out: list[list[Any] | None] = []
    for script, func, positions in jobs:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        try:
            module = types.ModuleType("evoskill_probe_" + func)
            module.__file__ = script
            with open(script, encoding="utf-8") as f:
                exec(compile(f.read(), script, "exec"), module.__dict__)
            fn = getattr(module, func)
            row: list[Any] = []
            for args in inputs:
                try:
                    value = fn(*[args[i] for i in positions])
                    row.append(value if isinstance(value, str | int | bool | list) else None)
                except Exception:
                    row.append(None)
            out.append(row)
        except BaseException:  # noqa: B036 - a skill that cannot load or is too slow is just not ranked
            out.append(None)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return out


def _record(reply: Completion | None, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if reply is not None:
        entry.update(reply=reply.text[:_LOG_CHARS], reply_chars=len(reply.text), tokens_in=reply.tokens_in,
                     tokens_out=reply.tokens_out, seconds=round(reply.seconds, 3), cost_usd=reply.cost_usd,
                     model=reply.model, finish=reply.finish)
        if reply.reasoning_tokens:
            entry["reasoning_tokens"] = reply.reasoning_tokens
    entry.update(fields)
    return entry


def _inputs_text(ex: Example) -> str:
    text = ", ".join(repr(a) for a in ex.inputs)
    return text if len(text) <= 200 else text[:197] + "..."


# ---------------------------------------------------------------- the proposer


class LLMProposer:
    """Proposes Python solutions written by ``model``, verified in ``sandbox`` on the solver examples."""

    name = "llm"

    def __init__(self, model: Model, sandbox: Any, library: Any = None, *, attempts: int = 3,
                 max_tokens: int | None = None, catalogue_size: int = CATALOGUE_SIZE, entry: str = ENTRY,
                 probe: bool = True) -> None:
        self.model = model
        self.sandbox = sandbox
        self.library = library
        self.attempts = max(1, attempts)
        self.max_tokens = int(max_tokens or getattr(model, "reply_tokens", None) or DEFAULT_REPLY_TOKENS)
        self.catalogue_size = catalogue_size
        self.entry = entry
        self.probe = probe
        self._lock = threading.Lock()
        self._tries: dict[str, int] = {}
        self._last_wrong: dict[str, str] = {}
        self._cache: tuple[Any, list[_Skill]] | None = None

    # -- the catalogue ---------------------------------------------------------------------------------------

    def _skills(self) -> list[_Skill]:
        """Every active library skill with a signature and a script (cached until the library changes)."""
        lib = self.library
        if lib is None or not hasattr(lib, "list") or not hasattr(lib, "get"):
            return []
        key = tuple((r.name, r.version, r.hash) for r in lib.list())
        with self._lock:
            if self._cache is not None and self._cache[0] == key:
                return self._cache[1]
        out = []
        rules = policy.load(getattr(lib, "root", None))
        for rec in lib.list():
            if not rules.allows(rec.trust, "prompt"):  # the policy decides what a model may be shown
                continue
            try:
                skill = lib.get(rec.name)
                meta = skill.manifest.metadata
                args, ret = parse_signature(str(meta.get("evoskill-signature", "")))
            except (EvoskillError, ValueError):
                continue
            ep = skill.entry_point
            if ep is None:
                continue
            out.append(_Skill(rec.name, ep[1], args, ret, _first_sentence(skill.description),
                              str(meta.get("evoskill-kind", "primitive")), ep[0],
                              origin=meta.get("evoskill-origin")))
        with self._lock:
            self._cache = (key, out)
        return out

    def catalogue(self, task: Task, log: list[dict[str, Any]], examples: Sequence[Example] | None = None
                  ) -> list[_Skill]:
        """Up to ``catalogue_size`` skills whose types fit ``task``, best first (words, then examples)."""
        if self.catalogue_size <= 0:
            return []
        try:
            skills = self._skills()
        except Exception as exc:  # a broken index must not stop the proposer
            log.append({"event": "library-read-failed", "error": f"{type(exc).__name__}: {exc}"})
            return []
        if not skills:
            return []
        allowed = set(task.input_types) | {task.output_type, "int", "bool"}
        fits = []
        for s in skills:
            if s.origin == f"task:{task.name}":
                continue  # a task's own earlier answer does not solve it again
            flat = [t for a in (*s.arg_types, s.return_type) for t in _flat_types(a)]
            if not all(t in allowed for t in flat):
                continue
            if not (set(s.arg_types) & set(task.input_types) or s.return_type == task.output_type):
                continue
            fits.append(s)
        words = _words(f"{task.name.replace('_', ' ')} {task.description}")
        scored = {s.name: 0.0 for s in fits}
        for s in fits:
            own = _words(f"{s.name} {s.summary}")
            scored[s.name] = len(words & own) / (1.0 + 0.05 * len(own))
            scored[s.name] += 0.3 if s.kind in ("solution", "abstraction") else 0.0
        gains = self._example_gains(task, fits, examples if examples is not None else task.examples, log)
        for name, gain in gains.items():
            scored[name] += 3.0 * gain
        ranked = sorted(fits, key=lambda s: (-scored[s.name], s.name))[:self.catalogue_size]
        for s in ranked:
            s.score = round(scored[s.name], 3)
        log.append({"event": "catalogue", "compatible": len(fits), "shown": [s.name for s in ranked],
                    "ranked_by_examples": len(gains)})
        return ranked

    def _example_gains(self, task: Task, skills: Sequence[_Skill], examples: Sequence[Example],
                       log: list[dict[str, Any]]) -> dict[str, float]:
        """How much closer to the expected outputs each skill gets than the input itself (0..1), from one
        sandboxed run of the candidates on the examples' inputs."""
        if not self.probe or not examples or self.sandbox is None:
            return {}
        jobs, names = [], []
        for s in skills:
            if s.return_type != task.output_type or s.script is None or any(function_type(t) for t in s.arg_types):
                continue
            if list(s.arg_types) == list(task.input_types):
                positions = list(range(len(task.input_types)))
            elif len(s.arg_types) == 1 and s.arg_types[0] in task.input_types:
                positions = [list(task.input_types).index(s.arg_types[0])]
            else:
                continue
            jobs.append([str(s.script), s.function, positions])
            names.append(s.name)
            if len(jobs) >= _PROBE_SKILLS:
                break
        if not jobs:
            return {}
        from ..sandbox import Limits

        inputs = [list(ex.inputs) for ex in examples]
        try:
            rr = self.sandbox.call("evoskill.synth.llm:probe_job", [jobs, inputs],
                                   limits=Limits(cpu_seconds=10, wall_seconds=20, memory_mb=1024),
                                   reads=sorted({str(Path(str(job[0])).parents[1]) for job in jobs}))
        except EvoskillError as exc:
            log.append({"event": "probe-failed", "error": str(exc)})
            return {}
        if not rr.ok or not isinstance(rr.value, list):
            log.append({"event": "probe-failed", "error": f"{rr.error_type}: {rr.error_message}"})
            return {}
        baseline = [max((_similarity(v, ex.output) for v in ex.inputs), default=0.0) for ex in examples]
        gains = {}
        for name, row in zip(names, rr.value, strict=False):
            if not isinstance(row, list) or len(row) != len(examples):
                continue
            sims = [_similarity(v, ex.output) for v, ex in zip(row, examples, strict=True)]
            gain = sum(max(0.0, s - b) for s, b in zip(sims, baseline, strict=True)) / len(examples)
            gains[name] = round(gain + (0.5 if all(x == 1.0 for x in sims) else 0.0), 3)
        return gains

    # -- the prompt ------------------------------------------------------------------------------------------

    def prompt(self, task: Task, skills: Sequence[_Skill], shown: Sequence[Example] | None = None,
               hidden: int = 0, notes: Sequence[str] = ()) -> str:
        """The first user message for ``task`` (the solver view; ``shown`` its examples in the prompt)."""
        shown = list(task.examples if shown is None else shown)
        params = parameter_names(task.input_types)
        sig = ", ".join(f"{p}: {_annotation(t)}" for p, t in zip(params, task.input_types, strict=True))
        parts = [f"Task: {task.name}"]
        if task.description:
            parts.append(f"Description: {task.description}")
        parts.append("Write one Python function with a descriptive snake_case name for what it does (not "
                     f"`{self.entry}`) and a one-line docstring, with this signature:\n"
                     f"def <name>({sig}) -> {_annotation(task.output_type or 'object')}:")
        lines = []
        for ex in shown[:12]:
            line = f"f({', '.join(repr(a) for a in ex.inputs)}) == {ex.output!r}"
            lines.append(line if len(line) <= 300 else line[:297] + "...")
        more = f" Hidden tests check it on {hidden} more input{'s' if hidden > 1 else ''} and on others." if hidden else \
            " Hidden tests check it on other inputs."
        parts.append(f"Examples (f is your function; they are a sample of the rule).{more}\n" + "\n".join(lines))
        if skills:
            stubs = "\n\n".join(s.stub() for s in skills)
            parts.append("Library functions, already defined (call them by name; to read one's source first, "
                         f"reply only `SHOW <name>`):\n```python\n{stubs}\n```")
        parts.extend(notes)
        parts.append(RULES)
        parts.append(CARD)
        return "\n\n".join(parts)

    # -- one attempt -----------------------------------------------------------------------------------------

    def propose(self, task: Task, *, budget_seconds: float, seed: int = 0,
                hints: Callable[[], Sequence[str]] | None = None,
                cancel: threading.Event | None = None) -> Attempt:
        """Ask, check, repair; ``solved`` only if the code passes every solver example in the sandbox.

        ``hints`` (optional) returns lines to pass on in repair messages (the hybrid's near-miss programs);
        ``cancel`` (optional) stops the attempt before its next model call.
        """
        start = time.monotonic()
        deadline = start + budget_seconds
        task = task.for_solver()  # defensive: held-out examples never reach a prompt
        attempt = Attempt(task=task.name, proposer=self.name)
        log = attempt.log
        shown, hidden = split_examples(task.examples)
        with self._lock:
            tries = self._tries.get(task.name, 0)
            self._tries[task.name] = tries + 1
            earlier = self._last_wrong.get(task.name)
        index = skill_index(self.library)
        if index:  # a task's own earlier answer is not called to solve it again (recall, not a solution)
            own = {s.name for s in self._skills() if s.origin == f"task:{task.name}"}
            index = {py: name for py, name in index.items() if name not in own}
        skills_dir = getattr(self.library, "skills_dir", None) if index else None
        skills = self.catalogue(task, log, shown)
        notes = []
        if earlier:
            notes.append(f"An earlier attempt at this task was wrong ({earlier}). Try a different approach.")
        given: set[str] = set()
        near = self._hints(hints, given)
        if near:
            notes.append(near)
        base = [Message("system", SYSTEM), Message("user", self.prompt(task, skills, shown, len(hidden), notes))]
        messages = list(base)
        reply_budget = self.max_tokens
        code_rounds = calls = shows = 0
        while code_rounds < self.attempts:
            if cancel is not None and cancel.is_set():
                log.append({"event": "cancelled", "why": "the search solved the task"})
                break
            if deadline - time.monotonic() <= 0.5:
                log.append({"round": code_rounds + 1, "event": "budget-exhausted"})
                break
            temperature = (0.0 if tries == 0 else min(1.0, 0.6 + 0.1 * tries)) if calls == 0 else 0.4
            try:
                with call_scope(deadline=deadline, seed=seed * 1009 + tries * 101 + calls):
                    reply = self.model.complete(messages, max_tokens=reply_budget, temperature=temperature)
            except ConfigurationError:
                raise
            except ModelError as exc:
                log.append({"round": code_rounds + 1, "event": "model-error", "error": str(exc)})
                break
            calls += 1
            attempt.tokens_in += reply.tokens_in
            attempt.tokens_out += reply.tokens_out
            attempt.cost_usd += reply.cost_usd or 0.0
            parsed = read_reply(reply.text, self.entry)
            size = f"{reply.tokens_out} tokens{', all of them reasoning' if not reply.text.strip() else ''}"
            cut = f"the reply was cut off at the token limit ({size})" if reply.truncated else ""
            if parsed.code is None or parsed.entry is None:
                wanted = [s for s in skills if s.name in parsed.show or s.function in parsed.show]
                if wanted and not cut and shows < 2:
                    shows += 1
                    log.append(_record(reply, round=code_rounds + 1, code=None,
                                       no_code=f"asked for the source of {', '.join(s.name for s in wanted)}"))
                    sources = "\n\n".join(f"```python\n{s.source()}\n```" for s in wanted[:3])
                    # the sources stay in the conversation for the repairs that may follow
                    base = [*base, Message("assistant", reply.text[:_LOG_CHARS]),
                            Message("user", f"{sources}\n\nNow reply with the ```python block and the ```json card.")]
                    messages = list(base)
                    continue
                code_rounds += 1
                log.append(_record(reply, round=code_rounds, code=None, no_code=cut or parsed.note))
                if cut:
                    reply_budget = min(MAX_REPLY_TOKENS, reply_budget * 2)
                    feedback = (f"Your reply was cut off at the length limit ({size}) before it was complete. "
                                "Reply again with only the ```python block and the ```json card, kept short.")
                else:
                    feedback = (f"Your reply had no usable Python code ({parsed.note}). Reply with one ```python "
                                "block holding the function, then the ```json card.")
            else:
                code_rounds += 1
                code, entry = parsed.code, parsed.entry
                calls_made = calls_of(code, index)
                description = parsed.description
                if description and (len(description) > 900 or "<" in description or ">" in description):
                    description = None  # not a valid skill description: the learner writes one instead
                module = link(code, calls_made, library_dir=skills_dir, doc=description)
                findings = literal_findings(code, task.examples)
                fields: dict[str, Any] = {"round": code_rounds, "code": module, "entry": entry, "note": parsed.note,
                                          "uses": list(calls_made), "card": {"name": parsed.name,
                                                                             "description": parsed.description}}
                if cut:
                    fields["truncated"] = True
                if findings:
                    attempt.programs_tried += 1
                    log.append(_record(reply, **fields, passed=False, verdict="overfit: " + "; ".join(findings)))
                    feedback = (f"That code {findings[0]}. Hidden tests use other inputs, so it would fail them: "
                                "compute the result from the input with the general rule. Reply with the "
                                "corrected ```python block and the ```json card.")
                else:
                    try:
                        remaining = deadline - time.monotonic()
                        reads = [Path(skills_dir) / c for c in calls_made] if skills_dir else []
                        verdict = _verifier(self.sandbox, remaining).check(module, entry, shown, reads=reads)
                        held = None
                        if verdict.passed and hidden:
                            held = _verifier(self.sandbox, deadline - time.monotonic()).check(module, entry, hidden,
                                                                                             reads=reads)
                    except EvoskillError as exc:
                        log.append(_record(reply, **fields, event="sandbox-error", error=str(exc)))
                        break
                    attempt.programs_tried += 1
                    described = verdict.describe()[:_FEEDBACK_CHARS]
                    passed = verdict.passed and (held is None or held.passed)
                    fields.update(passed=passed, verdict=described, limit=verdict.limit,
                                  verify_seconds=round(verdict.seconds, 3))
                    if held is not None:
                        fields["hidden"] = held.describe(limit=2)[:_FEEDBACK_CHARS]
                    log.append(_record(reply, **fields))
                    if passed:
                        attempt.solved = True
                        attempt.solution = Solution(kind="python", source=code, python=module, entry=entry,
                                                    arg_types=tuple(task.input_types), return_type=task.output_type,
                                                    uses=calls_made)
                        break
                    if not verdict.passed:
                        with self._lock:
                            self._last_wrong[task.name] = described.splitlines()[-1][:200]
                        feedback = (f"That code is wrong on the examples:\n{described}\n"
                                    f"{'(Note: ' + cut + '.)' if cut else ''}"
                                    "Find the general rule that fits every example (hidden tests use other inputs; "
                                    "do not special-case these). Reply with the corrected ```python block and the "
                                    "```json card.")
                    else:
                        assert held is not None
                        bad = [f.inputs for f in held.failures][:2]
                        shown_inputs = "; ".join(_inputs_text(Example(tuple(b), None)) for b in bad) or "some inputs"
                        with self._lock:
                            self._last_wrong[task.name] = f"it failed hidden tests on inputs {shown_inputs}"[:200]
                        feedback = (f"That code passes the examples shown but fails {len(held.failures) or 'some'} "
                                    f"of {held.total} hidden tests, e.g. on input {shown_inputs} (the expected "
                                    "output is not shown). It does not capture the general rule yet: rethink it. "
                                    "Reply with the corrected ```python block and the ```json card.")
            near = self._hints(hints, given)
            if near:
                feedback = f"{feedback}\n\n{near}"
            messages = [*base, Message("assistant", reply.text[:_LOG_CHARS]), Message("user", feedback)]
        attempt.seconds = time.monotonic() - start
        return attempt

    @staticmethod
    def _hints(hints: Callable[[], Sequence[str]] | None, given: set[str]) -> str:
        if hints is None:
            return ""
        try:
            fresh = [h for h in hints() if h not in given]
        except Exception:  # hints are a courtesy
            return ""
        given.update(fresh)
        if not fresh:
            return ""
        return ("A program search over the library found programs close to the rule (each fits all the "
                "examples but one); they may point to it:\n" + "\n".join(f"- {h}" for h in fresh[:5]))


def make(context: ProposerContext) -> LLMProposer:
    """The ``llm`` entry of the proposer registry."""
    if context.model is None:
        raise UserError("--proposer llm needs a model", fix="add --model local:smollm2 (or openai:..., anthropic:...)")
    return LLMProposer(context.model, context.sandbox, context.learner.library)
