"""HTTP routes of the animateur's diagnostics import: the template, a preview that writes nothing, the import."""

from datetime import date, datetime, timezone
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from offers import diagnostics, diagnostics_files, diagnostics_service
from offers.accounts_api import AuthDep, Authenticated
from offers.diagnostics_service import import_diagnostics
from offers.models import Listing, Organisation
from shared.geo import Gazetteer
from shared.http import problems
from shared.nomenclatures import ANIMATING_KINDS
from shared.service import ServiceRuntime, SessionDep

IMPORTING_ROLES = ("animateur", "platform_admin")
MAX_FILE_BYTES = 700_000  # the portal sends it again in base64 on « Importer »: under the gateway's 1 MiB


class ColumnOut(BaseModel):
    key: str
    header: str
    required: bool


class RowOut(BaseModel):
    line: int  # as the spreadsheet numbers it
    cells: dict[str, str]  # column key → the cell as read
    errors: dict[str, str]  # column key → what is wrong with it, in French


class PreviewOut(BaseModel):
    """What the import of this file would do; `ok` false: it would do nothing, for `errors` reasons."""

    ok: bool
    errors: int
    problems: list[str]  # about the whole file
    organisations: int
    flows: int
    columns: list[ColumnOut]
    rows: list[RowOut]


class ImportOut(BaseModel):
    organisations_created: int
    organisations_updated: int
    flows_created: int
    flows_updated: int
    unchanged: int
    invited: int  # contacts emailed the link to confirm or refuse their diagnostic
    left_alone: list[str]


class ReviewsOut(BaseModel):
    asked: list[str]  # the organisations emailed a link to review their diagnostic


class ImportedOrganisation(BaseModel):
    """An organisation this animateur imported, and where its consent stands (a refusal deleted it)."""

    id: str
    name: str
    commune: str | None
    diagnosed_on: date | None
    confirmed: bool  # confirmed its diagnostic: an organisation like any other since
    stale: bool  # its diagnostic is over a year old (`POST …/revues` asks those that confirmed to review it)
    flows: int  # its flows (drafts until it confirms)


def preview_out(plan: diagnostics.Preview) -> PreviewOut:
    return PreviewOut(
        ok=plan.ok,
        errors=plan.error_count,
        problems=plan.problems,
        organisations=len(plan.organisations),
        flows=len(plan.flows),
        columns=[ColumnOut(key=c.key, header=c.header, required=c.required) for c in diagnostics.COLUMNS],
        rows=[RowOut(line=row.line, cells=row.cells, errors=row.errors) for row in plan.rows],
    )


def build_diagnostics_router(runtime: ServiceRuntime, gazetteer: Gazetteer) -> APIRouter:
    router = APIRouter(prefix="/api/v1/diagnostics", tags=["diagnostics"], responses=problems(401, 403))
    FileDep = Annotated[UploadFile, File(description="le fichier des diagnostics, .xlsx ou .csv")]

    def importer(auth: Authenticated, session: Session) -> Organisation:
        if auth.principal.role not in IMPORTING_ROLES:
            raise HTTPException(403, detail="Seul l'animateur d'un territoire importe des diagnostics.")
        org = session.get(Organisation, auth.principal.organisation_id)
        assert org is not None
        return org

    def plan_of(upload: UploadFile, org: Organisation) -> diagnostics.Preview:
        """The file read and checked (in the route's worker thread: reading and checking take CPU)."""
        content = upload.file.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise HTTPException(413, detail="Fichier trop lourd : 700 Ko au plus (découpez-le par commune).")
        try:
            headers, lines = diagnostics_files.read(content, upload.filename or "")
        except diagnostics_files.Unreadable as exc:
            raise HTTPException(
                422, detail=[{"loc": ["body", "fichier"], "msg": str(exc), "type": "value_error"}]
            ) from exc
        # A platform admin imports anywhere; an animateur, in its own intercommunalité.
        epci = org.epci if org.kind in ANIMATING_KINDS and org.epci else None
        return diagnostics.preview(headers, lines, gazetteer, epci, date.today())

    @router.get("/modele.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
    def template_csv() -> Response:
        """The template, CSV (`;`, UTF-8): the columns and an example row per direction."""
        return Response(
            diagnostics_files.template_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="modele-diagnostics-boucle.csv"'},
        )

    @router.get("/modele.xlsx", response_class=Response, responses={200: {"content": {diagnostics_files.XLSX: {}}}})
    def template_xlsx() -> Response:
        """The template, XLSX: the columns (explained, lists to choose from), the example rows, a sheet « Aide »."""
        return Response(
            diagnostics_files.template_xlsx(),
            media_type=diagnostics_files.XLSX,
            headers={"Content-Disposition": 'attachment; filename="modele-diagnostics-boucle.xlsx"'},
        )

    @router.get("/organisations", response_model=list[ImportedOrganisation])
    def imported(auth: AuthDep, session: SessionDep) -> list[ImportedOrganisation]:
        """The organisations I imported, by name: who confirmed its diagnostic, who has not answered yet."""
        org = importer(auth, session)
        found = session.exec(
            select(Organisation).where(Organisation.imported_by == org.id).order_by(col(Organisation.name))
        ).all()
        counts = dict(
            session.exec(
                select(Listing.organisation_id, func.count())
                .where(col(Listing.organisation_id).in_([o.id for o in found]))
                .group_by(col(Listing.organisation_id))
            ).all()
        )
        stale_before = (datetime.now(timezone.utc) - diagnostics_service.REVIEW_AFTER).date()
        return [
            ImportedOrganisation(
                id=o.id,
                name=o.name,
                commune=o.commune,
                diagnosed_on=o.diagnosed_on,
                confirmed=o.confirmed_at is not None,
                flows=counts.get(o.id, 0),
                stale=o.diagnosed_on is not None and o.diagnosed_on < stale_before,
            )
            for o in found
        ]

    @router.post("/revues", response_model=ReviewsOut)
    def request_reviews(auth: AuthDep, session: SessionDep) -> ReviewsOut:
        """Ask every organisation I imported whose diagnostic is over a year old to review its flows, in one
        action: each gets an email whose link (30 days) opens its listings, to renew, change or close them."""
        asked = diagnostics_service.request_reviews(session, importer(auth, session), datetime.now(timezone.utc))
        return ReviewsOut(asked=asked)

    @router.post("/apercu", response_model=PreviewOut, responses=problems(413))
    def preview(auth: AuthDep, session: SessionDep, fichier: FileDep) -> PreviewOut:
        """Every row of the file with the error of each cell at fault, and what an import would create or update;
        nothing is written."""
        return preview_out(plan_of(fichier, importer(auth, session)))

    @router.post("", response_model=ImportOut, responses=problems(413))
    def import_file(auth: AuthDep, session: SessionDep, fichier: FileDep) -> ImportOut:
        """Import the file: all of it, or nothing when a cell is wrong (422, its `preview` beside `detail`). The same
        file again changes nothing; a corrected one updates what it corrects."""
        org = importer(auth, session)
        plan = plan_of(fichier, org)
        if not plan.ok:  # a field error on the file, as any 422, with the preview beside it
            message = f"Rien n'est importé : {plan.error_count} erreur(s) à corriger dans le fichier."
            return JSONResponse(
                {
                    "detail": [{"loc": ["body", "fichier"], "msg": message, "type": "value_error"}],  # type: ignore[return-value]
                    "preview": preview_out(plan).model_dump(mode="json"),
                },
                status_code=422,
            )
        done = import_diagnostics(session, org, plan, gazetteer, datetime.now(timezone.utc))
        session.commit()
        return ImportOut(**vars(done))

    return router
