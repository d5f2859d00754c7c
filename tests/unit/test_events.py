"""The event envelope, the payload registry and the upcaster chain."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from shared import events
from shared.events import Envelope, ListingClosed, OrganisationProfile, Payload, UnknownEvent, new_event, payload_of


def test_envelope_round_trips_through_bytes() -> None:
    event = new_event(
        "listing.withdrawn",
        ListingClosed(listing_id="l1", organisation_id="o1", revision=3),
        producer="offers",
        key="l1",
    )
    again = Envelope.from_bytes(event.to_bytes())
    assert again == event
    assert isinstance(again.event_id, uuid.UUID) and again.occurred_at.tzinfo is not None
    assert payload_of(again) == ListingClosed(listing_id="l1", organisation_id="o1", revision=3)


def test_envelope_is_frozen_and_tolerates_unknown_fields() -> None:
    event = Envelope.model_validate(
        {
            "type": "listing.expired",
            "producer": "offers",
            "key": "l1",
            "payload": {"listing_id": "l1", "organisation_id": "o", "revision": 1, "later_field": True},
            "added_later": 1,
        }
    )
    with pytest.raises(ValidationError):
        event.key = "other"  # type: ignore[misc]
    assert payload_of(event) == ListingClosed(listing_id="l1", organisation_id="o", revision=1)


def test_a_payload_must_match_its_event_type() -> None:
    with pytest.raises(TypeError):
        new_event(
            "listing.withdrawn",
            OrganisationProfile(organisation_id="o", name="n", kind="company", contact_email="a@b.fr"),
            producer="offers",
            key="o",
        )


def test_unknown_types_and_versions_are_refused() -> None:
    with pytest.raises(UnknownEvent):
        payload_of(Envelope(type="listing.teleported", producer="x", key="k", payload={}))
    with pytest.raises(UnknownEvent):
        payload_of(Envelope(type="listing.withdrawn", version=9, producer="x", key="k", payload={}))


def test_old_versions_are_upcast_one_step_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    class ClosedV2(Payload):
        listing_id: str
        organisation_id: str
        revision: int
        reason: str

    class ClosedV3(Payload):
        listing_id: str
        organisation_id: str
        revision: int
        reason_code: str

    monkeypatch.setitem(events.PAYLOADS, ("listing.withdrawn", 2), ClosedV2)
    monkeypatch.setitem(events.PAYLOADS, ("listing.withdrawn", 3), ClosedV3)
    monkeypatch.setitem(events.UPCASTERS, ("listing.withdrawn", 1), lambda d: {**d, "reason": "non précisée"})
    monkeypatch.setitem(
        events.UPCASTERS,
        ("listing.withdrawn", 2),
        lambda d: {**{k: v for k, v in d.items() if k != "reason"}, "reason_code": d["reason"][:3]},
    )
    old = Envelope(
        type="listing.withdrawn",
        version=1,
        producer="offers",
        key="l1",
        payload={"listing_id": "l1", "organisation_id": "o", "revision": 2},
    )
    assert payload_of(old) == ClosedV3(listing_id="l1", organisation_id="o", revision=2, reason_code="non")
