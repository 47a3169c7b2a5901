"""A throwaway PostgreSQL cluster for tests and benchmarks.

``initdb`` in a temporary folder, ``pg_ctl start`` on a free loopback port, run as an
unprivileged user (PostgreSQL refuses to run as root: as root, the ``postgres`` user that
Debian's package creates runs it). Trust authentication on loopback only; durability turned
off (fsync, synchronous commit), which a throwaway cluster does not need.

Nothing here is mocked: it is the PostgreSQL server from Debian's packages. When the binaries
are missing, ``ClusterError`` says which package to install; the test setup never skips.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

USER = "sinau"


class ClusterError(RuntimeError):
    """The cluster could not be created or started."""


def server_binaries() -> Path:
    """The folder of initdb and pg_ctl (Debian keeps them off PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: "
        "install Debian's postgresql package (apt-get install postgresql)"
    )


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One PostgreSQL server in its own folder, for as long as this object lives."""

    def __init__(self, root: Path | None = None, port: int | None = None) -> None:
        self.root = Path(root) if root is not None else Path(
            tempfile.mkdtemp(prefix="sinau-pg-"))
        self.port = port or free_port()
        self.bin = server_binaries()
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._runner: list[str] = []
        self.started = False

    @property
    def base_url(self) -> str:
        """The server's URL without a database name."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}"

    def url(self, database: str) -> str:
        """The URL of one database on this server."""
        return f"{self.base_url}/{database}"

    def _as_owner(self) -> list[str]:
        """The command prefix that runs a server binary as an unprivileged user."""
        if os.geteuid() != 0:
            return []
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise ClusterError("running as root, but there is no 'postgres' user to run "
                               "the server as (install Debian's postgresql package)") from None
        subprocess.run(["chown", "-R", "postgres:", str(self.root)], check=True)
        self.root.chmod(0o755)
        return ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._runner, *args], capture_output=True, text=True,
                                check=False, timeout=120)
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise ClusterError(f"{Path(args[0]).name} failed ({result.returncode}): "
                               f"{result.stderr.strip() or result.stdout.strip()}\n{tail}")

    def start(self) -> str:
        """initdb and start the server; its base URL."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._runner = self._as_owner()
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", USER,
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = " ".join([
            f"-p {self.port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c max_connections=500", "-c shared_buffers=128MB",
            "-c max_locks_per_transaction=256",
        ])
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", options, "-w", "-t", "60", "start")
        self.started = True
        return self.base_url

    def stop(self) -> None:
        """Stop the server at once and remove its folder."""
        if self.started:
            with contextlib.suppress(ClusterError, subprocess.TimeoutExpired):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


def admin(base_url: str) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection to the server's ``postgres`` database (CREATE DATABASE)."""
    return psycopg.connect(f"{base_url}/postgres", autocommit=True)


def create_database(base_url: str, name: str, *, template: str | None = None) -> str:
    """A new, empty (or template-copied) database; its URL."""
    with admin(base_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    return f"{base_url}/{name}"


def drop_database(base_url: str, name: str) -> None:
    """Drop a database, closing whatever is still connected to it."""
    with admin(base_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
