"""French sentences a company boss understands, for each side of a proposal."""

from __future__ import annotations

from matching.engine.fit import PairFit
from matching.engine.law import Obligation
from matching.engine.model import ListingInput
from matching.engine.profile import Profile
from matching.knowledge import Knowledge
from shared.nomenclatures import MONTHS, TRANSPORT_MEANS, WEEKDAYS
from shared.units import format_number, quantity_text


def km(value: float) -> str:
    """A distance to the km (« moins d'1 km » below): finer, two throw-away accounts would place a site
    by trilateration."""
    return "moins d'1 km" if value < 1 else f"{format_number(round(value))} km"


def shown_km(value: float) -> float:
    """The distance a proposal shows (API, pages, emails): to the km, 1 at least."""
    return float(max(1, round(value)))


def share(value: float) -> str:
    """A share of a need, in quarters: a percentage of a need whose size is shown would give the offer's."""
    if value < 0.125:
        return "une petite part"
    return {1: "environ un quart", 2: "environ la moitié", 3: "environ les trois quarts"}.get(
        round(value * 4), "presque tout"
    )


def amount(profile: Profile, *, approximate: bool) -> str:
    """The listing's quantity in brackets: exact for its owner, a band for the others (nothing if kept private)."""
    listing = profile.listing
    if approximate and listing.quantity_private:
        return ""
    text = quantity_text(listing.quantity_value, listing.quantity_unit, listing.frequency, approximate=approximate)
    return f" ({text})" if text else ""


def use_phrase(knowledge: Knowledge, fit: PairFit) -> str | None:
    """« servir de « Paillage » » when a rule links the two; None when the offer is what the need names."""
    if fit.rule is not None:
        return f"servir de « {knowledge.nodes[fit.rule.target].label} »"
    return None


def pair_explanations(
    knowledge: Knowledge, fit: PairFit, combined: tuple[int, float] | None = None
) -> tuple[str, dict[str, str]]:
    """(general sentence, {listing id: sentence for its owner}); `combined` = (offers, share of the
    need they cover together) when several partial offers add up."""
    s, d = fit.supply, fit.demand
    where = f"à {km(fit.distance_km)}" + (f" ({d.listing.commune})" if d.listing.commune else "")
    use = use_phrase(knowledge, fit)
    why = f" {fit.rule.why}" if fit.rule else ""
    check = ""
    if fit.qualities:
        check += f" Qualité : {', '.join(fit.qualities)}."
    if fit.unmet or fit.to_check:
        labels = ", ".join([*(knowledge.conditions[c].label for c in fit.unmet), *fit.to_check])
        check += f" À vérifier : {labels}."
    if fit.text_only:
        why = " Rapprochement fait sur le texte des annonces : l'animateur le vérifiera."
    elif fit.guessed:
        guessed = [p for p in (s, d) if p.guessed]
        why = (
            " Boucle ne connaît pas « "
            + " », « ".join(p.listing.category or p.listing.title for p in guessed)
            + " » : elle l'a rapproché par le sens des mots, sans règle connue ; l'animateur le vérifiera."
        )
    check += calendar_sentence(s.listing)
    check += legal_sentence(fit.obligations)
    covered = ""
    if fit.coverage is not None and fit.coverage < 1 and not s.listing.quantity_private:  # a share betrays it
        covered = f" Cela couvrirait {share(fit.coverage)} du besoin."
        if combined is not None:
            covered += (
                f" Avec les autres offres proposées, {combined[0]} offres ensemble en couvriraient "
                f"{share(combined[1])}."
            )

    serves = f"peut {use} pour" if use else "peut répondre à"
    to_supply = (
        f"Votre « {s.listing.title} »{amount(s, approximate=False)} "
        + (
            f"peut {use} pour une organisation située {where} qui en cherche"
            if use
            else f"peut intéresser une organisation située {where} qui en cherche"
        )
        + f"{amount(d, approximate=True)}."
    )
    to_demand = (
        f"Une organisation située à {km(fit.distance_km)}"
        + (f" ({s.listing.commune})" if s.listing.commune else "")
        + f" propose « {s.listing.title} »{amount(s, approximate=True)}, qui {serves} "
        f"votre besoin « {d.listing.title} »{amount(d, approximate=False)}."
    )
    general = f"« {s.listing.title} » {serves} « {d.listing.title} » {where}.{why}{check}"
    return general, {s.id: f"{to_supply}{why}{check}", d.id: f"{to_demand}{covered}{why}{check}"}


