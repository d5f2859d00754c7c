"""Fixtures of the portal's browser tests (helpers: tests/browser/portal.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from shared.devstack import Stack
from tests.browser.portal import SHOTS, Console


@pytest.fixture(scope="session")
def shots_folder() -> Path:
    """The screenshots' folder, emptied once per run and printed."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    print(f"\nCaptures d'écran du portail : {SHOTS}", flush=True)
    return SHOTS


@pytest.fixture(scope="module")
def portal(sqlite_stack: Stack, shots_folder: Path) -> Stack:
    """A whole Boucle on SQLite: the run's shared stack."""
    return sqlite_stack


@pytest.fixture(scope="module")
def console() -> Console:
    return Console()


@pytest.fixture(scope="module")
def new_visitor(chromium_browser: Browser, console: Console) -> Iterator[Callable[..., Page]]:
    """Fresh browser contexts (one per person), closed at the end of the module."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> Page:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = chromium_browser.new_context(locale="fr-FR", **options)
        contexts.append(context)
        return console.watch(context.new_page())

    yield make
    for context in contexts:
        context.close()
