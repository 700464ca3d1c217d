"""The PostgreSQL library against a real, throwaway PostgreSQL server, side by side with the folder library.

The same operations run on both backends (``store`` is parametrized); 8 processes work on overlapping
skills at once on each; ``evoskill library migrate`` copies between them in both directions.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evoskill import cli
from evoskill.errors import InvalidSkill, MissingBackend, SkillNotFound, UserError
from evoskill.library import Library
from evoskill.migrate import dump_store, migrate
from evoskill.pgserver import ThrowawayPostgres, find_bindir
from evoskill.session import core_skills_dir
from evoskill.skill import Skill, content_hash
from evoskill.store import LibraryStore
from evoskill.stores import open_store
from test_library import _bad_inputs, assert_consistent, files_of, make_skill


def _missing(reason: str) -> None:
    """Skip on a developer's machine without PostgreSQL; fail in CI, where it must be installed."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg() -> Iterator[ThrowawayPostgres]:
    """One throwaway server per test process, stopped and deleted afterwards."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed: pip install 'evoskill[postgres]'")
    if find_bindir() is None:
        _missing("PostgreSQL server binaries are missing: run scripts/ensure-postgres.sh")
    server = ThrowawayPostgres()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def pg_library(pg: ThrowawayPostgres, cache: Path) -> Any:
    from evoskill.pglibrary import PostgresLibrary

    return PostgresLibrary(pg.create_database(), cache_dir=cache)


@pytest.fixture(params=["folder", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LibraryStore]:
    lib: LibraryStore
    if request.param == "folder":
        lib = Library.init(tmp_path / "lib")
    else:
        lib = pg_library(request.getfixturevalue("pg"), tmp_path / "cache")
    try:
        yield lib
    finally:
        lib.close()


def same_fields(rec: Any) -> tuple[Any, ...]:
    return (rec.name, rec.version, rec.description, rec.trust, rec.kind, rec.archived, rec.hash)


# --------------------------------------------------------------------------- the same on both backends
def test_add_identical_changed_and_versions(store: LibraryStore, tmp_path: Path) -> None:
    src = make_skill(tmp_path / "src", "alpha", body="v1 body\n")
    r1 = store.add(src)
    assert (r1.name, r1.version, r1.trust, r1.archived) == ("alpha", 1, "imported", False)
    assert store.add(src) == r1
    assert len(store.versions("alpha")) == 1
    (src / "SKILL.md").write_text((src / "SKILL.md").read_text().replace("v1 body", "v2 body"))
    r2 = store.add(src, trust="verified")
    assert (r2.version, r2.trust) == (2, "verified") and r2.hash != r1.hash
    versions = store.versions("alpha")
    assert [v.version for v in versions] == [1, 2]
    for v in versions:
        assert content_hash(v.path) == v.hash
    assert "v1 body" in store.get("alpha", 1).manifest.body
    assert "v2 body" in store.get("alpha").manifest.body
    assert Skill.load(r2.path).content_hash() == r2.hash
    with pytest.raises(SkillNotFound, match="no version 7"):
        store.get("alpha", 7)
    with pytest.raises(UserError):
        store.add(src, trust="super")
    assert [r.name for r in store.list()] == ["alpha"]
    assert store.provenance("alpha")["trust"] == "verified" and store.provenance("alpha", 1)["version"] == 1
    assert store.verify_files("alpha") == []


def test_foreign_skill_stored_byte_for_byte(store: LibraryStore, tmp_path: Path) -> None:
    src = make_skill(tmp_path / "src", "pdf-forms", "Fill PDF forms.",
                     files={"references/FORMS.md": b"# forms\n", "assets/logo.png": bytes(range(256)),
                            "LICENSE.txt": b"All rights reserved.\n"})
    (src / "SKILL.md").write_bytes(b"\xef\xbb\xbf" + (src / "SKILL.md").read_bytes().replace(b"\n", b"\r\n"))
    (src / "assets" / "empty").mkdir()
    os.chmod(src / "LICENSE.txt", 0o600)
    rec = store.add(src, origin="author:acme")
    assert (rec.version, rec.trust, rec.kind) == (1, "imported", "instruction")
    got = store.get("pdf-forms")
    assert files_of(got.path) == files_of(src) == files_of(rec.path)
    assert (got.path / "LICENSE.txt").stat().st_mode & 0o777 == 0o600
    assert rec.hash == Skill.load(src).content_hash()
    assert store.origin("pdf-forms") == "author:acme"
    assert store.history("pdf-forms")[0].reason == "author:acme"


def test_managed_skill_gets_version_and_hash_metadata(store: LibraryStore, tmp_path: Path) -> None:
    src = make_skill(tmp_path / "src", "add-one", metadata={"evoskill-kind": "primitive", "evoskill-origin": "task:t1"},
                     files={"scripts/add_one.py": b"def add_one(x: int) -> int:\n    return x + 1\n"})
    r1 = store.add(src, trust="verified")
    stored = store.get("add-one")
    meta = stored.manifest.metadata
    assert (meta["evoskill-version"], meta["evoskill-trust"]) == ("1", "verified")
    assert meta["evoskill-hash"] == stored.content_hash() == r1.hash
    assert r1.kind == "primitive" and stored.entry_point is not None
    assert store.add(src, trust="verified").version == 1  # unchanged source: no new version
    assert store.add(stored.path).version == 1  # the stored copy itself: no new version either
    (src / "scripts" / "add_one.py").write_text("def add_one(x: int) -> int:\n    return 1 + x\n")
    assert Skill.load(store.add(src).path).version == "2"
    assert [s.name for s in store.skills(kind="primitive")] == ["add-one"]
    assert list(store.skills(kind="solution")) == []


def test_archive_restore_history_stats(store: LibraryStore, tmp_path: Path) -> None:
    src = make_skill(tmp_path / "src", "beta")
    store.add(src, origin="author:me")
    (src / "extra.md").write_text("more")
    store.add(src)
    rec = store.archive("beta", "fails too often")
    assert rec.archived and rec.path.is_dir()
    assert store.list() == [] and [r.name for r in store.list(include_archived=True)] == ["beta"]
    assert store.get("beta").name == "beta"  # archived skills stay readable
    assert store.archive("beta", "again").archived  # idempotent
    back = store.restore("beta")
    assert not back.archived and back.version == 2
    assert (store.get("beta").path / "extra.md").read_text() == "more"
    events = store.history("beta")
    assert [e.kind for e in events] == ["added", "new-version", "archived", "restored"]
    assert events[0].reason == "author:me" and events[2].reason == "fails too often"
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    for ok in (True, True, False):
        store.record_use("beta", ok)
    s = store.stats("beta")
    assert (s.uses, s.successes, s.failures) == (3, 2, 1)
    with pytest.raises(SkillNotFound) as info:
        store.record_use("bet", True)
    assert "did you mean 'beta'" in str(info.value)
    store.archive("beta", "retired")
    store.add(src)  # identical content re-added: brings it back
    assert not store.list(include_archived=True)[0].archived
    assert store.history("beta")[-1].kind == "restored"


def test_revert_trust_and_guards(store: LibraryStore, tmp_path: Path) -> None:
    core = make_skill(tmp_path / "core", "str-upper", "Upper-case a string.")
    store.add(core, trust="built-in")
    mine = make_skill(tmp_path / "mine", "str-upper", "My upper.")
    with pytest.raises(UserError, match="built-in"):
        store.add(mine)
    assert store.add(mine, force=True).version == 2
    src = make_skill(tmp_path / "a", "gamma", body="one\n")
    store.add(src, origin="author:a")
    other = make_skill(tmp_path / "b", "gamma", body="two\n")
    with pytest.raises(UserError, match="another origin"):
        store.add(other, origin="author:b")
    store.add(other, origin="author:b", force=True)
    rec = store.set_trust("gamma", "verified", "tests pass")
    assert rec.trust == "verified" and store.versions("gamma")[-1].trust == "verified"
    assert store.history("gamma")[-1].kind == "trust-changed"
    assert store.history("gamma")[-1].reason == "verified: tests pass"
    assert store.provenance("gamma")["trust"] == "imported"  # the tier it was stored with
    with pytest.raises(UserError):
        store.set_trust("gamma", "sky-high", "x")
    back = store.revert("gamma", 1)
    assert back.version == 3 and "one" in store.get("gamma").manifest.body
    assert store.origin("gamma") == "author:a"
    assert store.history("gamma")[-1].reason == "reverted to version 1"
    assert store.revert("gamma", 3).version == 3  # the current version: nothing to do
    with pytest.raises(UserError, match="no version 9"):
        store.revert("gamma", 9)


def test_search_ranking_and_safety(store: LibraryStore, tmp_path: Path) -> None:
    store.add(make_skill(tmp_path, "reverse-words", "Reverse the order of words in a sentence.",
                         "Split on spaces and join reversed.\n"))
    store.add(make_skill(tmp_path, "count-vowels", "Count vowels in a string.",
                         "Loop over characters; words are not reversed here.\n"))
    store.add(make_skill(tmp_path, "csv-parse", "Parse CSV files into rows.", "Use the csv module.\n"))
    hits = store.search("reverse words")
    assert [h.record.name for h in hits][:2] == ["reverse-words", "count-vowels"]
    assert hits[0].score > hits[1].score and "[" in hits[0].snippet
    assert [h.record.name for h in store.search("CSV")] == ["csv-parse"]
    assert len(store.search("words", k=1)) == 1 and store.search("words", k=0) == []
    for q in ['"', "'", "NEAR(", "a AND OR NOT", "*", "^x", "col:val", "(", "", "   ", "-", "😀", "or", "!!",
              "a & b | !c", "<->", "\\", "x:*", "'; DROP TABLE evoskill_skills; --"]:
        store.search(q)
    store.archive("reverse-words", "superseded")
    assert [h.record.name for h in store.search("reverse")] == ["count-vowels"]
    assert len(store.list()) == 2


def test_rejected_add_leaves_store_unchanged(store: LibraryStore, tmp_path: Path) -> None:
    store.add(make_skill(tmp_path / "ok", "existing"))
    before = [same_fields(r) for r in store.list(include_archived=True)], store.history("existing")
    for path in _bad_inputs(tmp_path / "bad"):
        with pytest.raises(InvalidSkill) as info:
            store.add(path)
        assert info.value.problems, path
        assert ([same_fields(r) for r in store.list(include_archived=True)], store.history("existing")) == before


# --------------------------------------------------------------------------------- PostgreSQL only
def test_listing_digest_changes_with_the_listing_only(store: LibraryStore, tmp_path: Path) -> None:
    """What `evoskill mcp` polls: another process's add, archive, restore or trust change moves it; a use does not."""
    if isinstance(store, Library):
        other: Any = Library(store.root)
    else:
        from evoskill.pglibrary import PostgresLibrary

        other = PostgresLibrary(store.dsn, cache_dir=tmp_path / "other")  # type: ignore[attr-defined]
    try:
        seen = [store.listing_digest()]

        def moved() -> bool:
            seen.append(store.listing_digest())
            return seen[-1] != seen[-2]

        src = make_skill(tmp_path / "src", "gamma")
        other.add(src)
        assert moved()
        other.record_use("gamma", True)
        assert not moved()
        (src / "extra.md").write_text("more")
        other.add(src)
        assert moved()
        other.archive("gamma", "old")
        assert moved()
        other.restore("gamma")
        assert moved() and seen[-1] == seen[-3]  # the same listing, the same digest
        other.set_trust("gamma", "verified", "checked by hand")
        assert moved()
    finally:
        other.close()


