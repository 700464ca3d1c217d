"""Latency of running one skill: ``run_skill`` over MCP stdio vs ``evoskill run`` vs a warm ``Sandbox.run_file``.

Usage: ``.venv/bin/python benchmarks/mcp_latency.py [CALLS]`` (default 50 per path). Each path gets a
warm-up call first (server/worker start-up excluded for MCP and the pool; ``evoskill run`` pays its
whole process start every call, which is what a CLI user pays). Needs the ``mcp`` extra (fastmcp).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from evoskill.library import Library
from evoskill.sandbox import Sandbox
from evoskill.session import install_core

SKILL, ARG, WANT = "text-upper", "abc", "ABC"


def _percentiles(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return qs[49], qs[94]


def _timed(calls: int, once: Callable[[], None]) -> list[float]:
    out = []
    for _ in range(calls):
        t0 = time.perf_counter()
        once()
        out.append(time.perf_counter() - t0)
    return out


def bench_direct(lib: Library, calls: int) -> list[float]:
    """``Sandbox.run_file`` on the skill's script through one warm worker."""
    ep = lib.get(SKILL).entry_point
    assert ep is not None
    with Sandbox(workers=1, readable=[lib.root]) as sb:
        assert sb.run_file(ep[0], ep[1], [ARG]).value == WANT  # starts the worker

        def once() -> None:
            assert sb.run_file(ep[0], ep[1], [ARG]).value == WANT

        return _timed(calls, once)


def bench_cli(lib: Library, calls: int) -> list[float]:
    """``evoskill run`` as a subprocess per call."""
    exe = Path(sys.executable).parent / "evoskill"
    argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "evoskill.cli"]
    cmd = [*argv, "run", "--library", str(lib.root), "--json", SKILL, ARG]

    def once() -> None:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        assert f'"value": "{WANT}"' in out.stdout, out.stdout

    return _timed(calls, once)


def bench_mcp(lib: Library, calls: int) -> list[float]:
    """``run_skill`` through one ``evoskill mcp`` stdio server (connection made once)."""
    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    async def main() -> list[float]:
        transport = StdioTransport(sys.executable, ["-m", "evoskill.cli", "mcp", "--library", str(lib.root)])
        async with Client(transport) as client:
            async def once() -> None:
                r = await client.call_tool("run_skill", {"name": SKILL, "args": [ARG]})
                assert r.structured_content is not None and r.structured_content["value"] == WANT

            await once()  # starts the sandbox worker
            out = []
            for _ in range(calls):
                t0 = time.perf_counter()
                await once()
                out.append(time.perf_counter() - t0)
            return out

    return asyncio.run(main())


def main() -> None:
    """Print p50/p95 per path and ratios to the direct call."""
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory(prefix="evoskill-mcp-bench-") as tmp:
        lib = Library(Path(tmp) / "library")
        install_core(lib)
        rows = {"direct Sandbox.run_file (warm)": bench_direct(lib, calls),
                "MCP stdio run_skill": bench_mcp(lib, calls),
                "evoskill run (subprocess)": bench_cli(lib, calls)}
        lib.close()
    base50, base95 = _percentiles(rows["direct Sandbox.run_file (warm)"])
    print(f"{calls} calls each of {SKILL}({ARG!r})")
    print(f"{'path':32} {'p50 ms':>9} {'p95 ms':>9} {'p50 x':>8} {'p95 x':>8}")
    for name, samples in rows.items():
        p50, p95 = _percentiles(samples)
        print(f"{name:32} {p50 * 1e3:9.2f} {p95 * 1e3:9.2f} {p50 / base50:8.1f} {p95 / base95:8.1f}")


if __name__ == "__main__":
    main()
