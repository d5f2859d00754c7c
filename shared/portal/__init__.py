"""The public web portal: French, server-rendered pages served by the gateway on :8000.

Pages call the services' APIs server-side (`backend`), with the visitor's session cookie and, for
changes, its CSRF token; every form of a page carries that token too (`visit`). `install(app, settings)`
adds the pages, their static files (`/static/portail/`) and the answers for a refused form (403), a
page that needs a session (303 to `/connexion`), offers out of reach (503) and an unknown address (a
French 404 page for a browser, French JSON otherwise).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.portal.routes import build_router
from shared.portal.visit import FormRefused, LoginRequired, ServiceDown, page_templates
from shared.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
# Starlette's own English details, in French.
HTTP_ERRORS = {"Not Found": "Ressource introuvable.", "Method Not Allowed": "Méthode non permise sur cette adresse."}


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the portal's pages from `app` (the gateway)."""
    templates = page_templates()
    app.include_router(build_router(settings))
    app.mount("/static/portail", StaticFiles(directory=STATIC_DIR), name="portal-static")

    def page(request: Request, name: str, status: int) -> HTMLResponse:
        html = templates.get_template(f"portal/{name}.html").render(account=None, here=request.url.path, csrf="")
        return HTMLResponse(html, status_code=status)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers ask for it on every page, those of the services' signed links included."""
        return FileResponse(STATIC_DIR / "boucle.svg", media_type="image/svg+xml")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/connexion?suite={quote(exc.path)}", status_code=303)

    @app.exception_handler(FormRefused)
    async def form_refused(request: Request, exc: FormRefused) -> HTMLResponse:
        return page(request, "refused", 403)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """No route here: a page in French for a browser, a French JSON `detail` for a program."""
        wants_page = "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/api/")
        if exc.status_code == 404 and wants_page:
            return page(request, "not_found", 404)
        detail = HTTP_ERRORS.get(exc.detail, exc.detail) if isinstance(exc.detail, str) else exc.detail
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(ServiceDown)
    async def service_down(request: Request, exc: ServiceDown) -> HTMLResponse:
        return page(request, "unavailable", 503)
