"""An organisation's email preferences: how they change, and what an unsubscribe link may switch off.

Each (organisation, kind) preference counts the changes of its mode (`Preference.revision`; no row is « instant »,
revision 0). The unsubscribe link of an email names the kinds that email came from, each with its revision when the
email went out: it switches off those kinds only, and only while none of them changed since. One link used to switch
off every kind, and could be replayed for its month of validity, even after the organisation switched its emails
back on (issue 18).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from notifications.models import MESSAGE_KINDS, Preference

DEFAULT_MODE = "instant"
# What an unsubscribe link stops, after « Vous ne recevrez plus … ».
UNSUBSCRIBE_LABELS = {
    "match_proposed": "les alertes de nouvelles pistes de synergie",
    "match_responded": "les alertes de mises en relation qui attendent votre réponse",
    "match_accepted": "les alertes de mises en relation confirmées",
    "match_retracted": "les alertes de pistes retirées",
    "listing_expiring": "les alertes d'expiration de vos annonces",
    "synergy_stage": "les alertes de changement d'étape de vos synergies",
    "synergy_quiet": "les alertes de synergies à relancer",
    "weekly_summary": "le résumé hebdomadaire de votre territoire",
}

State = tuple[str, int]  # a kind's mode and revision


def email_kinds(
    kind: str, context: Mapping[str, Any], *, digest_mode: str | None = None, modes: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The preferences an email comes from: its own kind, or a digest's kinds (those of its items; for a digest
    built before items said their kind, the kinds now in the digest's mode). Account emails and the animateur's
    alerts come from none: they have no unsubscribe link."""
    if kind in MESSAGE_KINDS:
        return (kind,)
    if kind != "digest":
        return ()
    named = context.get("kinds") or [item.get("kind") for item in context.get("items", [])]
    found = [k for k in MESSAGE_KINDS if k in named]
    if not found and digest_mode and modes is not None:
        found = [k for k in MESSAGE_KINDS if modes.get(k, DEFAULT_MODE) == digest_mode]
    return tuple(found)


def described(kinds: Iterable[str]) -> str:
    """« les alertes de nouvelles pistes de synergie ni le résumé hebdomadaire de votre territoire »."""
    labels = [UNSUBSCRIBE_LABELS[kind] for kind in kinds]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} ni {labels[-1]}"


def claimed_revisions(raw: Any) -> dict[str, int] | None:
    """The kinds and revisions a link's token names, or None when they are not a non-empty {known kind: int}."""
    if not isinstance(raw, dict) or not raw:
        return None
    if not all(kind in MESSAGE_KINDS and type(revision) is int for kind, revision in raw.items()):
        return None
    return {kind: revision for kind, revision in raw.items()}


def stale(claimed: Mapping[str, int], current: Mapping[str, State]) -> bool:
    """Whether one of the link's kinds changed since its email went out."""
    return any(current.get(kind, (DEFAULT_MODE, 0))[1] != revision for kind, revision in claimed.items())


def all_off(kinds: Iterable[str], current: Mapping[str, State]) -> bool:
    return all(current.get(kind, (DEFAULT_MODE, 0))[0] == "off" for kind in kinds)


# --- reading and changing them -------------------------------------------------------------------------------------


def states(session: Session, organisation_ids: Iterable[str]) -> dict[str, dict[str, State]]:
    """Each organisation's stored preferences, {organisation: {kind: (mode, revision)}}, in one query."""
    found: dict[str, dict[str, State]] = {}
    wanted = list(set(organisation_ids))
    if wanted:
        for row in session.exec(select(Preference).where(col(Preference.organisation_id).in_(wanted))):
            found.setdefault(row.organisation_id, {})[row.kind] = (row.mode, row.revision)
    return found


def set_modes(session: Session, organisation_id: str, changes: Mapping[str, str]) -> None:
    """Set the modes of some kinds; a kind whose mode changes counts one more revision. The caller commits."""
    stored = {
        row.kind: row
        for row in session.exec(
            select(Preference).where(
                Preference.organisation_id == organisation_id, col(Preference.kind).in_(list(changes))
            )
        )
    }
    for kind, mode in changes.items():
        row = stored.get(kind) or Preference(organisation_id=organisation_id, kind=kind, mode=DEFAULT_MODE)
        if row.mode != mode:
            row.mode, row.revision = mode, row.revision + 1
        session.add(row)
