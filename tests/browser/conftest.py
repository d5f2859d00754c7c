"""Browser fixtures: Playwright driving Debian's chromium (no browser download)."""

from __future__ import annotations

import os

import pytest

CHROMIUM_PATH = os.environ.get("BOUCLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium_browser():
    """A headless Debian chromium shared by the whole test session."""
    if not os.path.exists(CHROMIUM_PATH):
        pytest.fail(f"chromium not found at {CHROMIUM_PATH}: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium_browser):
    """A fresh page in its own browser context, closed after the test."""
    context = chromium_browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()
