"""Replay: publish a service's outbox again, after the broker lost its log.

Run: `python -m shared.replay --service offers` (repeat `--service`, or `--all`), with the same
environment as the service (its `<SERVICE>_DATABASE_URL`, or `BOUCLE_VAR_DIR` for SQLite);
`--since 2026-11-23T10:00:00+00:00` limits it to the events created from then on.

It marks the outbox rows as pending again; the running service's relay then republishes them in
their original order (per key as well), as it publishes any new event. Every consumer drops an event
it has already applied (by event id, shared.inbox), so replaying more than was lost is harmless:
when in doubt, replay everything. The outbox keeps every event a service ever produced, so after an
embedded broker's restart (memory storage) `--all` brings back every topic.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from sqlalchemy import Engine, inspect, update
from sqlmodel import col

from shared.db import make_engine
from shared.outbox import OutboxMessage
from shared.settings import SERVICES, ServiceName, Settings


def replay(engine: Engine, since: datetime | None = None) -> int:
    """Mark the outbox rows (created at or after `since`) as not yet published; returns how many."""
    statement = update(OutboxMessage).values(sent_at=None)
    if since is not None:
        statement = statement.where(col(OutboxMessage.created_at) >= since)
    with engine.begin() as connection:
        return connection.execute(statement).rowcount


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--service", action="append", choices=SERVICES, default=[], help="whose outbox to publish again (repeatable)"
    )
    parser.add_argument("--all", action="store_true", help="every service's outbox")
    parser.add_argument("--since", type=datetime.fromisoformat, help="only events created from then on (ISO 8601)")
    args = parser.parse_args(argv)
    services: list[ServiceName] = list(SERVICES) if args.all else list(dict.fromkeys(args.service))
    if not services:
        parser.error("name a --service, or --all")
    settings = Settings()
    for service in services:
        engine = make_engine(settings.database_url(service))
        try:
            # A service that never started has no outbox yet (its tables come with its migrations).
            count = replay(engine, args.since) if inspect(engine).has_table(OutboxMessage.__tablename__) else 0
        finally:
            engine.dispose()
        print(f"{service}: {count} events to publish again", flush=True)


if __name__ == "__main__":
    main()
