"""What a new user hit (issue 10), each as a test that failed before the fix. A real `evoskill` process per
command and a real library on disk."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

EVOSKILL = [sys.executable, "-m", "evoskill.cli"]


def evo(*args: str, lib: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EVOSKILL, *args, "--library", str(lib)], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("newuser") / "lib"
    assert evo("init", lib=root).returncode == 0
    return root


def one_line_error(r: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert r.returncode == code, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
    return r.stderr


def test_code_and_types_print_literally(lib: Path) -> None:
    shown = evo("show", "list-singleton", lib=lib)
    assert "return [x]" in shown.stdout and "list[int]" in shown.stdout


def test_builtin_descriptions_read_as_words(lib: Path) -> None:
    data = json.loads(evo("show", "int-ne", "--json", lib=lib).stdout)
    assert "a differs from b" in data["description"] and "below" not in data["description"]
    left = json.loads(evo("show", "text-left", "--json", lib=lib).stdout)["description"]
    assert "n is at most 0" in left


def test_show_json_says_archived_and_archived_skills_do_not_run(lib: Path) -> None:
    assert evo("archive", "text-trim", lib=lib).returncode == 0
    again = evo("archive", "text-trim", lib=lib)
    assert "already archived" in again.stdout
    data = json.loads(evo("show", "text-trim", "--json", lib=lib).stdout)
    assert data["archived"] is True and data["trust"] == "built-in"
    assert "restore" in one_line_error(evo("run", "text-trim", " a ", lib=lib))
    # init does not quietly bring it back
    init = evo("init", lib=lib)
    assert "stay archived" in init.stdout
    assert json.loads(evo("show", "text-trim", "--json", lib=lib).stdout)["archived"] is True
    assert evo("restore", "text-trim", lib=lib).returncode == 0


def test_run_checks_arguments_against_the_signature(lib: Path) -> None:
    assert "takes 2 arguments" in one_line_error(evo("run", "text-left", "abc", lib=lib))
    assert "must be int" in one_line_error(evo("run", "text-left", "abc", '"x"', lib=lib))
    ok = evo("run", "text-left", "abc", "2", "--timeout", "5", lib=lib)
    assert ok.returncode == 0 and json.loads(ok.stdout) == "ab"


@pytest.mark.parametrize("argv, words", [
    (["evolve", "lists-rule:2", "--budget", "0"], "--budget must be positive"),
    (["evolve", "lists-rule:2", "--rounds", "0"], "--rounds must be positive"),
    (["evolve", "lists-rule:2", "--workers", "0"], "--workers must be positive"),
    (["evolve", "lists-rule:2", "--resume"], "--resume needs"),
    (["evolve", "lists-rule:2", "--dream", "-1"], "--dream must be 0 or more"),
    (["evolve", "lists-rule:2", "--dream", "3", "--no-learning"], "--dream has no effect"),
    (["solve", "lists-rule:1", "--model", "local:smollm2"], "--model has no effect"),
    (["search", "text", "-k", "0"], "-k must be positive"),
    (["show", "text-left", "--version", "abc"], "version number"),
])
def test_meaningless_options_are_refused(lib: Path, argv: list[str], words: str) -> None:
    r = evo(*argv, lib=lib)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr


def test_json_errors_and_keys_list(lib: Path) -> None:
    r = evo("show", "no-such-skill", "--json", lib=lib)
    assert r.returncode == 2 and set(json.loads(r.stdout)) == {"error", "fix"}
    keys = subprocess.run([*EVOSKILL, "keys", "list", "--json"], capture_output=True, text=True,
                          env={**os.environ, "XDG_CONFIG_HOME": str(lib.parent / "cfg")})
    assert keys.returncode == 0 and json.loads(keys.stdout) == []


def test_closed_pipe_is_quiet(lib: Path) -> None:
    shell = f"{sys.executable} -m evoskill.cli list --json --library {lib} | head -1"
    r = subprocess.run(["bash", "-c", shell], capture_output=True, text=True)
    assert r.stdout.strip() == "[" and "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr


def test_history_has_a_header_and_dates(lib: Path) -> None:
    out = evo("history", "text-upper", lib=lib).stdout
    assert "when (UTC)" in out and "added" in out and "20" in out and "." not in out.split("\n")[1].split()[1]


def test_overfit_two_example_answer_is_not_saved(lib: Path, tmp_path: Path) -> None:
    task = tmp_path / "t.json"
    task.write_text(json.dumps([{"name": "lookup", "examples": [{"inputs": ["abc"], "output": "zq9"},
                                                               {"inputs": ["x"], "output": "77"}]}]))
    r = evo("solve", str(task), "--save", "--budget", "5", "--json", lib=lib)
    out = json.loads(r.stdout)
    assert set(out) >= {"task", "solved", "program", "generalized", "admission", "skill", "distill"}
    assert out["generalized"] is None  # no held-out examples: n/a, never a pass
    if out["solved"]:
        assert out["skill"] is None and "pastes" in out["admission"]


def test_a_task_is_not_solved_again_by_its_own_skill(lib: Path, tmp_path: Path) -> None:
    task = tmp_path / "t.json"
    task.write_text(json.dumps([{"name": "first-word", "examples": [
        {"inputs": ["ab cd"], "output": "ab"}, {"inputs": ["x y z"], "output": "x"},
        {"inputs": ["hello there"], "output": "hello"}], "held_out": [{"inputs": ["one two"], "output": "one"}]}]))
    first = json.loads(evo("solve", str(task), "--save", "--budget", "5", "--json", lib=lib).stdout)
    assert first["skill"] == "first-word"
    again = json.loads(evo("solve", str(task), "--save", "--budget", "5", "--json", lib=lib).stdout)
    assert "first-word" not in again["program"].replace("(text-before", "")  # not (first-word x0)
    history = json.loads(evo("history", "first-word", "--json", lib=lib).stdout)
    assert [e["kind"] for e in history] == ["added"]  # the same answer again is not a new version


def test_scaffold_keeps_helpers_and_picks_functions(lib: Path, tmp_path: Path) -> None:
    src = tmp_path / "tools.py"
    src.write_text('import re\nSEP = "-"\n\ndef _clean(s):\n    return re.sub(r"\\s+", " ", s).strip()\n\n'
                   'def slug(s: str) -> str:\n    """Slug of a title."""\n    return _clean(s).lower().replace(" ", SEP)\n\n'
                   'async def shout(s: str) -> str:\n    """Shout it."""\n    return s.upper()\n')
    assert evo("new", "slugify", "--from", str(src), "--dir", str(tmp_path), lib=lib).returncode == 0
    run = subprocess.run([sys.executable, str(tmp_path / "slugify" / "scripts" / "slugify.py"), "A  b"],
                         capture_output=True, text=True)
    assert json.loads(run.stdout) == "a-b"
    assert evo("new", "shout", "--from", str(src), "--function", "shout", "--dir", str(tmp_path), lib=lib).returncode == 0
    run = subprocess.run([sys.executable, str(tmp_path / "shout" / "scripts" / "shout.py"), "hey"],
                         capture_output=True, text=True)
    assert json.loads(run.stdout) == "HEY"
    assert "no function 'nope'" in one_line_error(evo("new", "x", "--from", str(src), "--function", "nope",
                                                      "--dir", str(tmp_path), lib=lib))
    # the placeholder description does not validate
    assert evo("new", "blank", "--dir", str(tmp_path), lib=lib).returncode == 0
    assert evo("validate", str(tmp_path / "blank"), lib=lib).returncode == 1
    # files written by evoskill are readable like any other
    md = tmp_path / "slugify" / "SKILL.md"
    from evoskill.skill import with_metadata

    with_metadata(tmp_path / "slugify", {"evoskill-kind": "solution"})
    assert stat.S_IMODE(md.stat().st_mode) == 0o644


def test_task_files_with_wrong_types_are_refused(lib: Path, tmp_path: Path) -> None:
    task = tmp_path / "t.json"
    task.write_text(json.dumps([{"name": "t", "input_types": ["int"], "output_type": "str",
                                 "examples": [{"inputs": ["a"], "output": "b"}]}]))
    assert "input_types/output_type say int" in one_line_error(evo("solve", str(task), lib=lib))
    task.write_text(json.dumps([{"name": "t", "examples": [{"inputs": [[[1, 2], [3]]], "output": 2}]}]))
    r = evo("solve", str(task), "--json", lib=lib)  # loads (any JSON shape); the search says why it cannot try
    assert r.returncode == 1 and "not list[list[int]]" in json.loads(r.stdout)["error"]


def test_missing_script_fails_the_test(lib: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ghost"
    folder.mkdir()
    (folder / "SKILL.md").write_text('---\nname: ghost\ndescription: "Does nothing. Use never."\nmetadata:\n'
                                     '  evoskill-signature: "str -> str"\n---\n# ghost\n')
    assert evo("add", str(folder), "--no-test", lib=lib).returncode == 0
    r = evo("test", "ghost", lib=lib)
    assert r.returncode == 1 and "missing" in r.stdout