def test_two_clients_share_one_database(pg: ThrowawayPostgres, tmp_path: Path) -> None:
    from evoskill.pglibrary import PostgresLibrary

    url = pg.create_database()
    a, b = PostgresLibrary(url, cache_dir=tmp_path / "a"), PostgresLibrary(url, cache_dir=tmp_path / "b")
    try:
        a.add(make_skill(tmp_path / "s", "one", body="first\n"))
        a.add(make_skill(tmp_path / "s", "two", body="second\n"))
        assert sorted(p.name for p in b.skills_dir.iterdir()) == ["one", "two"]  # reading it syncs the view
        assert b.sync_view() == 0
        a.archive("two", "old")
        b.sync_view()
        assert [p.name for p in b.skills_dir.iterdir()] == ["one"]
        a.add(make_skill(tmp_path / "s2", "one", body="changed\n"))
        assert "changed" in b.get("one").manifest.body and b.get("one").path == b.root / "skills" / "one"
        # a hand-edited view is reported, then replaced from the database and kept in orphans/
        (b.root / "skills" / "one" / "SKILL.md").write_text((b.root / "skills" / "one" / "SKILL.md").read_text() + "x")
        assert any("SKILL.md" in p for p in b.verify_files("one"))
        assert b.get("one").content_hash() == b.get_record("one").hash
        assert b.verify_files("one") == []
        assert len(list((b.root / "orphans").iterdir())) == 1
        assert b.dsn == url and b.provenance("one")["admitted_by"]
    finally:
        a.close()
        b.close()
    with pytest.raises(Exception, match="cannot connect"):
        PostgresLibrary(pg.url("no_such_database"), cache_dir=tmp_path / "c")


