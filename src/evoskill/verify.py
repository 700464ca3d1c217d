"""The verifier: runs a candidate in the sandbox on examples and compares outputs on the host side.

The candidate runs inside the sandbox and only returns values; comparison happens here, in the trusted
process, so code that tampers with its own interpreter cannot forge a pass.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidSkill, InvalidValue, ParseError, UserError
from .lang.values import close
from .sandbox import Limits, Sandbox
from .tasks import MISSING, Example

# Appended to the candidate's module; calls the entry point on every example and reports values or errors.
_HARNESS = '''

def __evoskill_run_all__(__entry, __inputs):
    __out = []
    __fn = globals().get(__entry)
    if not callable(__fn):
        raise NameError(f"the code defines no function named {__entry!r}")
    for __args in __inputs:
        try:
            __out.append({"value": __fn(*__args)})
        except Exception as __exc:  # report per example, keep going
            __out.append({"error": f"{type(__exc).__name__}: {__exc}"})
    return __out
'''


# Imports a script by path and exposes its globals, so that the harness can find the entry point.
_FILE_LOADER = '''
import importlib.util as __ilu
__spec = __ilu.spec_from_file_location("evoskill_candidate", {path!r})
__module = __ilu.module_from_spec(__spec)
__spec.loader.exec_module(__module)
globals().update({{k: v for k, v in vars(__module).items() if not k.startswith("__")}})
'''


# Compiles lambda arguments given as program text, then calls the entry point.
_LAMBDA_WRAPPER = '''
def __evoskill_with_lambdas__(*args):
    from evoskill.lang.primitives import FUNCTIONS
    from evoskill.lang.program import compile_program, parse
    args = [compile_program(parse(a), 0, FUNCTIONS)() if i in {positions} and isinstance(a, str) else a
            for i, a in enumerate(args)]
    return {entry}(*args)
'''


@dataclass(frozen=True)
class Failure:
    """One example the candidate got wrong: what it was given, what was wanted, what came back."""

    inputs: tuple[Any, ...]
    expected: Any
    actual: Any = None
    error: str | None = None

    def describe(self) -> str:
        args = ", ".join(json.dumps(a) for a in self.inputs)
        got = f"raised {self.error}" if self.error else f"returned {json.dumps(self.actual)}"
        if self.expected is MISSING:
            return f"f({args}) {got}, which the task's check rejects" if not self.error else f"f({args}) {got}"
        return f"f({args}) should return {json.dumps(self.expected)} but {got}"


@dataclass
class Verdict:
    """The outcome of checking a candidate on a set of examples."""

    passed: bool
    total: int
    failures: list[Failure] = field(default_factory=list)
    error_type: str | None = None
    error_message: str | None = None
    limit: str | None = None
    seconds: float = 0.0
    #: what came back per example (for a checker to judge); not part of the verdict's meaning
    outputs: list[Any] = field(default_factory=list, repr=False)

    def describe(self, limit: int = 5) -> str:
        if self.passed:
            return f"all {self.total} examples pass"
        if self.error_type:
            extra = f" (limit: {self.limit})" if self.limit else ""
            return f"{self.error_type}: {self.error_message}{extra}"
        lines = [f.describe() for f in self.failures[:limit]]
        return f"{len(self.failures)}/{self.total} examples fail:\n" + "\n".join(lines)




class Verifier:
    """Checks Python candidates against examples in a :class:`Sandbox`."""

    def __init__(self, sandbox: Sandbox, limits: Limits | None = None) -> None:
        self.sandbox = sandbox
        self.limits = limits or Limits(cpu_seconds=5, wall_seconds=10, memory_mb=512)

    def check(self, code: str, entry: str, examples: Sequence[Example], judge: str | None = None,
              reads: Sequence[str | Path] = ()) -> Verdict:
        """Run ``entry`` from ``code`` on every example; pass only if every output matches (exactly, or within
        the example's tolerance) and, with ``judge`` (a task's ``check`` source), the checker accepts it.
        ``reads``: folders the code may read (the library skills it calls); nothing else beyond Python."""
        return self._run(code + _HARNESS, entry, examples, judge, reads)

    def check_file(self, path: str | Path, entry: str, examples: Sequence[Example],
                   function_args: Sequence[int] = (), judge: str | None = None,
                   reads: Sequence[str | Path] | None = None) -> Verdict:
        """Like :meth:`check` for a script on disk (a skill's entry point, importing its siblings).

        ``function_args``: positions of function-typed parameters, whose example values are lambdas
        written as programs (``"(lambda (a) (int-add a 1))"``) and are compiled before the call.
        ``reads``: what the job may read; by default the folder that holds the skill's folder (a staging
        root, where the skills it calls were copied beside it).
        """
        path = Path(path).resolve()
        if reads is None:
            reads = [path.parents[2] if path.parent.name == "scripts" else path.parent]
        loader = _FILE_LOADER.format(path=str(path))
        if function_args:
            loader += _LAMBDA_WRAPPER.format(entry=entry, positions=sorted(function_args))
            entry = "__evoskill_with_lambdas__"
        return self._run(loader + _HARNESS, entry, examples, judge, reads)

    def _run(self, code: str, entry: str, examples: Sequence[Example], judge: str | None = None,
             reads: Sequence[str | Path] = ()) -> Verdict:
        inputs = [list(e.inputs) for e in examples]
        result = self.sandbox.run_code(code, "__evoskill_run_all__", [entry, inputs], limits=self.limits,
                                       reads=reads)
        return apply_judge(self.sandbox, _compare(result, examples), examples, judge, self.limits)


def run_program(spec: list[dict[str, Any]], source: str, arity: int, inputs: list[list[Any]]) -> list[dict[str, Any]]:
    """Sandbox side of :func:`check_program`: evaluate a DSL program on inputs, one result per input."""
    from .lang.components import from_spec
    from .lang.program import compile_program, parse

    fns = {c.name: c.fn for c in from_spec(spec)}
    fn = compile_program(parse(source), arity, fns)
    out: list[dict[str, Any]] = []
    for args in inputs:
        try:
            out.append({"value": fn(*args)})
        except Exception as exc:  # report per input, keep going
            out.append({"error": f"{type(exc).__name__}: {exc}"})
    return out


def check_program(sandbox: Sandbox, source: str, arity: int, spec: list[dict[str, Any]],
                  examples: Sequence[Example], limits: Limits | None = None, judge: str | None = None) -> Verdict:
    """Check a DSL program (over the components in ``spec``) on examples, evaluated in the sandbox."""
    if not examples:
        return Verdict(True, 0)
    lim = limits or Limits(cpu_seconds=10, wall_seconds=20, memory_mb=1024)
    from .lang.components import script_folders

    result = sandbox.call("evoskill.verify:run_program", [spec, source, arity, [list(e.inputs) for e in examples]],
                          limits=lim, reads=script_folders(spec))
    return apply_judge(sandbox, _compare(result, examples), examples, judge, lim)


# Runs a task's checker on (inputs, output) pairs; one True/False (or an error text) per pair.
_JUDGE = '''

def __evoskill_judge__(__pairs):
    __out = []
    for __inputs, __output in __pairs:
        try:
            __out.append(bool(check(__inputs, __output)))
        except Exception as __exc:
            __out.append(f"{type(__exc).__name__}: {__exc}")
    return __out
'''


def apply_judge(sandbox: Sandbox, verdict: Verdict, examples: Sequence[Example], judge: str | None,
                limits: Limits | None = None) -> Verdict:
    """Run the task's checker (``judge``, source of ``check(inputs, output)``) in the sandbox on every output
    that came back; a rejected output is a failure. Without a checker, ``verdict`` is returned unchanged."""
    if judge is None or verdict.error_type or not verdict.outputs:
        return verdict
    pairs = [(list(ex.inputs), out) for ex, out in zip(examples, verdict.outputs, strict=True)
             if out is not _NO_VALUE]
    idx = [i for i, out in enumerate(verdict.outputs) if out is not _NO_VALUE]
    result = sandbox.run_code(judge + _JUDGE, "__evoskill_judge__", [pairs], limits=limits, reads=())
    if not result.ok or not isinstance(result.value, list) or len(result.value) != len(pairs):
        return Verdict(False, verdict.total, verdict.failures, error_type=f"checker {result.error_type or 'error'}",
                       error_message=result.error_message or "the check function did not answer for every output",
                       seconds=verdict.seconds + result.seconds, outputs=verdict.outputs)
    failures = list(verdict.failures)
    for i, ok in zip(idx, result.value, strict=True):
        if ok is not True:
            ex = examples[i]
            failures.append(Failure(ex.inputs, ex.output, actual=verdict.outputs[i],
                                    error=None if ok is False else f"the check raised {ok}"))
    return Verdict(not failures, verdict.total, failures, seconds=verdict.seconds + result.seconds,
                   outputs=verdict.outputs)


_NO_VALUE: Any = object()


def _compare(result: Any, examples: Sequence[Example]) -> Verdict:
    if not result.ok:
        return Verdict(False, len(examples), error_type=result.error_type or "Error",
                       error_message=result.error_message or "", limit=result.limit, seconds=result.seconds)
    outputs = result.value
    if not isinstance(outputs, list) or len(outputs) != len(examples):
        return Verdict(False, len(examples), error_type="ProtocolError",
                       error_message="the candidate did not return one result per example", seconds=result.seconds)
    failures = []
    values: list[Any] = []
    for ex, out in zip(examples, outputs, strict=True):
        values.append(out.get("value") if isinstance(out, dict) and "error" not in out else _NO_VALUE)
        if not isinstance(out, dict):
            failures.append(Failure(ex.inputs, ex.output, error="malformed result"))
        elif "error" in out:
            failures.append(Failure(ex.inputs, ex.output, error=str(out["error"])))
        elif ex.has_output and not close(out.get("value"), ex.output, ex.tolerance):
            failures.append(Failure(ex.inputs, ex.output, actual=out.get("value")))
    return Verdict(not failures, len(examples), failures, seconds=result.seconds, outputs=values)


def load_examples(path: Path) -> list[Example]:
    """A skill's examples: ``path`` is its ``tests/examples.json``, or its folder (no file: no examples).

    Raises :class:`~evoskill.errors.InvalidSkill` with the reason when the file is malformed.
    """
    if path.is_dir():
        path = path / "tests" / "examples.json"
        if not path.is_file():
            return []
    shape = 'write [{"inputs": [...], "output": ...}, ...]'
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSkill(f"{path} is not JSON: {exc}", fix=shape) from None
    judged = (path.parent / "check.py").is_file()  # with a checker, outputs may be left out
    if not isinstance(raw, list) or not all(isinstance(e, dict) and isinstance(e.get("inputs"), list)
                                            and ("output" in e or judged) for e in raw):
        raise InvalidSkill(f"{path} does not hold a list of examples", fix=shape)
    return [Example.from_dict(e) for e in raw]


def load_judge(folder: Path) -> str | None:
    """A skill's ``tests/check.py`` (the task's checker, kept with the skill), or None."""
    path = folder / "tests" / "check.py"
    return path.read_text("utf-8") if path.is_file() else None


def _function_args(skill: Any) -> list[int]:
    """Positions of function-typed parameters in a skill's ``evoskill-signature``."""
    from .lang.primitives import parse_signature

    sig = skill.manifest.metadata.get("evoskill-signature")
    if not sig:
        return []
    try:
        args, _ = parse_signature(sig)
    except ParseError:  # an unreadable signature: call the function as it is
        return []
    return [i for i, t in enumerate(args) if "->" in t]


