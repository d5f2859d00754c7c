"""HTTP routes of the notifications service: in-app notifications, preferences, delivery log,
and the unsubscribe page reached from every email."""

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlmodel import Session, col, select

from notifications.models import (
    MESSAGE_KINDS,
    MODES,
    Contact,
    InAppNotification,
    KnownMatch,
    OutgoingEmail,
    Preference,
)
from notifications.preferences import all_off, claimed_revisions, described, set_modes, stale, states
from shared.http import Caller, RemoteAuthenticator, field_error, problems, refuse_nul
from shared.links import InvalidLink, LinkSigner
from shared.pages import page_environment
from shared.service import ServiceRuntime, SessionDep


class NotificationPublic(BaseModel):
    id: str
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read: bool


class Delivery(BaseModel):
    """One email and what became of it."""

    id: str
    kind: str
    status: str
    recipient: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class RevealedContact(BaseModel):
    """Another party of a match every side accepted: who it is and how to reach it."""

    match_id: str
    organisation_id: str
    name: str
    email: str
    commune: str | None
    title: str  # its listing


def build_router(runtime: ServiceRuntime, authenticate: RemoteAuthenticator, signer: LinkSigner) -> APIRouter:
    router = APIRouter(responses=problems(400, 401), dependencies=[Depends(refuse_nul)])
    CallerDep = Annotated[Caller, Depends(authenticate)]
    pages = page_environment("notifications")

    @router.get("/api/v1/notifications", response_model=list[NotificationPublic], tags=["notifications"])
    def my_notifications(caller: CallerDep, session: SessionDep, unread: bool = False) -> list[NotificationPublic]:
        """The caller's notifications, newest first."""
        query = select(InAppNotification).where(InAppNotification.organisation_id == caller.organisation_id)
        if unread:
            query = query.where(col(InAppNotification.read_at).is_(None))
        rows = session.exec(query.order_by(col(InAppNotification.created_at).desc()).limit(200)).all()
        return [
            NotificationPublic(
                id=r.id,
                kind=r.kind,
                title=r.title,
                body=r.body,
                link=r.link,
                created_at=r.created_at,
                read=r.read_at is not None,
            )
            for r in rows
        ]

    @router.post("/api/v1/notifications/{notification_id}/read", responses=problems(404), tags=["notifications"])
    def mark_read(notification_id: str, caller: CallerDep, session: SessionDep) -> dict[str, str]:
        """Mark one of the caller's notifications as read."""
        row = session.get(InAppNotification, notification_id)
        if row is None or row.organisation_id != caller.organisation_id:
            raise HTTPException(404, detail="Notification introuvable.")
        row.read_at = row.read_at or datetime.now(timezone.utc)
        session.add(row)
        session.commit()
        return {"id": row.id, "status": "read"}

    @router.get("/api/v1/notifications/preferences", tags=["notifications"])
    def preferences(caller: CallerDep, session: SessionDep) -> dict[str, str]:
        """How each kind of message reaches the caller: instant, daily, weekly or off."""
        stored = {
            p.kind: p.mode
            for p in session.exec(select(Preference).where(Preference.organisation_id == caller.organisation_id))
        }
        return {kind: stored.get(kind, "instant") for kind in MESSAGE_KINDS}

    @router.put("/api/v1/notifications/preferences", responses=problems(400, 403), tags=["notifications"])
    def set_preferences(changes: dict[str, str], caller: CallerDep, session: SessionDep) -> dict[str, str]:
        """Change the mode of some kinds of message (the organisation's administrators: they are its emails)."""
        if caller.role == "member":
            raise HTTPException(
                403,
                detail="Seuls les administrateurs de l'organisation changent ses envois "
                "d'emails : demandez-le à l'un d'eux.",
            )
        for kind, mode in changes.items():
            if kind not in MESSAGE_KINDS:
                raise field_error(kind, f"Type de message inconnu ; attendus : {', '.join(MESSAGE_KINDS)}.")
            if mode not in MODES:
                raise field_error(kind, f"Mode « {mode} » inconnu ; attendus : {', '.join(MODES)}.")
        set_modes(session, caller.organisation_id, changes)
        session.commit()
        return preferences(caller, session)

    @router.get("/api/v1/notifications/contacts", response_model=list[RevealedContact], tags=["notifications"])
    def contacts(caller: CallerDep, session: SessionDep) -> list[RevealedContact]:
        """The other parties of the caller's accepted matches and their contact, as the acceptance email gave them.

        Only matches whose `match.accepted` reached the caller count: before that, nobody's name is shown.
        """
        keys = session.exec(
            select(InAppNotification.dedup_key).where(
                InAppNotification.organisation_id == caller.organisation_id, InAppNotification.kind == "match_accepted"
            )
        ).all()
        revealed = []
        for key in keys:
            match_id = key.split(":")[1]  # consumer.on_match_accepted: match.accepted:<match>:<organisation>
            known = session.get(KnownMatch, match_id)
            for party in known.parties if known else []:
                contact = session.get(Contact, party["organisation_id"])
                if party["organisation_id"] != caller.organisation_id and contact is not None:
                    revealed.append(
                        RevealedContact(
                            match_id=match_id,
                            organisation_id=contact.organisation_id,
                            name=contact.name,
                            email=contact.email,
                            commune=party.get("commune") or contact.commune,
                            title=party.get("title", ""),
                        )
                    )
        return revealed

    @router.get("/api/v1/notifications/deliveries", response_model=list[Delivery], tags=["notifications"])
    def deliveries(caller: CallerDep, session: SessionDep) -> list[Delivery]:
        """The delivery log of the caller's emails, newest first."""
        rows = session.exec(
            select(OutgoingEmail)
            .where(OutgoingEmail.organisation_id == caller.organisation_id)
            .order_by(col(OutgoingEmail.created_at).desc())
            .limit(200)
        ).all()
        return [Delivery(**row.model_dump(include=set(Delivery.model_fields))) for row in rows]

    def unsubscribe_page(token: str, session: Session, *, confirm: bool) -> HTMLResponse:
        """The link switches off the kinds of its email, and only while none of them changed since it went out."""
        template = pages.get_template("pages/unsubscribe.html")

        def refused(error: str, status_code: int) -> HTMLResponse:
            return HTMLResponse(
                template.render(
                    title="Lien invalide" if status_code == 400 else "Lien périmé",
                    error=error,
                    stale=status_code != 400,
                ),
                status_code=status_code,
            )

        try:
            claims = signer.verify("unsubscribe", token)
        except InvalidLink as exc:
            return refused(str(exc), 400)
        organisation_id, revisions = claims.get("o"), claimed_revisions(claims.get("k"))
        if not isinstance(organisation_id, str) or ("k" in claims and revisions is None):
            return refused("Ce lien n'est pas valide.", 400)
        contact = session.get(Contact, organisation_id)
        if contact is None:  # erased since
            return refused(
                "Ce lien de désabonnement n'est plus valable : cette organisation n'est plus sur Boucle.", 410
            )
        if revisions is None:  # a link of before, that switched off every kind
            return refused(
                "Ce lien de désabonnement n'est plus valable : il date d'une version précédente de "
                "Boucle. Choisissez ce que Boucle vous envoie depuis vos préférences, ou utilisez le lien "
                "d'un email plus récent.",
                410,
            )
        current = states(session, [organisation_id]).get(organisation_id, {})
        what = described(revisions)
        if stale(revisions, current):
            if all_off(revisions, current):  # used already, or switched off since: nothing to change
                return HTMLResponse(template.render(title="Désabonnement", name=contact.name, what=what, already=True))
            return refused(
                f"Ce lien de désabonnement n'est plus valable : les préférences d'emails de "
                f"{contact.name} ont changé depuis l'envoi de ce message. Choisissez ce que Boucle vous "
                f"envoie depuis vos préférences.",
                410,
            )
        if confirm:
            set_modes(session, organisation_id, dict.fromkeys(revisions, "off"))
            session.commit()
        return HTMLResponse(template.render(title="Désabonnement", name=contact.name, what=what, done=confirm))

    @router.get("/liens/desabonnement/{token}", response_class=HTMLResponse, include_in_schema=False)
    def unsubscribe_form(token: str, session: SessionDep) -> HTMLResponse:
        return unsubscribe_page(token, session, confirm=False)

    @router.post("/liens/desabonnement/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def unsubscribe(token: str, request: Request, session: SessionDep) -> HTMLResponse:
        """The page's button, or a mail client's one-click (RFC 8058) POST."""
        await request.body()
        return unsubscribe_page(token, session, confirm=True)

    return router
