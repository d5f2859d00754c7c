"""Chaos: PostgreSQL restarted (crash and recovery) mid-stream, and the SMTP server away meanwhile.

The stack runs on a PostgreSQL of the test's own (initdb + pg_ctl on a free port; the machine's
server is shared and left alone), restarted with `pg_ctl restart -m immediate` while the listings
stream in. The SMTP sink is stopped before the stream and started again on the same port once every
email is queued and each has been tried and refused at least once (the outage is sized by what
happened, not by the clock; the mailer's backoff is capped at 2 s so that it tries again soon after).
The outage overlaps the stream, the restart and the matching. Afterwards every expected match is
proposed once and every email delivered once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.devstack import Ports, Stack
from shared.settings import SERVICES
from tests.chaos.harness import (
    ListingStream,
    ServiceDatabases,
    Sink,
    check_exactly_once,
    settle,
    wait_until,
)
from tests.private_postgres import PrivatePostgres

pytestmark = pytest.mark.chaos

PAIRS = 150


@pytest.mark.timeout(600)
def test_postgresql_restarted_mid_stream_and_smtp_down_meanwhile_lose_and_repeat_nothing(tmp_path: Path) -> None:
    # fsync off: a test database need not survive the machine; a crash of the server it survives.
    postgres = PrivatePostgres(fsync="off")
    stack: Stack | None = None
    dbs: ServiceDatabases | None = None
    try:
        postgres.start()
        db_env = {f"{s.upper()}_DATABASE_URL": postgres.create(f"boucle_{s}") for s in SERVICES}
        stack = Stack(
            tmp_path,
            Ports.free(),
            env={"KAFKA_BOOTSTRAP_SERVERS": "", "SMTP_HOST": "", "MAILER_MAX_BACKOFF_SECONDS": "2", **db_env},
        )
        stack.start()
        stack.wait_healthy(consumers_joined=True)
        dbs = ServiceDatabases(stack)
        sink = Sink(stack.var_dir / "mail")
        stream = ListingStream(stack.url("gateway"), PAIRS, "outage", organisations=10)
        stream.register()

        stack.stop_process("mailsink")
        thread = stream.start()
        wait_until(lambda: stream.posted >= 0.3 * 2 * PAIRS or stream.failure, 120, "30 % posted", interval=0.1)
        postgres.restart("immediate")  # every connection of every service cut; crash recovery
        thread.join(timeout=300)
        stream.check_posted()

        # While SMTP is away the work goes on: every match proposed, both its emails queued and tried.
        tried = "SELECT count(*) FROM outgoing_email WHERE attempts > 0"
        wait_until(
            lambda: dbs.scalar("notifications", tried) >= 2 * PAIRS,  # type: ignore[union-attr]
            120,
            "every email queued and tried during the outage",
            interval=0.2,
        )
        assert dbs.scalar("notifications", "SELECT count(*) FROM outgoing_email WHERE status = 'sent'") == 0

        stack.start_mailsink()  # same port, same store
        settle(stack, dbs, sink, stream, timeout=240)
        check_exactly_once(stack, dbs, sink, stream)
    finally:
        if stack is not None:
            stack.stop()
        if dbs is not None:
            dbs.dispose()
        postgres.stop()
