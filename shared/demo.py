"""`make demo`: the stack of `make run`, loaded once with the territory of `shared/data/demo_bertranges.toml`.

Everything goes through the public API of the running stack, as a collectivité and its companies would: the
organisations register (four sign up with a password and confirm their address through the development
mailbox), post their listings, the engine proposes the matches, both sides of the file's deals accept them,
the parties move the synergies on and record their flows, the animateur declares the EPCI and notes the
workshop's pistes. Only the platform's admin and the animateur's role come from the platform's command line,
as an operator makes them.

The demo lives in its own folder (`var/demo`), so `make run` stays empty; it is loaded once, and a restart
finds it as it was left.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from offers.domain import siret_is_valid

from shared.devstack import Stack

DEMO_FILE = Path(__file__).parent / "data" / "demo_bertranges.toml"
PASSWORD = "Bertranges, démo 2026"  # every demo account's; printed by `make demo`
LOADED = "demo-loaded.txt"  # in the stack's folder: what was loaded, and the accounts to sign in with
T = TypeVar("T")


class DemoError(RuntimeError):
    """The running stack refused a step of the demo (its message says which, in French)."""


def eventually(what: str, attempt: Callable[[], T | None], timeout: float = 60.0) -> T:
    """`attempt()` until it gives something (the services learn of each other through the broker)."""
    deadline = time.monotonic() + timeout
    while (found := attempt()) is None or found is False:
        if time.monotonic() > deadline:
            raise DemoError(f"la démo attend en vain : {what}")
        time.sleep(0.3)
    return found


def luhn_siret(siren: str, establishment: str) -> str:
    """The SIRET of `siren` whose establishment number starts with `establishment` (4 digits), with the key that
    offers' own check accepts."""
    return next(siret for last in "0123456789" if siret_is_valid(siret := siren + establishment + last))


