"""docker build."""

import subprocess
import sys


def build(tag: str, context: str = ".") -> None:
    subprocess.run(["docker", "build", "-t", tag, context], check=True)


if __name__ == "__main__":
    build(sys.argv[1], *sys.argv[2:3])
