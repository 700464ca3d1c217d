"""The evolution loop end to end: real sandbox, real library, real search, the CLI as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evoskill.library import Library

EVOSKILL = [sys.executable, "-m", "evoskill.cli"]

TASKS = [
    {"name": "first-word-upper", "description": "the first word, in capitals",
     "examples": [{"inputs": ["john smith"], "output": "JOHN"}, {"inputs": ["ada love lace"], "output": "ADA"}],
     "held_out": [{"inputs": ["grace hopper"], "output": "GRACE"}]},
    {"name": "shout-first-word", "description": "the first word in capitals, then !?",
     "examples": [{"inputs": ["john smith"], "output": "JOHN!?"}, {"inputs": ["ada love lace"], "output": "ADA!?"}],
     "held_out": [{"inputs": ["alan turing"], "output": "ALAN!?"}]},
    {"name": "last-word", "description": "the last word",
     "examples": [{"inputs": ["john smith"], "output": "smith"}, {"inputs": ["ada love lace"], "output": "lace"}],
     "held_out": [{"inputs": ["grace b hopper"], "output": "hopper"}]},
]


def evo(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EVOSKILL, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def taskfile(tmp_path: Path) -> Path:
    p = tmp_path / "tasks.jsonl"
    p.write_text("\n".join(json.dumps(t) for t in TASKS) + "\n")
    return p


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "skills").rglob("*")) if p.is_file()}


def test_evolve_writes_records_and_learns_skills(taskfile: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    r = evo("evolve", str(taskfile), "--rounds", "2", "--budget", "5", "--workers", "1", "--run-dir", str(run),
            "--fresh-library")
    assert r.returncode == 0, r.stderr
    report = json.loads((run / "report.json").read_text())
    assert report["tasks"] == 3 and report["solved"] == 3 and report["generalized"] == 3
    for row in report["per_task"]:
        assert {"name", "solved", "generalized", "seconds", "program", "skill"} <= set(row)
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["round"] for m in metrics] == [1, 2]
    for key in ("solved", "generalized", "new_skills", "new_abstractions", "library_size", "reuse",
                "programs_tried", "cpu_seconds_per_solved", "convergence"):
        assert key in metrics[0]
    assert (run / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lib = Library(run / "library", create=False)
    learned = [r for r in lib.list(include_archived=True) if r.kind == "solution"]
    assert learned, "each solved task should have been distilled into a skill"
    skill = lib.get(learned[0].name)
    meta = skill.manifest.metadata
    assert meta["evoskill-trust"] == "verified" and meta["evoskill-origin"].startswith("task:")
    # held-out examples never enter a skill
    text = "".join(p.read_text() for p in skill.path.rglob("*") if p.is_file())
    assert "grace hopper" not in text and "alan turing" not in text
    # the skill is usable on its own, from the command line
    ep = skill.entry_point
    assert ep is not None
    out = subprocess.run([sys.executable, str(ep[0]), "john smith"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_learning_makes_a_later_task_reachable(taskfile: Path, tmp_path: Path) -> None:
    """With a search cap that the composed task cannot meet from primitives, the learned skill makes it."""
    from evoskill.lang.components import core_components
    from evoskill.synth.search import synthesize
    from evoskill.tasks import load_tasks

    first, composed, _ = load_tasks(str(taskfile))
    p_first = synthesize(first, core_components(), budget_seconds=20).programs_tried
    p_composed = synthesize(composed, core_components(), budget_seconds=20).programs_tried
    assert p_first < p_composed
    cap = (p_first + p_composed) // 2  # enough for the first task alone, not for the composition
    common = ["--budget", "10", "--workers", "1", "--max-programs", str(cap), "--fresh-library"]
    on = evo("evolve", str(taskfile), "--run-dir", str(tmp_path / "on"), *common)
    off = evo("evolve", str(taskfile), "--run-dir", str(tmp_path / "off"), "--no-learning", *common)
    assert on.returncode == 0 and off.returncode == 0, on.stderr + off.stderr
    rep_on = {t["name"]: t for t in json.loads((tmp_path / "on" / "report.json").read_text())["per_task"]}
    rep_off = {t["name"]: t for t in json.loads((tmp_path / "off" / "report.json").read_text())["per_task"]}
    assert rep_on["first-word-upper"]["solved"] and rep_off["first-word-upper"]["solved"]
    assert not rep_off["shout-first-word"]["solved"]
    assert rep_on["shout-first-word"]["solved"]
    assert "first-word-upper" in rep_on["shout-first-word"]["program"]
    metrics = json.loads((tmp_path / "on" / "metrics.jsonl").read_text().splitlines()[0])
    assert metrics["reuse"] > 0


def test_no_learning_leaves_the_library_unchanged(taskfile: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    assert evo("init", "--library", str(lib)).returncode == 0
    before = snapshot(lib)
    r = evo("evolve", str(taskfile), "--library", str(lib), "--no-learning", "--budget", "3",
            "--run-dir", str(tmp_path / "run"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "run" / "report.json").read_text())["solved"] >= 2
    assert snapshot(lib) == before


def test_held_out_decides_generalization_not_solving(tmp_path: Path) -> None:
    task = {"name": "liar", "description": "held-out disagrees with the examples",
            "examples": [{"inputs": ["abc"], "output": "ABC"}, {"inputs": ["xy"], "output": "XY"}],
            "held_out": [{"inputs": ["q"], "output": "not q"}]}
    f = tmp_path / "t.json"
    f.write_text(json.dumps([task]))
    r = evo("evolve", str(f), "--budget", "3", "--run-dir", str(tmp_path / "run"), "--fresh-library")
    assert r.returncode == 0, r.stderr
    row = json.loads((tmp_path / "run" / "report.json").read_text())["per_task"][0]
    assert row["solved"] is True and row["generalized"] is False


def test_killed_run_resumes_without_losing_work(tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = ["evolve", "strings-sygus[:20]", "--budget", "2", "--workers", "1", "--run-dir", str(run),
            "--fresh-library", "--no-compress"]
    proc = subprocess.Popen([*EVOSKILL, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    state = run / "state.json"
    deadline = time.monotonic() + 120
    done: list[str] = []
    while time.monotonic() < deadline:
        if state.exists():
            try:
                done = json.loads(state.read_text())["done_in_round"]
            except (json.JSONDecodeError, KeyError):
                done = []
            if len(done) >= 2:
                break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 2 <= len(done) < 20, "the run should have been killed part-way"
    kept = json.loads(state.read_text())
    r = evo(*args, "--resume")
    assert r.returncode == 0, r.stderr
    report = json.loads((run / "report.json").read_text())
    assert report["tasks"] == 20 and len(report["per_task"]) == 20
    attempted = [json.loads(line)["task"] for line in (run / "attempts.jsonl").read_text().splitlines()]
    assert set(attempted) == {t["name"] for t in report["per_task"]}
    for name in kept["done_in_round"]:  # finished before the kill: not attempted again
        assert attempted.count(name) == 1
        assert report["per_task"][[t["name"] for t in report["per_task"]].index(name)]["attempts"] == 1


def test_resume_refuses_other_tasks_and_fresh_run_refuses_existing_dir(taskfile: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert evo("evolve", str(taskfile), "--budget", "1", "--run-dir", str(run), "--fresh-library",
               "--no-learning").returncode == 0
    again = evo("evolve", str(taskfile), "--budget", "1", "--run-dir", str(run), "--fresh-library")
    assert again.returncode == 2 and "--resume" in again.stderr
    other = evo("evolve", "strings-new[:2]", "--budget", "1", "--run-dir", str(run), "--resume", "--fresh-library")
    assert other.returncode == 2 and "other tasks" in other.stderr


def test_broken_task_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"name": "ok", "examples": [{"inputs": ["a"], "output": "b"}]}\n{not json\n')
    r = evo("evolve", str(bad), "--run-dir", str(tmp_path / "run"))
    assert r.returncode == 2 and "bad.jsonl:2" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "run").exists()


def test_solve_prints_program_and_saves_skill(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    assert evo("init", "--library", str(lib)).returncode == 0
    f = tmp_path / "t.json"
    f.write_text(json.dumps(TASKS[2]))
    r = evo("solve", str(f), "--library", str(lib), "--budget", "5", "--save", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["solved"] and out["generalized"] and out["skill"] == "last-word"
    assert "def last_word" in out["python"] or "def " in out["python"]
    shown = evo("run", "last-word", "alan mathison turing", "--library", str(lib))
    assert shown.stdout.strip() == '"turing"', shown.stderr