class Loader:
    """One load of the demo file into a running stack, through its gateway."""

    def __init__(self, stack: Stack, client: httpx.Client):
        self.stack, self.client = stack, client
        self.headers: dict[str, dict[str, str]] = {}  # organisation key → its token or its browser's headers
        self.ids: dict[str, str] = {}  # organisation key → id
        self.listings: dict[str, tuple[str, str]] = {}  # "org.listing" → (organisation key, listing id)

    def call(self, method: str, path: str, who: str | None = None, key: str | None = None, **kwargs: Any) -> Any:
        headers = {**self.headers.get(who or "", {}), **({"Idempotency-Key": key} if key else {})}
        answer = self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
        if answer.status_code >= 400:
            raise DemoError(f"{method} {path} : {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else None

    # --- organisations and their people ------------------------------------------------------------

    def register(self, org: dict[str, Any], siret: str | None = None) -> None:
        body = {
            "name": org["name"],
            "kind": org["kind"],
            "commune": org["commune"],
            "contact_email": f"{org['key']}@demo.boucle.example",
        }
        if org.get("naf"):
            body["naf_code"] = org["naf"]
        if siret:
            body["siret"] = siret
        if "account" not in org:
            made = self.call("POST", "/organisations", json=body)
            self.ids[org["key"]], self.headers[org["key"]] = made["id"], {"Authorization": f"Bearer {made['token']}"}
            return
        person = org["account"]
        made = self.call(
            "POST",
            "/accounts",
            json={"organisation": body, "name": person["name"], "email": person["email"], "password": PASSWORD},
        )
        self.ids[org["key"]] = made["organisation_id"]
        self.confirm(person["email"])
        if person.get("role"):
            self.appoint(person["email"], person["role"])
        self.headers[org["key"]] = self.log_in(person["email"])

    def confirm(self, email: str) -> None:
        """Follow the confirmation link the development mailbox received."""
        sink = f"http://127.0.0.1:{self.stack.ports.mailbox}/api/messages"

        def link() -> str | None:
            for message in httpx.get(sink, timeout=5).json():
                if message["to"] == email:
                    text = httpx.get(f"{sink}/{message['id']}", timeout=5).json()["text"]
                    if found := re.search(r"https?://\S+(/liens/compte/\S+)", text):
                        return found.group(1)
            return None

        path = eventually(f"le lien de confirmation de {email}", link)
        answer = self.client.post(path)
        if answer.status_code != 303:
            raise DemoError(f"confirmation de {email} : {answer.status_code}")

    def platform_admin(self, person: dict[str, str], organisation: str) -> None:
        """The platform's first admin, as its operator creates one (`offers.admin create-platform-admin`), who
        signs in through the printed link and sets the demo password."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "offers.admin",
                "create-platform-admin",
                "--email",
                person["email"],
                "--name",
                person["name"],
                "--organisation",
                organisation,
            ],
            env=self.stack.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        found = re.search(r"https?://\S+(/liens/compte/\S+)", done.stdout)
        if done.returncode != 0 or found is None:
            raise DemoError(f"administrateur de la plateforme : {done.stderr.strip()}")
        signed_in = self.client.post(found.group(1))
        cookie = signed_in.headers.get("set-cookie", "").split(";")[0]
        csrf = self.client.get("/api/v1/session", headers={"Cookie": cookie}).json()["csrf_token"]
        answer = self.client.put(
            "/api/v1/session/password", json={"password": PASSWORD}, headers={"Cookie": cookie, "X-CSRF-Token": csrf}
        )
        if answer.status_code != 204:
            raise DemoError(f"mot de passe de {person['email']} : {answer.status_code} {answer.text[:200]}")

    def appoint(self, email: str, role: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "offers.admin", "set-role", "--email", email, "--role", role],
            env=self.stack.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise DemoError(f"rôle {role} pour {email} : {done.stderr.strip()}")

    def log_in(self, email: str) -> dict[str, str]:
        answer = self.client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
        if answer.status_code != 200:
            raise DemoError(f"connexion de {email} : {answer.status_code} {answer.text[:200]}")
        cookie = answer.headers["set-cookie"].split(";")[0]
        return {"Cookie": cookie, "X-CSRF-Token": answer.json()["csrf_token"]}

    # --- listings, matches, synergies -------------------------------------------------------------

    def publish(self, org: dict[str, Any]) -> None:
        sites = {
            site["key"]: self.call(
                "POST", "/organisations/me/sites", org["key"], json={"name": site["name"], "commune": site["commune"]}
            )["id"]
            for site in org.get("sites", [])
        }
        for listing in org.get("listings", []):
            body = {"kind": listing["kind"], "title": listing["title"]}
            if "site" in listing:
                body["site_id"] = sites[listing["site"]]
            if "swap" in listing:  # « en échange de » an earlier listing of the organisation
                body["counterpart_id"] = self.listings[f"{org['key']}.{listing['swap']}"][1]
            if "quantity" in listing:
                value, unit = listing["quantity"]
                body["quantity"] = {"value": value, "unit": unit}
            for name in ("frequency", "radius_km"):
                if name in listing:
                    body[name] = listing[name]
            made = self.call("POST", "/listings", org["key"], json=body)
            if "key" in listing:
                self.listings[f"{org['key']}.{listing['key']}"] = (org["key"], made["id"])

    def match_between(self, offer: str, need: str) -> str:
        """The match the engine proposed between two listings of the file (or, failing that, between the offer
        and another listing of the same organisation)."""
        (offerer, offer_id), (needer, need_id) = self.listings[offer], self.listings[need]

        def found() -> str | None:
            mine = {m["id"] for m in self.call("GET", "/matches", offerer) if m["listing_id"] == offer_id}
            theirs = {m["id"]: m["listing_id"] for m in self.call("GET", "/matches", needer)}
            both = sorted(mine & set(theirs), key=lambda match: theirs[match] != need_id)
            return both[0] if both else None

        return eventually(f"la mise en relation « {offer} » ↔ « {need} »", found)

    def deal(self, deal: dict[str, Any]) -> None:
        """Both sides accept the match; its synergy moves on to the deal's stage, with its flow."""
        match = self.match_between(deal["offer"], deal["need"])
        offerer, needer = self.listings[deal["offer"]][0], self.listings[deal["need"]][0]
        for side in (offerer, needer):
            self.call("POST", f"/matches/{match}/accept", side)
        synergy = eventually(
            f"la synergie de « {deal['offer']} »",
            lambda: next((s["id"] for s in self.call("GET", "/synergies", offerer) if s["match_id"] == match), None),
        )
        for stage in ("studied", "contractualised", "operating"):
            if stage == "studied" and deal["stage"] == "detected":
                break
            self.call("POST", f"/synergies/{synergy}/stage", offerer, json={"stage": stage})
            if stage == "contractualised" and "flow" in deal:
                self.call(
                    "POST", f"/synergies/{synergy}/flows", needer, key=f"demo-{synergy}", json=flow_body(deal["flow"])
                )
            if stage == deal["stage"]:
                break

    def territory(self, data: dict[str, Any]) -> None:
        territory = data["territory"]
        eventually(
            "que le suivi connaisse la collectivité",
            lambda: (
                self.client.post(
                    "/api/v1/territories",
                    headers=self.headers["cc"],
                    json={"name": territory["name"], "epci": territory["epci"]},
                ).status_code
                == 201
            ),
        )
        for piste in data.get("pistes", []):
            self.note(piste)

    def note(self, piste: dict[str, Any]) -> None:
        """A workshop's piste, once the follow-up knows its parties."""
        body = {**piste, "parties": [self.ids[key] for key in piste["parties"]]}
        eventually(
            f"la piste « {piste['resource']} »",
            lambda: self.client.post("/api/v1/synergies", headers=self.headers["cc"], json=body).status_code == 201,
        )


def flow_body(flow: dict[str, Any]) -> dict[str, Any]:
    """A deal's flow as `POST /api/v1/synergies/{id}/flows` takes it."""
    body = {
        "quantity": flow["quantity"],
        "unit": flow["unit"],
        "period": flow.get("period", "month"),
        "start": flow["start"],
    }
    for name in ("material", "disposal_cost_avoided_eur", "purchase_cost_avoided_eur", "jobs"):
        if name in flow:
            body[name] = flow[name]
    if "density" in flow:
        body["density_t_per_unit"] = flow["density"]
    for side, leg in (("transport_before", flow.get("before")), ("transport_after", flow.get("after"))):
        if leg:
            body[side] = {"trips_per_month": leg[0], "km_per_trip": leg[1], "vehicle": flow.get("vehicle", "rigid_19t")}
    return body


def load(stack: Stack, path: Path = DEMO_FILE) -> str:
    """Load the demo once into the running stack; the accounts to sign in with, as `make demo` prints them."""
    marker = stack.var_dir / LOADED
    if marker.exists():
        return marker.read_text(encoding="utf-8")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        loader = Loader(stack, client)
        cc = data["collectivite"]
        loader.register(cc, siret=luhn_siret(data["territory"]["epci"], cc["establishment"]))
        loader.platform_admin(data["platform"]["account"], data["platform"]["name"])
        for org in data["organisations"]:
            loader.register(org)
        for org in data["organisations"]:
            loader.publish(org)
        for deal in data.get("deals", []):
            loader.deal(deal)
        loader.territory(data)
    people = [(cc["account"], cc["name"]), (data["platform"]["account"], data["platform"]["name"])]
    people += [(org["account"], org["name"]) for org in data["organisations"] if "account" in org]
    lines = [
        f"Démo « {data['territory']['name']} » : {len(data['organisations'])} organisations, "
        f"{len(data.get('deals', []))} synergies, {len(data.get('pistes', []))} pistes d'atelier.",
        f"Comptes de démonstration (mot de passe pour tous : « {PASSWORD} ») :",
    ]
    lines += [
        f"  {person['email']:<34} {name}" + (f" ({person['role']})" if person.get("role") else "")
        for person, name in people
    ]
    marker.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return marker.read_text(encoding="utf-8")
