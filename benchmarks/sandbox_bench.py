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


def bench_read_rules(calls: int, blocks: int = 8) -> tuple[float, float]:
    """Calls per second of the warm pool with the per-job Landlock read rules on and off on purpose
    (``EVOSKILL_SANDBOX_DISABLE=reads``), interleaved in blocks so machine load hits both alike."""
    import os

    os.environ["EVOSKILL_SANDBOX_DISABLE"] = "reads"
    off = Sandbox(workers=1)
    assert off.run_code(CODE, "inc", [0]).ok and not off.isolation()["filesystem_reads"]["enforced"]
    del os.environ["EVOSKILL_SANDBOX_DISABLE"]
    on = Sandbox(workers=1)
    assert on.run_code(CODE, "inc", [0]).ok and on.isolation()["filesystem_reads"]["enforced"]
    spent = {"on": 0.0, "off": 0.0}
    per_block = max(1, calls // blocks)
    try:
        for _ in range(blocks):
            for label, sb in (("off", off), ("on", on)):
                start = time.perf_counter()
                for i in range(per_block):
                    assert sb.run_code(CODE, "inc", [i]).value == i + 1
                spent[label] += time.perf_counter() - start
    finally:
        on.close()
        off.close()
    return per_block * blocks / spent["on"], per_block * blocks / spent["off"]


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
    on, off = bench_read_rules(calls)
    print(f"warm pool, read rules on:  {on:8.1f} calls/s")
    print(f"warm pool, read rules off: {off:8.1f} calls/s  (EVOSKILL_SANDBOX_DISABLE=reads; interleaved)")
    print(f"cost of the read rules:    {100 * (off / on - 1):8.1f}% per call")


if __name__ == "__main__":
    main()
