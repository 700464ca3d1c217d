"""Skills leaving and entering the library: export to agents' folders, import from folders and git,
`add` that tests first, guarded replacement, revert. Real processes, a real library, real git."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from evoskill.distill import distill
from evoskill.errors import UserError
from evoskill.export import MANIFEST, export, select, target_dir
from evoskill.intake import add_skill, import_skills, promote_if_passing
from evoskill.library import Library
from evoskill.proposer import Solution
from evoskill.sandbox import Sandbox
from evoskill.session import install_core
from evoskill.standalone import run_alone
from evoskill.tasks import Example, Task

EVOSKILL = [sys.executable, "-m", "evoskill.cli"]


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "lib")
    install_core(lib)
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=1) as sb:
        yield sb


def learn(library: Library, sandbox: Sandbox, name: str, program: str, pairs: list[tuple[str, str]]) -> str:
    task = Task(name=name, description="", input_types=("str",), output_type="str",
                examples=tuple(Example((i,), o) for i, o in pairs))
    sol = Solution(kind="program", source=program, python="", entry="f", arg_types=("str",), return_type="str")
    res = distill(sol, task, library=library, sandbox=sandbox)
    assert res.ok, res.reason
    return res.name


def write_skill(root: Path, name: str, body: str, examples: list[dict[str, object]] | None,
                description: str = "Shouts a text. Use it when a text must be loud.") -> Path:
    folder = root / name
    (folder / "scripts").mkdir(parents=True)
    (folder / "SKILL.md").write_text(f'---\nname: {name}\ndescription: "{description}"\n---\n# {name}\n')
    (folder / "scripts" / f"{name.replace('-', '_')}.py").write_text(body)
    if examples is not None:
        (folder / "tests").mkdir()
        (folder / "tests" / "examples.json").write_text(json.dumps(examples))
    return folder


# ---- export ------------------------------------------------------------------------------------------------

def test_export_writes_standalone_valid_folders_idempotently(library: Library, sandbox: Sandbox,
                                                             tmp_path: Path) -> None:
    first = learn(library, sandbox, "first-word", '(text-before x0 " ")', [("ab cd", "ab"), ("x y", "x")])
    loud = learn(library, sandbox, "loud-first-word", f"(text-upper ({first} x0))", [("ab cd", "AB"), ("x y", "X")])
    records = select(library)
    assert {r.name for r in records} == {first, loud}  # no primitives unless asked
    dest = target_dir("claude", cwd=tmp_path)
    assert dest == tmp_path / ".claude" / "skills"
    report = export(library, records, dest)
    assert sorted(report.written) == sorted([first, loud]) and not report.refused
    # each folder runs alone, with a plain python, in an empty folder, no evoskill on the path
    for name in (first, loud):
        assert run_alone(dest / name) == ""
        agentskills = Path(sys.executable).parent / "agentskills"
        if agentskills.exists():
            assert subprocess.run([str(agentskills), "validate", str(dest / name)]).returncode == 0
    # again: nothing to do
    again = export(library, records, dest)
    assert sorted(again.unchanged) == sorted([first, loud]) and not again.written
    # a folder edited by hand is not overwritten, nor one evoskill did not write
    (dest / first / "SKILL.md").write_text((dest / first / "SKILL.md").read_text() + "\nmy note\n")
    shutil.rmtree(dest / loud)
    (dest / "text-upper").mkdir()
    third = export(library, [*records, *select(library, ["text-upper"])], dest)
    assert set(third.refused) == {first, "text-upper"} and third.written == [loud]
    assert "not written by evoskill" in third.refused["text-upper"]
    assert "my note" in (dest / first / "SKILL.md").read_text()
    manifest = json.loads((dest / MANIFEST).read_text())
    assert manifest["skills"][loud]["digest"] and manifest["skills"][loud]["files"]["SKILL.md"]
    assert export(library, records, dest, force=True).written == [first]


def test_export_refuses_unverified_and_names_primitives_only_on_request(library: Library, tmp_path: Path) -> None:
    folder = write_skill(tmp_path / "src", "shout", "def shout(s):\n    return s.upper()\n", None)
    add_skill(library, None, folder, test=False)
    assert [r.name for r in select(library)] == []
    report = export(library, select(library, ["shout", "text-upper"]), tmp_path / "out")
    assert report.written == ["text-upper"] and "unverified" in report.refused["shout"]


# ---- add ---------------------------------------------------------------------------------------------------

def test_add_runs_tests_and_guards_replacement(library: Library, sandbox: Sandbox, tmp_path: Path) -> None:
    good = write_skill(tmp_path / "a", "shout", "def shout(s):\n    return s.upper() + '!'\n",
                       [{"inputs": ["a"], "output": "A!"}])
    added = add_skill(library, sandbox, good)
    assert added.tested and added.new_version and added.record.trust == "verified"
    assert not add_skill(library, sandbox, good).new_version  # identical content is not a new version
    bad = write_skill(tmp_path / "b", "shout", "def shout(s):\n    return s\n", [{"inputs": ["a"], "output": "A!"}])
    with pytest.raises(UserError, match="tests fail"):
        add_skill(library, sandbox, bad)
    assert library.get("shout").manifest.metadata.get("evoskill-version", "1") == "1"
    assert len(library.versions("shout")) == 1
    untested = add_skill(library, sandbox, bad, test=False)
    assert untested.record.trust == "unverified" and untested.record.version == 2
    # a built-in skill is not replaced without --force
    fake = write_skill(tmp_path / "c", "text-upper", "def text_upper(s):\n    return s.lower()\n",
                       [{"inputs": ["A"], "output": "a"}])
    with pytest.raises(UserError, match="built-in"):
        add_skill(library, sandbox, fake)
    assert library.versions("text-upper")[-1].trust == "built-in"
    # nor a learned skill of another origin
    learned = learn(library, sandbox, "echo-task", "(text-trim x0)", [(" a ", "a"), ("b ", "b")])
    other = write_skill(tmp_path / "d", learned, f"def {learned.replace('-', '_')}(s):\n    return s\n",
                        [{"inputs": ["a"], "output": "a"}])
    with pytest.raises(UserError, match="another origin"):
        add_skill(library, sandbox, other)
    # revert brings version 1 back as version 3, verified again
    rec = library.revert("shout", 1)
    assert rec.version == 3 and rec.trust == "verified"
    assert library.history("shout")[-1].reason == "reverted to version 1"


def test_untested_skills_are_not_building_blocks(library: Library, sandbox: Sandbox, tmp_path: Path) -> None:
    from evoskill.learner import Learner

    folder = write_skill(tmp_path / "a", "loud", "def loud(s: str) -> str:\n    return s.upper()\n", None)
    text = (folder / "SKILL.md").read_text().replace("---\n#", 'metadata:\n  evoskill-signature: "str -> str"\n'
                                                     '  evoskill-kind: "solution"\n---\n#')
    (folder / "SKILL.md").write_text(text)
    added = add_skill(library, sandbox, folder)
    assert added.record.trust == "unverified" and any("unverified" in w for w in added.warnings)
    names = {c.name for c in Learner(library, sandbox).components()}
    assert "loud" not in names and "text-upper" in names


# ---- import ------------------------------------------------------------------------------------------------

def _git(*args: str, cwd: Path) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


def test_import_from_git_is_lenient_and_runs_nothing(library: Library, sandbox: Sandbox, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    marker = tmp_path / "ran"
    write_skill(repo / "skills", "long-doc", f"open({str(marker)!r}, 'w').write('x')\ndef long_doc(s):\n    return s\n",
                [{"inputs": ["a"], "output": "a"}], description="A skill. " * 150)
    extra = write_skill(repo / "skills", "with-extra", "def with_extra(s):\n    return s.upper()\n",
                        [{"inputs": ["a"], "output": "A"}])
    (extra / "SKILL.md").write_text((extra / "SKILL.md").read_text().replace("---\n#", "version: 2\n---\n#"))
    broken = repo / "skills" / "broken"
    broken.mkdir()
    (broken / "SKILL.md").write_text("no frontmatter")
    _git("init", "-q", cwd=repo)
    _git("add", ".", cwd=repo)
    _git("commit", "-qm", "skills", cwd=repo)
    commit = _git("rev-parse", "HEAD", cwd=repo).strip()
    long_md = (repo / "skills" / "long-doc" / "SKILL.md").read_bytes()

    items = import_skills(library, str(repo))
    by_path = {Path(i.path).name: i for i in items}
    assert by_path["long-doc"].record and by_path["with-extra"].record and not by_path["broken"].record
    assert any("1024" in w for w in by_path["long-doc"].warnings)
    assert (library.get("long-doc").path / "SKILL.md").read_bytes() == long_md  # byte for byte
    assert not marker.exists()  # nothing executed on import
    rec = library.versions("long-doc")[-1]
    assert rec.trust == "imported" and library.origin("long-doc") == f"git:{repo}@{commit}#skills/long-doc"
    # `evoskill validate` still reports the spec violation
    val = subprocess.run([*EVOSKILL, "validate", str(repo / "skills" / "long-doc")], capture_output=True, text=True)
    assert val.returncode == 1 and "1024" in val.stdout + val.stderr
    # tests passing in the sandbox promote it to verified
    assert promote_if_passing(library, "with-extra", True)
    assert library.versions("with-extra")[-1].trust == "verified"
    assert library.history("with-extra")[-1].kind == "trust-changed"
    # a ref that does not exist is one clear error
    with pytest.raises(UserError, match="no ref"):
        import_skills(library, str(repo), ref="nope")


def test_cli_show_depends_and_bad_version(library: Library, sandbox: Sandbox) -> None:
    first = learn(library, sandbox, "first-word", '(text-before x0 " ")', [("ab cd", "ab"), ("x y", "x")])
    loud = learn(library, sandbox, "loud-first-word", f"(text-upper ({first} x0))", [("ab cd", "AB"), ("x y", "X")])
    run = subprocess.run([*EVOSKILL, "show", loud, "--depends", "--json", "--library", str(library.root)],
                         capture_output=True, text=True)
    data = json.loads(run.stdout)
    assert data["calls"] == sorted([first, "text-upper"])
    assert {"depth": 1, "name": "text-before"} in data["vendored"]
    run = subprocess.run([*EVOSKILL, "show", first, "--depends", "--json", "--library", str(library.root)],
                         capture_output=True, text=True)
    assert json.loads(run.stdout)["called_by"] == [loud]
    bad = subprocess.run([*EVOSKILL, "show", first, "--version", "abc", "--library", str(library.root)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "version number" in bad.stderr
