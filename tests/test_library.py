"""Tests for the skill library: versions, search, history, durability, crashes and concurrency."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evoskill.errors import InvalidSkill, LibraryError, SkillNotFound, UserError
from evoskill.library import Library
from evoskill.skill import Skill, content_hash

SRC = Path(__file__).resolve().parents[1] / "src"


def make_skill(parent: Path, name: str, description: str = "", body: str = "", *,
               metadata: dict[str, str] | None = None, files: dict[str, bytes] | None = None) -> Path:
    """Write a skill folder ``parent/name`` (plain, hand-written YAML like a foreign author would)."""
    root = parent / name
    root.mkdir(parents=True, exist_ok=True)
    meta = ""
    if metadata:
        meta = "metadata:\n" + "".join(f"  {k}: \"{v}\"\n" for k, v in metadata.items())
    text = (f"---\nname: {name}\ndescription: {description or 'Does ' + name + ' things.'}\n{meta}---\n"
            f"{body or '# ' + name + chr(10)}")
    (root / "SKILL.md").write_text(text, encoding="utf-8")
    for rel, data in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` mapped to its bytes (None for folders)."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in files:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = Path(p).read_bytes()
    return out


def files_of(root: Path) -> dict[str, bytes | None]:
    return {k: v for k, v in tree(root).items() if "__pycache__" not in k}


def assert_consistent(root: Path) -> Library:
    """The library opens, its index agrees with its folders and every stored copy matches its hash."""
    lib = Library(root, create=False)
    meta = root / ".evoskill"
    for d in ("staging", "trash", "journal"):
        assert list((meta / d).iterdir()) == [], d
    active = {r.name for r in lib.list()}
    everything = lib.list(include_archived=True)
    assert {p.name for p in (root / "skills").iterdir()} == active
    assert {p.name for p in (root / "archive").iterdir()} == {r.name for r in everything if r.archived}
    for rec in everything:
        assert Skill.load(rec.path).content_hash() == rec.hash
        versions = lib.versions(rec.name)
        assert [v.version for v in versions] == list(range(1, rec.version + 1))
        for v in versions:
            assert content_hash(v.path) == v.hash
    before = [(r.name, r.version, r.hash, r.archived) for r in everything]
    lib.rebuild_index()
    assert [(r.name, r.version, r.hash, r.archived) for r in lib.list(include_archived=True)] == before
    return lib


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    return Library.init(tmp_path / "lib")


# --------------------------------------------------------------------------------------- basics
def test_default_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVOSKILL_LIBRARY", str(tmp_path / "x"))
    assert Library.default_root() == tmp_path / "x"
    monkeypatch.delenv("EVOSKILL_LIBRARY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert Library.default_root() == tmp_path / "data" / "evoskill" / "library"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Library.default_root() == tmp_path / "home" / ".local" / "share" / "evoskill" / "library"
    with pytest.raises(LibraryError):
        Library(tmp_path / "nowhere", create=False)


def test_foreign_skill_stored_byte_for_byte(lib: Library, tmp_path: Path) -> None:
    text = ("---\r\nname: pdf-forms\r\ndescription: 'Fill PDF forms: use when a PDF has fields.'\r\n"
            "license: Proprietary. LICENSE.txt has complete terms\r\nmetadata:\r\n  author: acme\r\n"
            "unknown-key: kept\r\n---\r\n# PDF\r\nSee references/FORMS.md\r\n")
    src = tmp_path / "src" / "pdf-forms"
    src.mkdir(parents=True)
    (src / "SKILL.md").write_bytes(b"\xef\xbb\xbf" + text.encode())
    for rel, data in {"references/FORMS.md": b"# forms\n", "assets/logo.png": bytes(range(256)),
                      "LICENSE.txt": b"All rights reserved.\n", "assets/empty/.keep": b""}.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    os.chmod(src / "LICENSE.txt", 0o600)
    rec = lib.add(src, origin="author:acme")
    assert (rec.name, rec.version, rec.trust, rec.kind, rec.archived) == ("pdf-forms", 1, "imported",
                                                                          "instruction", False)
    assert rec.path == lib.root / "skills" / "pdf-forms"
    assert files_of(rec.path) == files_of(src)
    assert files_of(lib.get("pdf-forms").path) == files_of(src)
    assert (rec.path / "LICENSE.txt").stat().st_mode & 0o777 == 0o600
    assert rec.hash == Skill.load(src).content_hash()
    assert lib.history("pdf-forms")[0].reason == "author:acme"


def test_add_identical_changed_and_versions(lib: Library, tmp_path: Path) -> None:
    src = make_skill(tmp_path / "src", "alpha", body="v1 body\n")
    r1 = lib.add(src)
    assert lib.add(src) == r1
    assert len(lib.versions("alpha")) == 1
    (src / "SKILL.md").write_text((src / "SKILL.md").read_text().replace("v1 body", "v2 body"))
    r2 = lib.add(src, trust="verified")
    assert (r2.version, r2.trust) == (2, "verified")
    assert r2.hash != r1.hash
    assert [v.version for v in lib.versions("alpha")] == [1, 2]
    assert "v1 body" in lib.get("alpha", 1).manifest.body
    assert "v2 body" in lib.get("alpha").manifest.body
    assert "v2 body" in (lib.root / "skills" / "alpha" / "SKILL.md").read_text()
    with pytest.raises(SkillNotFound, match="no version 7"):
        lib.get("alpha", 7)
    with pytest.raises(UserError):
        lib.add(src, trust="super")
    assert [r.name for r in lib.list()] == ["alpha"]


def test_managed_skill_gets_version_and_hash_metadata(lib: Library, tmp_path: Path) -> None:
    src = make_skill(tmp_path / "src", "add-one", metadata={"evoskill-kind": "primitive",
                                                             "evoskill-origin": "task:t1"},
                     files={"scripts/add_one.py": b"def add_one(x: int) -> int:\n    return x + 1\n"})
    r1 = lib.add(src, trust="verified")
    stored = Skill.load(r1.path)
    meta = stored.manifest.metadata
    assert (meta["evoskill-version"], meta["evoskill-trust"]) == ("1", "verified")
    assert meta["evoskill-hash"] == stored.content_hash() == r1.hash
    assert stored.entry_point == (r1.path / "scripts" / "add_one.py", "add_one")
    assert r1.kind == "primitive"
    assert lib.add(src, trust="verified").version == 1  # unchanged source: no new version
    assert lib.add(stored.path).version == 1  # the stored copy itself: no new version either
    (src / "scripts" / "add_one.py").write_text("def add_one(x: int) -> int:\n    return 1 + x\n")
    r2 = lib.add(src)
    assert Skill.load(r2.path).version == "2"
    assert [s.name for s in lib.skills(kind="primitive")] == ["add-one"]
    assert list(lib.skills(kind="solution")) == []


def test_search_ranking_and_safety(lib: Library, tmp_path: Path) -> None:
    lib.add(make_skill(tmp_path, "reverse-words", "Reverse the order of words in a sentence.",
                       "Split on spaces and join reversed.\n"))
    lib.add(make_skill(tmp_path, "count-vowels", "Count vowels in a string.",
                       "Loop over characters; words are not reversed here.\n"))
    lib.add(make_skill(tmp_path, "csv-parse", "Parse CSV files into rows.", "Use the csv module.\n"))
    hits = lib.search("reverse words")
    assert [h.record.name for h in hits][:2] == ["reverse-words", "count-vowels"]
    assert hits[0].score > hits[1].score
    assert "[" in hits[0].snippet
    assert [h.record.name for h in lib.search("CSV")] == ["csv-parse"]
    assert len(lib.search("words", k=1)) == 1
    for q in ['"', "'", "NEAR(", "a AND OR NOT", "*", "^x", "col:val", "(", "", "   ", "-", "😀"]:
        lib.search(q)
    lib.archive("reverse-words", "superseded")
    assert [h.record.name for h in lib.search("reverse")] == ["count-vowels"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=40))
def test_search_never_raises(query: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    global _shared_lib
    if _shared_lib is None:
        base = tmp_path_factory.mktemp("searchlib")
        _shared_lib = Library(base / "lib")
        _shared_lib.add(make_skill(base, "demo-skill", "A demo with (punctuation) and #hash."))
    for hit in _shared_lib.search(query):
        assert hit.record.name == "demo-skill"


_shared_lib: Library | None = None


def test_archive_restore_history_stats(lib: Library, tmp_path: Path) -> None:
    src = make_skill(tmp_path / "src", "beta")
    lib.add(src, origin="author:me")
    (src / "extra.md").write_text("more")
    lib.add(src)
    rec = lib.archive("beta", "fails too often")
    assert rec.archived and rec.path == lib.root / "archive" / "beta"
    assert not (lib.root / "skills" / "beta").exists() and rec.path.is_dir()
    assert lib.list() == [] and [r.name for r in lib.list(include_archived=True)] == ["beta"]
    assert lib.get("beta").name == "beta"  # archived skills stay readable
    assert lib.archive("beta", "again").archived  # idempotent
    back = lib.restore("beta")
    assert not back.archived and back.version == 2
    assert (lib.root / "skills" / "beta" / "extra.md").read_text() == "more"
    assert not (lib.root / "archive" / "beta").exists()
    events = lib.history("beta")
    assert [e.kind for e in events] == ["added", "new-version", "archived", "restored"]
    assert events[0].reason == "author:me" and events[2].reason == "fails too often"
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    assert events[0].when.endswith("+00:00")
    lib.record_use("beta", True)
    lib.record_use("beta", True)
    lib.record_use("beta", False)
    s = lib.stats("beta")
    assert (s.uses, s.successes, s.failures) == (3, 2, 1)
    with pytest.raises(SkillNotFound) as info:
        lib.record_use("bet", True)
    assert "did you mean 'beta'" in str(info.value)
    lib.archive("beta", "retired")
    lib.add(src)  # identical content re-added: brings it back
    assert not lib.list(include_archived=True)[0].archived
    assert lib.history("beta")[-1].kind == "restored"


def test_index_rebuilt_when_missing_or_corrupt(lib: Library, tmp_path: Path) -> None:
    lib.add(make_skill(tmp_path, "gamma", body="gamma rays\n"))
    lib.add(make_skill(tmp_path, "delta"))
    lib.archive("delta", "old")
    lib.record_use("gamma", False)
    expected = (lib.list(include_archived=True), lib.history("delta"), lib.stats("gamma"))
    lib.close()
    index = lib.root / ".evoskill" / "index.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(index) + suffix).unlink(missing_ok=True)
    again = Library(lib.root)
    assert (again.list(include_archived=True), again.history("delta"), again.stats("gamma")) == expected
    assert again.search("rays")[0].record.name == "gamma"
    again.close()
    for suffix in ("-wal", "-shm"):
        Path(str(index) + suffix).unlink(missing_ok=True)
    index.write_bytes(b"this is not a database" * 100)
    third = Library(lib.root)
    assert third.list(include_archived=True) == expected[0]
    with sqlite3.connect(index) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_open_repairs_leftovers_and_views(lib: Library, tmp_path: Path) -> None:
    lib.add(make_skill(tmp_path, "eps"))
    lib.close()
    staging = lib.root / ".evoskill" / "staging" / "half" / "zeta"
    staging.mkdir(parents=True)
    (staging / "SKILL.md").write_text("---\nname: zeta\n")
    import shutil

    shutil.rmtree(lib.root / "skills" / "eps")
    reopened = assert_consistent(lib.root)
    assert (lib.root / "skills" / "eps" / "SKILL.md").is_file()
    assert [r.name for r in reopened.list()] == ["eps"]
    # a hand-edited view is never silently lost when a new version replaces it
    (lib.root / "skills" / "eps" / "SKILL.md").write_text("hand edit")
    reopened.add(make_skill(tmp_path / "v2", "eps", body="second\n"))
    orphans = list((lib.root / ".evoskill" / "orphans").iterdir())
    assert len(orphans) == 1 and (orphans[0] / "SKILL.md").read_text() == "hand edit"


# ------------------------------------------------------------------------------- rejected input
def _bad_inputs(base: Path) -> list[Path]:
    bad = []
    b = base / "binary" / "binary"
    b.mkdir(parents=True)
    (b / "SKILL.md").write_bytes(b"\x00\xff\xfe" * 50)
    bad.append(b)
    m = base / "missing" / "missing"
    m.mkdir(parents=True)
    (m / "SKILL.md").write_text("---\nlicense: MIT\n---\nno name, no description\n")
    bad.append(m)
    bad.append(make_skill(base / "mismatch", "right-name"))
    (bad[-1]).rename(base / "mismatch" / "wrong-name")
    bad[-1] = base / "mismatch" / "wrong-name"
    s = make_skill(base / "symlink", "sneaky")
    os.symlink("/etc/passwd", s / "passwd")
    bad.append(s)
    h = make_skill(base / "huge", "huge")
    with open(h / "blob.bin", "wb") as fh:
        fh.truncate(6 * 1024 * 1024)
    bad.append(h)
    bad.append(base / "does-not-exist")
    return bad


def test_rejected_add_leaves_library_byte_identical(lib: Library, tmp_path: Path) -> None:
    lib.add(make_skill(tmp_path / "ok", "existing"))
    before = tree(lib.root)
    for path in _bad_inputs(tmp_path / "bad"):
        with pytest.raises(InvalidSkill) as info:
            lib.add(path)
        assert info.value.problems, path
        assert tree(lib.root) == before, path
    assert [r.name for r in lib.list()] == ["existing"]


# ------------------------------------------------------------------------ crashes & concurrency
WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from evoskill.library import Library
    root, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    lib = Library(root)
    src = root.parent / ("src-" + prefix)
    for i in range(count):
        name = f"{prefix}-{i % 4}" if prefix != "shared" else "shared"
        folder = src / str(i) / name
        (folder / "references").mkdir(parents=True)
        (folder / "SKILL.md").write_text(
            f"---\\nname: {name}\\ndescription: Skill {name} round {i}.\\n---\\nBody {i} of {prefix}\\n")
        (folder / "references" / "data.md").write_text("x" * (i * 997 % 5000))
        lib.add(folder)
        if i % 5 == 3:
            lib.archive(name, f"round {i}")
        if i % 3 == 0:
            lib.record_use(name, i % 2 == 0)
    print("done", flush=True)
""")


