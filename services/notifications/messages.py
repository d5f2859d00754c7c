"""Email contents: which message each event gives, rendered from French templates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shared.events import MatchProposed


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


def match_proposed_contexts(event: MatchProposed) -> dict[str, dict[str, object]]:
    """For each party (by organisation id), what its alert shows: its listing and the other, anonymised."""
    contexts = {}
    for mine in event.parties:
        others = [p for p in event.parties if p.organisation_id != mine.organisation_id]
        contexts[mine.organisation_id] = {
            "match_id": event.match_id,
            "kind": event.kind,
            "score_percent": round(event.score * 100),
            "distance_km": event.distance_km,
            "explanation": event.explanations.get(mine.listing_id, event.explanation),
            "own": mine.model_dump(),
            "others": [o.model_dump() for o in others],
        }
    return contexts


SUBJECTS = {
    "match_proposed": "Nouvelle piste de synergie pour « {own[title]} »",
}
GROUP_SUBJECTS = {
    "match_proposed": "Mutualisation possible pour « {own[title]} »",
}


def render(kind: str, context: dict[str, object], *, recipient_name: str, public_url: str) -> Message:
    """The subject, plain text and HTML of a message of `kind`."""
    values = {**context, "recipient_name": recipient_name, "public_url": public_url.rstrip("/")}
    env = environment()
    subjects = GROUP_SUBJECTS if context.get("kind") == "group" else SUBJECTS
    return Message(subject=subjects[kind].format(**values),
                   text=env.get_template(f"email/{kind}.txt").render(values),
                   html=env.get_template(f"email/{kind}.html").render(values))
