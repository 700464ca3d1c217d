"""Detection and false positives of the skill scanner on its evaluation corpus.

    python benchmarks/scan_eval.py                  # the per-category table
    python benchmarks/scan_eval.py --details        # ... plus every skill's verdict and its worst findings
    python benchmarks/scan_eval.py --block-at critical --json out.json

The corpus (benchmarks/scan_corpus) was written for this project: ``malicious/<skill>`` holds hostile skills,
each declaring the category it belongs to in its SKILL.md metadata (``expected-category``); ``safe/<skill>``
holds harmless skills that look risky. Nothing in it is ever run: the scanner only reads files.

Columns: *blocked* is malicious skills the scanner blocks (a finding at or above ``--block-at``) out of those
in the category; *right category* is those among them with a blocking finding of the expected category;
*safe blocked* is safe skills blocked by a finding of that category (the last row counts each safe skill once);
*ms/skill* is the mean scan time of the category's malicious skills (the last row: every skill).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from evoskill.scanner import _RANK, CATEGORIES, SEVERITIES, ScanReport, scan

ROOT = Path(__file__).resolve().parent / "scan_corpus"


def expected_category(skill: Path) -> str:
    text = (skill / "SKILL.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---", 2)[1])
    return str(front["metadata"]["expected-category"])


def timed_scan(path: Path, block_at: str) -> tuple[ScanReport, float]:
    t0 = time.perf_counter()
    report = scan(path, block_at=block_at)
    return report, (time.perf_counter() - t0) * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT)
    ap.add_argument("--block-at", choices=SEVERITIES, default="high")
    ap.add_argument("--details", action="store_true", help="print each skill's verdict and worst findings")
    ap.add_argument("--json", type=Path, default=None, help="also write the per-skill results here")
    args = ap.parse_args(argv)

    scan(args.corpus / "safe" / sorted(p.name for p in (args.corpus / "safe").iterdir())[0])  # warm-up
    rows: list[dict[str, Any]] = []
    for kind in ("malicious", "safe"):
        for skill in sorted(p for p in (args.corpus / kind).iterdir() if p.is_dir()):
            report, ms = timed_scan(skill, args.block_at)
            blocking = report.blocking()
            rows.append({"kind": kind, "name": skill.name,
                         "expected": expected_category(skill) if kind == "malicious" else None,
                         "blocked": report.blocked, "ms": ms,
                         "blocking_categories": sorted({f.category for f in blocking}),
                         "findings": [f.to_dict() for f in report.findings]})

    mal = [r for r in rows if r["kind"] == "malicious"]
    safe = [r for r in rows if r["kind"] == "safe"]
    lines = ["| category | malicious blocked | right category | safe blocked | ms/skill |",
             "| --- | --- | --- | --- | --- |"]
    for cat in CATEGORIES:
        group = [r for r in mal if r["expected"] == cat]
        blocked = sum(r["blocked"] for r in group)
        right = sum(cat in r["blocking_categories"] for r in group)
        false = sum(cat in r["blocking_categories"] for r in safe)
        ms = statistics.mean(r["ms"] for r in group) if group else 0.0
        lines.append(f"| {cat} | {blocked}/{len(group)} | {right}/{len(group)} | {false}/{len(safe)} | {ms:.1f} |")
    all_ms = [r["ms"] for r in rows]
    lines.append(f"| **all** | {sum(r['blocked'] for r in mal)}/{len(mal)} | "
                 f"{sum(r['expected'] in r['blocking_categories'] for r in mal)}/{len(mal)} | "
                 f"{sum(r['blocked'] for r in safe)}/{len(safe)} | {statistics.mean(all_ms):.1f} |")

    if args.details:
        for r in rows:
            verdict = "BLOCKED" if r["blocked"] else "passed"
            tag = f"expected {r['expected']}" if r["expected"] else "safe"
            print(f"{r['kind']:9} {r['name']:28} {verdict:8} {tag}  ({r['ms']:.1f} ms)")
            worst = sorted(r["findings"], key=lambda f: -_RANK[f["severity"]])[:4]
            for f in worst:
                print(f"    {f['severity']:8} {f['rule']:40} {f['file']}:{f['line']}  {f['message'][:90]}")
        print()
    print(f"Scanner evaluation: {len(mal)} malicious and {len(safe)} safe skills, blocking at "
          f"'{args.block_at}', median {statistics.median(all_ms):.1f} ms, max {max(all_ms):.1f} ms per skill")
    print()
    print("\n".join(lines))
    missed = [r["name"] for r in mal if not r["blocked"]]
    wrong = [r["name"] for r in safe if r["blocked"]]
    if missed:
        print(f"\nmissed: {', '.join(missed)}")
    if wrong:
        print(f"falsely blocked: {', '.join(wrong)}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
