"""Required keys in a YAML file."""

import sys

import yaml

REQUIRED = ("name", "version")


def check(path: str) -> list[str]:
    with open(path) as fh:
        data = yaml.safe_load(fh) or {}
    return [k for k in REQUIRED if k not in data]


if __name__ == "__main__":
    print(check(sys.argv[1]) or "ok")
