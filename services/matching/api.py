"""HTTP routes of the matching service (API v1): the caller's matches and its answers."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlmodel import Session, col, select

from matching.engine.explain import transport_note
from matching.models import IndexedListing, Match, MatchMember
from shared import topics
from shared.events import MatchConcluded, MatchObligation, MatchParty, MatchResponded, new_event
from shared.http import Caller, RemoteAuthenticator, problems, refuse_nul
from shared.links import InvalidLink, LinkSigner
from shared.outbox import add_event
from shared.pages import page_environment
from shared.service import ServiceRuntime, SessionDep
from shared.units import quantity_text

PRODUCER = "matching"
REVIEWERS = ("animateur", "platform_admin")  # who reviews the listings the engine could not place, and teaches it


def require_reviewer(caller: Caller) -> None:
    """403 unless the caller animates a territory or belongs to the platform's team."""
    if caller.role not in REVIEWERS:
        raise HTTPException(403, detail="Réservé aux animateurs et à l'équipe de la plateforme.")


class Counterpart(BaseModel):
    """Another side of a match, anonymised until every side accepts."""

    kind: str
    title: str
    commune: str | None
    quantity_approx: str | None
    distance_km: float | None
    terms: str | None = None  # free, for_sale, negotiable (shared.nomenclatures.LISTING_TERMS)
    transport_by: str | None = None  # giver, taker, either (shared.nomenclatures.TRANSPORT_BY)
    transport_means: str | None = None  # van, tractor_trailer… (shared.nomenclatures.TRANSPORT_MEANS)
    # Once every side accepted: the description, the exact quantity (None when kept private) and the price.
    description: str | None = None
    quantity: str | None = None
    price: str | None = None


class UnplacedListing(BaseModel):
    """A listing the engine could not place in its taxonomy: matched on text only."""

    listing_id: str
    kind: str
    title: str
    commune: str | None


class MatchPublic(BaseModel):
    id: str
    kind: str  # pair | group | swap
    score: float
    explanation: str  # what this organisation reads
    listing_id: str
    status: str
    my_response: str | None
    counterpart: Counterpart | None  # pairs
    members: list[Counterpart]  # groups: the other members; swaps: the other organisation's two listings
    obligations: list[MatchObligation] = []  # what the exchange requires under the law, with its texts
    transport: str | None = None  # who carries, as both sides said it (pairs; None when neither said)
    flagged: bool = False  # resting on the text or the meaning of words, not on a rule: the animateur checks it


def build_router(runtime: ServiceRuntime, authenticate: RemoteAuthenticator) -> APIRouter:
    router = APIRouter(prefix="/api/v1", responses=problems(400, 401), dependencies=[Depends(refuse_nul)])
    CallerDep = Annotated[Caller, Depends(authenticate)]

    @router.get("/matches", response_model=list[MatchPublic], tags=["mises en relation"])
    def my_matches(caller: CallerDep, session: SessionDep, status: str | None = None) -> list[MatchPublic]:
        """The caller's matches, best first; the counterparts stay anonymous.

        Retracted matches (a listing withdrawn or changed) are left out unless asked for
        with `status=retracted`.
        """
        query = (
            select(Match, MatchMember)
            .join(MatchMember)
            .where(MatchMember.organisation_id == caller.organisation_id, col(Match.held).is_(False))
        )
        query = query.where(Match.status == status) if status else query.where(Match.status != "retracted")
        rows = session.exec(query.order_by(col(Match.score).desc(), col(MatchMember.role).desc())).all()
        once: dict[str, tuple[Match, MatchMember]] = {}
        for match, member in rows:  # a swap names two listings of the organisation: shown once, from its supply
            once.setdefault(match.id, (match, member))
        return [present(session, match, member) for match, member in once.values()]

    @router.get(
        "/matches/unplaced", response_model=list[UnplacedListing], responses=problems(403), tags=["mises en relation"]
    )
    def unplaced(caller: CallerDep, session: SessionDep) -> list[UnplacedListing]:
        """Active listings the engine could not place: the animateurs and the platform's team review them (and
        the knowledge base learns from them); not a company's to browse."""
        require_reviewer(caller)
        rows = session.exec(
            select(IndexedListing)
            .where(col(IndexedListing.active).is_(True), col(IndexedListing.placed).is_(False))
            .order_by(col(IndexedListing.seq).desc())
            .limit(500)
        ).all()
        return [UnplacedListing(listing_id=r.listing_id, kind=r.kind, title=r.title, commune=r.commune) for r in rows]

    @router.post(
        "/matches/{match_id}/accept",
        response_model=MatchPublic,
        responses=problems(404, 409),
        tags=["mises en relation"],
    )
    def accept(match_id: str, caller: CallerDep, session: SessionDep) -> MatchPublic:
        """Accept a match; when every side has accepted, it becomes `accepted`."""
        return respond(session, runtime, match_id, caller, "accepted")

    @router.post(
        "/matches/{match_id}/decline",
        response_model=MatchPublic,
        responses=problems(404, 409),
        tags=["mises en relation"],
    )
    def decline(match_id: str, caller: CallerDep, session: SessionDep) -> MatchPublic:
        """Decline a match; a declined pair is never proposed again."""
        return respond(session, runtime, match_id, caller, "declined")

    return router


