"""distill: a solution becomes a valid, tested skill in a real library; wrong ones are refused."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import evoskill
from evoskill.distill import distill, sanitize_name
from evoskill.library import Library
from evoskill.proposer import Solution
from evoskill.sandbox import Sandbox
from evoskill.staging import reference_problems
from evoskill.tasks import Example, Task

CORE = Path(evoskill.__file__).parent / "core" / "skills"
PRIMS = ("text-upper", "text-lower", "text-concat", "text-left", "text-before", "text-after")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=1) as sb:
        yield sb


@pytest.fixture()
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "lib")
    for name in PRIMS:
        lib.add(CORE / name)
    yield lib
    lib.close()


INITIALS = Task(
    name="Initials of a name", description="the initials of a first and last name",
    examples=(Example(("John Smith",), "J.S."), Example(("ada lovelace",), "A.L.")),
    held_out=(Example(("Grace Hopper",), "G.H."),), input_types=("str",), output_type="str")
PROGRAM = ('(text-concat (text-upper (text-left x0 1)) (text-concat "." (text-concat '
           '(text-upper (text-left (text-after x0 " ") 1)) ".")))')


def program_solution(source: str = PROGRAM) -> Solution:
    return Solution(kind="program", source=source, python="", entry="f", arg_types=("str",), return_type="str")


def test_sanitize_name() -> None:
    assert sanitize_name("Initials of a name!") == "task-initials-of-a-name"
    assert len(sanitize_name("x" * 200)) <= 64


def test_program_solution_becomes_a_valid_tested_skill(library: Library, sandbox: Sandbox) -> None:
    res = distill(program_solution(), INITIALS, library=library, sandbox=sandbox, round=3)
    assert res.ok, res.reason
    assert res.record is not None and res.record.name == "initials-of-a-name"
    skill = library.get(res.name)
    meta = skill.manifest.metadata
    assert meta["evoskill-kind"] == "solution" and meta["evoskill-trust"] == "verified"
    assert meta["evoskill-origin"] == "task:Initials of a name" and meta["evoskill-round"] == "3"
    assert meta["evoskill-signature"] == "str -> str" and meta["evoskill-program"] == PROGRAM
    assert meta["evoskill-parents"] == "text-after,text-concat,text-left,text-upper" and meta["evoskill-hash"] and meta["evoskill-version"] == "1"
    assert "<" not in skill.description and "Use it when" in skill.description
    assert skill.description.startswith("Returns ") and "Built from" not in skill.description
    assert reference_problems(skill.path) == []
    cli = Path(sys.executable).parent / "agentskills"
    if cli.exists():
        assert subprocess.run([str(cli), "validate", str(skill.path)], capture_output=True).returncode == 0
    # held-out examples never reach the skill
    text = "".join(p.read_text() for p in skill.path.rglob("*") if p.is_file())
    assert "Grace" not in text and "G.H." not in text
    tests = json.loads((skill.path / "tests" / "examples.json").read_text())
    assert tests == [e.to_dict() for e in INITIALS.examples]
    # the stored skill runs from the command line beside its siblings
    view = library.skills_dir / res.name / "scripts" / "initials_of_a_name.py"
    out = subprocess.run([sys.executable, str(view), "Alan Turing"], capture_output=True, text=True)
    assert json.loads(out.stdout) == "A.T."


def test_parents_name_learned_skills(library: Library, sandbox: Sandbox) -> None:
    first = distill(program_solution(), INITIALS, library=library, sandbox=sandbox)
    assert first.ok, first.reason
    task = Task(name="initials-lower", description="", input_types=("str",), output_type="str",
                examples=(Example(("John Smith",), "j.s."),))
    res = distill(program_solution(f"(text-lower ({first.name} x0))"), task, library=library, sandbox=sandbox,
                  name="Bad Name!", description="Lower-case initials <b>")
    assert res.ok, res.reason
    skill = library.get(res.name)
    assert res.name == "initials-lower"
    assert skill.manifest.metadata["evoskill-parents"] == f"{first.name},text-lower"
    assert "<" not in skill.description


def test_python_solution_with_llm_name(library: Library, sandbox: Sandbox) -> None:
    code = "def solve(s: str) -> str:\n    return '.'.join(w[0].upper() for w in s.split()) + '.'\n"
    sol = Solution(kind="python", source=code, python=code, entry="solve", arg_types=("str",), return_type="str")
    res = distill(sol, INITIALS, library=library, sandbox=sandbox, name="name-initials",
                  description="Initials of a person's name, e.g. J.S. Use when abbreviating names.")
    assert res.ok, res.reason
    skill = library.get("name-initials")
    assert "evoskill-program" not in skill.manifest.metadata
    assert skill.description.startswith("Initials of a person")
    script = skill.path / "scripts" / "name_initials.py"
    out = subprocess.run([sys.executable, str(script), "Ada Lovelace"], capture_output=True, text=True)
    assert json.loads(out.stdout) == "A.L."


def test_wrong_solution_is_refused(library: Library, sandbox: Sandbox) -> None:
    before = [r.name for r in library.list(include_archived=True)]
    res = distill(program_solution("(text-upper x0)"), INITIALS, library=library, sandbox=sandbox)
    assert not res.ok and "tests fail" in res.reason
    code = "def solve(s):\n    raise ValueError('no')\n"
    bad = Solution(kind="python", source=code, python=code, entry="solve", arg_types=("str",), return_type="str")
    res2 = distill(bad, INITIALS, library=library, sandbox=sandbox)
    assert not res2.ok
    assert [r.name for r in library.list(include_archived=True)] == before


def test_name_clash_gets_suffix(library: Library, sandbox: Sandbox) -> None:
    task = Task(name="text upper", description="shout", input_types=("str",), output_type="str",
                examples=(Example(("ab",), "AB"),))
    res = distill(program_solution("(text-upper x0)"), task, library=library, sandbox=sandbox, name="text-upper")
    assert res.ok, res.reason
    assert res.name == "text-upper-2"
    other = Task(name="Text Upper", description="shout again", input_types=("str",), output_type="str",
                 examples=(Example(("cd",), "CD"),))
    res2 = distill(program_solution("(text-upper x0)"), other, library=library, sandbox=sandbox)
    assert res2.ok and res2.name == "text-upper-3"


def test_skill_runs_alone_with_plain_python(library: Library, sandbox: Sandbox, tmp_path: Path) -> None:
    first = distill(program_solution(), INITIALS, library=library, sandbox=sandbox)
    task = Task(name="initials-lower", description="", input_types=("str",), output_type="str",
                examples=(Example(("John Smith",), "j.s."), Example(("ada lovelace",), "a.l.")))
    res = distill(program_solution(f"(text-lower ({first.name} x0))"), task, library=library, sandbox=sandbox)
    assert first.ok and res.ok, res.reason
    alone = tmp_path / "elsewhere" / res.name
    shutil.copytree(library.get(res.name).path, alone)
    script = alone / "scripts" / "initials_lower.py"
    run = subprocess.run([sys.executable, "-I", "-S", str(script), "Alan Turing"], capture_output=True, text=True,
                         cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == "a.t."
    # the learned skill it calls travels inside it, with its own vendored primitives
    assert (alone / "scripts" / "_vendor" / first.name / "_vendor" / "text-upper" / "text_upper.py").is_file()
    # a changed vendored copy is refused, not run
    dep = alone / "scripts" / "_vendor" / "text-lower" / "text_lower.py"
    dep.write_text(dep.read_text().replace("s.lower()", "s.upper()"))
    run = subprocess.run([sys.executable, str(script), "Alan Turing"], capture_output=True, text=True)
    assert run.returncode != 0 and "pinned" in run.stderr
