"""Notifications through the running services and real SMTP: alerts, answers by signed link,
acceptance with contacts revealed, in-app notifications, one-click unsubscribe."""

from __future__ import annotations

import re
import uuid

import httpx

from shared.devstack import Stack
from tests import web
from tests.conftest import mailbox, wait_until


def register(client: httpx.Client, name: str, commune: str, postcode: str) -> dict[str, str]:
    email = f"{uuid.uuid4().hex[:8]}@example.fr"
    answer = client.post(
        "/api/v1/organisations",
        json={"name": name, "kind": "company", "commune": commune, "postcode": postcode, "contact_email": email},
    )
    assert answer.status_code == 201, answer.text
    return {"auth": f"Bearer {answer.json()['token']}", "email": email, "name": name}


def post(client: httpx.Client, org: dict[str, str], **listing: object) -> str:
    answer = client.post("/api/v1/listings", headers={"Authorization": org["auth"]}, json=listing)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def messages_to(stack: Stack, org: dict[str, str], subject_start: str) -> list[dict]:
    sink = f"http://127.0.0.1:{stack.ports.mailbox}/api/messages"
    found = [m for m in mailbox(stack) if m["to"] == org["email"] and m["subject"].startswith(subject_start)]
    return [web.get(f"{sink}/{m['id']}").json() for m in found]


def link(message: dict, path: str) -> str:
    [url] = set(re.findall(rf"https?://[^\s\"<>]+/liens/{path}/[\w.\-]+", message["text"]))
    return url


def header(message: dict, name: str) -> str:
    return next(value for key, value in message["headers"] if key.lower() == name.lower())


