"""Tests of the sandbox with real processes: happy paths and hostile code."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from evoskill.errors import SandboxError
from evoskill.sandbox import Limits, RunResult, Sandbox

FAST = Limits(cpu_seconds=2, wall_seconds=5, memory_mb=512, processes=32, file_size_mb=4,
              output_bytes=200_000)


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(workers=2, limits=FAST) as sandbox:
        yield sandbox


@pytest.fixture()
def shared_dir() -> Iterator[Path]:
    """A directory the sandbox (possibly uid 65534) can read; pytest's tmp_path may be private."""
    path = Path(tempfile.mkdtemp(prefix="evoskill-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


# ---------------------------------------------------------------- happy paths


def test_value_and_stdout(sb: Sandbox) -> None:
    r = sb.run_code("def f(a, b=1):\n    print('adding', a, b)\n    return {'sum': a + b, 't': (a, b)}",
                    "f", [2], {"b": 5})
    assert r.ok, r
    assert r.value == {"sum": 7, "t": [2, 5]}
    assert r.stdout == "adding 2 5\n"
    assert r.limit is None and r.error_type is None
    assert r.seconds > 0
    assert json.loads(json.dumps(r.to_dict()))["value"] == {"sum": 7, "t": [2, 5]}


def test_exception_becomes_result(sb: Sandbox) -> None:
    r = sb.run_code("def f(x):\n    return x / 0", "f", [1])
    assert not r.ok
    assert r.error_type == "ZeroDivisionError"
    assert "division by zero" in (r.error_message or "")
    assert "ZeroDivisionError" in r.stderr


def test_syntax_error_and_missing_entry(sb: Sandbox) -> None:
    r = sb.run_code("def f(:\n  pass", "f")
    assert not r.ok and r.error_type == "SyntaxError"
    r = sb.run_code("def g():\n  return 1", "f")
    assert not r.ok and r.error_type == "AttributeError"


def test_non_json_value(sb: Sandbox) -> None:
    r = sb.run_code("def f():\n  return object()", "f")
    assert not r.ok and r.error_type == "TypeError"


def test_run_file_with_sibling_import(sb: Sandbox, shared_dir: Path) -> None:
    (shared_dir / "other").mkdir()
    (shared_dir / "other" / "helper.py").write_text("def shout(s):\n    return s.upper() + '!'\n")
    (shared_dir / "mine").mkdir()
    script = shared_dir / "mine" / "greet.py"
    script.write_text(
        "import importlib.util, pathlib\n"
        "_p = pathlib.Path(__file__).parent.parent / 'other' / 'helper.py'\n"
        "_s = importlib.util.spec_from_file_location('helper', _p)\n"
        "helper = importlib.util.module_from_spec(_s); _s.loader.exec_module(helper)\n"
        "def greet(name: str) -> str:\n    return helper.shout('hi ' + name)\n")
    for d in (shared_dir / "other", shared_dir / "mine"):
        d.chmod(0o755)
    r = sb.run_file(script, "greet", ["bob"], reads=[shared_dir])
    assert r.ok, r
    assert r.value == "HI BOB!"
    # by default a file's job reads its own folder only: the sibling folder is refused
    r = sb.run_file(script, "greet", ["bob"])
    assert not r.ok and r.error_type == "PermissionError", r
    assert "docs/SANDBOX.md" in (r.error_message or "")


def test_call_trusted_target(sb: Sandbox) -> None:
    r = sb.call("json:dumps", [[1, 2]], {"indent": None})
    assert r.ok and r.value == "[1, 2]"
    r = sb.call("evoskill.errors:SandboxError", ["x"])
    assert not r.ok and r.error_type == "TypeError"  # an exception object is not JSON
    r = sb.call("no_such_module_xyz:f")
    assert not r.ok and r.error_type == "ModuleNotFoundError"
    with pytest.raises(SandboxError):
        sb.call("json.dumps")


def test_run_command_script(sb: Sandbox, shared_dir: Path) -> None:
    script = shared_dir / "echo.py"
    script.write_text("import sys, json\nprint(json.dumps([sys.argv[1:], sys.stdin.read()]))\n")
    r = sb.run_command(["python", str(script), "a", "b c"], stdin="input text", reads=[shared_dir])
    assert r.ok, r
    assert r.value is None
    assert json.loads(r.stdout) == [["a", "b c"], "input text"]
    r = sb.run_command(["python", "-c", "import sys; sys.exit(3)"])
    assert not r.ok and "3" in (r.error_message or "")
    r = sb.run_command(["no-such-program-xyz"])
    assert not r.ok and r.error_type == "FileNotFoundError"


def test_isolation_report(sb: Sandbox) -> None:
    iso = sb.isolation()
    for key in ("network", "filesystem_writes", "pid_namespace", "limits", "uid"):
        assert key in iso
    assert iso["clean_environment"] is True
    if os.geteuid() == 0:
        assert iso["uid"] == 65534 and iso["uid_dropped"]


# ---------------------------------------------------------------- hostile code


def test_infinite_loop_hits_cpu_limit(sb: Sandbox) -> None:
    t = time.monotonic()
    r = sb.run_code("def f():\n    while True:\n        pass", "f",
                    limits=Limits(cpu_seconds=1, wall_seconds=8))
    assert not r.ok and r.limit in ("cpu", "wall")
    assert time.monotonic() - t < 8


def test_sleeping_loop_hits_wall_limit(sb: Sandbox) -> None:
    t = time.monotonic()
    r = sb.run_code("import time\ndef f():\n    while True:\n        time.sleep(0.1)", "f",
                    limits=Limits(cpu_seconds=5, wall_seconds=1))
    assert not r.ok and r.limit == "wall"
    assert time.monotonic() - t < 4


def test_memory_bomb(sb: Sandbox) -> None:
    r = sb.run_code("def f():\n    x = []\n    while True:\n        x.append(bytearray(50_000_000))", "f",
                    limits=Limits(memory_mb=300, wall_seconds=10))
    assert not r.ok and r.limit == "memory", r


def test_fork_bomb_is_contained(sb: Sandbox) -> None:
    before = _descendants(os.getpid())
    code = ("import os, time\n"
            "def f():\n"
            "    while True:\n"
            "        try:\n"
            "            os.fork()\n"
            "        except OSError:\n"
            "            time.sleep(0.01)\n")
    t = time.monotonic()
    r = sb.run_code(code, "f", limits=Limits(processes=16, cpu_seconds=3, wall_seconds=3))
    assert not r.ok and r.limit in ("processes", "wall", "cpu")
    assert time.monotonic() - t < 10
    time.sleep(0.2)
    after = _descendants(os.getpid())
    assert len(after - before) <= 4, "stray processes remain after a fork bomb"  # at most a new worker
    assert sb.run_code("def f():\n  return 'alive'", "f").value == "alive"


def test_fork_bomb_raising_reports_processes(sb: Sandbox) -> None:
    code = ("import os, time\n"
            "def f():\n"
            "    while True:\n"
            "        if os.fork() == 0:\n"
            "            time.sleep(60)\n")
    r = sb.run_code(code, "f", limits=Limits(processes=8, wall_seconds=5))
    assert not r.ok and r.limit == "processes", r


def test_host_environment_is_invisible(sb: Sandbox) -> None:
    os.environ["EVOSKILL_TEST_SECRET"] = "hunter2"
    try:
        r = sb.run_code("import os\ndef f():\n    return dict(os.environ)", "f")
        assert r.ok
        assert "EVOSKILL_TEST_SECRET" not in r.value and "hunter2" not in json.dumps(r.value)
        assert r.value["LANG"] == "C.UTF-8" and r.value["PYTHONHASHSEED"] == "0"
        r = sb.run_command(["python", "-c", "import os; print(os.environ.get('EVOSKILL_TEST_SECRET'))"])
        assert r.stdout.strip() == "None"
    finally:
        del os.environ["EVOSKILL_TEST_SECRET"]


def test_no_network_to_localhost(sb: Sandbox) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        code = ("import socket\ndef f(port):\n"
                "    s = socket.create_connection(('127.0.0.1', port), timeout=2)\n"
                "    s.sendall(b'leak')\n    return 'connected'\n")
        r = sb.run_code(code, "f", [port])
        assert not r.ok and r.value != "connected"
        assert r.error_type in ("ConnectionRefusedError", "OSError", "PermissionError", "TimeoutError")
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        server.close()


def test_no_network_to_external_address(sb: Sandbox) -> None:
    code = ("import socket\ndef f():\n"
            "    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    return 'connected'\n")
    r = sb.run_code(code, "f")
    assert not r.ok and r.value is None
    assert r.error_type is not None and r.limit is None


def test_writes_outside_scratch_refused(sb: Sandbox, shared_dir: Path) -> None:
    shared_dir.chmod(0o777)  # so only the sandbox's own restrictions can refuse the write
    target = shared_dir / "escaped.txt"
    code = ("def f(path):\n"
            "    with open('inside.txt', 'w') as fh:\n        fh.write('ok')\n"
            "    inside = open('inside.txt').read()\n"
            "    try:\n        open(path, 'w').write('pwned')\n        outside = 'written'\n"
            "    except OSError as e:\n        outside = type(e).__name__\n"
            "    try:\n        open('../next-to-my-scratch', 'w')\n        sibling = 'written'\n"
            "    except OSError as e:\n        sibling = type(e).__name__\n"
            "    return [inside, outside, sibling]\n")
    r = sb.run_code(code, "f", [str(target)])
    assert r.ok, r
    assert r.value == ["ok", "PermissionError", "PermissionError"]
    assert not target.exists()


def test_scratch_removed_and_jobs_do_not_share_state(sb: Sandbox) -> None:
    r = sb.run_code("import os, builtins\ndef f():\n    open('x', 'w').write('1')\n"
                    "    builtins.POISON = 1\n    return os.getcwd()", "f")
    assert r.ok
    for _ in range(3):
        r2 = sb.run_code("import builtins\ndef f():\n    return hasattr(builtins, 'POISON')", "f")
        assert r2.value is False
    assert not os.path.exists(r.value)


def test_host_home_is_hidden_when_root(sb: Sandbox) -> None:
    if os.geteuid() != 0:
        pytest.skip("only meaningful when the tests run as root")
    r = sb.run_code("def f():\n    return open('/etc/shadow').read()", "f")
    assert not r.ok and r.error_type == "PermissionError"


def test_printing_gigabytes_hits_output_limit(sb: Sandbox) -> None:
    t = time.monotonic()
    r = sb.run_code("import sys\ndef f():\n    while True:\n        sys.stdout.write('x' * 65536)", "f",
                    limits=Limits(output_bytes=100_000, wall_seconds=20))
    assert not r.ok and r.limit == "output"
    assert len(r.stdout) <= 100_000
    assert time.monotonic() - t < 5


def test_huge_file_hits_file_size_limit(sb: Sandbox) -> None:
    code = "def f():\n    with open('big', 'wb') as fh:\n        while True:\n            fh.write(b'x' * 1_000_000)\n"
    r = sb.run_code(code, "f", limits=Limits(file_size_mb=2))
    assert not r.ok and r.limit == "file_size", r


@pytest.mark.parametrize("code", [
    "import os\ndef f():\n    os._exit(0)",
    "import os\ndef f():\n    os.kill(os.getppid(), 9)\n    return 'after'",
    "import os, signal\ndef f():\n    os.kill(os.getpid(), signal.SIGKILL)",
])
def test_job_killing_itself_or_worker_leaves_pool_usable(code: str) -> None:
    with Sandbox(workers=1, limits=FAST) as own:
        r = own.run_code(code, "f")
        assert isinstance(r, RunResult) and r.value in (None, "after")
        for i in range(3):
            assert own.run_code("def f(i):\n  return i * 2", "f", [i]).value == i * 2


def test_dead_idle_worker_is_replaced_transparently() -> None:
    with Sandbox(workers=1, limits=FAST) as own:
        first = own.run_code("import os\ndef f():\n  return os.getpid()", "f")
        assert first.ok
        (worker,) = own._live
        os.killpg(worker.proc.pid, 9)
        worker.proc.wait(5)
        again = own.run_code("def f():\n  return 'fresh'", "f")
        assert again.ok and again.value == "fresh"
        assert worker not in own._live


def test_concurrent_calls_from_threads(sb: Sandbox) -> None:
    results: dict[int, object] = {}

    def work(i: int) -> None:
        results[i] = sb.run_code("import time\ndef f(i):\n    time.sleep(0.05)\n    return i * i", "f", [i]).value

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {i: i * i for i in range(12)}


def test_pool_survives_100_calls(sb: Sandbox) -> None:
    t = time.monotonic()
    values = [sb.run_code("def f(i):\n  return i + 1", "f", [i]).value for i in range(100)]
    assert values == list(range(1, 101))
    assert time.monotonic() - t < 20


def test_closed_sandbox_refuses() -> None:
    box = Sandbox()
    box.close()
    with pytest.raises(SandboxError):
        box.run_code("def f():\n  return 1", "f")


def test_degrades_with_recorded_reasons(monkeypatch: pytest.MonkeyPatch, shared_dir: Path) -> None:
    monkeypatch.setenv("EVOSKILL_SANDBOX_DISABLE", "userns,netns,pidns,landlock")
    with Sandbox(workers=1, limits=FAST) as weak:
        iso = weak.isolation()
        assert iso["filesystem_writes"]["enforced"] is False
        assert "EVOSKILL_SANDBOX_DISABLE" in iso["filesystem_writes"]["reason"]
        assert iso["pid_namespace"]["enforced"] is False
        assert iso["network"]["enforced"] is False
        r = weak.run_code("import os\ndef f():\n    return sorted(os.environ)", "f")
        assert r.ok and "EVOSKILL_SANDBOX_DISABLE" not in r.value
        r = weak.run_code("import time\ndef f():\n    time.sleep(30)", "f",
                          limits=Limits(wall_seconds=1))
        assert r.limit == "wall"


def test_landlock_alone_still_blocks_tcp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVOSKILL_SANDBOX_DISABLE", "netns")
    with Sandbox(workers=1, limits=FAST) as box:
        iso = box.isolation()
        if not iso["landlock_tcp_denied"]:
            pytest.skip("this kernel's Landlock cannot restrict TCP")
        assert iso["network"]["enforced"] is True and iso["network"]["method"] == "landlock tcp"
        assert "netns disabled" in iso["network"]["reason"]
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        try:
            code = "import socket\ndef f(p):\n    socket.create_connection(('127.0.0.1', p), timeout=2)\n"
            r = box.run_code(code, "f", [server.getsockname()[1]])
            assert not r.ok and r.error_type == "PermissionError"
        finally:
            server.close()


def test_large_value_and_stdin_round_trip(sb: Sandbox) -> None:
    r = sb.run_code("def f(s):\n    return s * 3", "f", ["ab" * 1_000_000])
    assert r.ok and len(r.value) == 6_000_000
    r = sb.run_command(["python", "-c", "import sys; print(len(sys.stdin.read()))"], stdin="z" * 300_000)
    assert r.ok and r.stdout.strip() == "300000"


def test_python_reads_leave_out_home_and_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m` puts the working directory on the import path; it must not become readable to jobs."""
    import sys

    from evoskill.sandbox import python_reads

    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "path", [str(project), str(tmp_path), "/", *sys.path])
    reads = python_reads()
    assert str(project.resolve()) not in reads and str(tmp_path.resolve()) not in reads and "/" not in reads
    assert os.path.realpath(sys.base_prefix) in reads
