"""Signed links: they carry who may do what, cannot be altered, and expire."""

from __future__ import annotations

import pytest

from shared.links import InvalidLink, LinkSigner


def test_a_link_round_trips_its_claims() -> None:
    signer = LinkSigner("a-secret-of-sixteen-chars")
    token = signer.sign("match-response", m="match-1", o="org-a")
    assert signer.verify("match-response", token) == {"m": "match-1", "o": "org-a"}


def test_tampered_foreign_purpose_other_secret_and_expired_links_are_refused() -> None:
    signer = LinkSigner("a-secret-of-sixteen-chars")
    token = signer.sign("match-response", m="match-1", o="org-a")
    forged = token.replace(
        token.split(".")[0], LinkSigner("x" * 16).sign("match-response", m="match-1", o="org-b").split(".")[0]
    )
    for purpose, candidate, verifier in [
        ("match-response", forged, signer),  # claims changed, signature kept
        ("unsubscribe", token, signer),  # a link made for something else
        ("match-response", token, LinkSigner("another-secret-value")),  # not signed by us
    ]:
        with pytest.raises(InvalidLink, match="pas valide"):
            verifier.verify(purpose, candidate)
    with pytest.raises(InvalidLink, match="expiré"):
        LinkSigner("a-secret-of-sixteen-chars", max_age_seconds=-1).verify("match-response", token)


def test_named_claims_are_strings_or_the_link_is_refused() -> None:
    signer = LinkSigner("secret")
    assert signer.claims("match-response", signer.sign("match-response", m="m1", o="o1"), "m", "o") == ("m1", "o1")
    for claims in ({"m": "m1"}, {"m": "m1", "o": 7}, {"m": "m1", "o": None}):
        with pytest.raises(InvalidLink, match="pas valide"):
            signer.claims("match-response", signer.sign("match-response", **claims), "m", "o")
