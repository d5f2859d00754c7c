"""What the browser tests of the portal share: the run's SQLite stack as the portal, fresh browser contexts that
watch the console, screenshots at 1280 and 375 px in $BOUCLE_ARTIFACTS/portal (default /tmp/boucle-artifacts/portal).

The fixtures (`portal`, `console`, `new_visitor`) are in this folder's conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page

SHOTS = Path(os.environ.get("BOUCLE_ARTIFACTS", "/tmp/boucle-artifacts")) / "portal"
PHONE = {"width": 375, "height": 812}


class Console:
    """Errors pages log or throw. A page answered on purpose with an error status (a form sent back with its
    errors) makes Chromium log « Failed to load resource … status of 422 » for the page itself: `allow` that."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: set[tuple[str, int]] = set()

    def watch(self, page: Page) -> Page:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"{message.text} ({message.location.get('url')})")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"{exc} ({page.url})"))
        return page

    def allow(self, url: str, status: int) -> None:
        self.allowed.add((url, status))

    def unexpected(self) -> list[str]:
        return [
            e
            for e in self.errors
            if not any(
                e == f"Failed to load resource: the server responded with a status of {status} "
                f"({STATUS_TEXT[status]}) ({url})"
                for url, status in self.allowed
            )
        ]


STATUS_TEXT = {422: "Unprocessable Entity", 403: "Forbidden", 404: "Not Found"}


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