def test_open_store_cli_and_missing_driver(pg: ThrowawayPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from evoskill.pglibrary import PostgresLibrary

    url = pg.create_database()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert isinstance(open_store(str(tmp_path / "folder")), Library)
    lib = open_store(url.replace("postgresql://", "postgres://"))
    assert isinstance(lib, PostgresLibrary) and lib.root.is_relative_to(tmp_path / "xdg")
    lib.close()
    monkeypatch.setenv("EVOSKILL_LIBRARY", url)
    lib = open_store(None)
    assert isinstance(lib, PostgresLibrary) and isinstance(lib, LibraryStore)
    lib.close()
    from evoskill.session import open_library

    lib = open_library(None)  # what evolve and solve open: the built-in skills go into the database
    assert isinstance(lib, PostgresLibrary) and len(lib.list()) == len(list(core_skills_dir().iterdir()))
    assert {p.name for p in lib.skills_dir.iterdir()} == {r.name for r in lib.list()}
    lib.close()
    assert cli.main(["add", str(make_skill(tmp_path / "s", "hello-pg")), "--no-test", "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["list", "--json"]) == 0
    assert "hello-pg" in [r["name"] for r in json.loads(capsys.readouterr().out)]
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "evoskill.pglibrary")
    with pytest.raises(MissingBackend) as info:
        open_store(url)
    assert "pip install 'evoskill[postgres]'" in str(info.value)
    assert cli.main(["list"]) == 1
    assert "evoskill[postgres]" in capsys.readouterr().err


def test_a_process_that_waited_for_the_schema_lock_does_not_create_it_again(pg: ThrowawayPostgres,
                                                                            tmp_path: Path) -> None:
    """CI once deadlocked: a process saw the tables missing, waited while another created them, then ran
    the DDL again and its ``CREATE INDEX IF NOT EXISTS`` waited for a table other processes were writing."""
    import threading
    import time

    import psycopg

    from evoskill.pglibrary import _SCHEMA, SCHEMA_VERSION, PostgresLibrary

    url = pg.create_database()
    key = "hashtextextended('evoskill:schema', 0)"
    with psycopg.connect(url, autocommit=True) as creator, psycopg.connect(url, autocommit=True) as writer:
        creator.execute(f"SELECT pg_advisory_lock({key})")  # conflicts with the library's transaction lock
        opened: list[Any] = []
        late = threading.Thread(target=lambda: opened.append(PostgresLibrary(url, cache_dir=tmp_path / "c")))
        late.start()
        for _ in range(200):  # until the late process has seen the tables missing and waits for the lock
            waiting = creator.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                      "AND NOT granted").fetchone()
            if waiting == (1,):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the library never waited for the schema lock")
        creator.execute(_SCHEMA)
        creator.execute("INSERT INTO evoskill_meta VALUES ('schema', %s)", (SCHEMA_VERSION,))
        with writer.transaction():  # another process writing (held until the late one has opened)
            writer.execute("LOCK TABLE evoskill_skills, evoskill_events IN ROW EXCLUSIVE MODE")
            creator.execute(f"SELECT pg_advisory_unlock({key})")
            late.join(timeout=20)
            assert not late.is_alive(), "the late process ran the DDL again and waits for the writer's tables"
    late.join()
    assert len(opened) == 1
    opened[0].close()


# ------------------------------------------------------------------------------------- concurrency
ROUNDS = 6
WORKERS = 8


def _worker(kind: str, spec: str, cache: str, wid: int, base: str) -> dict[str, Any]:
    """One of 8 processes: adds new versions of 3 shared skills and of its own, records uses, archives."""
    if kind == "folder":
        lib: Any = Library(spec)
    else:
        from evoskill.pglibrary import PostgresLibrary

        lib = PostgresLibrary(spec, cache_dir=Path(cache))
    made: list[tuple[str, str]] = []
    uses: Counter[str] = Counter()
    wins: Counter[str] = Counter()
    archives = 0
    for i in range(ROUNDS):
        for name in (f"shared-{(i + wid) % 3}", f"own-{wid}"):
            folder = Path(base) / f"w{wid}" / str(i) / name
            folder.mkdir(parents=True)
            (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: Skill {name}.\n---\n"
                                             f"Body of worker {wid} round {i}.\n")
            (folder / "data.txt").write_text("x" * (wid * 100 + i))
            lib.add(folder)
            made.append((name, content_hash(folder)))
            lib.record_use(name, i % 2 == 0)
            uses[name] += 1
            wins[name] += i % 2 == 0
        if i in (1, 3):  # each archive is followed by an add, which restores it
            lib.archive(f"own-{wid}", f"round {i}")
            archives += 1
        lib.search("skill shared")
    lib.close()
    return {"made": made, "uses": dict(uses), "wins": dict(wins), "archives": archives}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["folder", "postgres"])
