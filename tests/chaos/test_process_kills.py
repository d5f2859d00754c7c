"""Chaos: every process of the data path killed -9 in turn while 720 listings stream in, then restarted.

The stack (PostgreSQL, as in production) runs offers, matching, notifications with its mailer process,
reporting and the gateway the listings go through. The listings go in six waves, one per process, sent
as fast as the stack takes them; each process is killed once its part of its wave's work is under way
(and not finished), and started again before the next wave; the client retries what got no 201. The
kills are placed by counting the work done, not by the clock, so a faster or slower machine changes
nothing. In the end every expected match is proposed once, each organisation gets one email per match,
and reporting counts every organisation, listing and match once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from notifications.smtp import SMTP_CONNECTIONS

from shared.devstack import Stack, wait_for_port
from shared.settings import SERVICES
from tests import web
from tests.chaos.harness import ListingStream, ServiceDatabases, Sink, check_exactly_once, settle, wait_until
from tests.conftest import Databases, make_stack

pytestmark = pytest.mark.chaos

WAVE = 60  # pairs per process killed
PAIRS = 6 * WAVE  # six processes: 720 listings in all


def restart(stack: Stack, name: str) -> None:
    """Start `name` again and wait until it works (a service: its consumer joined)."""
    if name == "gateway":
        stack.start_gateway()
        stack.wait_healthy(("gateway",))
    elif name == "notifications-mailer":
        stack.start_mailer(name)
        wait_for_port(stack.mailer_metrics_ports[name])
    else:
        stack.start_service(name, mailer=False)  # type: ignore[arg-type]
        stack.wait_healthy((name,), consumers_joined=True)


def check_the_rest_is_served(stack: Stack, down: str, token: str) -> None:
    """One service down: the gateway and the other services stay ready (their probes), the API routes of the one
    down answer a French 503, the others as usual (issue 19, point 2)."""
    gateway = stack.url("gateway")
    assert web.get(f"{gateway}/readyz").status_code == 200
    assert web.get(f"{gateway}/livez").status_code == 200
    status = web.get(f"{gateway}/healthz")
    assert status.status_code == 503 and status.json()[down] == "injoignable"
    for other in SERVICES:
        if other != down:
            assert web.get(f"{stack.url(other)}/readyz").status_code == 200, other
    auth = {"Authorization": f"Bearer {token}"}
    route = {
        "offers": "/api/v1/listings",
        "matching": "/api/v1/matches",
        "notifications": "/api/v1/notifications",
        "reporting": "/api/v1/synergies",
    }
    answered = {service: web.get(f"{gateway}{path}", headers=auth) for service, path in route.items()}
    gone = answered.pop(down)
    assert gone.status_code == 503 and "momentanément indisponible" in gone.json()["detail"], gone.text
    if down != "offers":  # the others ask offers who the token is
        assert {service: a.status_code for service, a in answered.items()} == dict.fromkeys(answered, 200)
    assert web.get(f"{gateway}/mentions-legales").status_code == 200  # a page needing no service


@pytest.mark.timeout(900)
def test_each_process_killed_mid_stream_loses_and_repeats_nothing(tmp_path: Path, databases: Databases) -> None:
    stack = make_stack(tmp_path, databases, "postgresql")
    dbs: ServiceDatabases | None = None
    try:
        stack.start()
        stack.wait_healthy(consumers_joined=True)
        dbs = ServiceDatabases(stack)
        sink = Sink(stack.var_dir / "mail")
        stream = ListingStream(stack.url("gateway"), PAIRS, "kill")
        stream.register()

        def share(service: str, sql: str, total: int) -> Callable[[], float]:
            return lambda: dbs.scalar(service, sql) / total  # type: ignore[union-attr]

        posted = lambda: stream.posted / (2 * PAIRS)  # noqa: E731
        # What share of all its work each process has done; each is killed a quarter into its wave.
        kills: list[tuple[str, Callable[[], float]]] = [
            ("offers", posted),
            ("reporting", share("reporting", "SELECT count(*) FROM known_listing", 2 * PAIRS)),
            ("gateway", posted),
            ("matching", share("matching", "SELECT count(*) FROM match", PAIRS)),
            ("notifications", share("notifications", "SELECT count(*) FROM outgoing_email", 2 * PAIRS)),
            (
                "notifications-mailer",
                share("notifications", "SELECT count(*) FROM outgoing_email WHERE status = 'sent'", 2 * PAIRS),
            ),
        ]
        stream.close_gate()
        thread = stream.start(deadline_s=600)
        done_at_kill: dict[str, tuple[float, float]] = {}
        for wave, (name, progress) in enumerate(kills):
            wave_end = (wave + 1) / len(kills)
            stream.open_until((wave + 1) * WAVE)
            threshold = wave_end - 0.75 / len(kills)
            wait_until(
                lambda: progress() >= threshold or stream.failure,  # noqa: B023
                300,
                f"{name}: {threshold:.0%} done",
                interval=0.05,
            )
            done_at_kill[name] = (progress(), wave_end)
            stack.kill_process(name)
            if name in SERVICES:
                check_the_rest_is_served(stack, name, stream.suppliers[0].token)
            restart(stack, name)
        thread.join(timeout=600)
        stream.check_posted()
        # Each kill hit its process in the middle of its wave's work, not after it.
        assert all(done < wave_end for done, wave_end in done_at_kill.values()), done_at_kill
        assert stream.retries > 0  # offers and the gateway were away while the client posted
        print(
            f"done at each kill (and the end of its wave): {done_at_kill}; {stream.retries} attempts without 201, "
            f"{stream.replayed} answered by the listing an earlier attempt had published"
        )

        settle(stack, dbs, sink, stream, timeout=300)
        check_exactly_once(stack, dbs, sink, stream, resent_at_most=SMTP_CONNECTIONS)
    finally:
        stack.stop()
        if dbs is not None:
            dbs.dispose()
