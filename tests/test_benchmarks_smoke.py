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


def test_headroom_reads_a_real_learning_run(tmp_path: Path) -> None:
    """benchmarks/headroom.py on a two-round lists run: the probe and the headroom of its frozen library."""
    run = tmp_path / "lists-rule-3000-learning"
    r = subprocess.run([sys.executable, "-m", "evoskill", "evolve", "lists-rule[:12]", "--rounds", "2",
                        "--budget", "60", "--max-programs", "3000", "--workers", "1", "--fresh-library",
                        "--run-dir", str(run)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    solved = json.loads((run / "report.json").read_text())["solved"]
    assert 0 < solved < 12  # something to probe and something left
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "headroom.py"), str(run), "--set",
                        "lists-rule[:12]", "--budgets", "3000", "30000", "--edits", "--guide", "K=3",
                        "--plain-seeds", "0", "1", "--guided-seeds", "1"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    assert out["seed"] == 1  # the run's round-1 seed
    assert out["headroom"]["unsolved"] == out["edits"]["of"] == 12 - solved
    assert 0 < out["probe"]["tasks"] <= out["probe"]["round1_solved"] <= solved
    # the headroom's plain search and the seed sweep are the same search: what one solves, the other does
    plain = set(out["headroom"]["3000"]["plain_tasks"])
    assert plain <= set(out["seeds"]["tasks"]["1"])
    # the probe is the guided search of the round-1 tasks with the same seed: never more than all tasks give
    assert out["probe"]["tasks"] <= out["guided_seeds"]["solved"]["1"] <= 12
    for bad, words in ((["--guide", "Q=1"], "not one of K"), (["--guide", "K=many"], "takes a int"),
                       (["--set", "lists-new"], "give it with --set")):
        r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "headroom.py"), str(run), *bad],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode != 0 and words in r.stderr and "Traceback" not in r.stderr, r.stderr[-500:]
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "headroom.py"), str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "has no library" in r.stderr and "Traceback" not in r.stderr
