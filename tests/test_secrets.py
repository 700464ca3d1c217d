"""Code in the sandbox cannot read the user's secrets, as an ordinary (non-root) user and as root.

When the suite runs as root (as CI does) the fixture creates an unprivileged user and runs the
`evoskill` command line as that user, for real: its own home folder (mode 0700) holding a planted SSH
key and an evoskill keys file (mode 0600), its own library. A probe skill tries to read each secret and
hand it out through every channel a job has (return value, stdout, stderr, a file in its scratch
folder, a file in its own skill folder); each read must be refused and nothing may come out.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import evoskill

PROBE_USER = "evoskill-probe"
KEY = "PRIVATE-KEY-MATERIAL-0b4e"
API_KEY = "sk-live-abc-7f1d"
VAULT = "VAULT-MARKER-93c2"

STEAL = '''import sys
from pathlib import Path
from typing import Any


def steal(path: str, channel: str) -> str:
    """Read a file and hand its text out through a channel (a probe of the sandbox)."""
    if path == "":
        return "ok"
    text = Path(path).read_text()
    if channel == "stdout":
        print(text)
    elif channel == "stderr":
        print(text, file=sys.stderr)
    elif channel == "scratch":
        Path("loot.txt").write_text(text)
    elif channel == "own-folder":
        (Path(__file__).resolve().parent / "loot.txt").write_text(text)
    return text
'''

VAULT_SKILL = f'''def vault(text: str) -> str:
    """Return the text unchanged ({VAULT})."""
    return text
'''


@dataclass
class Person:
    """An ordinary user: who runs the `evoskill` command line in these tests."""

    uid: int
    gid: int
    home: Path
    library: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(self.home),
                "EVOSKILL_LIBRARY": str(self.library), "LANG": "C.UTF-8", **extra}

    def run(self, *args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        """``python -m evoskill ARGS`` as this user (as root: a real uid switch first)."""
        preexec = self._become if os.geteuid() == 0 else None
        return subprocess.run([sys.executable, "-m", "evoskill", *args], env=self.env(**env), cwd=cwd or self.home,
                              capture_output=True, text=True, timeout=300, preexec_fn=preexec)

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        """``python -c CODE`` as this user."""
        preexec = self._become if os.geteuid() == 0 else None
        return subprocess.run([sys.executable, "-c", code], env=self.env(), cwd=self.home, capture_output=True,
                              text=True, timeout=300, preexec_fn=preexec)

    def _become(self) -> None:
        from evoskill import _isolation

        # the interpreter may live under a root-only folder (pyenv in /root): show this user only it
        package_root = str(Path(evoskill.__file__).resolve().parents[1])
        _isolation.expose_paths_to(self.uid, [sys.base_prefix, sys.prefix, sys.exec_prefix, package_root,
                                              os.path.dirname(os.path.realpath(sys.executable))])
        os.setgroups([])
        os.setgid(self.gid)
        os.setuid(self.uid)


def _probe_user() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(PROBE_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        if not os.path.exists(useradd):
            pytest.skip("running as root without useradd: cannot create an unprivileged user")
        subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PROBE_USER],
                       check=True, capture_output=True)
        entry = pwd.getpwnam(PROBE_USER)
    return entry.pw_uid, entry.pw_gid


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, uid, gid)
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


@pytest.fixture(scope="module")
def person() -> Iterator[Person]:
    uid, gid = _probe_user() if os.geteuid() == 0 else (os.getuid(), os.getgid())
    base = Path(tempfile.mkdtemp(prefix="evoskill-probe-"))
    base.chmod(0o755)
    home = base / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(KEY + "\n")
    (home / ".config" / "evoskill").mkdir(parents=True)
    (home / ".config" / "evoskill" / "keys.json").write_text(json.dumps({"openai": API_KEY}))
    for secret in (home / ".ssh" / "id_rsa", home / ".config" / "evoskill" / "keys.json"):
        secret.chmod(0o600)
    (home / "work").mkdir()
    (home / "work" / "steal.py").write_text(STEAL)
    (home / "work" / "vault.py").write_text(VAULT_SKILL)
    _chown_tree(home, uid, gid)
    home.chmod(0o700)
    who = Person(uid, gid, home, home / "library")
    try:
        yield who
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def library(person: Person) -> Person:
    """The person's library: the probe skill `steal` and a skill `vault` it does not call."""
    assert person.run("init").returncode == 0
    work = person.home / "work"
    for name in ("steal", "vault"):
        made = person.run("new", name, "--from", f"{name}.py", cwd=work)
        assert made.returncode == 0, made.stderr
        example = [{"inputs": ["", "return"], "output": "ok"}] if name == "steal" else [
            {"inputs": ["a"], "output": "a"}]
        examples = work / name / "tests" / "examples.json"
        examples.write_text(json.dumps(example))
        os.chown(examples, person.uid, person.gid)
        added = person.run("add", name, cwd=work)
        assert added.returncode == 0, added.stderr
    return person


def test_runs_as_an_unprivileged_user(library: Person) -> None:
    probe = library.python("import os; print(os.geteuid())")
    assert probe.returncode == 0, probe.stderr
    assert int(probe.stdout) == library.uid and library.uid != 0
    # the person can read their own secrets outside the sandbox: the refusals below are the sandbox's doing
    assert KEY in library.python(f"print(open({str(library.home / '.ssh' / 'id_rsa')!r}).read())").stdout


def test_control_without_read_rules_the_secrets_leak(library: Person) -> None:
    """The probe is real: with the read rules turned off on purpose, the same run prints the key (the defect)."""
    key = library.home / ".ssh" / "id_rsa"
    res = library.run("run", "steal", str(key), "return", EVOSKILL_SANDBOX_DISABLE="reads")
    assert res.returncode == 0 and KEY in res.stdout, res.stderr
    doctor = json.loads(library.run("doctor", "--json", EVOSKILL_SANDBOX_DISABLE="reads").stdout)
    assert doctor["sandbox"]["filesystem_reads"]["enforced"] is False


