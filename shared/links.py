"""Signed, expiring links: an email lets its recipient act without a password.

A token carries who may do what (`purpose` + claims such as the organisation and the
match); it is signed with the platform secret, so it cannot be forged or altered, and it
expires. The service that performs the action verifies it.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

DEFAULT_MAX_AGE = 30 * 24 * 3600  # a month: long enough for a busy boss, short enough to go stale


class InvalidLink(ValueError):
    """A link that was altered, forged, meant for something else, or has expired (French message)."""


class LinkSigner:
    """Signs and verifies the claims of a link for one purpose at a time."""

    def __init__(self, secret: str, max_age_seconds: int = DEFAULT_MAX_AGE):
        self.secret = secret
        self.max_age = max_age_seconds

    def sign(self, purpose: str, **claims: Any) -> str:
        """A URL-safe token for `purpose` carrying `claims`."""
        return URLSafeTimedSerializer(self.secret, salt=purpose).dumps(claims)

    def verify(self, purpose: str, token: str) -> dict[str, Any]:
        """The claims of a valid token for `purpose`, or InvalidLink."""
        try:
            claims = URLSafeTimedSerializer(self.secret, salt=purpose).loads(token, max_age=self.max_age)
        except SignatureExpired as exc:
            raise InvalidLink("Ce lien a expiré : ouvrez Boucle pour répondre.") from exc
        except BadSignature as exc:
            raise InvalidLink("Ce lien n'est pas valide.") from exc
        if not isinstance(claims, dict):
            raise InvalidLink("Ce lien n'est pas valide.")
        return claims

    def claims(self, purpose: str, token: str, *names: str) -> tuple[str, ...]:
        """The named claims of a valid token for `purpose`, each a string, or InvalidLink."""
        found = self.verify(purpose, token)
        values = tuple(found.get(name) for name in names)
        if not all(isinstance(value, str) for value in values):
            raise InvalidLink("Ce lien n'est pas valide.")
        return values  # type: ignore[return-value]
