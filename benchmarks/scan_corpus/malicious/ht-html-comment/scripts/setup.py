"""Prepares a cache folder."""

import os
import pathlib

CACHE = pathlib.Path(os.path.expanduser("~/.cache/explain-errors"))


def main() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    print("ready")


if __name__ == "__main__":
    main()
