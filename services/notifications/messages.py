"""What each event tells whom, and the French email it makes: pure functions and templates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shared.events import (
    AccountLinkRequested,
    ListingExpiring,
    MatchParty,
    MatchProposed,
    SynergyMoved,
    SynergyQuiet,
    TerritoryWeeklySummary,
)
from shared.nomenclatures import SUPPLY_KINDS


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


@cache
def environment() -> Environment:
    """Templates in notifications/templates/email; HTML autoescaped, missing variables refused."""
    return Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def match_proposed_contexts(event: MatchProposed) -> dict[str, dict[str, Any]]:
    """For each party (by organisation id), what its alert shows: its listing and the others, anonymised."""
    contexts = {}
    # A swap names two listings of each organisation: its own is the one it gives (its supply, taken last so that it
    # stays), and it `gets` the other's supply.
    for mine in sorted(event.parties, key=lambda party: party.kind in SUPPLY_KINDS):
        others = [o for o in event.parties if o.organisation_id != mine.organisation_id]
        contexts[mine.organisation_id] = {
            "match_id": event.match_id,
            "kind": event.kind,
            "score_percent": round(event.score * 100),
            "distance_km": event.distance_km,
            "explanation": event.explanations.get(mine.listing_id, event.explanation),
            "own": mine.model_dump(),
            "others": [o.model_dump() for o in others],
            "gets": next((o.model_dump() for o in others if o.kind in SUPPLY_KINDS), None),
            "obligations": [o.model_dump() for o in event.obligations],
        }
    return contexts


def party_context(match_id: str, mine: MatchParty | dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    own = mine.model_dump() if isinstance(mine, MatchParty) else mine
    return {"match_id": match_id, "own": own, "others": others}


ACCOUNT_SUBJECTS = {
    "confirm": "Confirmez votre adresse sur Boucle",
    "login": "Votre lien de connexion à Boucle",
    "invite": "Vous êtes invité·e sur Boucle",
    "invite_existing": "Vous êtes invité·e sur Boucle",
    "diagnostic": "Le bilan de flux de votre organisation vous attend sur Boucle",
    "review": "Vos flux sur Boucle ont plus d'un an : sont-ils toujours d'actualité ?",
    "signup_attempt": "Quelqu'un a tenté de créer un compte Boucle avec votre adresse",
}


def account_link_context(event: AccountLinkRequested) -> dict[str, Any]:
    """What a user's account email needs: who, why, and which link (the mailer gets it from offers when sending:
    no secret is kept here)."""
    return {
        "user_id": event.user_id,
        "organisation_id": event.organisation_id,
        "email": event.email,
        "name": event.name,
        "purpose": event.purpose,
        "link_id": event.link_id,
        "headline": ACCOUNT_SUBJECTS[event.purpose],
    }


LISTING_LABELS = {
    "offer": "offre",
    "need": "demande",
    "share": "proposition de partage",
    "pool": "demande de mutualisation",
}


def listing_expiring_context(event: ListingExpiring) -> dict[str, Any]:
    """What the owner's reminder shows: its listing and the date it expires."""
    return {
        "listing_id": event.listing_id,
        "title": event.title,
        "kind": event.kind,
        "label": LISTING_LABELS.get(event.kind, "annonce"),
        "expires_at": event.expires_at.isoformat(),
        "expires_on": f"{event.expires_at:%d/%m/%Y}",
    }


STAGE_LABELS = {
    "detected": "détectée",
    "studied": "à l'étude",
    "contractualised": "contractualisée",
    "operating": "en fonctionnement",
    "ended": "terminée",
    "abandoned": "abandonnée",
}
ABANDON_LABELS = {
    "regulatory": "réglementaire",
    "economic": "économique",
    "logistic": "logistique",
    "technical": "technique",
    "lost_interest": "perte d'intérêt",
    "other": "autre",
}


def synergy_stage_context(event: SynergyMoved) -> dict[str, Any]:
    """What the parties and the animateur are told of a move: which synergy, from where to where, by whom."""
    return {
        "synergy_id": event.synergy_id,
        "resource": event.resource,
        "by": event.actor_name,
        "from_label": STAGE_LABELS[event.from_stage],
        "to_label": STAGE_LABELS[event.to_stage],
        "to_stage": event.to_stage,
        "reason_label": ABANDON_LABELS.get(event.reason or "", ""),
        "note": event.note or "",
    }


def synergy_quiet_context(event: SynergyQuiet) -> dict[str, Any]:
    """A quiet synergy's reminder: which one, since when, at which stage, and what to do next."""
    return {
        "synergy_id": event.synergy_id,
        "resource": event.resource,
        "stage_label": STAGE_LABELS[event.stage],
        "weeks": event.weeks,
        "since": f"{event.quiet_since:%d/%m/%Y}",
        "next_steps": event.next_steps,
    }


