"""The gateway's request metrics: a bounded set of route groups, served to private addresses only (issue 19)."""

from __future__ import annotations

from shared.gateway import private_client, route_group

PAGES = frozenset({"annonces", "synergies", "etat"})


def test_route_groups_are_few_whatever_the_path() -> None:
    assert route_group("/api/v1/listings/123/pause", PAGES) == "api:listings"
    assert route_group("/api/v1/nimporte/quoi", PAGES) == "api:other"
    assert route_group("/liens/reponse/abc.def", PAGES) == "liens:reponse"
    assert route_group("/liens/inconnu/x", PAGES) == "liens:other"
    assert route_group("/annonces/nouvelle", PAGES) == "annonces"
    assert route_group("/", PAGES) == "accueil"
    assert route_group("/wp-admin/login.php", PAGES) == "other"  # a scanner's paths add no series


def test_metrics_are_for_a_scraper_on_a_private_network() -> None:
    assert private_client("127.0.0.1") and private_client("10.2.3.4") and private_client("::1")
    assert not private_client("90.120.3.7") and not private_client(None) and not private_client("pas une ip")


def test_access_lines_keep_neither_the_client_address_nor_a_signed_links_token() -> None:
    """Issue 18, finding 10: service logs held client IPs and full signed-link tokens (a login link's is a key)."""
    import logging

    from shared.observability import AccessLogRedaction

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.7:51234", "POST", "/liens/compte/eyJ1IjoiYWJjIn0.c2lnbmF0dXJl?x=1", "1.1", 303),
        None,
    )
    assert AccessLogRedaction().filter(record)
    line = record.getMessage()
    assert line == '- - "POST /liens/compte/…?x=1 HTTP/1.1" 303'
    other = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/api/v1/listings/abc", "1.1", 200),
        None,
    )
    AccessLogRedaction().filter(other)
    assert other.getMessage() == '- - "GET /api/v1/listings/abc HTTP/1.1" 200'
