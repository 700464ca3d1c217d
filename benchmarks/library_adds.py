"""Adds per second into a folder library as it grows, with the full index/folder check on every add (the old
behaviour, forced) and as the library does it now (on open and after a writer died mid-commit).

    python benchmarks/library_adds.py [--skills 1500]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from evoskill.library import Library


def run(n: int, full: bool) -> tuple[float, float]:
    root = Path(tempfile.mkdtemp(prefix="evoskill-adds-"))
    lib = Library(root / "lib")
    times = []
    for i in range(n):
        folder = root / "src" / f"s-{i}"
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_text(f'---\nname: s-{i}\ndescription: "Skill {i}. Use it for {i}."\n---\nbody\n')
        if full:
            lib._checked = False  # force the full comparison, as every add did before
        t0 = time.perf_counter()
        lib.add(folder)
        times.append(time.perf_counter() - t0)
    lib.close()
    return 100 / sum(times[:100]), 100 / sum(times[-100:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--skills", type=int, default=1500)
    n = p.parse_args().skills
    for label, full in (("full check on every add (before)", True), ("check on open only (now)", False)):
        first, last = run(n, full)
        print(f"{label:36} adds/s over the first 100: {first:6.1f}   over the last 100 of {n}: {last:6.1f}")


if __name__ == "__main__":
    main()