def run_skill_tests(library: Any, sandbox: Sandbox, names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run the examples of each named (default: every active) skill's ``tests/examples.json`` in the sandbox."""
    verifier = Verifier(sandbox)
    skills = [library.get(n) for n in names] if names else list(library.skills())
    results = []
    for skill in skills:
        row: dict[str, Any] = {"name": skill.name, "passed": False, "skipped": False, "detail": ""}
        ep, ex_path = skill.entry_point, skill.examples_path
        if ep is None and skill.manifest.metadata.get("evoskill-signature"):
            row["detail"] = f"scripts/{skill.name.replace('-', '_')}.py is missing (its SKILL.md declares a signature)"
        elif ep is None or ex_path is None:
            row.update(skipped=True, detail="no script" if ep is None else "no tests/examples.json")
        else:
            try:
                examples = load_examples(ex_path)
            except InvalidSkill as exc:
                row["detail"] = f"tests/examples.json is malformed: {exc.message}"
            else:
                if not examples:
                    row.update(skipped=True, detail="tests/examples.json is empty")
                else:
                    # a library skill's tests read its own folder only (the skills it calls travel inside it)
                    verdict = verifier.check_file(ep[0], ep[1], examples, function_args=_function_args(skill),
                                                  judge=load_judge(skill.path), reads=[skill.path])
                    row.update(passed=verdict.passed, detail=verdict.describe(limit=3))
        results.append(row)
    return results


def check_arguments(name: str, signature: str | None, args: Sequence[Any]) -> None:
    """Raise :class:`UserError` when ``args`` do not fit the skill's ``evoskill-signature`` (count, then types)."""
    from .lang.primitives import parse_signature
    from .tasks import TYPES, type_of

    if not signature:
        return
    try:
        arg_types, _ = parse_signature(signature)
    except ParseError:
        return
    if len(args) != len(arg_types):
        plural = "" if len(arg_types) == 1 else "s"
        raise UserError(f"{name} takes {len(arg_types)} argument{plural} ({signature}), got {len(args)}",
                        fix=f"pass {len(arg_types)} JSON value{plural}")
    for i, (value, want) in enumerate(zip(args, arg_types, strict=True), 1):
        if want.startswith("("):
            raise UserError(f"{name} takes a function as argument {i} ({want}): it cannot be given as a value",
                            fix="use it inside a program (evoskill solve) instead")
        if want not in TYPES:
            continue
        try:
            got = type_of(value)
        except InvalidValue:
            got = "list" if isinstance(value, list) else type(value).__name__
        if got != want:
            shown = json.dumps(value, ensure_ascii=False)
            raise UserError(f"{name}: argument {i} must be {want} ({signature}), got {got} {shown[:80]}",
                            fix=f"pass a {want} as argument {i}")
