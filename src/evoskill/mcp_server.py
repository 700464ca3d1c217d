"""The MCP surface of a skill library (``evoskill mcp``), built on fastmcp.

Resources: every file of every active skill as ``skill://<name>/<path>``, with the Skills extension
(``skills/list``, ``skills/get`` with ``sha256:`` digests) from fastmcp's skills provider; folders that are
not valid skills are skipped, never fatal. Tools: ``search_skills``, ``run_skill`` (in one sandbox kept for
the server's life), ``solve_task`` (never saves), ``submit_skill`` (verified in the sandbox before it is
stored) and ``skill_history``. Bad requests come back as MCP tool errors with a one-line message.

List changes: a :class:`LibraryWatcher` polls the library's ``listing_digest`` (one index query) and the policy
file every ``watch_interval`` seconds while a client can hear it, so a skill added, archived or re-trusted by any
process (``evoskill add``, an ``evolve`` run, another agent on the same PostgreSQL library) reaches clients as
``notifications/resources/list_changed``: on ``subscriptions/listen`` streams (protocol 2026-07-28; the server
serves that method, so it advertises ``listChanged``) and spontaneously on handshake-era (2025-11-25 and earlier)
connections. The Skills extension has no notification of its own; its clients refetch ``skills/list`` on this one.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import AsyncIterator, Callable, Collection, Hashable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import anyio
from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.middleware import Middleware, MiddlewareContext
from fastmcp.skills import Skill as MCPSkillFolder
from fastmcp.skills.provider import SkillsDirectoryProvider
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourcesListChanged, ServerEvent
from mcp.types import ResourceListChangedNotification
from mcp_types import SubscriptionsListenRequestParams
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field

from . import distill, policy, staging
from .errors import EvoskillError, UserError
from .lang.program import py_name
from .sandbox import Sandbox
from .store import LibraryStore
from .tasks import Example, task_from_dict
from .use import check_runnable, run_skill

__all__ = ["LibrarySkillsProvider", "LibraryWatcher", "build_server", "serve"]

log = logging.getLogger("evoskill.mcp")
T = TypeVar("T")

WATCH_INTERVAL = 1.0  # seconds between two looks at the library while a client listens
MAX_CODE_BYTES = 256 * 1024
MAX_EXAMPLES = 1000
MAX_PAYLOAD_BYTES = 256 * 1024
MIN_EXAMPLES = 2
OVERFIT_LEN = 3


# ---- resources ---------------------------------------------------------------------------------------------

class LibrarySkillsProvider(SkillsDirectoryProvider):
    """``SkillsDirectoryProvider`` over ``library.skills_dir`` that skips invalid folders instead of failing.

    Re-reads on every request (``reload=True``) but reloads a folder only when its files' stats changed.
    """

    def __init__(self, root: str | os.PathLike[str], served: Callable[[], Collection[str]] | None = None) -> None:
        self._served = served  # the names that may be served now (None: every folder), asked once per scan
        self._cache: dict[str, tuple[tuple[Any, ...], MCPSkillFolder | None]] = {}
        self._cache_lock = threading.Lock()
        super().__init__(root, reload=True)

    def _scan(self) -> dict[str, MCPSkillFolder]:
        found: dict[str, MCPSkillFolder] = {}
        seen: set[str] = set()
        allowed = set(self._served()) if self._served is not None else None
        for root in self._roots:
            try:
                entries = sorted(root.iterdir())
            except OSError:
                continue
            for folder in entries:
                if folder.name.startswith(".") or folder.name in found or (allowed is not None and folder.name not in allowed):
                    continue
                skill = self._load(folder)
                seen.add(folder.name)
                if skill is not None:
                    found[folder.name] = skill
        with self._cache_lock:
            for gone in set(self._cache) - seen:
                del self._cache[gone]
        return found

    def _load(self, folder: Path) -> MCPSkillFolder | None:
        try:
            if folder.is_symlink() or not (folder / "SKILL.md").is_file():
                return None
            stamp = _stamp(folder)
        except OSError:
            return None
        with self._cache_lock:
            cached = self._cache.get(folder.name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        skill: MCPSkillFolder | None
        try:
            skill = MCPSkillFolder.from_directory(folder)
        except (OSError, ValueError) as exc:
            log.warning("skipping skill folder %s: %s", folder, str(exc).splitlines()[0] if str(exc) else exc)
            skill = None
        with self._cache_lock:
            self._cache[folder.name] = (stamp, skill)
        return skill


def _stamp(folder: Path) -> tuple[Any, ...]:
    """Cheap change detector: path, inode, size and mtime of the folder and every entry below it."""
    st = folder.stat()
    parts: list[Any] = [st.st_ino, st.st_mtime_ns]
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            s = os.lstat(os.path.join(dirpath, name))
            parts.append((os.path.relpath(os.path.join(dirpath, name), folder), s.st_ino, s.st_size, s.st_mtime_ns))
    return tuple(parts)


# ---- list changes ------------------------------------------------------------------------------------------

class _CountingBus(InMemorySubscriptionBus):
    """The SDK's in-process bus, counting open ``subscriptions/listen`` streams (no listener: no polling)."""

    def __init__(self) -> None:
        super().__init__()
        self.listeners = 0

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        unsubscribe = super().subscribe(listener)
        self.listeners += 1
        done = False

        def off() -> None:
            nonlocal done
            if not done:
                done = True
                self.listeners -= 1
                unsubscribe()
        return off


