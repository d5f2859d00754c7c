"""The tests' one-off HTTP calls: `web.get(url)` is `httpx.get(url)` without loading the CA bundle again.

httpx builds an SSL context (reading the CA bundle: ~20 ms of CPU) for every client it makes, and a module-level
call (`httpx.get`…) is a client of its own: the tests' polling loops, a call every tenth of a second while they
wait for an email or an event, paid it thousands of times a run. These pass the process's one context instead.
"""

from __future__ import annotations

from typing import Any

import httpx

from shared.http import tls_context


def request(method: str, url: str, **options: Any) -> httpx.Response:
    options.setdefault("verify", tls_context())
    return httpx.request(method, url, **options)


def get(url: str, **options: Any) -> httpx.Response:
    return request("GET", url, **options)


def post(url: str, **options: Any) -> httpx.Response:
    return request("POST", url, **options)


def put(url: str, **options: Any) -> httpx.Response:
    return request("PUT", url, **options)


def patch(url: str, **options: Any) -> httpx.Response:
    return request("PATCH", url, **options)


def delete(url: str, **options: Any) -> httpx.Response:
    return request("DELETE", url, **options)
