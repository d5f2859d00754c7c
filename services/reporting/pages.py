"""The animateur's dashboard behind a signed link: the page, the CSV export, the printable report and its PDF.

Accounts do not exist yet. `POST /api/v1/territories/{id}/dashboard-link` (api.py) gives the
territory's animateur a link signed for « dashboard » that names the territory, the animateur's
organisation and the animateur, valid 30 days (the weekly summary's link, sent to the collectivité's
address, names no user); the gateway routes `/liens/tableau/…` here. Every request checks the
signature, then that this organisation still animates that approved territory and that this user
(or, for the summary's link, one of its users) still holds the animateur role: a link stops working
when the territory changes hands or its animateur is demoted.

The token sits in the URL, so the answers are neither cached nor sent on as a referrer.
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from sqlmodel import Session, select

from reporting import access, dashboard, display, exports, synergies
from reporting.models import Animateur, KnownOrganisation, Territory
from reporting.territories import APPROVED
from shared.geo import Gazetteer
from shared.links import InvalidLink, LinkSigner
from shared.pages import page_environment
from shared.service import ServiceRuntime, SessionDep

PURPOSE = "dashboard"
LINK_KIND = "tableau"  # /liens/tableau/<token>, routed to reporting by the gateway
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def sign_dashboard_link(signer: LinkSigner, territory: Territory, user_id: str) -> str:
    """A token for the dashboard of `territory`, for its current animateur `user_id`."""
    return signer.sign(PURPOSE, t=territory.territory_id, o=territory.animateur_organisation_id, u=user_id)


def environment() -> Environment:
    """Reporting's templates over the shared layout, with the French formats of `display` as filters."""
    env = page_environment("reporting")
    env.filters.update(
        number=display.number, percent=display.percent, day=display.day, long_day=display.long_day, month=display.month
    )
    return env


class LinkRefused(Exception):
    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code, self.message = status_code, message