def legal_sentence(obligations: tuple[Obligation, ...]) -> str:
    """The obligations' short names (in full, with their texts, on the match page and in the email)."""
    return f" Ce que la loi demande : {', '.join(o.title for o in obligations)}." if obligations else ""


def group_explanations(
    knowledge: Knowledge,
    purpose: str,
    node_id: str | None,
    members: list[Profile],
    spread_km: float,
    obligations: tuple[Obligation, ...] = (),
) -> tuple[str, dict[str, str]]:
    """What a group is told; `node_id` None: pool requests grouped by their words (the first one's title names it)."""
    label = knowledge.nodes[node_id].label if node_id else members[0].listing.title
    n = len(members)
    if purpose == "collection":
        general = (
            f"{n} organisations à {km(spread_km)} au plus les unes des autres ont « {label} » à évacuer : "
            "une collecte mutualisée réduirait les trajets de camions et les coûts."
        )
    else:
        general = (
            f"{n} organisations à {km(spread_km)} au plus les unes des autres cherchent « {label} » : "
            "une mutualisation (achat, location ou service en commun) partagerait les coûts."
        )
    if node_id is None:
        general += " Rapprochement fait sur le texte des annonces : l'animateur le vérifiera."
    general += legal_sentence(obligations)
    return general, {p.id: f"Votre annonce « {p.listing.title} » : {general}" for p in members}


def calendar_sentence(supply: ListingInput) -> str:
    """When the supply is available, as its listing says (« Disponible le mardi, en mars et avril. »), or nothing."""
    days = [WEEKDAYS[d] for d in (supply.days or "").split(",") if d in WEEKDAYS]
    months = [MONTHS[int(m)] for m in (supply.months or "").split(",") if m.isdigit() and int(m) in MONTHS]
    if not days and not months:
        return ""

    def listed(items: list[str]) -> str:
        return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} et {items[-1]}"

    when = ", ".join(
        filter(None, (listed([f"le {d}" for d in days]) if days else "", f"en {listed(months)}" if months else ""))
    )
    return f" Disponible {when}."


def transport_note(
    giver_by: str | None, giver_means: str | None, taker_by: str | None, taker_means: str | None
) -> str | None:
    """Who carries between the giving side (offer, share) and the taking side (need, pool), as each said it: one
    sentence for both, or None when neither said. When the giver will not deliver and the taker will not fetch,
    the pair is still proposed (a carrier may be found), but the sentence says so first."""
    if giver_by is None and taker_by is None:
        return None
    means = giver_means or taker_means
    with_what = f" ({TRANSPORT_MEANS[means]})" if means in TRANSPORT_MEANS else ""
    if giver_by == "taker" and taker_by == "giver":
        return "Transport à organiser : le cédant ne livre pas et le preneur ne vient pas chercher."
    if "giver" in (giver_by, taker_by) and giver_by != "taker":
        return f"Transport : le cédant livre{with_what}."
    if "taker" in (giver_by, taker_by) and taker_by != "giver":
        return f"Transport : le preneur vient chercher{with_what}."
    return f"Transport : à convenir entre vous{with_what}."


def swap_explanations(knowledge: Knowledge, out: PairFit, back: PairFit) -> tuple[str, dict[str, str]]:
    """A swap (« paille contre fumier »): each organisation reads what it gives and what it gets, then each exchange
    as a pair would say it."""
    general_out, per_out = pair_explanations(knowledge, out)
    general_back, per_back = pair_explanations(knowledge, back)
    per_listing: dict[str, str] = {}
    for gives, gets in ((out, back), (back, out)):
        head = (
            f"Échange possible avec une organisation située à {km(max(out.distance_km, back.distance_km))} : "
            f"votre « {gives.supply.listing.title} » contre son « {gets.supply.listing.title} ». "
        )
        per_listing[gives.supply.id] = head + per_out.get(gives.supply.id, per_back.get(gives.supply.id, ""))
        per_listing[gets.demand.id] = head + per_out.get(gets.demand.id, per_back.get(gets.demand.id, ""))
    general = (
        f"Échange : « {out.supply.listing.title} » contre « {back.supply.listing.title} ». {general_out} {general_back}"
    )
    return general, per_listing