def test_answer_by_email_link_then_contacts_are_revealed_to_both(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        brewery = register(client, "Brasserie du Lion", "Vesoul", "70000")
        farm = register(client, "GAEC des Prés", "Navenne", "70000")
        post(
            client,
            brewery,
            kind="offer",
            title="Drêches de brasserie fraîches",
            description="Enlèvement le mardi, benne de 10 m³ à quai.",
            quantity={"value": 4, "unit": "t"},
            frequency="weekly",
        )
        post(
            client,
            farm,
            kind="need",
            title="Aliment pour vaches laitières",
            quantity={"value": 2, "unit": "t"},
            frequency="weekly",
        )

        [alert] = wait_until(lambda: messages_to(stack, farm, "Nouvelle piste"), timeout=20)
        assert "Brasserie du Lion" not in alert["text"]  # anonymous until both accept
        assert header(alert, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
        assert "/liens/desabonnement/" in header(alert, "List-Unsubscribe")
        respond = link(alert, "reponse")
        assert respond.startswith(stack.url("gateway"))

        page = web.get(respond)  # a GET only shows: mail scanners follow links
        assert page.status_code == 200 and "Accepter la mise en relation" in page.text
        accepted = web.post(respond, data={"action": "accept"})
        assert accepted.status_code == 200 and "votre réponse est enregistrée" in accepted.text

        [nudge] = wait_until(lambda: messages_to(stack, brewery, "« Drêches"), timeout=20)
        assert "a accepté la mise en relation" in nudge["text"]
        assert web.post(link(nudge, "reponse"), data={"action": "accept"}).status_code == 200

        [confirmed] = wait_until(lambda: messages_to(stack, farm, "Mise en relation confirmée"), timeout=20)
        assert "Brasserie du Lion" in confirmed["text"] and brewery["email"] in confirmed["text"]
        # the promise of the form: the description and the exact quantity, once both agreed
        assert "Enlèvement le mardi, benne de 10 m³ à quai." in confirmed["text"]
        assert "4 t par semaine" in confirmed["text"] and "4 t par semaine" in confirmed["html"]
        [mirror] = wait_until(lambda: messages_to(stack, brewery, "Mise en relation confirmée"), timeout=20)
        assert "GAEC des Prés" in mirror["text"] and farm["email"] in mirror["text"]
        # the farm accepted first: the brewery's acceptance concludes, it is not asked to answer again
        farm_log = client.get("/api/v1/notifications/deliveries", headers={"Authorization": farm["auth"]}).json()
        assert sorted(d["kind"] for d in farm_log) == ["match_accepted", "match_proposed"]
        [seen] = client.get("/api/v1/matches", headers={"Authorization": farm["auth"]}).json()
        assert seen["status"] == "accepted"
        assert seen["counterpart"]["description"] == "Enlèvement le mardi, benne de 10 m³ à quai."
        assert seen["counterpart"]["quantity"] == "4 t par semaine"

        headers = {"Authorization": brewery["auth"]}
        inbox = client.get("/api/v1/notifications", headers=headers).json()
        assert {n["kind"] for n in inbox} == {"match_proposed", "match_responded", "match_accepted"}
        assert client.post(f"/api/v1/notifications/{inbox[0]['id']}/read", headers=headers).status_code == 200
        unread = client.get("/api/v1/notifications", headers=headers, params={"unread": "true"}).json()
        assert len(unread) == 2
        other = {"Authorization": farm["auth"]}
        assert client.post(f"/api/v1/notifications/{inbox[0]['id']}/read", headers=other).status_code == 404
        log = client.get("/api/v1/notifications/deliveries", headers=headers).json()
        assert sorted(d["kind"] for d in log) == ["match_accepted", "match_proposed", "match_responded"]
        assert all(d["status"] == "sent" and d["recipient"] == brewery["email"] for d in log)


def test_tampered_or_foreign_links_are_refused(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        tampered = client.get("/liens/reponse/eyJtIjoiMSIsIm8iOiIyIn0.forged.signature")
        assert tampered.status_code == 400 and "Lien invalide" in tampered.text
        assert client.post("/liens/desabonnement/not-a-token").status_code == 400
        assert client.get("/liens/autre/chose").status_code == 404


def test_one_click_unsubscribe_stops_email_but_not_in_app_notifications(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        shop = register(client, "Épicerie Martin", "Gray", "70100")
        printer = register(client, "Imprimerie Gray", "Gray", "70100")
        post(client, printer, kind="offer", title="Chutes de carton ondulé")
        post(client, shop, kind="need", title="Carton pour calage")
        [alert] = wait_until(lambda: messages_to(stack, shop, "Nouvelle piste"), timeout=20)
        unsubscribe = header(alert, "List-Unsubscribe").strip().strip("<>")
        assert "Me désabonner" in web.get(unsubscribe).text
        done = web.post(
            unsubscribe,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        # the link switches off the kind of its email, new pistes, and no other (issue 18)
        assert (
            done.status_code == 200 and "vous ne recevrez plus les alertes de nouvelles pistes de synergie" in done.text
        )
        prefs = client.get("/api/v1/notifications/preferences", headers={"Authorization": shop["auth"]}).json()
        assert prefs["match_proposed"] == "off"
        assert {mode for kind, mode in prefs.items() if kind != "match_proposed"} == {"instant"}

        post(client, register(client, "Cartonnages Roy", "Gray", "70100"), kind="offer", title="Carton ondulé")
        wait_until(
            lambda: len(client.get("/api/v1/notifications", headers={"Authorization": shop["auth"]}).json()) == 2,
            timeout=20,
        )
        assert len(messages_to(stack, shop, "Nouvelle piste")) == 1  # no new email


def test_preferences_are_validated(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        org = register(client, "Atelier Bois", "Lure", "70200")
        headers = {"Authorization": org["auth"]}
        bad_kind = client.put("/api/v1/notifications/preferences", headers=headers, json={"spam": "off"})
        assert bad_kind.status_code == 422 and bad_kind.json()["detail"][0]["loc"] == ["body", "spam"]
        bad_mode = client.put("/api/v1/notifications/preferences", headers=headers, json={"match_proposed": "hourly"})
        assert bad_mode.status_code == 422 and "hourly" in str(bad_mode.json())
        ok = client.put("/api/v1/notifications/preferences", headers=headers, json={"match_proposed": "weekly"})
        assert ok.json()["match_proposed"] == "weekly" and ok.json()["match_accepted"] == "instant"