def _targets(who: Person) -> dict[str, tuple[Path, str]]:
    return {
        "ssh key": (who.home / ".ssh" / "id_rsa", KEY),
        "evoskill keys": (who.home / ".config" / "evoskill" / "keys.json", API_KEY),
        "another skill": (who.library / "skills" / "vault" / "scripts" / "vault.py", VAULT),
        "/etc/shadow": (Path("/etc/shadow"), "root:"),
    }


@pytest.mark.parametrize("target", ["ssh key", "evoskill keys", "another skill", "/etc/shadow"])
def test_a_skill_cannot_read_secrets(library: Person, target: str) -> None:
    path, secret = _targets(library)[target]
    res = library.run("run", "steal", str(path), "return")
    assert res.returncode == 1, res.stdout
    assert secret not in res.stdout + res.stderr
    assert "PermissionError" in res.stderr and "docs/SANDBOX.md" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("channel", ["return", "stdout", "stderr", "scratch", "own-folder"])
def test_no_channel_carries_a_secret_out(library: Person, channel: str) -> None:
    for path, secret in list(_targets(library).values())[:3]:
        res = library.run("run", "steal", str(path), channel, "--json")
        assert secret not in res.stdout + res.stderr
        record = json.loads(res.stdout)
        assert record["ok"] is False and record["error_type"] == "PermissionError"
    # nothing was left behind: not in the skill's own folder, not in a scratch folder
    skill = library.library / "skills" / "steal"
    assert not any(p.name == "loot.txt" for p in skill.rglob("*"))
    leftovers = [p for p in Path(tempfile.gettempdir()).glob("evoskill-sandbox-*") if p.stat().st_uid == library.uid]
    assert not leftovers


def test_the_skill_still_works_and_writes_in_its_scratch(library: Person) -> None:
    ok = library.run("run", "steal", "", "return")
    assert ok.returncode == 0 and json.loads(ok.stdout) == "ok", ok.stderr
    # a skill can still write into its own scratch folder and read it back
    res = library.run("run", "steal", "/dev/null", "scratch")
    assert res.returncode == 0 and json.loads(res.stdout) == "", res.stderr
    # ...but not into its own folder (writes only in scratch)
    res = library.run("run", "steal", "/dev/null", "own-folder")
    assert res.returncode == 1 and "PermissionError" in res.stderr


def test_a_model_written_candidate_cannot_read_secrets(library: Person) -> None:
    key = library.home / ".ssh" / "id_rsa"
    code = f'''
import json
from evoskill.sandbox import Sandbox
from evoskill.tasks import Example
from evoskill.verify import Verifier
with Sandbox(readable=[{str(library.library)!r}]) as sb:
    candidate = "def f(x):\\n    return open({str(key)!r}).read()"
    verdict = Verifier(sb).check(candidate, "f", [Example((1,), "x")])
    print(json.dumps({{"passed": verdict.passed, "error": verdict.describe()}}))
    print(json.dumps(sb.isolation()))
'''
    res = library.python(code)
    assert res.returncode == 0, res.stderr
    verdict, isolation = (json.loads(line) for line in res.stdout.splitlines()[:2])
    assert verdict["passed"] is False and KEY not in res.stdout
    assert "Permission denied" in verdict["error"]
    assert isolation["uid"] == library.uid and isolation["filesystem_reads"]["enforced"] is True


def test_doctor_reports_the_protections(library: Person) -> None:
    res = library.run("doctor", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["sandbox"]["filesystem_reads"]["enforced"] is True
    assert report["sandbox"]["network"]["enforced"] is True
    assert report["running_as_root"] is False


PEEK = '''from pathlib import Path


def peek(path: str) -> str:
    """The text of a file (a probe of what a skill run over MCP can read)."""
    return Path(path).read_text() if path else ""
'''


def test_a_skill_run_over_mcp_reads_only_its_own_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    pytest.importorskip("fastmcp")
    import asyncio

    from fastmcp import Client

    from evoskill.library import Library
    from evoskill.mcp_server import build_server
    from evoskill.sandbox import Sandbox
    from evoskill.session import install_core

    lib = Library(tmp_path_factory.mktemp("mcp-reads") / "library")
    install_core(lib)
    other = lib.skills_dir / "text-upper" / "SKILL.md"

    async def body(client: Client) -> list[Any]:
        sub = await client.call_tool("submit_skill", {"name": "peek", "description": "Read a file's text.",
                                                      "code": PEEK, "examples": [{"inputs": [""], "output": ""}, {"inputs": ["/dev/null"], "output": ""}]})
        own = lib.skills_dir / "peek" / "SKILL.md"
        results = [sub]
        for path in (own, other):
            results.append(await client.call_tool("run_skill", {"name": "peek", "args": [str(path)]},
                                                  raise_on_error=False))
        return results

    try:
        with Sandbox(workers=1, readable=[lib.root]) as sandbox:
            server = build_server(lib, sandbox=sandbox)

            async def main() -> list[Any]:
                async with Client(server) as client:
                    return await body(client)
            sub, own, stolen = asyncio.run(main())
    finally:
        lib.close()
    assert sub.structured_content["accepted"] is True, sub.structured_content
    assert own.structured_content["ok"] is True and "name: \"peek\"" in own.structured_content["value"]
    assert stolen.structured_content["ok"] is False
    assert "PermissionError" in stolen.structured_content["error"]
    assert "text-upper" not in str(stolen.structured_content.get("value"))
