"""Shows notetool settings."""

import tomllib
from pathlib import Path

CONFIG = Path.home() / ".config" / "notetool" / "config.toml"


def main() -> None:
    if not CONFIG.exists():
        print("no config; defaults apply")
        return
    with CONFIG.open("rb") as fh:
        for key, value in tomllib.load(fh).items():
            print(f"{key} = {value!r}")


if __name__ == "__main__":
    main()