def counted(label: str, n: int) -> str:
    """« offre » → « offres » when there are several (the first word takes the plural)."""
    first, _, rest = label.partition(" ")
    return label if n <= 1 else f"{first}s {rest}".strip()


def weekly_summary_context(event: TerritoryWeeklySummary) -> dict[str, Any]:
    """The animateur's week: new actors and listings, matches, synergies opened and moved."""
    listings = sum(event.new_listings.values())
    return {
        "territory_id": event.territory_id,
        "territory_name": event.territory_name,
        "week": event.week,
        "period_from": f"{event.period_from:%d/%m/%Y}",
        "period_to": f"{event.period_to:%d/%m/%Y}",
        "new_organisations": event.new_organisations,
        "new_listings": [
            {"label": counted(LISTING_LABELS.get(kind, kind), n), "count": n}
            for kind, n in sorted(event.new_listings.items())
        ],
        "listings_total": listings,
        "matches_proposed": event.matches_proposed,
        "matches_accepted": event.matches_accepted,
        "synergies_opened": event.synergies_opened,
        "moves": [
            {
                "resource": m.resource,
                "from_label": STAGE_LABELS[m.from_stage],
                "to_label": STAGE_LABELS[m.to_stage],
                "by": m.by,
            }
            for m in event.synergy_moves
        ],
    }


def app_link(kind: str, context: dict[str, Any]) -> str:
    """Where the portal shows what a message is about (a page of `shared/portal/routes.py`, at its card)."""
    if kind == "listing_expiring":
        return f"/annonces#a-{context['listing_id']}"
    if kind in ("synergy_stage", "synergy_quiet"):
        return f"/synergies#s-{context['synergy_id']}"
    if kind == "weekly_summary":
        return "/animation"
    return f"/mises-en-relation#m-{context['match_id']}"


SUBJECTS = {
    "match_proposed": "Nouvelle piste de synergie pour « {own[title]} »",
    "match_responded": "« {own[title]} » : l'autre partie a accepté, à vous de répondre",
    "match_accepted": "Mise en relation confirmée pour « {own[title]} »",
    "match_retracted": "Piste retirée pour « {own[title]} »",
    "listing_expiring": "Votre annonce « {title} » expire le {expires_on}",
    "synergy_stage": "Synergie « {resource} » : {to_label}",
    "synergy_quiet": "À relancer : la synergie « {resource} » n'a pas avancé depuis {weeks} semaines",
    "weekly_summary": "{territory_name} : votre semaine sur Boucle ({week})",
    "bounce_alert": "Adresse en échec : {organisation_name}",
    "account_link": "{headline}",
    "digest": "Votre résumé Boucle : {count} nouveauté{plural}",
}
GROUP_SUBJECTS = {"match_proposed": "Mutualisation possible pour « {own[title]} »"}
SWAP_SUBJECTS = {"match_proposed": "Échange possible : votre « {own[title]} » contre « {gets[title]} »"}
SUMMARIES = {
    "match_proposed": "Une piste de synergie a été trouvée pour votre annonce.",
    "match_responded": "L'autre partie a accepté la mise en relation : à vous de répondre.",
    "match_accepted": "Vous avez tous accepté : les coordonnées sont maintenant visibles.",
    "match_retracted": "Une annonce a été retirée ou modifiée : cette piste n'est plus d'actualité.",
    "listing_expiring": "Votre annonce arrive à expiration : renouvelez-la pour 6 mois ou clôturez-la.",
    "synergy_stage": "Une synergie à laquelle vous participez a changé d'étape.",
    "synergy_quiet": "Une synergie n'a pas avancé depuis des semaines : voici les prochaines étapes.",
    "weekly_summary": "Nouveaux acteurs, annonces, mises en relation et synergies de votre territoire cette semaine.",
}


def subject(kind: str, context: dict[str, Any]) -> str:
    special = {"group": GROUP_SUBJECTS, "swap": SWAP_SUBJECTS}.get(context.get("kind") or "", SUBJECTS)
    template = special.get(kind, SUBJECTS[kind])
    return template.format(**context)


def render(
    kind: str, context: dict[str, Any], *, recipient_name: str, public_url: str, links: dict[str, str] | None = None
) -> Message:
    """The subject, plain text and HTML of a message of `kind`; `links` are the signed action URLs."""
    values = {**context, "recipient_name": recipient_name, "public_url": public_url.rstrip("/"), "links": links or {}}
    env = environment()
    return Message(
        subject=subject(kind, values),
        text=env.get_template(f"email/{kind}.txt").render(values),
        html=env.get_template(f"email/{kind}.html").render(values),
    )
