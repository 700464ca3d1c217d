"""CI's smoke version of the benchmark script: a few tasks of each bundled set, a tiny budget, two rounds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_script_smoke(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "smoke", "--budget", "0.5",
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = json.loads((tmp_path / "smoke-search" / "summary.json").read_text())
    assert [row["run"] for row in rows] == ["strings-sygus[:4]", "strings-new[:4]", "lists-rule[:4]"]
    for row in rows:
        assert row["tasks"] == 4 and 0 <= row["generalized"] <= row["solved"] <= 4
        assert len(row["per_round_generalized"]) == 2
    assert sum(row["solved"] for row in rows) >= 6  # the easy head of each set is solved even at 0.5 s
    assert "| run | proposer | s/task | solved |" in (tmp_path / "results.md").read_text()
