"""curate: equivalent skills are merged (archived, never deleted), failing skills are retired."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import evoskill
from evoskill.curate import merge_equivalent, probe_inputs, retire_failing
from evoskill.distill import DistillResult, distill, refresh_dependents
from evoskill.library import Library
from evoskill.proposer import Solution
from evoskill.sandbox import Sandbox
from evoskill.skill import Skill
from evoskill.staging import verify_copy
from evoskill.tasks import Example, Task

CORE = Path(evoskill.__file__).parent / "core" / "skills"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=1) as sb:
        yield sb


@pytest.fixture()
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "lib")
    for name in ("text-upper", "text-lower", "text-concat", "text-left", "text-right"):
        lib.add(CORE / name)
    yield lib
    lib.close()


def task(name: str, pairs: list[tuple[str, str]]) -> Task:
    return Task(name=name, description=name.replace("-", " "), input_types=("str",), output_type="str",
                examples=tuple(Example((i,), o) for i, o in pairs))


def add_program(lib: Library, sb: Sandbox, name: str, program: str, pairs: list[tuple[str, str]]) -> DistillResult:
    sol = Solution(kind="program", source=program, python="", entry="f", arg_types=("str",), return_type="str")
    res = distill(sol, task(name, pairs), library=lib, sandbox=sb)
    assert res.ok, res.reason
    return res


def add_python(lib: Library, sb: Sandbox, name: str, code: str, pairs: list[tuple[str, str]],
               skill_name: str | None = None) -> DistillResult:
    sol = Solution(kind="python", source=code, python=code, entry="f", arg_types=("str",), return_type="str")
    res = distill(sol, task(name, pairs), library=lib, sandbox=sb, name=skill_name)
    assert res.ok, res.reason
    return res


def test_probe_inputs_mix_tests_and_generic_values(library: Library) -> None:
    skills = [library.get("text-upper")]
    probes = probe_inputs(("str",), skills, [["zz"]])
    assert ("zz",) in probes and ("",) in probes and len(probes) <= 40
    assert all(len(p) == 1 for p in probes)


def test_merge_keeps_simplest_and_archives_others(library: Library, sandbox: Sandbox) -> None:
    big = add_program(library, sandbox, "shout-long", "(text-upper (text-concat x0 \"\"))", [("ab", "AB")])
    small = add_program(library, sandbox, "shout", "(text-lower (text-upper x0))", [("Ab", "ab")])
    other = add_program(library, sandbox, "first-upper", "(text-upper (text-left x0 1))", [("ab", "A")])
    py = add_python(library, sandbox, "shout-py", "def f(s):\n    return s.upper()\n", [("xy", "XY")])
    caller = add_program(library, sandbox, "shout-bang", f'(text-concat ({big.name} x0) "!")', [("a", "A!")])
    merges = merge_equivalent(library, sandbox=sandbox)
    by_kept = {m.kept: m for m in merges}
    # text-upper (a primitive) is the simplest: both duplicates of it are archived, never the primitive
    assert "text-upper" in by_kept
    m = by_kept["text-upper"]
    assert set(m.archived) == {big.name, py.name}
    assert m.rewritten == [caller.name]
    names = {r.name: r for r in library.list(include_archived=True)}
    assert names[big.name].archived and names[py.name].archived  # archived, not deleted
    assert not names["text-upper"].archived
    # lower(upper(s)) behaves like the primitive text-lower on every probe
    assert by_kept["text-lower"].archived == [small.name] and names[small.name].archived
    assert not names[other.name].archived
    assert (library.archive_dir / big.name).is_dir()
    assert library.history(big.name)[-1].reason == "merged into text-upper"
    # the caller now calls the kept skill and still passes its tests
    skill = library.get(caller.name)
    assert skill.manifest.metadata["evoskill-program"] == '(text-concat (text-upper x0) "!")'
    assert skill.manifest.metadata["evoskill-version"] == "2"
    assert verify_copy(library.skills_dir / caller.name, library, sandbox) == ""
    # primitives are untouched
    assert library.get("text-upper").manifest.metadata["evoskill-version"] == "1"


def test_merge_prefers_smaller_program(library: Library, sandbox: Sandbox) -> None:
    a = add_program(library, sandbox, "initial-long", '(text-concat (text-left x0 1) "")', [("ab", "a")])
    b = add_program(library, sandbox, "initial", "(text-left (text-left x0 1) 1)", [("cd", "c")])
    c = add_program(library, sandbox, "initial-short", "(text-left x0 1)", [("ef", "e")])
    merges = merge_equivalent(library, sandbox=sandbox)
    assert [(m.kept, sorted(m.archived)) for m in merges] == [(c.name, sorted([a.name, b.name]))]


def test_caller_keeps_the_version_it_was_tested_with(library: Library, sandbox: Sandbox) -> None:
    dep = add_python(library, sandbox, "loud", "def f(s):\n    return s.upper()\n", [("ab", "AB")])
    user = add_program(library, sandbox, "loud-bang", f'(text-concat ({dep.name} x0) "!")', [("ab", "AB!")])
    good = add_program(library, sandbox, "loud-ask", f'(text-concat ({dep.name} x0) "?")', [("12", "12?")])
    assert retire_failing(library, sandbox) == []
    # a new version of the dependency changes its behaviour (its own tests still pass)
    add_python(library, sandbox, "loud", "def f(s):\n    return s.lower()\n", [("AB", "ab")])
    assert library.get(dep.name).manifest.metadata["evoskill-version"] == "2"
    # callers carry the version they were tested with, so nothing breaks
    assert retire_failing(library, sandbox) == []
    refresh = refresh_dependents(library, sandbox, dep.name)
    # the caller whose tests still pass moves to the new version; the other keeps its previous one
    assert refresh.updated == [good.name] and set(refresh.kept) == {user.name}
    assert library.get(good.name).manifest.metadata["evoskill-version"] == "2"
    assert library.get(user.name).manifest.metadata["evoskill-version"] == "1"
    assert verify_copy(library.skills_dir / user.name, library, sandbox) == ""


def test_retire_archives_skill_whose_tests_fail(library: Library, sandbox: Sandbox) -> None:
    user = add_program(library, sandbox, "bang", '(text-concat x0 "!")', [("ab", "ab!")])
    broken = library.root / "edited"
    shutil.copytree(library.get(user.name).path, broken / user.name)
    (broken / user.name / "tests" / "examples.json").write_text('[{"inputs": ["ab"], "output": "nope"}]')
    library.add(broken / user.name)
    assert retire_failing(library, sandbox) == [user.name]
    assert "tests fail" in (library.history(user.name)[-1].reason or "")


def test_retire_with_repair(library: Library, sandbox: Sandbox) -> None:
    dep = add_python(library, sandbox, "loud", "def f(s):\n    return s.upper()\n", [("ab", "AB")])
    user = add_python(library, sandbox, "loud-twice",
                      "import importlib.util, pathlib\n"
                      "def f(s):\n"
                      f"    p = pathlib.Path(__file__).resolve().parents[2] / '{dep.name}' / 'scripts' / "
                      f"'{dep.name.replace('-', '_')}.py'\n"
                      "    spec = importlib.util.spec_from_file_location('d', p)\n"
                      "    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
                      f"    return m.{dep.name.replace('-', '_')}(s) * 2\n", [("ab", "ABAB")])
    library.archive(dep.name, reason="test: dependency gone")
    seen: list[str] = []

    def repair(skill: Skill, reason: str) -> str | None:
        seen.append(skill.name)
        return "def " + skill.name.replace("-", "_") + "(s):\n    return s.upper() * 2\n"

    assert retire_failing(library, sandbox, repair=repair) == []
    assert seen == [user.name]
    fixed = library.get(user.name)
    assert fixed.manifest.metadata["evoskill-version"] == "2"
    assert verify_copy(library.skills_dir / user.name, library, sandbox) == ""
    # a repair that does not pass is not kept: the skill is archived instead
    library.add(library.versions(user.name)[0].path)  # back to the broken code as version 3
    assert retire_failing(library, sandbox, repair=lambda s, r: "def nope(:\n") == [user.name]
