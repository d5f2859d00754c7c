"""Which requests come from a page of another origin (login CSRF, issue 18): `shared.http.from_another_origin`."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from shared.http import from_another_origin, origin_of

OURS = "https://boucle.example"


def request(**headers: str) -> Request:
    raw = [(name.lower().replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Boucle.example:443/liens/compte/x", "https://boucle.example"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", ""),
        ("http://host:notaport", ""),
    ],
)
def test_origin_of_writes_it_as_a_browser_does(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    ("headers", "foreign"),
    [
        ({}, False),  # a script, a test: no browser form
        ({"Origin": OURS, "Sec_Fetch_Site": "same-origin"}, False),
        ({"Origin": "https://boucle.example:443"}, False),
        ({"Sec_Fetch_Site": "same-origin"}, False),
        ({"Sec_Fetch_Site": "none"}, False),  # typed in the address bar
        ({"Sec_Fetch_Site": "cross-site"}, True),
        ({"Origin": "https://attaquant.example"}, True),
        ({"Origin": "null"}, True),  # a sandboxed frame, or a browser too old to say where it comes from
        ({"Origin": "null", "Sec_Fetch_Site": "cross-site"}, True),
        ({"Origin": "null", "Sec_Fetch_Site": "same-site"}, True),
        ({"Origin": "null", "Sec_Fetch_Site": "same-origin"}, False),  # our own page served with no-referrer
        ({"Origin": "http://boucle.example"}, True),  # another scheme
        ({"Origin": "https://boucle.example:8443"}, True),  # another port
        ({"Origin": "https://www.boucle.example", "Sec_Fetch_Site": "same-site"}, True),
        ({"Sec_Fetch_Site": "same-site"}, True),
        ({"Origin": "https://attaquant.example", "Sec_Fetch_Site": "same-origin"}, True),
    ],
)
def test_a_request_from_another_origin_is_foreign(headers: dict[str, str], foreign: bool) -> None:
    assert from_another_origin(request(**headers), OURS + "/") is foreign
