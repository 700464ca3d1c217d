"""``evoskill mcp``: the library over MCP (fastmcp), in memory and over a real stdio subprocess."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("fastmcp")

from fastmcp import Client, FastMCP  # noqa: E402
from fastmcp.client.messages import MessageHandler  # noqa: E402
from fastmcp.client.transports import StdioTransport  # noqa: E402
from fastmcp.skills import SkillsClientExtension  # noqa: E402
from mcp.client.subscriptions import ResourcesListChanged, listen  # noqa: E402
from mcp_types.version import MODERN_PROTOCOL_VERSIONS  # noqa: E402

from evoskill.library import Library  # noqa: E402
from evoskill.mcp_server import build_server  # noqa: E402
from evoskill.sandbox import Sandbox  # noqa: E402
from evoskill.scaffold import new_skill  # noqa: E402
from evoskill.session import install_core  # noqa: E402

T = TypeVar("T")

SHOUT = "def shout(s):\n    return s.upper() + '!'\n"
SHOUT_EXAMPLES = [{"inputs": ["hi"], "output": "HI!"}, {"inputs": ["abc"], "output": "ABC!"},
                  {"inputs": ["x y"], "output": "X Y!"}]


class Seen(MessageHandler):
    """Records list-changed notifications."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = 0

    async def on_resource_list_changed(self, message: Any) -> None:
        self.changed += 1


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    lib = Library(tmp_path_factory.mktemp("mcp") / "library")
    install_core(lib)
    broken = lib.skills_dir / "broken-skill"  # not a valid skill: the server must start anyway
    broken.mkdir()
    (broken / "SKILL.md").write_text("no frontmatter here\n")
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def server(library: Library) -> Iterator[FastMCP]:
    with Sandbox(workers=2, readable=[library.root]) as sandbox:
        yield build_server(library, sandbox=sandbox)


def run(target: Any, body: Callable[[Client], Awaitable[T]], handler: MessageHandler | None = None) -> T:
    async def main() -> T:
        async with Client(target, extensions=[SkillsClientExtension()], message_handler=handler) as client:
            return await body(client)
    return asyncio.run(main())


def state(lib: Library) -> list[tuple[str, int, bool]]:
    return [(r.name, r.version, r.archived) for r in lib.list(include_archived=True)]


