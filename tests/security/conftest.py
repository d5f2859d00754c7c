"""Fixtures of the security tests: the stack comes from tests/conftest.py, chromium from the browser tests."""

from tests.browser.conftest import chromium_browser  # noqa: F401  (re-exported fixture)
