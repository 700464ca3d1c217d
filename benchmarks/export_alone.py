"""Export a grown library and run every exported skill's tests alone, with a plain ``python``, in an empty folder.

    python benchmarks/export_alone.py --library runs/demo/library      # after `make demo`

Prints how many skills were exported and the share whose tests pass when each folder is copied alone
(no evoskill installed on that ``python``'s path, no sibling skills). Target: all of them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from evoskill.export import export, select
from evoskill.library import Library
from evoskill.standalone import run_alone


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--library", default="runs/demo/library")
    p.add_argument("--python", default=shutil.which("python3", path="/usr/bin:/bin") or "python3",
                   help="the plain interpreter to run exported skills with (default: the system python3)")
    a = p.parse_args()
    lib = Library(a.library, create=False)
    records = select(lib)
    with tempfile.TemporaryDirectory(prefix="evoskill-export-") as tmp:
        t0 = time.perf_counter()
        report = export(lib, records, Path(tmp) / "skills")
        t_export = time.perf_counter() - t0
        failed: dict[str, str] = {}
        by_kind: dict[str, list[int]] = {}
        t0 = time.perf_counter()
        for rec in records:
            if rec.name not in report.written:
                continue
            alone = Path(tmp) / "alone" / rec.name
            shutil.copytree(Path(tmp) / "skills" / rec.name, alone)  # copied alone, away from the others
            why = run_alone(alone, python=a.python)
            by_kind.setdefault(rec.kind, [0, 0])
            by_kind[rec.kind][1] += 1
            if why:
                failed[rec.name] = why
            else:
                by_kind[rec.kind][0] += 1
        t_run = time.perf_counter() - t0
    n = len(report.written)
    print(f"library {a.library}: {len(records)} verified learned skills selected, {n} exported "
          f"({len(report.refused)} refused) in {t_export:.1f} s; tests run alone with {a.python} in {t_run:.1f} s")
    for kind, (ok, total) in sorted(by_kind.items()):
        print(f"  {kind:12} {ok}/{total} pass alone")
    print(f"all: {n - len(failed)}/{n} pass alone ({100 * (n - len(failed)) / max(n, 1):.0f}%)")
    for name, why in list(failed.items())[:10]:
        print(f"  FAIL {name}: {why}")
    for name, why in list(report.refused.items())[:10]:
        print(f"  refused {name}: {why}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
