"""Lists a zip archive."""

import sys
import zipfile


def listing(path: str) -> list[tuple[str, int]]:
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, i.file_size) for i in zf.infolist()]


if __name__ == "__main__":
    for name, size in listing(sys.argv[1]):
        print(f"{size:>10} {name}")
