"""The animateur's dashboard in headless Chromium: the figures on screen, the SVG map and its markers,
the period form, a phone's width, and no console error. Screenshots: /tmp/dashboard.png, /tmp/dashboard-phone.png.

The stack (SQLite) and its scenario are those of tests/e2e/test_dashboard.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.conftest import Databases, make_stack
from tests.e2e.test_dashboard import ACTORS, GISEMENTS, build_scenario

SCREENSHOT = "/tmp/dashboard.png"
PHONE_SCREENSHOT = "/tmp/dashboard-phone.png"
YEAR_2025 = "from=2025-01-01&to=2025-12-31"
NNBSP = "\u202f"


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[str]:
    """A whole Boucle on SQLite with the dashboard scenario; yields the animateur's signed link."""
    stack = make_stack(tmp_path_factory.mktemp("stack-dashboard"), databases, "sqlite")
    try:
        stack.start()
        stack.wait_healthy(consumers_joined=True)
        with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
            yield build_scenario(stack, client)["url"]
    finally:
        stack.stop()


def watch_console(page: Page) -> list[str]:
    """Errors the page logs or throws, collected while the test runs.

    The browser's own request for /favicon.ico is left aside: the gateway serves no icon (not this page's doing).
    """
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_figures_map_and_method_are_on_screen(browser_page: Page, dashboard_url: str) -> None:
    page = browser_page
    errors = watch_console(page)
    response = page.goto(f"{dashboard_url}?{YEAR_2025}")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord — Côte de Beaune et de Nuits")

    km = page.locator('[data-indicator="km_avoided"]')
    expect(km.get_by_role("heading")).to_have_text("Kilomètres évités")
    expect(km.locator(".figure")).to_have_text(f"12{NNBSP}960")
    expect(km.locator(".figure")).to_be_visible()
    expect(page.locator('[data-indicator="truck_trips_avoided"] .figure')).to_have_text("36")
    expect(page.locator('[data-indicator="co2e_total_t"] .figure')).to_have_text("16,3")
    expect(page.locator('[data-indicator="euros_saved"] .figure')).to_have_text(f"7{NNBSP}200")

    chart = page.get_by_role("img", name="Kilomètres évités par mois")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.column")).to_have_count(12)

    territory_map = page.get_by_role("img", name="Carte du territoire Côte de Beaune et de Nuits")
    expect(territory_map).to_be_visible()
    expect(territory_map.locator(".marker")).to_have_count(ACTORS + GISEMENTS)
    expect(territory_map.locator(".marker-actor")).to_have_count(ACTORS)
    expect(territory_map.locator(".marker-gisement")).to_have_count(GISEMENTS)
    expect(territory_map.locator("circle.commune")).to_have_count(2)
    expect(territory_map.locator("text", has_text="Nuits-Saint-Georges")).to_be_visible()

    synergies = page.get_by_role("table", name=re.compile("Synergies du territoire"))
    row = synergies.get_by_role("row", name=re.compile("Chutes de carton ondulé"))
    expect(row).to_be_visible()
    expect(row).to_contain_text("en fonctionnement")
    expect(page.get_by_role("heading", name="Méthode et sources")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Flux comptabilisés"))).to_contain_text("articulated_40t")
    expect(page.get_by_role("link", name="Export CSV des synergies")).to_have_attribute(
        "href", re.compile(r"/export\.csv\?from=2025-01-01&to=2025-12-31$")
    )
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert errors == []


def test_the_period_form_changes_the_figures(browser_page: Page, dashboard_url: str) -> None:
    page = browser_page
    errors = watch_console(page)
    page.goto(dashboard_url)
    page.get_by_label("Du", exact=True).fill("2025-01-01")
    page.get_by_label("Au (inclus)", exact=True).fill("2025-06-30")
    page.get_by_role("button", name="Afficher la période").click()
    expect(page).to_have_url(re.compile(r"from=2025-01-01&to=2025-06-30"))
    expect(page.locator('[data-indicator="km_avoided"] .figure')).to_have_text(f"6{NNBSP}480")  # 6 months × 1 080
    expect(page.get_by_role("img", name="Kilomètres évités par mois").locator("rect.column")).to_have_count(6)
    assert errors == []


def test_a_bad_date_is_explained_next_to_the_form(browser_page: Page, dashboard_url: str) -> None:
    page = browser_page
    response = page.goto(f"{dashboard_url}?from=2025-02-30&to=2025-12-31")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("Date de début illisible « 2025-02-30 »")
    expect(page.get_by_label("Du", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-indicator]")).to_have_count(0)


def test_on_a_phone(chromium_browser, dashboard_url: str) -> None:
    context = chromium_browser.new_context(
        locale="fr-FR", viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        errors = watch_console(page)
        page.goto(f"{dashboard_url}?{YEAR_2025}")
        expect(page.locator('[data-indicator="km_avoided"] .figure')).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("Carte du territoire")).locator(".marker")).to_have_count(
            ACTORS + GISEMENTS
        )
        # Nothing wider than the screen but the tables, which scroll inside their own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=PHONE_SCREENSHOT, full_page=True)
        assert errors == []
    finally:
        context.close()
