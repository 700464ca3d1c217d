"""Shallow clone."""

import subprocess
import sys


def main(url: str, dest: str) -> None:
    subprocess.run(["git", "clone", "--depth", "1", url, dest], check=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
