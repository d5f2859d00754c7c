"""What each event tells whom, and the French email it makes: pure functions and templates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shared.events import ListingExpiring, MatchParty, MatchProposed


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


@cache
def environment() -> Environment:
    """Templates in notifications/templates/email; HTML autoescaped, missing variables refused."""
    return Environment(loader=PackageLoader("notifications", "templates"),
                       autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def match_proposed_contexts(event: MatchProposed) -> dict[str, dict[str, Any]]:
    """For each party (by organisation id), what its alert shows: its listing and the others, anonymised."""
    contexts = {}
    for mine in event.parties:
        contexts[mine.organisation_id] = {
            "match_id": event.match_id,
            "kind": event.kind,
            "score_percent": round(event.score * 100),
            "distance_km": event.distance_km,
            "explanation": event.explanations.get(mine.listing_id, event.explanation),
            "own": mine.model_dump(),
            "others": [o.model_dump() for o in event.parties if o.organisation_id != mine.organisation_id],
        }
    return contexts


def party_context(match_id: str, mine: MatchParty | dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    own = mine.model_dump() if isinstance(mine, MatchParty) else mine
    return {"match_id": match_id, "own": own, "others": others}


LISTING_LABELS = {"offer": "offre", "need": "demande", "share": "proposition de partage",
                  "pool": "demande de mutualisation"}


def listing_expiring_context(event: ListingExpiring) -> dict[str, Any]:
    """What the owner's reminder shows: its listing and the date it expires."""
    return {"listing_id": event.listing_id, "title": event.title, "kind": event.kind,
            "label": LISTING_LABELS.get(event.kind, "annonce"), "expires_at": event.expires_at.isoformat(),
            "expires_on": f"{event.expires_at:%d/%m/%Y}"}


def app_link(kind: str, context: dict[str, Any]) -> str:
    """Where the app shows what a message is about."""
    if kind == "listing_expiring":
        return f"/listings/{context['listing_id']}"
    return f"/matches/{context['match_id']}"


SUBJECTS = {
    "match_proposed": "Nouvelle piste de synergie pour « {own[title]} »",
    "match_responded": "« {own[title]} » : l'autre partie a accepté, à vous de répondre",
    "match_accepted": "Mise en relation confirmée pour « {own[title]} »",
    "match_retracted": "Piste retirée pour « {own[title]} »",
    "listing_expiring": "Votre annonce « {title} » expire le {expires_on}",
    "bounce_alert": "Adresse en échec : {organisation_name}",
    "digest": "Votre résumé Boucle : {count} nouveauté{plural}",
}
GROUP_SUBJECTS = {"match_proposed": "Mutualisation possible pour « {own[title]} »"}
SUMMARIES = {
    "match_proposed": "Une piste de synergie a été trouvée pour votre annonce.",
    "match_responded": "L'autre partie a accepté la mise en relation : à vous de répondre.",
    "match_accepted": "Vous avez tous accepté : les coordonnées sont maintenant visibles.",
    "match_retracted": "Une annonce a été retirée ou modifiée : cette piste n'est plus d'actualité.",
    "listing_expiring": "Votre annonce arrive à expiration : renouvelez-la pour 6 mois ou clôturez-la.",
}


def subject(kind: str, context: dict[str, Any]) -> str:
    template = (GROUP_SUBJECTS if context.get("kind") == "group" else SUBJECTS).get(kind, SUBJECTS[kind])
    return template.format(**context)


def render(kind: str, context: dict[str, Any], *, recipient_name: str, public_url: str,
           links: dict[str, str] | None = None) -> Message:
    """The subject, plain text and HTML of a message of `kind`; `links` are the signed action URLs."""
    values = {**context, "recipient_name": recipient_name, "public_url": public_url.rstrip("/"),
              "links": links or {}}
    env = environment()
    return Message(subject=subject(kind, values),
                   text=env.get_template(f"email/{kind}.txt").render(values),
                   html=env.get_template(f"email/{kind}.html").render(values))
