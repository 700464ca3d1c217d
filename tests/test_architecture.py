"""The house rules that keep evoskill changeable (issue 11), as tests that fail when broken."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import evoskill
from evoskill.evolve import EvolveConfig, Run
from evoskill.learner import Learner
from evoskill.library import Library
from evoskill.proposer import proposer_names
from evoskill.sandbox import Sandbox
from evoskill.session import install_core
from evoskill.store import LibraryStore
from evoskill.tasks import task_from_dict
from evoskill.testing import ScriptedProposer

PACKAGE = Path(evoskill.__file__).parent


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by ``path`` (relative imports resolved), lazy imports included."""
    tree = ast.parse(path.read_text("utf-8"))
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[:-node.level] if path.name != "__init__.py" else parts[:len(parts) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names}
    return found


def test_only_proposers_import_the_proposers_package() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("synth", "core") or "skills" in rel.parts:
            continue
        bad = sorted(m for m in _imports(path) if m == "evoskill.synth" or m.startswith("evoskill.synth."))
        if bad:
            offenders.append(f"{rel}: {bad}")
    assert not offenders, "modules outside synth/ import from it (use evoskill.lang, evoskill.proposer or the " \
                          f"proposer registry): {offenders}"


def test_the_language_does_not_depend_on_proposers_or_the_loop() -> None:
    for path in (PACKAGE / "lang").glob("*.py"):
        bad = sorted(m for m in _imports(path) if m.startswith(("evoskill.synth", "evoskill.evolve",
                                                                 "evoskill.learner", "evoskill.library")))
        assert not bad, f"lang/{path.name} imports {bad}"


def test_proposers_are_registered_by_name() -> None:
    assert {"search", "llm", "hybrid"} <= set(proposer_names())


def test_library_implements_the_store_protocol(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib")
    assert isinstance(lib, LibraryStore)
    lib.close()


REVERSE = task_from_dict({"name": "reverse", "examples": [{"inputs": [[1, 2, 3]], "output": [3, 2, 1]},
                                                          {"inputs": [[4, 5]], "output": [5, 4]},
                                                          {"inputs": [[7, 8, 9]], "output": [9, 8, 7]}],
                          "held_out": [{"inputs": [[4, 6]], "output": [6, 4]}]})


@pytest.mark.parametrize("forged", [False, True])
def test_no_proposer_result_reaches_metrics_or_library_unverified(tmp_path: Path, forged: bool) -> None:
    """A proposer claims a wrong program solves the task (even setting ``verified`` itself): the host's check
    refuses it, so it is neither counted as solved nor stored."""
    library = Library(tmp_path / "lib")
    install_core(library)
    before = {r.name for r in library.list()}
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        proposer = ScriptedProposer(["(list-sort x0)"], forge=forged)
        config = EvolveConfig(rounds=1, budget_seconds=5, workers=1, compress=False, curate=False)
        report = Run([REVERSE], proposer, learner, config=config, run_dir=tmp_path / "run").run()
    assert report["solved"] == 0 and report["rounds"][0]["solved"] == 0
    assert {r.name for r in library.list()} == before
    attempts = (tmp_path / "run" / "attempts.jsonl").read_text()
    assert "host-verification-failed" in attempts
    library.close()


def test_a_verified_answer_is_counted_and_stored(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    install_core(library)
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        config = EvolveConfig(rounds=1, budget_seconds=5, workers=1, compress=False, curate=False,
                              cross_validate=False)
        report = Run([REVERSE], ScriptedProposer(["(list-reverse x0)"]), learner, config=config,
                     run_dir=tmp_path / "run").run()
    assert report["solved"] == 1 and report["per_task"][0]["skill"]
    library.close()


def test_cross_validation_is_the_loops_business() -> None:
    """The learner never calls a proposer: re-solving without an example is done by the loop (admission)."""
    import inspect

    from evoskill import admission, learner

    assert not hasattr(learner.Learner, "admit")
    assert "propose(" not in inspect.getsource(learner)
    assert "propose(" in inspect.getsource(admission)


def test_errors_that_cross_modules_are_evoskill_errors(tmp_path: Path) -> None:
    """A bad signature, a non-JSON value and a malformed tests file raise errors of evoskill's tree, with
    a fix, not a bare ValueError that each caller must know to catch."""
    from evoskill.errors import InvalidSkill, InvalidValue, ParseError
    from evoskill.lang.primitives import parse_signature
    from evoskill.lang.types import type_of
    from evoskill.verify import load_examples

    with pytest.raises(ParseError) as bad_sig:
        parse_signature("str str")
    with pytest.raises(InvalidValue) as bad_value:
        type_of({1: "a"})
    (tmp_path / "examples.json").write_text('{"inputs": [1]}')
    with pytest.raises(InvalidSkill) as bad_tests:
        load_examples(tmp_path / "examples.json")
    (tmp_path / "examples.json").write_text("[{")
    with pytest.raises(InvalidSkill):
        load_examples(tmp_path / "examples.json")
    assert all(e.value.fix for e in (bad_sig, bad_value, bad_tests))
    assert not any(isinstance(e.value, ValueError) for e in (bad_sig, bad_value, bad_tests))


def test_run_evolve_takes_typed_options(tmp_path: Path) -> None:
    """A program drives a run with typed options, as the command line does (no argparse namespace)."""
    import inspect

    from evoskill.session import RunPlace, run_evolve

    assert "Namespace" not in str(inspect.signature(run_evolve))
    config = EvolveConfig(rounds=1, budget_seconds=2, workers=1, max_programs=20_000)
    report = run_evolve(["lists-rule[:2]"], config, RunPlace(fresh_library=True, run_dir=str(tmp_path / "run")))
    assert report["tasks"] == 2 and (tmp_path / "run" / "report.json").is_file()
    assert json.loads((tmp_path / "run" / "report.json").read_text())["config"]["max_programs"] == 20_000
