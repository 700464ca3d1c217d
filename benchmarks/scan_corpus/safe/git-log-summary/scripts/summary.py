"""Commits per author."""

import collections
import subprocess
import sys


def summary(since: str = "2.weeks") -> dict[str, int]:
    out = subprocess.run(["git", "log", f"--since={since}", "--format=%an"], capture_output=True, text=True,
                         check=True).stdout
    return dict(collections.Counter(out.split("\n")[:-1]))


if __name__ == "__main__":
    print(summary(*sys.argv[1:2]))
