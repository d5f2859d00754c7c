"""The French words of the portal for the API's codes: kinds, units, frequencies, statuses, stages."""

from __future__ import annotations

from shared import nomenclatures
from shared.nomenclatures import ABP_CATEGORIES, LISTING_TERMS, TRANSPORT_BY, TRANSPORT_MEANS, WASTE_STATUSES
from shared.nomenclatures import MONTHS as MONTHS  # the templates' words.MONTHS
from shared.nomenclatures import ORGANISATION_KINDS as ORGANISATION_KINDS  # the templates' words.ORGANISATION_KINDS
from shared.nomenclatures import WEEKDAYS as WEEKDAYS  # the templates' words.WEEKDAYS
from shared.units import UNITS

SIRET_INVALID = "Ce SIRET n'est pas valide : vérifiez les 14 chiffres (la clé de contrôle ne correspond pas)."


# code → (what the owner says, short name in lists)
LISTING_KINDS = {
    kind: (says, nomenclatures.LISTING_KINDS[kind].capitalize())
    for kind, says in {
        "offer": "J'ai un surplus à donner ou vendre",
        "need": "J'ai un besoin",
        "share": "Je prête un équipement ou un local",
        "pool": "Je cherche à mutualiser",
    }.items()
}
LISTING_KIND_HINTS = {
    "offer": "Chutes, coproduits, chaleur, palettes… ce qui vous coûte à jeter.",
    "need": "Une matière, de l'énergie ou un service que vous achetez aujourd'hui.",
    "share": "Broyeur, chambre froide, engin, salle, compétence à temps partagé.",
    "pool": "Collecte groupée, achats en commun, emploi partagé avec vos voisins.",
}

FREQUENCIES = {
    "once": "En une fois",
    "daily": "Chaque jour",
    "weekly": "Chaque semaine",
    "monthly": "Chaque mois",
    "yearly": "Chaque année",
    "continuous": "En continu (débit : kW, m³/h, t/h)",
    "seasonal": "Sur une saison",
}
UNIT_LABELS = {code: plural for code, (_singular, plural) in UNITS.items()}

LISTING_STATUSES = {
    "draft": "À confirmer",
    "active": "En ligne",
    "paused": "En pause",
    "withdrawn": "Clôturée",
    "expired": "Expirée",
}
# The buttons of a listing, by its status: (action in the URL, label, button style, label for screen readers).
_RENEW = ("renouveler", "Renouveler 6 mois", "secondary", "Renouveler « {title} » pour six mois")
_CLOSE = ("cloturer", "Clôturer", "danger", "Clôturer « {title} »")
LISTING_ACTIONS = {
    "active": [_RENEW, ("pause", "Mettre en pause", "secondary", "Mettre « {title} » en pause"), _CLOSE],
    "paused": [("reprendre", "Remettre en ligne", "", "Remettre « {title} » en ligne"), _RENEW, _CLOSE],
    "expired": [_RENEW],
}
MATCH_STATUSES = {
    "proposed": "Proposée",
    "accepted": "Acceptée par tous",
    "declined": "Déclinée",
    "retracted": "Retirée",
}

STAGES = ("detected", "studied", "contractualised", "operating", "ended")
STAGE_LABELS = {
    "detected": "Détectée",
    "studied": "À l'étude",
    "contractualised": "Contractualisée",
    "operating": "En fonctionnement",
    "ended": "Terminée",
    "abandoned": "Abandonnée",
}
ABANDON_REASONS = {
    "regulatory": "Réglementaire",
    "economic": "Économique",
    "logistic": "Logistique",
    "technical": "Technique",
    "lost_interest": "Perte d'intérêt",
    "other": "Autre",
}

SYNERGY_TYPES = {"substitution": "Échange de matières", "mutualisation": "Mutualisation"}

MESSAGE_KINDS = {
    "match_proposed": "Une mise en relation vous est proposée",
    "match_responded": "L'autre partie a accepté : à vous de répondre",
    "match_accepted": "Mise en relation confirmée (avec les coordonnées)",
    "match_retracted": "Une piste n'est plus d'actualité",
    "listing_expiring": "Une de vos annonces arrive à expiration",
    "synergy_stage": "Une de vos synergies change d'étape",
    "synergy_quiet": "Une de vos synergies n'avance plus depuis des semaines",
    "weekly_summary": "Résumé de la semaine du territoire (animateurs)",
}
MODES = {"instant": "Tout de suite", "daily": "Un résumé par jour", "weekly": "Un résumé par semaine", "off": "Jamais"}

ROLES = {
    "member": "Membre",
    "org_admin": "Administrateur",
    "animateur": "Animateur du territoire",
    "platform_admin": "Administrateur de Boucle",
}
ANIMATION_ROLES = ("animateur", "platform_admin")
COLLEAGUE_ROLES = {"member": "Membre : publie et répond", "org_admin": "Administrateur : gère aussi les accès"}

# A listing's declared legal status (shared.nomenclatures), as the form's choices.
WASTE_STATUS_CHOICES = {code: label[0].upper() + label[1:] for code, label in WASTE_STATUSES.items()}
ABP_CATEGORY_CHOICES = {str(n): f"Catégorie {label.removeprefix('catégorie ')}" for n, label in ABP_CATEGORIES.items()}
# On what terms a listing is given (shared.nomenclatures), as the form's choices and the cards' words.
TERMS = {code: label[0].upper() + label[1:] for code, label in LISTING_TERMS.items()}
# Who carries and with what (shared.nomenclatures), as the form's choices and the cards' words.
TRANSPORT_BY_CHOICES = {code: label[0].upper() + label[1:] for code, label in TRANSPORT_BY.items()}
TRANSPORT_MEANS_CHOICES = {code: label[0].upper() + label[1:] for code, label in TRANSPORT_MEANS.items()}