def build_link_router(runtime: ServiceRuntime, signer: LinkSigner) -> APIRouter:
    """The page an email's « Répondre » link opens: answer without a password, through a signed link.

    GET only shows (mail scanners follow links); the answer is a POST from the page's buttons.
    """
    router = APIRouter(include_in_schema=False)
    template = page_environment("matching").get_template("pages/respond.html")

    def page(session: Session, token: str, action: str | None) -> HTMLResponse:
        try:
            match_id, organisation_id = signer.claims("match-response", token, "m", "o")
        except InvalidLink as exc:
            return HTMLResponse(template.render(title="Lien invalide", error=str(exc)), status_code=400)
        caller = Caller(organisation_id=organisation_id, name="")
        done = None
        if action is not None:
            if action not in ("accept", "decline"):
                return HTMLResponse(template.render(title="Réponse", error="Réponse inconnue."), status_code=422)
            try:
                respond(session, runtime, match_id, caller, "accepted" if action == "accept" else "declined")
            except HTTPException as exc:
                return HTMLResponse(template.render(title="Réponse", error=exc.detail), status_code=exc.status_code)
            done = "Merci, votre réponse est enregistrée."
        match = session.get(Match, match_id)
        mine = session.exec(
            select(MatchMember).where(MatchMember.match_id == match_id, MatchMember.organisation_id == organisation_id)
        ).first()
        if match is None or mine is None or match.held:
            return HTMLResponse(
                template.render(title="Réponse", error="Mise en relation introuvable."), status_code=404
            )
        return HTMLResponse(
            template.render(title="Mise en relation proposée", done=done, match=present(session, match, mine))
        )

    @router.get("/liens/reponse/{token}", response_class=HTMLResponse)
    def show(token: str, session: SessionDep) -> HTMLResponse:
        return page(session, token, None)

    @router.post("/liens/reponse/{token}", response_class=HTMLResponse)
    def answer(token: str, session: SessionDep, action: Annotated[str, Form()]) -> HTMLResponse:
        return page(session, token, action)

    return router


