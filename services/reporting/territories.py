"""Who may animate which territory, and over whom an animateur has a say: plain rules, no framework.

A collectivité animates what it is: its own EPCI (its SIRET starts with the EPCI's SIREN), some of its
EPCI's communes, or, for a commune's own collectivité, the commune where it is registered. Any other
claim waits for a platform administrator's decision: nothing is read or moved in a territory until it
is approved. Only users with the animateur role act for the collectivité (the role follows the user,
not the organisation: a colleague, an API token or a demoted animateur has no say).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

APPROVED = "approved"
PENDING = "pending"
REFUSED = "refused"
TRANSFERRED = "transferred"  # its EPCI was handed to the collectivité that disputed it
STATUS_LABELS = {
    APPROVED: "validé",
    PENDING: "en attente de validation par l'équipe de la plateforme",
    REFUSED: "refusé par l'équipe de la plateforme",
    TRANSFERRED: "retiré par l'équipe de la plateforme, qui a confié l'EPCI à une autre collectivité",
}
ANIMATEUR_ROLE = "animateur"
DECIDER_ROLE = "platform_admin"


def siren_of(siret: str | None) -> str | None:
    """The SIREN (the legal unit) of a SIRET (one of its establishments)."""
    return siret[:9] if siret and len(siret) == 14 and siret.isdigit() else None


def claim_status(
    *,
    siret: str | None,
    insee: str | None,
    epci: str | None,
    communes: Iterable[str],
    epci_of: Mapping[str, str | None],
    epci_taken: bool = False,
) -> str:
    """APPROVED when the collectivité claims what it is, else PENDING (a platform admin decides).

    `epci_of` gives each commune's EPCI SIREN (the official table); `communes` are the territory's. An EPCI is
    animated once: claiming one another collectivité already animates (`epci_taken`) is a dispute, which the
    platform admin settles."""
    siren = siren_of(siret)
    codes = list(communes)
    if epci is not None:
        return APPROVED if siren == epci and not epci_taken else PENDING
    if siren is not None and codes and all(epci_of.get(code) == siren for code in codes):
        return APPROVED  # communes of its own EPCI
    if insee is not None and codes == [insee]:
        return APPROVED  # the commune where the collectivité is registered
    return PENDING


def acts_as_animateur(role: str) -> bool:
    return role == ANIMATEUR_ROLE


def decides_claims(role: str) -> bool:
    return role == DECIDER_ROLE


def covering(animateurs_by_party: Mapping[str, set[str]], parties: Iterable[str]) -> set[str]:
    """The animateurs whose territories hold every one of the parties (a party outside any territory: none)."""
    sets = [animateurs_by_party.get(party, set()) for party in parties]
    return set.intersection(*sets) if sets else set()
