"""Missing environment variables."""

import os
import sys


def missing(example: str = ".env.example") -> list[str]:
    with open(example) as fh:
        names = [line.split("=", 1)[0].strip() for line in fh if "=" in line and not line.startswith("#")]
    return [n for n in names if n not in os.environ]


if __name__ == "__main__":
    gone = missing(*sys.argv[1:2])
    print("all set" if not gone else "missing: " + ", ".join(gone))