def _run_worker(tmp_path: Path, root: Path, prefix: str, count: int) -> subprocess.Popen[str]:
    script = tmp_path / "worker.py"
    if not script.exists():
        script.write_text(WORKER)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen([sys.executable, str(script), str(root), prefix, str(count)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_during_adds_leaves_consistent_library(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    Library.init(root).close()
    rng = random.Random(1234)
    killed = 0
    for round_no in range(5):
        proc = _run_worker(tmp_path, root, f"p{round_no}", 1000)
        time.sleep(rng.uniform(0.5, 1.2))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.communicate()
        assert_consistent(root).close()
    assert killed >= 3
    lib = Library(root)
    assert len(lib.list(include_archived=True)) >= 5
    # the library still accepts work after all those kills
    assert lib.add(make_skill(tmp_path / "after", "after-crash")).version == 1


def test_two_processes_add_concurrently(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    Library.init(root).close()
    procs = [_run_worker(tmp_path, root, p, n) for p, n in (("one", 8), ("two", 8), ("shared", 6))]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    lib = assert_consistent(root)
    names = {r.name for r in lib.list(include_archived=True)}
    assert names == {f"{p}-{i}" for p in ("one", "two") for i in range(4)} | {"shared"}
    assert [v.version for v in lib.versions("one-0")] == [1, 2]
    assert [v.version for v in lib.versions("shared")] == list(range(1, 7))
    log = [json.loads(line) for line in (root / ".evoskill" / "events.jsonl").read_text().splitlines()]
    assert sum(1 for e in log if e["kind"] == "used") == 3 + 3 + 2


def test_tampered_version_is_set_aside_not_fatal(lib: Library, tmp_path: Path) -> None:
    src = make_skill(tmp_path / "src", "theta")
    lib.add(src)
    (src / "more.md").write_text("v2")
    lib.add(src)
    lib.close()
    v1 = lib.root / ".evoskill" / "versions" / "theta" / "1"
    (v1 / "version.json").unlink()
    (v1 / "theta" / "SKILL.md").write_bytes(b"\x00garbage")
    (lib.root / ".evoskill" / "index.sqlite").unlink()
    again = Library(lib.root)
    assert [v.version for v in again.versions("theta")] == [2]
    assert (again.root / "skills" / "theta" / "more.md").read_text() == "v2"
    assert any(p.name.startswith("theta-v1-") for p in (lib.root / ".evoskill" / "orphans").iterdir())


def test_threads_share_one_library(lib: Library, tmp_path: Path) -> None:
    import threading

    lib.add(make_skill(tmp_path, "iota", "Iota skill for threads."))
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                lib.search("iota threads")
                lib.list()
                lib.record_use("iota", True)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert lib.stats("iota").uses == 80
