"""Personal data kept no longer than needed (issue 18, RGPD): the access log forgets what is over a year old."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reporting.access import accesses_to, purge_old_accesses, record_access
from reporting.models import AccessLog
from sqlmodel import Session

from shared.db import make_engine


def test_the_access_log_keeps_a_year_of_reads(backend: str, settings_for) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(settings_for(backend, "reporting").database_url("reporting"))
    now = datetime.now(timezone.utc)
    try:
        with Session(engine) as session:
            record_access(session, owners=["org-a"], reader_organisation_id="cc", reader_name="CC du Val",
                          what="annonces actives (liste des acteurs)")
            session.add(AccessLog(at=now - timedelta(days=366), owner_organisation_id="org-a",
                                  reader_organisation_id="cc", reader_name="CC du Val", what="export CSV"))
            session.commit()
            assert len(accesses_to(session, "org-a")) == 2
            assert purge_old_accesses(session, now) == 1
            [kept] = accesses_to(session, "org-a")
            assert kept.what == "annonces actives (liste des acteurs)"
            assert purge_old_accesses(session, now) == 0
    finally:
        engine.dispose()
