"""One process at a time: the leader among the instances sharing a database.

Several instances of a service share one outbox and one email queue: one relay, one mailer
at a time does the work, so per-key order is kept and nothing is sent twice. PostgreSQL: a
session-level advisory lock, released when the connection goes; SQLite (one machine by
nature): an exclusive lock on a file beside the database, released when the process goes.
"""

from __future__ import annotations

import contextlib
import fcntl
from typing import IO

from sqlalchemy import Connection, Engine, text


class Leadership:
    """Ask `held()` before each round of work; `release()` when stopping."""

    def __init__(self, engine: Engine, key: str):
        self.engine = engine
        self.key = key
        self._connection: Connection | None = None
        self._lock_file: IO[str] | None = None

    def held(self) -> bool:
        """True while this process leads for `key` (taking the lead when it is free)."""
        if self.engine.dialect.name == "sqlite":
            return self._holds_file_lock()
        if self.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except Exception:  # the server restarted: the lock went with the connection
                self.release()
        connection = self.engine.connect()
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(hashtext(:key))"), {"key": f"boucle.{self.key}"}
        ).scalar()
        if got:
            connection.commit()
            self._connection = connection
            return True
        connection.close()
        return False

    def _holds_file_lock(self) -> bool:
        if self._lock_file is not None:
            return True
        database = self.engine.url.database
        if not database or database == ":memory:":
            return True
        handle = open(f"{database}.{self.key}.lock", "a")  # noqa: SIM115 - held while leading
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    def release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing releases the lock
            self._lock_file = None
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
