"""The CLI driven as a user would: a real `evoskill` process per command, a real library on disk."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EVOSKILL = [sys.executable, "-m", "evoskill.cli"]


def evo(*args: str, lib: Path | None = None, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = [*EVOSKILL, *args] + (["--library", str(lib)] if lib else [])
    e = {**os.environ, **(env or {})}
    return subprocess.run(full, capture_output=True, text=True, cwd=cwd, env=e, timeout=120)


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "lock" not in p.name:
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "lib"
    r = evo("init", lib=root)
    assert r.returncode == 0, r.stderr
    assert "built-in skills added" in r.stdout
    return root


def test_init_installs_core_and_lists(lib: Path) -> None:
    r = evo("list", "--json", lib=lib)
    rows = json.loads(r.stdout)
    names = {row["name"] for row in rows}
    assert {"text-upper", "list-map", "int-add"} <= names
    assert all(row["trust"] == "built-in" for row in rows)


def test_search_ranks_relevant_skill_first(lib: Path) -> None:
    r = evo("search", "upper case", "--json", lib=lib)
    hits = json.loads(r.stdout)
    assert hits and hits[0]["name"] == "text-upper"


def test_run_in_sandbox_prints_json(lib: Path) -> None:
    r = evo("run", "text-upper", "hello", lib=lib)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '"HELLO"'
    r = evo("run", "text-left", '"abcdef"', "3", "--json", lib=lib)
    assert json.loads(r.stdout)["value"] == "abc"


def test_new_from_file_add_show_history_archive_restore(lib: Path, tmp_path: Path) -> None:
    src = tmp_path / "mod.py"
    src.write_text('import re\n\n\ndef _hidden():\n    pass\n\n\ndef initials(name: str) -> str:\n'
                   '    """Initials of a full name, like J.S."""\n'
                   '    return "".join(w[0].upper() + "." for w in re.split(r"\\s+", name.strip()) if w)\n')
    r = evo("new", "name-initials", "--from", str(src), "--dir", str(tmp_path), lib=lib)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "name-initials"
    (folder / "tests" / "examples.json").write_text(json.dumps(
        [{"inputs": ["John Smith"], "output": "J.S."}, {"inputs": ["ada  lovelace"], "output": "A.L."}]))
    cli = subprocess.run([sys.executable, str(folder / "scripts" / "name_initials.py"), "Grace Hopper"],
                         capture_output=True, text=True)
    assert cli.stdout.strip() == '"G.H."'
    assert evo("validate", str(folder), lib=lib).returncode == 0
    assert evo("add", str(folder), lib=lib).returncode == 0
    show = json.loads(evo("show", "name-initials", "--json", lib=lib).stdout)
    assert show["description"] == "Initials of a full name, like J.S."
    assert evo("run", "name-initials", "Alan Turing", lib=lib).stdout.strip() == '"A.T."'
    t = evo("test", "name-initials", "--json", lib=lib)
    assert t.returncode == 0 and json.loads(t.stdout)[0]["passed"] is True
    # a changed skill becomes version 2, never a silent overwrite
    (folder / "SKILL.md").write_text((folder / "SKILL.md").read_text().replace("like J.S.", "such as J.S."))
    assert "version 2" in evo("add", str(folder), lib=lib).stdout
    assert evo("archive", "name-initials", "--reason", "testing", lib=lib).returncode == 0
    assert "name-initials" not in evo("list", lib=lib).stdout
    assert "name-initials" in evo("list", "--all", lib=lib).stdout
    assert evo("restore", "name-initials", lib=lib).returncode == 0
    hist = json.loads(evo("history", "name-initials", "--json", lib=lib).stdout)
    kinds = [e["kind"] for e in hist]
    assert kinds[:2] == ["added", "new-version"] and "archived" in kinds and "restored" in kinds


def test_failing_skill_test_reports_failure(lib: Path, tmp_path: Path) -> None:
    assert evo("new", "always-x", "--dir", str(tmp_path), lib=lib).returncode == 0
    folder = tmp_path / "always-x"
    (folder / "tests" / "examples.json").write_text(json.dumps([{"inputs": ["a"], "output": "b"}]))
    placeholder = evo("add", str(folder), lib=lib)
    assert placeholder.returncode == 2 and "placeholder" in placeholder.stderr
    md = folder / "SKILL.md"
    md.write_text(md.read_text().replace("Describe what always-x does and when to use it.", "Echoes its input."))
    refused = evo("add", str(folder), lib=lib)
    assert refused.returncode == 2 and 'should return "b"' in refused.stderr and "Traceback" not in refused.stderr
    assert evo("add", str(folder), "--no-test", lib=lib).returncode == 0
    r = evo("test", "always-x", lib=lib)
    assert r.returncode == 1 and "FAIL" in r.stdout and 'should return "b"' in r.stdout


@pytest.mark.parametrize("case", ["binary", "missing", "mismatch", "symlink", "huge", "bad-name"])
def test_bad_input_is_one_line_and_changes_nothing(lib: Path, tmp_path: Path, case: str) -> None:
    folder = tmp_path / "good-name"
    folder.mkdir()
    md = folder / "SKILL.md"
    md.write_text('---\nname: good-name\ndescription: "fine"\n---\nbody\n')
    if case == "binary":
        md.write_bytes(b"\x00\xff\xfe" * 100)
    elif case == "missing":
        md.write_text("---\nname: good-name\n---\n")
    elif case == "mismatch":
        md.write_text("---\nname: other-name\ndescription: x\n---\n")
    elif case == "symlink":
        (folder / "leak").symlink_to("/etc/passwd")
    elif case == "huge":
        (folder / "big.bin").write_bytes(b"0" * (6 * 1024 * 1024))
    elif case == "bad-name":
        md.write_text("---\nname: Bad--Name\ndescription: x\n---\n")
    before = tree_digest(lib)
    r = evo("add", str(folder), lib=lib)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1
    assert tree_digest(lib) == before


def test_unknown_skill_and_missing_library_are_clear(lib: Path, tmp_path: Path) -> None:
    r = evo("show", "text-uper", lib=lib)
    assert r.returncode == 2 and "text-upper" in r.stderr and "Traceback" not in r.stderr
    r = evo("list", lib=tmp_path / "nowhere")
    assert r.returncode == 2 and "evoskill init" in r.stderr


def test_validate_lists_every_problem(tmp_path: Path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "SKILL.md").write_text("---\nname: Y\ndescription: <b>\ncompatibility: " + "c" * 600 + "\n---\n")
    r = evo("validate", str(folder), "--json")
    data = json.loads(r.stdout)
    fields = {p["field"] for p in data["problems"] if p["severity"] == "error"}
    assert r.returncode == 1 and {"name", "description", "compatibility"} <= fields


def test_every_built_in_skill_passes_its_tests_in_the_sandbox(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    assert evo("init", lib=root).returncode == 0
    r = evo("test", "--json", lib=root)
    rows = json.loads(r.stdout)
    assert len(rows) >= 60 and r.returncode == 0
    assert all(row["passed"] for row in rows), [row for row in rows if not row["passed"]]


def test_keys_set_list_remove(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    r = subprocess.run([*EVOSKILL, "keys", "set", "openai"], input="sk-test-123\n", capture_output=True, text=True,
                       env={**os.environ, **env}, timeout=60)
    assert r.returncode == 0, r.stderr
    stored = tmp_path / "cfg" / "evoskill" / "keys.json"
    assert stored.stat().st_mode & 0o777 == 0o600 and "sk-test-123" in stored.read_text()
    assert "openai" in evo("keys", "list", env=env).stdout
    assert evo("keys", "remove", "openai", env=env).returncode == 0
    assert "openai" not in evo("keys", "list", env=env).stdout


def test_missing_key_is_one_line_with_the_fix(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "OPENAI_API_KEY": ""}
    f = tmp_path / "t.json"
    f.write_text(json.dumps([{"name": "t", "examples": [{"inputs": ["a"], "output": "A"}]}]))
    r = evo("evolve", str(f), "--proposer", "llm", "--model", "openai:gpt-4.1-mini", "--fresh-library",
            "--run-dir", str(tmp_path / "run"), env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "evoskill keys set openai" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()  # nothing written before the model was found
