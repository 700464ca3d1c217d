"""Calls per second of a tiny function: warm sandbox pool vs a fresh ``python`` process per call.

Usage: ``.venv/bin/python benchmarks/sandbox_bench.py [CALLS]`` (default 200; finishes well under 60 s).
"""

from __future__ import annotations

import subprocess
import sys
import time

from evoskill.sandbox import Sandbox

CODE = "def inc(x):\n    return x + 1\n"


def bench_pool(calls: int) -> float:
    """Calls per second through one warm sandbox worker (startup excluded)."""
    with Sandbox(workers=1) as sb:
        assert sb.run_code(CODE, "inc", [0]).value == 1  # warm up: starts the worker
        start = time.perf_counter()
        for i in range(calls):
            result = sb.run_code(CODE, "inc", [i])
            assert result.ok and result.value == i + 1, result
        return calls / (time.perf_counter() - start)


def bench_fresh(calls: int) -> float:
    """Calls per second with a new, unisolated ``python -c`` per call (the cheapest cold baseline)."""
    start = time.perf_counter()
    for i in range(calls):
        out = subprocess.run([sys.executable, "-I", "-S", "-c", CODE + f"print(inc({i}))"],
                             capture_output=True, text=True, check=True, env={})
        assert int(out.stdout) == i + 1
    return calls / (time.perf_counter() - start)


def bench_sandboxed_fresh(calls: int) -> float:
    """Calls per second with ``Sandbox.run_command`` starting a new isolated ``python`` per call."""
    with Sandbox(workers=1) as sb:
        sb.run_command(["python", "-c", "pass"])
        start = time.perf_counter()
        for i in range(calls):
            out = sb.run_command(["python", "-I", "-S", "-c", CODE + f"print(inc({i}))"])
            assert out.ok and int(out.stdout) == i + 1, out
        return calls / (time.perf_counter() - start)


def main() -> None:
    """Print both rates and their ratio."""
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    pool = bench_pool(calls)
    fresh = bench_fresh(calls)
    sandboxed = bench_sandboxed_fresh(calls)
    print(f"calls: {calls}")
    print(f"warm sandbox pool:        {pool:8.1f} calls/s")
    print(f"fresh python per call:    {fresh:8.1f} calls/s")
    print(f"sandboxed fresh python:   {sandboxed:8.1f} calls/s  (run_command per call)")
    print(f"speed-up (pool / fresh):  {pool / fresh:8.1f}x")
    print(f"speed-up (pool / sandboxed fresh): {pool / sandboxed:8.1f}x")


if __name__ == "__main__":
    main()
