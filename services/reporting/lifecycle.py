"""The lifecycle of a synergy: its stages, the moves allowed between them, and who may move it.

Plain rules, no framework: the API and the event projection both call them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

STAGES = ("detected", "studied", "contractualised", "operating", "ended", "abandoned")
STAGE_LABELS = {
    "detected": "détectée",
    "studied": "à l'étude",
    "contractualised": "contractualisée",
    "operating": "en fonctionnement",
    "ended": "terminée",
    "abandoned": "abandonnée",
}
OPEN_STAGES = ("detected", "studied", "contractualised", "operating")
FINAL_STAGES = ("ended", "abandoned")
# Stages from which a synergy counts as contractualised (it reached a signed agreement).
CONTRACTED_STAGES = ("contractualised", "operating", "ended")

ABANDON_REASONS = {
    "regulatory": "réglementaire",
    "economic": "économique",
    "logistic": "logistique",
    "technical": "technique",
    "lost_interest": "perte d'intérêt",
    "other": "autre",
}

TYPE_LABELS = {"substitution": "échange de matières", "mutualisation": "mutualisation"}


class LifecycleError(ValueError):
    """A move the lifecycle does not allow; `field` names the request field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def check_move(current: str, target: str, reason: str | None) -> None:
    """Raise LifecycleError unless `current` → `target` is allowed.

    A synergy moves forward, possibly skipping stages (a piste may already be signed);
    it can be abandoned from any open stage, with a reason; it ends only once it has
    operated; ended and abandoned are final.
    """
    if target not in STAGES:
        raise LifecycleError("stage", f"Étape inconnue « {target} » : attendu l'une de {', '.join(STAGES)}.")
    if current in FINAL_STAGES:
        raise LifecycleError("stage", f"La synergie est {STAGE_LABELS[current]} : elle ne peut plus changer d'étape.")
    if target == current:
        raise LifecycleError("stage", f"La synergie est déjà à l'étape « {STAGE_LABELS[current]} ».")
    if target == "abandoned":
        if reason not in ABANDON_REASONS:
            raise LifecycleError(
                "reason",
                "Indiquez la raison de l'abandon : "
                + ", ".join(f"{label} (« {code} »)" for code, label in ABANDON_REASONS.items())
                + ".",
            )
        return
    if reason is not None:
        raise LifecycleError("reason", "Une raison ne s'indique que pour un abandon.")
    if target == "ended" and current != "operating":
        raise LifecycleError(
            "stage",
            "Une synergie se termine après avoir fonctionné : passez-la d'abord "
            "« en fonctionnement », ou abandonnez-la.",
        )
    if STAGES.index(target) < STAGES.index(current):
        raise LifecycleError(
            "stage",
            f"Une synergie ne revient pas en arrière (de « {STAGE_LABELS[current]} » à « {STAGE_LABELS[target]} »).",
        )


def next_stages(current: str) -> list[str]:
    """The stages `current` may move to, in order (`abandoned` last, with a reason): what `check_move` allows."""

    def allowed(target: str) -> bool:
        try:
            check_move(current, target, "other" if target == "abandoned" else None)
        except LifecycleError:
            return False
        return True

    return [target for target in STAGES if allowed(target)]


def event_type_for(target: str) -> str:
    """The event a move publishes: contract and end have their own, the rest is a stage change."""
    if target == "contractualised":
        return "synergy.contractualised"
    if target in FINAL_STAGES:
        return "synergy.ended"
    return "synergy.stage_changed"


def may_act(organisation_id: str, parties: Iterable[str], animateurs: Iterable[str]) -> bool:
    """Only the parties and the animateur of the synergy's territory may move it or record its flows."""
    return organisation_id in set(parties) or organisation_id in set(animateurs)


# Where French programmes lose most synergies: after the workshop, nobody calls. A synergy that has not moved
# for this long is « à relancer », and its parties and animateur are reminded once per quiet spell.
QUIET_AFTER = timedelta(weeks=6)
# What to do next at each open stage: the short checklist the reminder carries.
NEXT_STEPS = {
    "detected": ("Prendre contact et se rencontrer", "Visiter le site ou échanger un échantillon"),
    "studied": (
        "Tester un échantillon",
        "Convenir des conditions : quantités, prix, transport, statut réglementaire",
        "Passer la synergie « contractualisée » une fois l'accord signé",
    ),
    "contractualised": (
        "Signer la convention",
        "Organiser la première livraison",
        "Enregistrer le flux dans Boucle (quantités, trajets)",
    ),
    "operating": (
        "Faire le premier bilan : quantités, coûts, trajets évités",
        "Mettre à jour le flux dans Boucle si les quantités ont changé",
    ),
}


def quiet_since(stage: str, last_move: datetime, now: datetime, after: timedelta = QUIET_AFTER) -> datetime | None:
    """When an open synergy went quiet (its last move), if it has not moved for `after`; None otherwise."""
    if stage not in OPEN_STAGES or now - last_move < after:
        return None
    return last_move