def build_link_router(runtime: ServiceRuntime, signer: LinkSigner, gazetteer: Gazetteer) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    FromQ = Annotated[str | None, Query(alias="from")]  # text: a bad date gets a French page, not a JSON 422
    ToQ = Annotated[str | None, Query(alias="to")]
    env = environment()

    def page(template: str, status_code: int = 200, **values: object) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(**values), status_code=status_code, headers=PRIVATE)

    def territory_of(session: Session, token: str) -> Territory:
        try:
            territory_id, organisation_id = signer.claims(PURPOSE, token, "t", "o")
            user_id = signer.verify(PURPOSE, token).get("u")  # absent from the weekly summary's link
        except InvalidLink as exc:
            raise LinkRefused(400, str(exc)) from exc
        territory = session.get(Territory, territory_id)
        if (
            territory is None
            or territory.animateur_organisation_id != organisation_id
            or territory.status != APPROVED
            or not still_animates(session, organisation_id, user_id)
        ):
            raise LinkRefused(
                403, "Ce lien ne donne plus accès à ce territoire : demandez-en un nouveau à l'animateur du territoire."
            )
        return territory

    def still_animates(session: Session, organisation_id: str, user_id: object) -> bool:
        """The link's animateur still holds the role; a link to the collectivité (the weekly summary's,
        sent to its contact address) works while one of its users does."""
        if isinstance(user_id, str):
            animateur = session.get(Animateur, user_id)
            return animateur is not None and animateur.organisation_id == organisation_id
        return session.exec(select(Animateur).where(Animateur.organisation_id == organisation_id)).first() is not None

    def resolve(session: Session, token: str, first: str | None, last: str | None) -> dashboard.Dashboard | Response:
        """The dashboard the link opens, or the French page that says why not (400 link or dates, 403)."""
        try:
            territory = territory_of(session, token)
        except LinkRefused as exc:
            return page("pages/link_error.html", exc.status_code, title="Lien invalide", error=exc.message)
        try:
            period = dashboard.parse_period(first, last, date.today())
        except dashboard.PeriodError as exc:
            return page(
                "pages/dashboard.html",
                400,
                title=f"Tableau de bord — {territory.name}",
                dash=None,
                period_error=exc,
                form={"from": first or "", "to": last or ""},
                links={"self": f"/liens/{LINK_KIND}/{token}"},
            )
        return dashboard.build(session, territory, period, gazetteer)

    def log_export(session: Session, dash: dashboard.Dashboard, what: str) -> None:
        """An export names the parties of the synergies it holds: each is told in its access log."""
        owners = {o for row in dash.synergies for o in synergies.party_ids(session, row.synergy_id)}
        animateur = session.get(KnownOrganisation, dash.territory.animateur_organisation_id)
        access.record_access(
            session,
            owners=owners,
            reader_organisation_id=dash.territory.animateur_organisation_id,
            reader_name=animateur.name if animateur else "l'animateur du territoire",
            what=what,
            territory_id=dash.territory.territory_id,
        )
        session.commit()

    def links(token: str, dash: dashboard.Dashboard) -> dict[str, str]:
        query = f"from={dash.period.first.isoformat()}&to={dash.period.last.isoformat()}"
        base = f"/liens/{LINK_KIND}/{token}"
        return {
            "self": base,
            "csv": f"{base}/export.csv?{query}",
            "report": f"{base}/rapport?{query}",
            "pdf": f"{base}/rapport.pdf?{query}",
        }

    def report_html(dash: dashboard.Dashboard) -> str:
        return env.get_template("pages/report.html").render(
            title=f"Bilan des synergies — {dash.territory.name}",
            dash=dash,
            charts=dashboard.figures(dash),
            today=date.today(),
            printed=True,
        )

    def file_name(kind: str, dash: dashboard.Dashboard, extension: str) -> str:
        return f"boucle-{kind}-{dash.period.first.isoformat()}-{dash.period.last.isoformat()}.{extension}"

    @router.get(f"/liens/{LINK_KIND}/{{token}}", response_class=HTMLResponse)
    def show(token: str, session: SessionDep, first: FromQ = None, last: ToQ = None) -> Response:
        """The dashboard of the territory for the period of the form (this calendar year by default)."""
        dash = resolve(session, token, first, last)
        if isinstance(dash, Response):
            return dash
        return page(
            "pages/dashboard.html",
            title=f"Tableau de bord — {dash.territory.name}",
            dash=dash,
            charts=dashboard.figures(dash),
            links=links(token, dash),
            form={"from": dash.period.first.isoformat(), "to": dash.period.last.isoformat()},
        )

    @router.get(f"/liens/{LINK_KIND}/{{token}}/export.csv")
    def export_csv(token: str, session: SessionDep, first: FromQ = None, last: ToQ = None) -> Response:
        """The synergies and their figures for the period, for a spreadsheet (`;`, UTF-8 with BOM)."""
        dash = resolve(session, token, first, last)
        if isinstance(dash, Response):
            return dash
        log_export(session, dash, "export CSV des synergies")
        return Response(
            exports.synergies_csv(dash),
            media_type="text/csv; charset=utf-8",
            headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{file_name("synergies", dash, "csv")}"'},
        )

    @router.get(f"/liens/{LINK_KIND}/{{token}}/rapport", response_class=HTMLResponse)
    def printable(token: str, session: SessionDep, first: FromQ = None, last: ToQ = None) -> Response:
        """The report for the comité de pilotage, as a printable page (the source of the PDF)."""
        dash = resolve(session, token, first, last)
        if isinstance(dash, Response):
            return dash
        return HTMLResponse(report_html(dash), headers=PRIVATE)

    @router.get(f"/liens/{LINK_KIND}/{{token}}/rapport.pdf")
    def printable_pdf(token: str, session: SessionDep, first: FromQ = None, last: ToQ = None) -> Response:
        """The report for the comité de pilotage as a PDF."""
        dash = resolve(session, token, first, last)
        if isinstance(dash, Response):
            return dash
        log_export(session, dash, "bilan PDF pour le comité de pilotage")
        return Response(
            exports.pdf(report_html(dash)),
            media_type="application/pdf",
            headers={**PRIVATE, "Content-Disposition": f'inline; filename="{file_name("bilan", dash, "pdf")}"'},
        )

    return router
