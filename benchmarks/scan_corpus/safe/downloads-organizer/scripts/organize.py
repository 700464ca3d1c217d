"""Sorts ~/Downloads by file type."""

import shutil
import sys
from pathlib import Path

KINDS = {"Images": {".png", ".jpg", ".gif"}, "Documents": {".pdf", ".docx", ".txt"},
         "Archives": {".zip", ".tar", ".gz"}}


def plan(folder: Path) -> list[tuple[Path, Path]]:
    moves = []
    for f in folder.iterdir():
        for kind, exts in KINDS.items():
            if f.is_file() and f.suffix.lower() in exts:
                moves.append((f, folder / kind / f.name))
    return moves


if __name__ == "__main__":
    downloads = Path.home() / "Downloads"
    for src, dst in plan(downloads):
        print(src, "->", dst)
        if "--yes" in sys.argv:
            dst.parent.mkdir(exist_ok=True)
            shutil.move(src, dst)
