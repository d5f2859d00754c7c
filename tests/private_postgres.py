"""A PostgreSQL server of a test's own: the machine's is shared, and configured for tests
(autovacuum off), so what must restart it or behave like production runs its own."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from shared.devstack import free_port


class PrivatePostgres:
    """initdb + pg_ctl on a free port in a temporary directory (as the `postgres` user when run as root)."""

    def __init__(self, **settings: str) -> None:
        """`settings`: server settings (`fsync="off"`…) over initdb's defaults, which are production's
        (autovacuum on, fsync on)."""
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
        assert versions, "PostgreSQL's server binaries not found under /usr/lib/postgresql"
        self.bin = versions[-1].parent
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="boucle-pg-"))
        self.data = self.root / "data"
        self.settings = {"listen_addresses": "127.0.0.1", "max_connections": "200", **settings}
        if os.geteuid() == 0:  # initdb refuses root
            shutil.chown(self.root, "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        else:
            self.prefix = []

    def run(self, *argv: str) -> None:
        subprocess.run(
            [*self.prefix, *argv], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120
        )

    def pg_ctl(self, *args: str) -> None:
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60", *args
        )

    def start(self) -> None:
        self.run(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
        )
        options = " ".join(f"-c {name}={value}" for name, value in self.settings.items())
        self.pg_ctl("-o", f"-p {self.port} -k {self.root} {options}", "start")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create(self, database: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)

    def restart(self, mode: str = "immediate") -> None:
        self.pg_ctl("-m", mode, "restart")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
