"""A swap (issue 21, point 4): straw for manure between a grain farm and a livestock farm is proposed once, as a
swap, each farm answers once, and the synergy opens, through the gateway, the broker, matching, notifications and
reporting, on SQLite and PostgreSQL.

The run's stack is shared with other files: these farms sit in the Gers (Lectoure, Fleurance), where no other file
posts."""

from __future__ import annotations

import uuid

import httpx

from shared.devstack import Stack
from tests.conftest import mailbox, wait_until
from tests.e2e.test_walking_skeleton import register


def post(client: httpx.Client, headers: dict[str, str], **listing: object) -> str:
    answer = client.post("/api/v1/listings", headers=headers, json=listing)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_straw_for_manure_is_proposed_once_as_a_swap_and_each_farm_answers_once(stack: Stack) -> None:
    suffix = uuid.uuid4().hex[:6]
    grain_email = f"cereales-{suffix}@lectoure.example"
    with httpx.Client(base_url=stack.url("gateway"), timeout=20) as client:
        _, grain = register(client, f"EARL des Coteaux {suffix}", "Lectoure", grain_email)
        _, cattle = register(client, f"GAEC de la Baïse {suffix}", "Fleurance", f"elevage-{suffix}@fleurance.example")
        manure_wanted = post(client, grain, kind="need", title="Fumier pour nos parcelles", radius_km=20)
        straw = post(
            client,
            grain,
            kind="offer",
            title="Paille de blé en bottes",
            radius_km=20,
            counterpart_id=manure_wanted,
            transport_by="giver",
            transport_means="tractor_trailer",
        )
        assert client.get(f"/api/v1/listings/{straw}", headers=grain).json()["counterpart_id"] == manure_wanted
        post(client, cattle, kind="offer", title="Fumier de bovins", radius_km=20)
        post(client, cattle, kind="need", title="Paille pour la litière des vaches", radius_km=20)
        retracted = wait_until(
            lambda: client.get("/api/v1/matches", headers=cattle, params={"status": "retracted"}).json(), timeout=30
        )

        # Its manure meets the grain farm's need before its need for straw is posted: that pair is proposed, then gives
        # way to the swap once both exchanges exist.
        [swap] = wait_until(
            lambda: (
                (found := client.get("/api/v1/matches", headers=cattle).json())
                and all(m["kind"] == "swap" for m in found)
                and found
            ),
            timeout=30,
        )
        assert swap["kind"] == "swap" and swap["counterpart"] is None
        assert sorted(m["title"] for m in swap["members"]) == ["Fumier pour nos parcelles", "Paille de blé en bottes"]
        assert "Échange possible" in swap["explanation"] and "Coteaux" not in str(swap)
        [same] = client.get("/api/v1/matches", headers=grain).json()  # one match for each farm, not one per listing
        assert same["id"] == swap["id"] and [m["kind"] for m in retracted] == ["pair"]
        subject = "Échange possible : votre « Paille de blé en bottes » contre « Fumier de bovins »"
        assert wait_until(lambda: any(m["to"] == grain_email and m["subject"] == subject for m in mailbox(stack)))

        once = client.post(f"/api/v1/matches/{swap['id']}/accept", headers=grain)
        assert once.status_code == 200 and (once.json()["status"], once.json()["my_response"]) == (
            "proposed",
            "accepted",
        )
        both = client.post(f"/api/v1/matches/{swap['id']}/accept", headers=cattle)
        assert both.json()["status"] == "accepted"
        [synergy] = wait_until(lambda: client.get("/api/v1/synergies", headers=cattle).json(), timeout=30)
        assert " contre " in synergy["resource"] and synergy["synergy_type"] == "substitution"
        assert {"Paille de blé en bottes", "Fumier de bovins"} == set(synergy["resource"].split(" contre "))
        # Its flow form starts from the tractor the grain farm said it would carry the straw with.
        assert synergy["suggested_flow"] == {"transport_after": {"vehicle": "tractor"}}
