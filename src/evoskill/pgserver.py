"""A throwaway local PostgreSQL server, for tests and benchmarks (never for real libraries).

It runs the Debian binaries (``pg_config --bindir``, else ``/usr/lib/postgresql/*/bin``) on a free port
of 127.0.0.1 with its data in a new temporary folder, without durability (fsync off), and is removed by
:meth:`ThrowawayPostgres.stop`. PostgreSQL refuses to run as root: as root the server runs as the
``postgres`` user (created by the Debian package), through ``runuser``. ``scripts/ensure-postgres.sh``
installs the binaries when they are missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

__all__ = ["ThrowawayPostgres", "find_bindir"]


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        try:
            candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                             check=True, timeout=10).stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2])
                         if p.split("/")[-2].isdigit() else 0, reverse=True)
    for c in candidates:
        if c and (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """``start()`` a private server, ``create_database()`` as many databases as needed, ``stop()``."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found: "
                                    "run scripts/ensure-postgres.sh (apt-get install postgresql)")
        self.bindir = found
        self.port = 0
        self.base: Path | None = None
        self._user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError("running as root needs the 'postgres' user to run the server "
                                   "(apt-get install postgresql creates it)") from exc

    def _run(self, *argv: str, timeout: float = 120) -> None:
        cmd = [str(self.bindir / argv[0]), *argv[1:]]
        if self._user is not None:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd="/")
        if r.returncode != 0:
            log = ""
            if self.base is not None and (self.base / "server.log").is_file():
                log = (self.base / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({r.returncode}): {r.stderr[-2000:]} {log}")

    def start(self) -> str:
        """Initialise and start the server; returns the URL of its ``postgres`` database."""
        self.base = Path(tempfile.mkdtemp(prefix="evoskill-pg-"))
        if self._user is not None:
            os.chown(self.base, self._user.pw_uid, self._user.pw_gid)
        data = self.base / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "-N")
        self.port = _free_port()
        opts = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(data), "-l", str(self.base / "server.log"), "-o", opts, "-w", "-t", "60",
                  "start")
        return self.url("postgres")

    def url(self, database: str) -> str:
        """The URL of ``database`` on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create a new empty database; returns its URL."""
        import psycopg

        name = name or f"evoskill_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        if self.base is None:
            return
        try:
            if (self.base / "data" / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.base / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self) -> ThrowawayPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