class LibraryWatcher:
    """Notices library changes made by any process and tells the connected clients.

    ``state()`` is one ``listing_digest`` query plus a stat of the policy file; it is compared every
    ``interval`` seconds, and only while someone can be told (a listen stream is open or a handshake-era
    client has connected). On a change the view under ``skills_dir`` is refreshed (a PostgreSQL library
    materializes it on that read), then ``ResourcesListChanged`` goes to the listen streams and
    ``notifications/resources/list_changed`` to each handshake-era connection.
    """

    def __init__(self, library: LibraryStore, interval: float = WATCH_INTERVAL) -> None:
        self.library = library
        self.interval = interval
        self.bus = _CountingBus()
        self._legacy: dict[int, Any] = {}  # handshake-era connections: key -> the last ServerSession seen on it
        self._last: Hashable | None = None
        self._check_lock = asyncio.Lock()
        self.notified = 0

    def state(self) -> Hashable:
        """What a client's listing depends on (blocking)."""
        policy_file = Path(self.library.root) / ".evoskill" / policy.FILE
        try:
            st = policy_file.stat()
            stamp: tuple[int, ...] | None = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None
        return self.library.listing_digest(), stamp

    def remember(self, session: Any) -> None:
        """Keep a handshake-era session to notify spontaneously (modern ones hear on listen streams)."""
        if getattr(session, "protocol_version", None) in MODERN_PROTOCOL_VERSIONS:
            return
        # ServerSession is built per request; its connection is the lasting part (used only as a key here).
        self._legacy[id(getattr(session, "_connection", session))] = session

    @property
    def listening(self) -> bool:
        return self.bus.listeners > 0 or bool(self._legacy)

    async def check(self) -> bool:
        """Compare the library with the last look; notify and return True when it changed."""
        async with self._check_lock:
            try:
                now = await anyio.to_thread.run_sync(self.state)
            except Exception as exc:  # a library briefly unreachable: try again next time
                log.warning("cannot read the library's state: %s", exc)
                return False
            if self._last is None or now == self._last:  # the first look only sets the baseline
                self._last = now
                return False
            self._last = now
            try:
                await anyio.to_thread.run_sync(lambda: self.library.skills_dir)  # PostgreSQL: refresh the view
            except Exception as exc:
                log.warning("cannot refresh the skills view: %s", exc)
            await self.notify()
            return True

    async def notify(self) -> None:
        """Tell every listen stream and every handshake-era connection that the resource list changed."""
        self.notified += 1
        await self.bus.publish(ResourcesListChanged())
        for key, session in list(self._legacy.items()):
            try:
                await session.send_notification(ResourceListChangedNotification())
            except Exception as exc:  # the client went away
                log.debug("dropping a closed connection: %s", exc)
                self._legacy.pop(key, None)

    async def run(self) -> None:
        """Take the first look, then poll until cancelled (idle while nobody listens: a change made meanwhile
        is announced at the first look after someone listens again, so it is never lost)."""
        await self.check()
        while True:
            await anyio.sleep(self.interval)
            if self.listening:
                await self.check()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Poll in a background task for the duration of the block (the server's lifespan)."""
        # An asyncio task, not a task group: fastmcp may enter and leave the lifespan from different tasks.
        task = asyncio.get_running_loop().create_task(self.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class _RememberSessions(Middleware):
    """Hands each request's session to the watcher (it keeps the handshake-era ones)."""

    def __init__(self, watcher: LibraryWatcher) -> None:
        self.watcher = watcher

    async def on_request(self, context: MiddlewareContext[Any], call_next: Any) -> Any:
        ctx = context.fastmcp_context
        if ctx is not None:
            with contextlib.suppress(RuntimeError):  # no session yet
                self.watcher.remember(ctx.session)
        return await call_next(context)


# ---- tool results ------------------------------------------------------------------------------------------

class SkillHit(BaseModel):
    """One search result."""

    name: str
    description: str
    score: float
    signature: str | None = None
    trust: str


class SearchResult(BaseModel):
    """Search results, best first."""

    hits: list[SkillHit]


class RunOutput(BaseModel):
    """A skill run: ``value`` when it returned, else ``error`` (and ``limit`` when a limit stopped it)."""

    ok: bool
    value: Any = None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    limit: str | None = None
    seconds: float = 0.0


class SolveOutput(BaseModel):
    """What the proposer found; ``generalized`` is None when the task has no held-out examples."""

    solved: bool
    program: str | None = None
    python: str | None = None
    generalized: bool | None = None
    programs_tried: int = 0
    seconds: float = 0.0


class ExampleIn(BaseModel):
    """One input/output example: ``inputs`` are the positional arguments."""

    inputs: list[Any]
    output: Any


class SubmitOutput(BaseModel):
    """Whether the skill was stored; ``failures`` says concretely why not."""

    accepted: bool
    name: str
    version: int | None = None
    failures: list[str] = Field(default_factory=list)


class HistoryEvent(BaseModel):
    """One lifecycle event (added, new-version, archived, restored)."""

    kind: str
    version: int | None
    when: str
    reason: str | None


class HistoryOutput(BaseModel):
    """Events of one skill, oldest first."""

    name: str
    events: list[HistoryEvent]


# ---- helpers -----------------------------------------------------------------------------------------------

def _one_line(text: str, limit: int = 2000) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


async def _in_thread(fn: Callable[[], T]) -> T:
    """Run blocking library/sandbox work off the event loop; failures become one-line tool errors."""
    try:
        return await anyio.to_thread.run_sync(fn)
    except ToolError:
        raise
    except EvoskillError as exc:
        raise ToolError(_one_line(str(exc))) from None
    except Exception as exc:
        log.exception("tool failed")
        raise ToolError(_one_line(f"internal error: {type(exc).__name__}: {exc}")) from None


def _json_size(value: Any) -> int:
    try:
        return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise ToolError(f"arguments are not JSON values: {exc}") from None


def _client_name(ctx: Context | None) -> str:
    name = None
    if ctx is not None:
        try:
            params = ctx.session.client_params
        except RuntimeError:
            params = None
        name = getattr(getattr(params, "client_info", None), "name", None)
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", name or "").strip("-")[:64]
    return clean or "client"


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the Constant nodes that are docstrings."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def overfit_literals(tree: ast.AST, examples: Sequence[Example]) -> list[str]:
    """Failures for example outputs (strings or lists of length >= 3) written as literals in the code."""
    docs = _docstrings(tree)
    strings: set[str] = set()
    lists: list[Any] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            strings.add(node.value)
        elif isinstance(node, ast.List | ast.Tuple):
            try:
                lists.append(json.loads(json.dumps(ast.literal_eval(node))))
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                continue
    failures = []
    for i, ex in enumerate(examples, 1):
        out = ex.output
        if isinstance(out, str) and len(out) >= OVERFIT_LEN and out in strings:
            failures.append(f"overfit: the code contains example {i}'s output {_one_line(json.dumps(out), 80)} "
                            "as a literal; compute outputs from the inputs instead of writing them in")
        elif isinstance(out, list) and len(out) >= OVERFIT_LEN and out in lists:
            failures.append(f"overfit: the code contains example {i}'s output {_one_line(json.dumps(out), 80)} "
                            "as a literal list; compute outputs from the inputs instead of writing them in")
    return failures


def _entry_of(tree: ast.Module, entry: str | None) -> tuple[str | None, str | None]:
    """(entry function name, failure)."""
    funcs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    if entry is not None:
        if not entry.isidentifier():
            return None, f"entry {entry!r} is not a Python identifier"
        if entry not in funcs:
            return None, f"the code defines no top-level function {entry!r} (found: {', '.join(funcs) or 'none'})"
        return entry, None
    public = [f for f in funcs if not f.startswith("_")]
    if not public:
        return None, "the code defines no public top-level function: define one (def my_skill(...): ...)"
    return public[0], None


# ---- the server --------------------------------------------------------------------------------------------

class _Tools:
    """The work behind each tool (blocking; called in worker threads)."""

    def __init__(self, library: LibraryStore, sandbox: Sandbox, proposer: str, model: Any) -> None:
        self.library = library
        self.sandbox = sandbox
        self.proposer = proposer
        self.model = model

    def search(self, query: str, k: int) -> SearchResult:
        hits = []
        for h in self.library.search(query, k=k):
            try:
                sig = self.library.get(h.record.name).manifest.metadata.get("evoskill-signature")
            except EvoskillError:
                sig = None
            hits.append(SkillHit(name=h.record.name, description=h.record.description, score=h.score,
                                 signature=sig, trust=h.record.trust))
        return SearchResult(hits=hits)

    def run(self, name: str, args: list[Any]) -> RunOutput:
        try:  # the same checks as `evoskill run`, and the policy must also let the skill be served
            skill = check_runnable(self.library, name, args, actions=("serve", "run"))
        except UserError as exc:
            raise ToolError(f"{exc.message} ({exc.fix})" if exc.fix else exc.message) from None
        res = run_skill(self.library, self.sandbox, skill, args)
        error = None if res.ok else _one_line(f"{res.error_type}: {res.error_message}")
        return RunOutput(ok=res.ok, value=res.value if res.ok else None, stdout=res.stdout, stderr=res.stderr,
                         error=error, limit=res.limit, seconds=round(res.seconds, 4))

    def solve(self, task_dict: dict[str, Any], budget: float) -> SolveOutput:
        from .learner import Learner
        from .session import make_proposer

        task = task_from_dict(task_dict, source="mcp")
        learner = Learner(self.library, self.sandbox, model=self.model)
        proposer = make_proposer(self.proposer, self.model, self.sandbox, learner)
        attempt = learner.confirm(proposer.propose(task.for_solver(), budget_seconds=budget, seed=0), task)
        out = SolveOutput(solved=attempt.solved, programs_tried=attempt.programs_tried,
                          seconds=round(attempt.seconds, 3))
        if attempt.solved and attempt.solution is not None:
            sol = attempt.solution
            out.program, out.python = sol.source, sol.python
            if task.held_out:
                out.generalized = learner.check_held_out(sol, task).passed
        return out

    def submit(self, name: str, description: str, code: str, examples: list[ExampleIn], entry: str | None,
               origin: str) -> SubmitOutput:
        failures: list[str] = []
        if not distill.valid_name(name):
            failures.append(f"name {name!r} is not a valid skill name: use 1-64 lowercase letters, digits and "
                            "single hyphens, e.g. 'shout-text'")
        if not distill.valid_description(description):
            failures.append(f"description must be non-empty, at most {distill.DESCRIPTION_BUDGET} characters, "
                            "without '<' or '>'")
        if len(examples) < MIN_EXAMPLES:
            failures.append(f"give at least {MIN_EXAMPLES} examples (got {len(examples)})")
        exs = [Example(tuple(e.inputs), e.output) for e in examples]
        signature = None
        if exs:
            try:
                task = task_from_dict({"name": name or "skill", "description": description,
                                       "examples": [e.to_dict() for e in exs]}, source="mcp")
                signature = distill.signature_text(task.input_types, task.output_type)
            except UserError as exc:
                failures.append(f"examples: {exc}")
        func_entry = None
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            failures.append(_one_line(f"the code does not parse: {type(exc).__name__}: {exc}"))
        else:
            func_entry, why = _entry_of(tree, entry)
            if why:
                failures.append(why)
            failures += overfit_literals(tree, exs)
        if not failures:
            other = self._other_origin(name, origin)
            if other is not None:
                failures.append(f"a skill named '{name}' already exists (origin {other}); submit under another name")
        if failures or signature is None or func_entry is None:
            return SubmitOutput(accepted=False, name=name, failures=failures)
        func = py_name(name)
        script = distill.python_script(code, func_entry, func)
        metadata = {"evoskill-kind": "solution", "evoskill-trust": "verified", "evoskill-origin": origin,
                    "evoskill-signature": signature, "evoskill-version": distill.next_version(self.library, name)}
        body = distill.body_text(name, description, signature, None, exs)

        def build(root: Path) -> Path:
            return staging.stage_skill(root, name=name, description=description, body=body, code=script,
                                       examples=exs, metadata=metadata)

        result = distill.store_skill(build, name, library=self.library, sandbox=self.sandbox, examples=exs,
                                     quarantine_blocked=True, origin=origin)
        if not result.ok or result.record is None:
            lines = [ln.strip() for ln in (result.reason or "refused").splitlines() if ln.strip()]
            lines[0] = lines[0].rstrip(":")  # "its tests fail: 2/3 examples fail", then one line per example
            return SubmitOutput(accepted=False, name=name, failures=lines)
        return SubmitOutput(accepted=True, name=name, version=result.record.version)

    def _other_origin(self, name: str, origin: str) -> str | None:
        """The origin of an existing skill ``name`` when it is not ``origin`` (else None)."""
        if name not in {r.name for r in self.library.list(include_archived=True)}:
            return None
        try:
            theirs = self.library.get(name).manifest.metadata.get("evoskill-origin")
        except EvoskillError:
            theirs = None
        return None if theirs == origin else (theirs or "unknown")

    def history(self, name: str) -> HistoryOutput:
        events = [HistoryEvent(kind=e.kind, version=e.version, when=e.when, reason=e.reason)
                  for e in self.library.history(name)]
        return HistoryOutput(name=name, events=events)


def build_server(library: LibraryStore, *, proposer: str = "search", model: str | None = None,
                 sandbox: Sandbox | None = None, watch_interval: float = WATCH_INTERVAL) -> FastMCP:
    """An MCP server for ``library``; ``sandbox`` (else a new one) runs every job for the server's life.

    While it runs, the library is looked at every ``watch_interval`` seconds (see :class:`LibraryWatcher`).
    """
    from .session import load_model

    if proposer not in ("search", "llm", "hybrid"):
        raise UserError(f"unknown proposer {proposer!r}", fix="use search, llm or hybrid")
    if not watch_interval > 0:
        raise UserError(f"--watch-interval must be more than 0 seconds (got {watch_interval})",
                        fix="use e.g. --watch-interval 1")
    loaded = load_model(proposer, model)
    sb = sandbox or Sandbox(workers=2, readable=[library.root])
    tools = _Tools(library, sb, proposer, loaded)
    watcher = LibraryWatcher(library, watch_interval)

    @contextlib.asynccontextmanager
    async def lifespan(_server: FastMCP) -> AsyncIterator[dict[str, Any]]:
        async with watcher.running():
            yield {}

    mcp = FastMCP("evoskill", lifespan=lifespan, instructions=(
        "A library of verified skills (Agent Skills folders) as skill:// resources. Search with "
        "search_skills, call one with run_skill, find a program with solve_task, add one with submit_skill. "
        "The resource list changes when skills are added or archived: listen for resources list_changed."))
    mcp.add_middleware(_RememberSessions(watcher))
    # fastmcp 4.2 does not serve subscriptions/listen itself; the SDK's handler on its low-level server does
    # (and serving it is what makes the server advertise listChanged on 2026-07-28 connections).
    mcp._mcp_server.add_request_handler("subscriptions/listen", SubscriptionsListenRequestParams,
                                        ListenHandler(watcher.bus))

    def served() -> set[str]:  # the policy decides, per tier, what is served
        rules = policy.load(library.root)
        return {r.name for r in library.list() if rules.allows(r.trust, "serve")}

    mcp.add_provider(LibrarySkillsProvider(library.skills_dir, served))

    @mcp.tool
    async def search_skills(query: Annotated[str, Field(max_length=4096, description="words to look for")],
                            k: Annotated[int, Field(ge=1, le=100)] = 10) -> SearchResult:
        """Full-text search over the library's active skills (name, description, body)."""
        return await _in_thread(lambda: tools.search(query, k))

    @mcp.tool
    async def run_skill(name: Annotated[str, Field(max_length=200, description="skill name")],
                        args: Annotated[list[Any], Field(description="positional arguments (JSON values)")]
                        ) -> RunOutput:
        """Run a skill's script in the sandbox with the given arguments and return its value."""
        if _json_size(args) > MAX_PAYLOAD_BYTES:
            raise ToolError(f"arguments exceed {MAX_PAYLOAD_BYTES // 1024} KiB")
        return await _in_thread(lambda: tools.run(name, args))

    @mcp.tool
    async def solve_task(task: Annotated[dict[str, Any], Field(description=(
                             'a task: {"name", "description", "examples": [{"inputs": [...], "output": ...}], '
                             '"held_out": [...] (optional)}'))],
                         budget: Annotated[float, Field(gt=0, le=300, description="seconds")] = 10) -> SolveOutput:
        """Find a program for a task with the library's skills (nothing is saved)."""
        if _json_size(task) > MAX_PAYLOAD_BYTES:
            raise ToolError(f"the task exceeds {MAX_PAYLOAD_BYTES // 1024} KiB")
        for key in ("examples", "held_out"):
            if isinstance(task.get(key), list) and len(task[key]) > MAX_EXAMPLES:
                raise ToolError(f"at most {MAX_EXAMPLES} {key} (got {len(task[key])})")
        return await _in_thread(lambda: tools.solve(task, budget))

    @mcp.tool
    async def submit_skill(name: Annotated[str, Field(max_length=200)],
                           description: Annotated[str, Field(max_length=4096)],
                           code: Annotated[str, Field(description="Python defining the skill's function")],
                           examples: Annotated[list[ExampleIn], Field(description="at least 2 examples")],
                           ctx: Context,
                           entry: Annotated[str | None, Field(description="function name (default: first "
                                                                          "public function)")] = None,
                           ) -> SubmitOutput:
        """Add a Python skill; stored only if it is valid and passes every example in the sandbox."""
        if len(code.encode("utf-8", "surrogatepass")) > MAX_CODE_BYTES:
            raise ToolError(f"code exceeds {MAX_CODE_BYTES // 1024} KiB")
        if len(examples) > MAX_EXAMPLES:
            raise ToolError(f"at most {MAX_EXAMPLES} examples (got {len(examples)})")
        if _json_size([e.model_dump() for e in examples]) > MAX_PAYLOAD_BYTES:
            raise ToolError(f"examples exceed {MAX_PAYLOAD_BYTES // 1024} KiB")
        origin = f"mcp:{_client_name(ctx)}"
        result = await _in_thread(lambda: tools.submit(name, description, code, examples, entry, origin))
        if result.accepted:
            try:  # on this request's stream (the caller may not listen), then to every listener
                await ctx.send_notification(ResourceListChangedNotification())
            except Exception as exc:  # the skill is stored; a lost notification is not a failure
                log.debug("list-changed notification not sent: %s", exc)
            await watcher.check()
        return result

    @mcp.tool
    async def skill_history(name: Annotated[str, Field(max_length=200)]) -> HistoryOutput:
        """Lifecycle events of a skill (added, new-version, archived, restored), oldest first."""
        return await _in_thread(lambda: tools.history(name))

    return mcp


def serve(library_root: str | os.PathLike[str] | None, transport: Literal["stdio", "http"] = "stdio", *,
          port: int = 8000, host: str = "127.0.0.1", proposer: str = "search", model: str | None = None,
          watch_interval: float = WATCH_INTERVAL) -> None:
    """Open (or create) the library and serve it until the client disconnects (stdio) or Ctrl-C (http)."""
    from .session import open_library

    library = open_library(str(library_root) if library_root is not None else None)
    with Sandbox(workers=2, readable=[library.root]) as sandbox:
        server = build_server(library, proposer=proposer, model=model, sandbox=sandbox,
                              watch_interval=watch_interval)
        if transport == "stdio":
            server.run("stdio", show_banner=False)
        elif transport == "http":
            server.run("http", show_banner=False, host=host, port=port)
        else:
            raise UserError(f"unknown transport {transport!r}", fix="use stdio or http")
    library.close()
