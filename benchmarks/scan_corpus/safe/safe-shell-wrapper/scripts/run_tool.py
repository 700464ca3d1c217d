"""Runs an allowed tool."""

import shlex
import subprocess
import sys

ALLOWED = {"pytest", "ruff", "black"}


def run(tool: str, args: list[str]) -> int:
    if tool not in ALLOWED:
        raise SystemExit(f"not allowed: {tool}")
    print("running:", shlex.join([tool, *args]))
    return subprocess.run([tool, *args], check=False).returncode


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], sys.argv[2:]))