def respond(session: Session, runtime: ServiceRuntime, match_id: str, caller: Caller, response: str) -> MatchPublic:
    """Record one organisation's answer; conclude the match when everyone has answered."""
    match = session.get(Match, match_id)
    mine = session.exec(
        select(MatchMember).where(
            MatchMember.match_id == match_id, MatchMember.organisation_id == caller.organisation_id
        )
    ).first()
    if match is None or mine is None or match.held:  # held: its parties do not know of it yet
        raise HTTPException(404, detail="Mise en relation introuvable.")
    if match.status != "proposed":
        raise HTTPException(409, detail=f"Cette mise en relation n'attend plus de réponse ({match.status}).")
    members = session.exec(select(MatchMember).where(MatchMember.match_id == match_id)).all()
    for member in members:  # an organisation answers once, for all its listings in the match (a swap has two)
        if member.organisation_id == caller.organisation_id:
            member.response = response
            session.add(member)
    still_in = {m.organisation_id for m in members if m.response != "declined"}
    outcome = None
    if (match.kind in ("pair", "swap") and response == "declined") or len(still_in) < 2:
        outcome = "declined"
    elif all(m.response == "accepted" for m in members if m.organisation_id in still_in):
        outcome = "accepted"
    awaiting = [] if outcome else list(dict.fromkeys(m.organisation_id for m in members if m.response is None))
    add_event(
        session,
        topics.MATCHES,
        new_event(
            "match.responded",
            MatchResponded(
                match_id=match.id,
                organisation_id=caller.organisation_id,
                response=response,  # type: ignore[arg-type]
                awaiting=awaiting,
            ),
            producer=PRODUCER,
            key=match.id,
        ),
    )
    if outcome:
        match.status = outcome
        session.add(match)
        parties = [party(session, m, revealed=outcome == "accepted") for m in members]
        add_event(
            session,
            topics.MATCHES,
            new_event(
                f"match.{outcome}", MatchConcluded(match_id=match.id, parties=parties), producer=PRODUCER, key=match.id
            ),
        )
    session.commit()
    session.refresh(mine)
    return present(session, match, mine)


def party(session: Session, member: MatchMember, *, revealed: bool = False) -> MatchParty:
    """One side as the event tells it; `revealed` (every side accepted) adds the description and exact quantity."""
    row = session.get(IndexedListing, member.listing_id)
    description, exact = revealed_details(row) if revealed and row is not None else (None, None)
    return MatchParty(
        organisation_id=member.organisation_id,
        listing_id=member.listing_id,
        kind=row.kind if row else "offer",  # type: ignore[arg-type]
        title=row.title if row else "",
        commune=row.commune if row else None,
        description=description,
        quantity_exact=exact,
        terms=row.terms if row else None,
        price=row.price if revealed and row else None,
    )


def revealed_details(row: IndexedListing) -> tuple[str | None, str | None]:
    """What the other sides see of a listing once everyone accepted: its description and exact quantity."""
    exact = None if row.quantity_private else quantity_text(row.quantity_value, row.quantity_unit, row.frequency)
    return row.description or None, exact


def counterpart(session: Session, match: Match, member: MatchMember) -> Counterpart:
    row = session.get(IndexedListing, member.listing_id)
    description, exact = revealed_details(row) if match.status == "accepted" and row is not None else (None, None)
    return Counterpart(
        kind=row.kind if row else "?",
        title=row.title if row else "",
        commune=row.commune if row else None,
        quantity_approx=quantity_text(row.quantity_value, row.quantity_unit, row.frequency, approximate=True)
        if row and not row.quantity_private
        else None,
        distance_km=match.distance_km,
        description=description,
        quantity=exact,
        terms=row.terms if row else None,
        transport_by=row.transport_by if row else None,
        transport_means=row.transport_means if row else None,
        price=row.price if row and match.status == "accepted" else None,
    )


def present(session: Session, match: Match, mine: MatchMember) -> MatchPublic:
    """The match as `mine`'s organisation sees it: the others' listings (a swap: both of the other organisation's)."""
    others = session.exec(
        select(MatchMember).where(MatchMember.match_id == match.id, MatchMember.organisation_id != mine.organisation_id)
    ).all()
    views = [counterpart(session, match, other) for other in others]
    transport = None
    if match.kind == "pair" and others:
        rows = [session.get(IndexedListing, member.listing_id) for member in (mine, others[0])]
        sides = {row.kind: row for row in rows if row is not None}
        giver, taker = sides.get("offer") or sides.get("share"), sides.get("need") or sides.get("pool")
        if giver is not None and taker is not None:
            transport = transport_note(
                giver.transport_by, giver.transport_means, taker.transport_by, taker.transport_means
            )
    return MatchPublic(
        id=match.id,
        kind=match.kind,
        score=match.score,
        explanation=mine.explanation,
        listing_id=mine.listing_id,
        status=match.status,
        my_response=mine.response,
        counterpart=views[0] if match.kind == "pair" and views else None,
        members=views if match.kind in ("group", "swap") else [],
        obligations=[MatchObligation.model_validate(o) for o in match.obligations],
        transport=transport,
        flagged=match.flagged,
    )