def test_eight_processes_at_once(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if kind == "folder":
        spec = str(tmp_path / "lib")
        Library.init(spec).close()
    else:
        spec = request.getfixturevalue("pg").create_database()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(_worker, [(kind, spec, str(tmp_path / "cache"), w, str(tmp_path / "src"))
                                         for w in range(WORKERS)])
    lib: Any = Library(spec) if kind == "folder" else pg_library_at(spec, tmp_path / "check")
    try:
        made: dict[str, list[str]] = {}
        for r in results:
            for name, digest in r["made"]:
                made.setdefault(name, []).append(digest)
        assert len(made) == 3 + WORKERS
        for name, digests in made.items():
            versions = lib.versions(name)
            # no lost update, no duplicate number: every add is a version, numbered 1..n
            assert [v.version for v in versions] == list(range(1, len(digests) + 1)), name
            assert sorted(v.hash for v in versions) == sorted(digests), name
            history = lib.history(name)
            assert sum(e.kind in ("added", "new-version") for e in history) == len(digests)
            uses = sum(r["uses"].get(name, 0) for r in results)
            wins = sum(r["wins"].get(name, 0) for r in results)
            assert (lib.stats(name).uses, lib.stats(name).successes) == (uses, wins), name
        for w, r in enumerate(results):
            kinds = Counter(e.kind for e in lib.history(f"own-{w}"))
            assert kinds["archived"] == r["archives"] and kinds["restored"] == r["archives"]
        assert sum(len(d) for d in made.values()) == WORKERS * ROUNDS * 2
        if kind == "folder":
            assert_consistent(Path(spec)).close()
        else:
            lib.sync_view()
            assert sorted(p.name for p in lib.skills_dir.iterdir()) == sorted(made)
            for name in made:
                assert lib.get(name).content_hash() == lib.versions(name)[-1].hash
    finally:
        lib.close()


def pg_library_at(url: str, cache: Path) -> Any:
    from evoskill.pglibrary import PostgresLibrary

    return PostgresLibrary(url, cache_dir=cache)


# -------------------------------------------------------------------------------------- migration
def populate(lib: LibraryStore, src: Path) -> None:
    """A library with every kind of content and event."""
    foreign = make_skill(src / "f", "pdf-forms", "Fill PDF forms.",
                         files={"assets/logo.png": bytes(range(256)), "LICENSE.txt": b"terms\n"})
    (foreign / "assets" / "empty").mkdir()
    os.chmod(foreign / "LICENSE.txt", 0o600)
    lib.add(foreign, origin="author:acme")
    managed = make_skill(src / "m", "add-one", metadata={"evoskill-kind": "primitive"},
                         files={"scripts/add_one.py": b"def add_one(x):\n    return x + 1\n"})
    lib.add(managed, trust="verified", origin="task:t1")
    (managed / "scripts" / "add_one.py").write_text("def add_one(x):\n    return 1 + x\n")
    lib.add(managed, trust="verified", origin="task:t1")
    lib.set_trust("add-one", "imported", "a test failed")
    for ok in (True, False, True):
        lib.record_use("add-one", ok)
    for i in range(3):
        lib.add(make_skill(src / f"g{i}", "gamma", body=f"body {i}\n"))
    lib.revert("gamma", 1)
    lib.add(make_skill(src / "b", "beta"))
    lib.archive("beta", "unused")
    lib.add(make_skill(src / "d", "delta"))
    lib.archive("delta", "oops")
    lib.restore("delta", "needed after all")
    lib.record_use("delta", False)


def assert_same(a: LibraryStore, b: LibraryStore) -> None:
    """Names, versions, hashes, trust, origins, histories, use counts and every stored byte agree."""
    assert [same_fields(r) for r in a.list(include_archived=True)] == \
        [same_fields(r) for r in b.list(include_archived=True)]
    for rec in a.list(include_archived=True):
        n = rec.name
        assert [same_fields(v) for v in a.versions(n)] == [same_fields(v) for v in b.versions(n)]
        assert a.history(n) == b.history(n)
        assert a.stats(n) == b.stats(n) and a.origin(n) == b.origin(n)
        for v in a.versions(n):
            assert a.provenance(n, v.version) == b.provenance(n, v.version)
            assert files_of(a.get(n, v.version).path) == files_of(b.get(n, v.version).path)
        assert files_of(a.get(n).path) == files_of(b.get(n).path)
    key = lambda d: (d.name, d.versions, sorted(e.key() for e in d.events))  # noqa: E731
    assert [key(d) for d in dump_store(a)] == [key(d) for d in dump_store(b)]


@pytest.mark.slow
def test_migrate_both_directions(pg: ThrowawayPostgres, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = Library.init(tmp_path / "a")
    populate(folder, tmp_path / "src")
    url = pg.create_database()
    assert cli.main(["library", "migrate", str(tmp_path / "a"), url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["skills"], report["versions"]) == (5, 9) and report["events"] > 0
    db = pg_library_at(url, tmp_path / "cache")
    try:
        assert_same(folder, db)
        assert migrate(folder, db).versions == 0 and migrate(folder, db).events == 0  # idempotent
        assert cli.main(["library", "migrate", str(tmp_path / "a"), url]) == 0
        assert "already held everything" in capsys.readouterr().out
        # work goes on in the database; it comes back into a new folder and into the first one
        db.add(make_skill(tmp_path / "src" / "g9", "gamma", body="body 9\n"))
        db.record_use("gamma", True)
        db.set_trust("gamma", "verified", "reviewed")
        db.add(make_skill(tmp_path / "src" / "e", "epsilon"))
        back = Library.init(tmp_path / "b")
        migrate(db, back)
        assert_same(db, back)
        assert_consistent(tmp_path / "b").close()
        again = migrate(db, folder)
        assert (again.skills, again.versions) == (2, 2)
        assert_same(db, folder)
        assert migrate(db, folder) == migrate(back, db) == type(again)(0, 0, 0)
        # diverged histories are refused, not merged
        folder.add(make_skill(tmp_path / "src" / "x", "epsilon", body="other\n"))
        db.add(make_skill(tmp_path / "src" / "y", "epsilon", body="mine\n"))
        with pytest.raises(UserError, match="differs"):
            migrate(folder, db)
    finally:
        db.close()