def text_of(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


# ---- resources -------------------------------------------------------------------------------------------

def test_skills_extension_lists_library_with_digests(server: FastMCP, library: Library) -> None:
    async def body(c: Client) -> Any:
        skills = await c.list_skills()
        entry = await c.get_skill("skill://text-upper/SKILL.md")
        folder = await c.read_skill("skill://text-upper/SKILL.md")
        md = await c.read_resource("skill://text-upper/SKILL.md")
        resources = [str(r.uri) for r in await c.list_resources()]
        return skills, entry, folder, md, resources

    skills, entry, folder, md, resources = run(server, body)
    uris = {s.uri for s in skills}
    assert "skill://text-upper/SKILL.md" in uris
    assert not any("broken-skill" in u for u in uris)
    assert len(uris) == len([r for r in library.list()])
    assert "skill://text-upper/SKILL.md" in resources
    assert "skill://text-upper/scripts/text_upper.py" in resources
    root = library.skills_dir / "text-upper"
    for res in entry.resources:
        rel = res.uri.removeprefix("skill://text-upper/")
        assert res.digest == "sha256:" + hashlib.sha256((root / rel).read_bytes()).hexdigest()
    assert {r.uri.removeprefix("skill://text-upper/") for r in entry.resources} == {
        "SKILL.md", "scripts/text_upper.py", "tests/examples.json"}
    assert md[0].text == (root / "SKILL.md").read_text(encoding="utf-8")
    assert folder.files["scripts/text_upper.py"] == (root / "scripts" / "text_upper.py").read_bytes()


# ---- run_skill -------------------------------------------------------------------------------------------

def test_run_skill_and_its_errors(server: FastMCP, library: Library) -> None:
    library.archive("text-proper", "test")

    async def body(c: Client) -> list[Any]:
        calls = [("text-upper", ["abc"]), ("text-upper", ["abc", "d"]), ("text-upper", [3]),
                 ("text-uper", ["abc"]), ("text-proper", ["abc"]), ("int-div", [1, 0])]
        return [await c.call_tool("run_skill", {"name": n, "args": a}, raise_on_error=False) for n, a in calls]

    before = library.stats("text-upper").uses
    try:
        ok, count, typ, unknown, archived, div = run(server, body)
    finally:
        library.restore("text-proper")
    assert not ok.is_error and ok.structured_content["value"] == "ABC"
    assert library.stats("text-upper").uses == before + 1
    assert count.is_error and "takes 1 argument (str -> str), got 2" in text_of(count)
    assert typ.is_error and "argument 1 must be str" in text_of(typ)
    assert unknown.is_error and "no skill named 'text-uper'" in text_of(unknown) and "text-upper" in text_of(unknown)
    assert archived.is_error and "archived" in text_of(archived)
    assert not div.is_error and div.structured_content["ok"] in (True, False)  # a skill's own answer, no crash


# ---- submit_skill ----------------------------------------------------------------------------------------

def test_submit_good_skill_then_run_and_list(server: FastMCP, library: Library) -> None:
    seen = Seen()

    async def body(c: Client) -> list[Any]:
        sub = await c.call_tool("submit_skill", {"name": "shout", "description": "Shout a text: upper case and "
                                                 "an exclamation mark.", "code": SHOUT, "examples": SHOUT_EXAMPLES})
        await asyncio.sleep(0.1)
        used = await c.call_tool("run_skill", {"name": "shout", "args": ["hey"]})
        skills = await c.list_skills()
        return [sub, used, skills]

    sub, used, skills = run(server, body, seen)
    assert sub.structured_content == {"accepted": True, "name": "shout", "version": 1, "failures": []}
    assert used.structured_content["value"] == "HEY!"
    assert "skill://shout/SKILL.md" in {s.uri for s in skills}
    assert seen.changed >= 1
    meta = library.get("shout").manifest.metadata
    assert meta["evoskill-trust"] == "verified" and meta["evoskill-origin"].startswith("mcp:")
    assert meta["evoskill-signature"] == "str -> str"


def test_submit_refusals_leave_library_unchanged(server: FastMCP, library: Library) -> None:
    before = state(library)
    lookup = ("TABLE = {'hi': 'HI!', 'abc': 'ABC!', 'x y': 'X Y!'}\n\n"
              "def yell(s):\n    return TABLE.get(s, s)\n")
    hostile = "import os\nos._exit(3)\n\ndef boom(s):\n    return s\n"
    cases = {
        "failing": {"name": "whisper", "description": "Whisper a text.", "examples": SHOUT_EXAMPLES,
                    "code": "def whisper(s):\n    return s.lower()\n"},
        "overfit": {"name": "yell", "description": "Yell a text.", "code": lookup, "examples": SHOUT_EXAMPLES},
        "taken": {"name": "text-upper", "description": "Replace a built-in.", "code": SHOUT.replace("shout", "f"),
                  "examples": SHOUT_EXAMPLES},
        "one-example": {"name": "solo", "description": "Solo.", "code": SHOUT, "examples": SHOUT_EXAMPLES[:1]},
        "bad-name": {"name": "Bad Name", "description": "Bad.", "code": SHOUT, "examples": SHOUT_EXAMPLES},
        "syntax": {"name": "broken", "description": "Broken.", "code": "def broken(s:\n", "examples": SHOUT_EXAMPLES},
        "hostile": {"name": "boom", "description": "Exits the process.", "code": hostile,
                    "examples": SHOUT_EXAMPLES},
    }

    async def body(c: Client) -> dict[str, Any]:
        out = {k: await c.call_tool("submit_skill", v, raise_on_error=False) for k, v in cases.items()}
        out["big-code"] = await c.call_tool("submit_skill", {**cases["failing"], "code": "#" * (257 * 1024)},
                                            raise_on_error=False)
        out["many"] = await c.call_tool("submit_skill", {**cases["failing"], "examples": SHOUT_EXAMPLES * 334},
                                        raise_on_error=False)
        out["still-up"] = await c.call_tool("run_skill", {"name": "text-upper", "args": ["ok"]})
        return out

    out = run(server, body)
    failures = {k: " | ".join(r.structured_content["failures"]) for k, r in out.items()
                if k in cases and not r.is_error}
    assert all(not out[k].structured_content["accepted"] for k in cases)
    assert "tests fail" in failures["failing"]
    assert "overfit" in failures["overfit"] and '"HI!"' in failures["overfit"]
    assert "already exists" in failures["taken"]
    assert "at least 2 examples" in failures["one-example"]
    assert "not a valid skill name" in failures["bad-name"]
    assert "does not parse" in failures["syntax"]
    assert "tests fail" in failures["hostile"]
    assert out["big-code"].is_error and "256 KiB" in text_of(out["big-code"])
    assert out["many"].is_error and "at most 1000 examples" in text_of(out["many"])
    assert out["still-up"].structured_content["value"] == "OK"
    assert state(library) == before
    for name in ("whisper", "yell", "solo", "broken", "boom"):
        assert not (library.skills_dir / name).exists()


# ---- search, history, solve ------------------------------------------------------------------------------

def test_search_history_and_solve(server: FastMCP, library: Library) -> None:
    task = {"name": "exclaim", "description": "upper case with an exclamation mark",
            "examples": SHOUT_EXAMPLES, "held_out": [{"inputs": ["go"], "output": "GO!"}]}

    async def body(c: Client) -> list[Any]:
        return [await c.call_tool("search_skills", {"query": "upper case", "k": 3}),
                await c.call_tool("skill_history", {"name": "text-upper"}),
                await c.call_tool("skill_history", {"name": "nope"}, raise_on_error=False),
                await c.call_tool("solve_task", {"task": task, "budget": 5}),
                await c.call_tool("solve_task", {"task": {"name": "x", "examples": []}}, raise_on_error=False)]

    before = state(library)
    search, hist, missing, solved, bad = run(server, body)
    hits = search.structured_content["hits"]
    assert 1 <= len(hits) <= 3 and hits[0]["name"] == "text-upper"
    assert hits[0]["signature"] == "str -> str" and hits[0]["trust"] == "built-in"
    events = hist.structured_content["events"]
    assert events[0]["kind"] == "added" and events[0]["version"] == 1 and events[0]["when"]
    assert missing.is_error and "no skill named 'nope'" in text_of(missing)
    sol = solved.structured_content
    assert sol["solved"] and sol["generalized"] is True and sol["program"]  # may reuse the submitted shout
    assert "def exclaim" in sol["python"]
    assert bad.is_error and "no examples" in text_of(bad)
    assert state(library) == before  # solving never saves


# ---- a real stdio subprocess -----------------------------------------------------------------------------

def evoskill_argv(*args: str) -> list[str]:
    """``evoskill ARGS`` as an argv for this interpreter (the code under test, not an installed copy)."""
    return [sys.executable, "-m", "evoskill.cli", *args]


def stdio_transport(library: Library, *extra: str) -> StdioTransport:
    """A real ``evoskill mcp`` subprocess; the environment is passed on so it runs the same code."""
    argv = evoskill_argv("mcp", "--library", str(library.root), *extra)
    return StdioTransport(argv[0], argv[1:], env=dict(os.environ))


@pytest.mark.slow
def test_stdio_subprocess(library: Library) -> None:
    transport = stdio_transport(library)
    good = {"name": "shout-twice", "description": "Shout a text twice.", "examples": [
        {"inputs": ["a"], "output": "A!A!"}, {"inputs": ["bc"], "output": "BC!BC!"}],
        "code": "def twice(s):\n    return (s.upper() + '!') * 2\n"}
    bad = {**good, "name": "shout-thrice", "code": "def thrice(s):\n    return s * 3\n"}

    async def body(c: Client) -> list[Any]:
        resources = [str(r.uri) for r in await c.list_resources()]
        md = await c.read_resource("skill://text-upper/SKILL.md")
        ran = await c.call_tool("run_skill", {"name": "text-upper", "args": ["stdio"]})
        accepted = await c.call_tool("submit_skill", good)
        refused = await c.call_tool("submit_skill", bad)
        again = await c.call_tool("run_skill", {"name": "shout-twice", "args": ["x"]})
        return [resources, md, ran, accepted, refused, again]

    resources, md, ran, accepted, refused, again = run(transport, body)
    assert "skill://text-upper/SKILL.md" in resources
    assert md[0].text.startswith("---\nname: \"text-upper\"")
    assert ran.structured_content["value"] == "STDIO"
    assert accepted.structured_content["accepted"] is True
    assert refused.structured_content["accepted"] is False and refused.structured_content["failures"]
    assert again.structured_content["value"] == "X!X!"
    assert (library.skills_dir / "shout-twice").is_dir() and not (library.skills_dir / "shout-thrice").exists()


@pytest.mark.slow
def test_stdio_clients_hear_changes_made_by_other_processes(library: Library, tmp_path: Path) -> None:
    """`evoskill add` and `evoskill archive` in other processes reach connected clients as list_changed:
    a 2026-07-28 client on its subscriptions/listen stream, a handshake-era client spontaneously."""
    src = tmp_path / "words.py"
    src.write_text("def reverse_words(text: str) -> str:\n"
                   "    \"\"\"Reverse the order of the words of a text.\"\"\"\n"
                   "    return ' '.join(reversed(text.split()))\n")
    folder = new_skill("reverse-words", tmp_path, source_file=src)
    (folder / "tests").mkdir(exist_ok=True)
    (folder / "tests" / "examples.json").write_text(json.dumps(
        [{"inputs": ["a b c"], "output": "c b a"}, {"inputs": ["hello world"], "output": "world hello"}]))

    def evoskill(*args: str) -> None:
        done = subprocess.run(evoskill_argv(*args, "--library", str(library.root)), capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    uri = "skill://reverse-words/SKILL.md"

    async def modern(c: Client) -> tuple[bool, bool, Any]:
        before = {s.uri for s in await c.list_skills()}
        async with listen(c.session, resources_list_changed=True) as sub:
            await asyncio.to_thread(evoskill, "add", str(folder))
            event = await asyncio.wait_for(anext(aiter(sub)), 30)
        after = {s.uri for s in await c.list_skills()}
        ran = await c.call_tool("run_skill", {"name": "reverse-words", "args": ["x y"]})
        return uri in before, uri in after, (event, ran)

    seen = Seen()

    async def legacy(c: Client) -> tuple[bool, bool, int]:
        before = {str(r.uri) for r in await c.list_resources()}
        await asyncio.to_thread(evoskill, "archive", "reverse-words")
        for _ in range(300):
            if seen.changed:
                break
            await asyncio.sleep(0.1)
        after = {str(r.uri) for r in await c.list_resources()}
        return uri in before, uri in after, c.protocol_version

    listed_before, listed_after, (event, ran) = run(stdio_transport(library, "--watch-interval", "0.2"), modern)
    assert (listed_before, listed_after) == (False, True)
    assert isinstance(event, ResourcesListChanged)
    assert ran.structured_content["value"] == "y x"

    async def legacy_main() -> tuple[bool, bool, int]:
        async with Client(stdio_transport(library, "--watch-interval", "0.2"), mode="legacy",
                          message_handler=seen) as client:
            return await legacy(client)

    was_listed, still_listed, version = asyncio.run(legacy_main())
    assert version not in MODERN_PROTOCOL_VERSIONS
    assert seen.changed >= 1
    assert (was_listed, still_listed) == (True, False)
