"""Rebuild reporting's tables from the topics, and check the indicators against the live database.

    python -m reporting.rebuild --from-db URL --into sqlite:///var/rebuilt.db [--check]

Organisations, listings, matches and synergies are replayed from the beginning of their topics
(`boucle.synergies` gives the synergies, their moves and flows: the live database is only a
projection of it). Territories and prospects are the animateur's own records, not events:
they are copied from `--from-db`. With `--check`, every territory's impact report and funnel
are computed on both databases and compared; the exit status is 1 when they differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from reporting import report, synergies
from reporting.consumer import handlers
from reporting.models import Prospect, Territory, TerritoryCommune
from shared import migrations, topics
from shared.db import make_engine
from shared.events import Envelope, payload_of
from shared.kafka import client_options, read_topic
from shared.settings import Settings

REPLAYED = topics.REPLAYED
OWN_RECORDS = (Territory, TerritoryCommune, Prospect)


def replay(settings: Settings, target: Engine) -> int:
    """Apply every event of the replayed topics to `target`; returns how many were applied."""
    projection = handlers(open_synergies=False)
    applied = 0
    with Session(target) as session:
        for topic in REPLAYED:
            for record in read_topic(topic, **client_options(settings)):
                envelope = Envelope.from_bytes(record.value)
                if topic == topics.SYNERGIES:
                    synergies.apply(session, envelope)
                elif (handler := projection.get(envelope.type)) is not None:
                    handler(session, envelope, payload_of(envelope))
                else:
                    continue
                session.flush()
                applied += 1
        session.commit()
    return applied


def copy_own_records(source: Engine, target: Engine) -> None:
    with Session(source) as read, Session(target) as write:
        for table in OWN_RECORDS:
            for row in read.exec(select(table)).all():
                write.merge(table.model_validate(row.model_dump()))
        write.commit()


def figures(engine: Engine, first: date, last: date) -> dict[str, dict[str, Any]]:
    """Impact and funnel of every territory, as the API would answer them."""
    period = report.Period(first, last)
    with Session(engine) as session:
        return {
            t.territory_id: {"impact": report.impact(session, t, period), "funnel": report.funnel(session, t, period)}
            for t in session.exec(select(Territory)).all()
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from-db", required=True, help="the live reporting database (territories, prospects)")
    parser.add_argument("--into", required=True, help="an empty database to rebuild into")
    parser.add_argument("--check", action="store_true", help="compare every territory's figures with --from-db")
    parser.add_argument("--period-from", type=date.fromisoformat, default=date(2000, 1, 1))
    parser.add_argument("--period-to", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    settings = Settings()
    source, target = make_engine(args.from_db), make_engine(args.into)
    migrations.upgrade("reporting", target)
    copy_own_records(source, target)
    applied = replay(settings, target)
    print(f"{applied} événements rejoués dans {args.into}")
    if not args.check:
        return 0
    live, rebuilt = (figures(e, args.period_from, args.period_to) for e in (source, target))
    if live != rebuilt:
        print(
            "Les indicateurs reconstruits diffèrent :",
            json.dumps({"live": live, "rebuilt": rebuilt}, ensure_ascii=False, indent=1, default=str),
        )
        return 1
    print(f"Indicateurs identiques pour {len(live)} territoire(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
