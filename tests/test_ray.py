"""evoskill evolve on Ray: a real local cluster, in-process (``ray.init``) and a head plus a worker node
started with ``ray start``; everything on loopback addresses.

Nodes use 127.0.0.2 and 127.0.0.3: Ray rewrites 127.0.0.1 and ``localhost`` to the machine's routable
address for multi-node use, while the rest of 127.0.0.0/8 is loopback and kept as given. The ``ray start``
cluster is stopped by signalling only the processes that carry its own temp dir and their children
(``ray stop`` would stop every Ray process on the machine).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evoskill import cli
from evoskill.evolve import EvolveConfig, Run
from evoskill.learner import Learner
from evoskill.proposer import Attempt
from evoskill.sandbox import Limits, RunResult, Sandbox
from evoskill.session import make_proposer, open_library
from evoskill.synth.search import SearchProposer
from evoskill.tasks import load_tasks

SLICE = "lists-rule[8:16]"  # 8 tasks; about half are solved within the cap below
MAX_PROGRAMS = 20_000
BUDGET = 60.0  # far above what the cap needs: the program count decides, not the clock
LONG = "lists-rule[9:11]"  # a search of ~2 s (300k programs) to kill, then an easy task
LONG_CAP = 400_000
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
MB = 1024 * 1024


# ---- helpers -----------------------------------------------------------------------------------------------

def evolve(run_dir: Path, spec: str = SLICE, *, cluster: Any = None, workers: int = 1, learning: bool = True,
           max_programs: int = MAX_PROGRAMS) -> dict[str, Any]:
    """One round over ``spec`` with a fresh library, on threads or (with ``cluster``) on Ray."""
    tasks = load_tasks(spec)
    library = open_library(None, fresh_in=run_dir)
    config = EvolveConfig(rounds=1, budget_seconds=BUDGET, workers=workers, learning=learning, seed=0,
                          max_programs=max_programs)
    limits = Limits(cpu_seconds=BUDGET * 2 + 10, wall_seconds=BUDGET * 3 + 30, memory_mb=4096)
    with Sandbox(workers=workers, limits=limits, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        proposer = make_proposer("search", None, sandbox, learner, max_programs=max_programs,
                                 search_runner=cluster.call if cluster else None)
        run = Run(tasks, proposer, learner, config=config, run_dir=run_dir,
                  executor=cluster.executor if cluster else None)
        return run.run()


def solved(report: dict[str, Any]) -> dict[str, str | None]:
    return {t["name"]: t["program"] for t in report["per_task"] if t["solved"]}


def attempts(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "attempts.jsonl").read_text().splitlines()]


def search_events(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in record["log"] if e.get("event") in ("search", "search-failed")]


def children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            out.setdefault(ppid, []).append(int(entry))
    return out


def descendants(roots: list[int]) -> list[int]:
    tree, seen, todo = children(), [], list(roots)
    while todo:
        pid = todo.pop()
        for c in tree.get(pid, []):
            seen.append(c)
            todo.append(c)
    return seen


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class WorkerKiller(threading.Thread):
    """Kills the first Ray worker seen running ``evoskill_search`` (a descendant of ``roots``), mid-task."""

    def __init__(self, roots: list[int]) -> None:
        super().__init__(daemon=True)
        self.roots = roots
        self.killed: int | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in descendants(self.roots):
                # running the task, and its sandbox (a child process) is up: the search is under way
                if cmdline(pid).startswith("ray::evoskill_search") and children().get(pid):
                    time.sleep(0.3)
                    os.kill(pid, signal.SIGKILL)
                    self.killed = pid
                    return
            time.sleep(0.02)


# ---- fixtures ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_env() -> Iterator[None]:
    pytest.importorskip("ray")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in RAY_ENV.items():
            mp.setenv(k, v)
        yield


@pytest.fixture(scope="module")
def inproc(ray_env: None) -> Iterator[Any]:
    """A Ray instance started in this process: 2 CPUs, 150 MB of object store, nothing sent to the driver."""
    from evoskill.executors import RayCluster

    temp = tempfile.mkdtemp(prefix="rayt-", dir="/tmp")  # short: Ray's socket paths must stay < 108 bytes
    cluster = RayCluster(None, num_cpus=2, object_store_mb=150, max_retries=2,
                         init_options={"_node_ip_address": "127.0.0.2", "_temp_dir": temp})
    try:
        with cluster:
            yield cluster
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        return int(s.getsockname()[1])


def _stop_cluster(temp: str) -> None:
    """SIGTERM, then SIGKILL, exactly the processes of this cluster (its temp dir in their command line)."""
    own = [int(p) for p in os.listdir("/proc") if p.isdigit() and temp in cmdline(int(p))]
    pids = own + descendants(own)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            if alive(pid):
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        deadline = time.monotonic() + 3
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture(scope="module")
def two_nodes(ray_env: None) -> Iterator[tuple[str, str]]:
    """A head (127.0.0.2) and a worker node (127.0.0.3) from ``ray start``, 1 CPU each; (address, temp dir)."""
    temp = tempfile.mkdtemp(prefix="rayt-", dir="/tmp")
    port = _free_port()
    env = {**os.environ, **RAY_ENV}
    env.pop("RAY_ADDRESS", None)
    ray_cli = str(Path(sys.executable).parent / "ray")
    common = ["--num-cpus=1", f"--object-store-memory={100 * MB}", f"--temp-dir={temp}", "--disable-usage-stats",
              "--dashboard-agent-listen-port=0"]
    try:
        for argv in ([ray_cli, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.2",
                      "--include-dashboard=false", f"--dashboard-port={_free_port()}", *common],
                     [ray_cli, "start", f"--address=127.0.0.2:{port}", "--node-ip-address=127.0.0.3", *common]):
            r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        yield f"127.0.0.2:{port}", temp
    finally:
        _stop_cluster(temp)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def local_learning(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return evolve(tmp_path_factory.mktemp("local") / "run")


# ---- tests -------------------------------------------------------------------------------------------------

def test_without_ray_one_line_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if it were not installed
    run = tmp_path / "run"
    code = cli.main(["evolve", "lists-rule[:1]", "--executor", "ray", "--run-dir", str(run)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "pip install 'evoskill[ray]'" in err, err
    assert not run.exists()  # refused before anything was written
    assert cli.main(["evolve", "lists-rule[:1]", "--address", "auto", "--run-dir", str(run)]) == 2


def test_an_address_where_no_cluster_answers_fails_at_once(ray_env: None, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    code = cli.main(["evolve", "lists-rule[:1]", "--executor", "ray", "--address", f"127.0.0.2:{_free_port()}",
                     "--run-dir", str(run)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "no Ray cluster answers at 127.0.0.2:" in err and len(err.splitlines()) == 1, err
    assert not run.exists()


def test_the_search_runner_is_the_one_seam() -> None:
    """Wherever the job runs, the proposer turns its result into the same attempt."""
    seen: list[tuple[dict[str, Any], Limits]] = []

    def runner(target: str, args: list[Any], limits: Limits) -> RunResult:
        assert target == "evoskill.synth.search:search_job"
        seen.append((args[0], limits))
        return RunResult(ok=True, value={"solved": True, "program": "(list-sort x0)", "programs_tried": 7,
                                         "seconds": 0.1, "cpu_seconds": 0.1, "cost": 2, "node": "10.0.0.9"})

    task = load_tasks("lists-rule[:1]")[0]
    attempt: Attempt = SearchProposer(None, [], max_programs=99, runner=runner).propose(task, budget_seconds=1.0)
    assert attempt.solved and attempt.solution is not None and attempt.solution.source == "(list-sort x0)"
    assert attempt.programs_tried == 7 and attempt.log[-1]["node"] == "10.0.0.9"
    payload, limits = seen[0]
    assert payload["max_programs"] == 99 and payload["task"]["name"] == task.name and limits.cpu_seconds == 11.0


@pytest.mark.slow
def test_in_process_ray_reaches_the_local_solved_set(inproc: Any, local_learning: dict[str, Any],
                                                     tmp_path: Path) -> None:
    """Same seed, tasks and program cap, learning on: the same tasks solved, by the same programs."""
    from concurrent.futures import Future

    with inproc.executor(2) as pool:
        fut = pool.submit(lambda: 41 + 1)
        assert isinstance(fut, Future) and fut.result(timeout=30) == 42

    report = evolve(tmp_path / "run", cluster=inproc)
    assert 0 < len(solved(local_learning)) < 8  # the slice tells solvers apart
    assert solved(report) == solved(local_learning)
    assert report["rounds"][0]["new_skills"] == local_learning["rounds"][0]["new_skills"]
    nodes = {e.get("node") for r in attempts(tmp_path / "run") for e in search_events(r)}
    assert nodes == {"127.0.0.2"}  # every search ran as a Ray task (the node stamps its result)


@pytest.mark.slow
def test_a_worker_killed_mid_task_is_retried(inproc: Any, tmp_path: Path) -> None:
    """SIGKILL the Ray worker in the middle of a long search: Ray re-runs it and the full result arrives."""
    killer = WorkerKiller([os.getpid()])
    killer.start()
    try:
        evolve(tmp_path / "ray", LONG, cluster=inproc, learning=False, max_programs=LONG_CAP)
    finally:
        killer.stop.set()
    assert killer.killed is not None, "the search finished before it could be killed"
    undisturbed = evolve(tmp_path / "local", LONG, learning=False, max_programs=LONG_CAP)
    got, want = attempts(tmp_path / "ray"), attempts(tmp_path / "local")
    assert [r["task"] for r in got] == [r["task"] for r in want]  # nothing lost, nothing doubled
    for a, b in zip(got, want, strict=True):
        assert search_events(a)[0]["event"] == "search", a["log"]
        assert a["programs_tried"] == b["programs_tried"] and a["solved"] == b["solved"]
    assert undisturbed["solved"] == sum(r["solved"] for r in got)


@pytest.mark.slow
def test_a_worker_killed_with_no_retries_left_is_reported(inproc: Any, tmp_path: Path) -> None:
    """With max_retries=0 the lost search is recorded as failed in the attempt log; the run goes on."""
    from evoskill.executors import RayCluster

    once = RayCluster(max_retries=0).connect()  # joins the running instance
    killer = WorkerKiller([os.getpid()])
    killer.start()
    try:
        report = evolve(tmp_path / "run", LONG, cluster=once, learning=False, max_programs=LONG_CAP)
    finally:
        killer.stop.set()
    assert killer.killed is not None
    first, second = attempts(tmp_path / "run")
    failed = search_events(first)[0]
    assert failed["event"] == "search-failed" and failed["error_type"] in ("WorkerCrashedError", "RayTaskError")
    assert "after 0 retries" in failed["error_message"]
    assert report["tasks"] == 2 and search_events(second)[0]["event"] == "search" and second["solved"]
    assert not report["per_task"][0]["solved"] and report["per_task"][1]["solved"]


@pytest.mark.slow
def test_cli_on_two_ray_start_nodes_resumes_and_matches_local(two_nodes: tuple[str, str], tmp_path: Path) -> None:
    """`evoskill evolve --executor ray --address HOST:PORT` on a head plus a worker node: the driver is
    killed mid-run, `--resume` finishes it, and the solved set equals the local executor's."""
    address, _ = two_nodes
    baseline = evolve(tmp_path / "local", workers=2, learning=False)
    run = tmp_path / "ray"
    argv = [sys.executable, "-m", "evoskill.cli", "evolve", SLICE, "--executor", "ray", "--address", address,
            "--workers", "2", "--no-learning", "--budget", str(BUDGET), "--max-programs", str(MAX_PROGRAMS),
            "--fresh-library", "--run-dir", str(run), "--json"]
    env = {**os.environ, **RAY_ENV}
    first = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    state = run / "state.json"
    while time.monotonic() < deadline and first.poll() is None:
        if state.exists() and len(json.loads(state.read_text())["done_in_round"]) >= 2:
            first.kill()  # the driver dies: Ray drops its tasks; the checkpoint keeps what was recorded
            break
        time.sleep(0.02)
    first.wait(timeout=60)
    done_before = len(json.loads(state.read_text())["done_in_round"])
    assert first.returncode == -signal.SIGKILL and done_before < 8, first.stderr.read() if first.stderr else ""
    r = subprocess.run([*argv, "--resume"], env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout)["solved"] == baseline["solved"]
    report = json.loads((run / "report.json").read_text())
    assert solved(report) == solved(baseline)
    records = attempts(run)
    # every task recorded; only one finished in the instant between its record and the checkpoint repeats
    assert {x["task"] for x in records} == {t.name for t in load_tasks(SLICE)} and len(records) <= 8 + 2
    nodes = {e.get("node") for x in records for e in search_events(x)}
    assert nodes == {"127.0.0.2", "127.0.0.3"}, nodes  # both nodes ran searches


@pytest.mark.slow
def test_dreams_search_on_the_cluster(inproc: Any, tmp_path: Path) -> None:
    """``evolve --dream`` with ``--executor ray``: the dreamed tasks' searches run as Ray tasks too."""
    from evoskill.session import _dreamer

    tasks = load_tasks(SLICE)
    library = open_library(None, fresh_in=tmp_path)
    config = EvolveConfig(rounds=1, budget_seconds=BUDGET, workers=1, dream=2, dream_programs=20_000)
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        row = _dreamer(tasks, config, sandbox, Learner(library, sandbox), tmp_path / "dream", inproc)(1)
    assert row["proposed"] >= 1 and "skipped" not in row
    nodes = {e.get("node") for r in attempts(tmp_path / "dream" / "round-1") for e in search_events(r)}
    assert nodes == {"127.0.0.2"}
