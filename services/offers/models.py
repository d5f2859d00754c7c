"""Tables of the offers service and the shapes of its API."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.events import Frequency, ListingKind


def _uuid() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(timezone.utc)


# shared.nomenclatures.ORGANISATION_KINDS (tests/unit check that they agree)
OrganisationKind = Literal[
    "company",
    "farm",
    "cuma",
    "cooperative",
    "hospital",
    "care_home",
    "insertion",
    "association",
    "ressourcerie",
    "public_body",
    "syndicate",
    "other",
]


class Organisation(SQLModel, table=True):
    """A company, farm, hospital, association… that posts listings."""

    id: str = Field(default_factory=_uuid, primary_key=True)
    name: str
    kind: str
    siret: str | None = Field(default=None, index=True)
    naf_code: str | None = None
    commune: str | None = None
    postcode: str | None = None
    insee: str | None = Field(default=None, index=True)
    epci: str | None = Field(default=None, index=True)
    lat: float | None = None
    lon: float | None = None
    # None: coordinates given or of the town itself; else how they were approximated.
    location_approximation: str | None = None
    contact_email: str
    # Its API tokens are in `api_token` (until migration offers_0002, one `token_hash` column here).
    created_at: datetime = Field(default_factory=_now)
    # When one of its users confirmed an address (or it was registered through the API, its token in hand);
    # None: signed up, nobody confirmed yet — not one of its territory's actors.
    confirmed_at: datetime | None = None
    # Brought in by an animateur's diagnostics file (`offers.diagnostics`): that animateur's organisation, and the
    # date of the diagnostic; its flows wait as drafts, matched but held from every party, until it confirms them.
    imported_by: str | None = Field(default=None, index=True)
    diagnosed_on: date | None = None


class Site(SQLModel, table=True):
    """One of an organisation's other establishments (a second plant, a collection point, a boiler room). The
    organisation's own address is its first site: a listing without `site_id` is posted from there."""

    id: str = Field(default_factory=_uuid, primary_key=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True)
    name: str
    siret: str | None = None  # the establishment's own SIRET (same SIREN as its organisation's, when it has one)
    commune: str | None = None
    postcode: str | None = None
    insee: str | None = None
    epci: str | None = None
    lat: float | None = None
    lon: float | None = None
    location_approximation: str | None = None
    created_at: datetime = Field(default_factory=_now)


class Listing(SQLModel, table=True):
    """An offer, need, share or pool request; `revision` grows with each change."""

    id: str = Field(default_factory=_uuid, primary_key=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True)
    site_id: str | None = Field(default=None, index=True)  # None: posted from the organisation's own address
    # « En échange de… »: the same organisation's listing it swaps against (an offer of straw for a need of manure)
    counterpart_id: str | None = None
    kind: str = Field(index=True)
    status: str = Field(default="active", index=True)
    revision: int = 1
    title: str
    description: str | None = None
    ewc_code: str | None = None
    category: str | None = None
    quantity_value: float | None = None
    quantity_unit: str | None = None
    frequency: str | None = None
    radius_km: float | None = None
    available_from: date | None = None
    expires_at: date
    # What the flow is in law, as its organisation declares it (None: not said); see shared.nomenclatures.
    waste_status: str | None = None
    abp_category: int | None = None
    organic_farming: bool | None = None  # offer: usable in organic farming; need: for an organic farm
    terms: str | None = None  # shared.nomenclatures.LISTING_TERMS: shown to all (None: not said)
    price: str | None = None  # « 30 € la tonne, départ » : shown to the other side once both accept
    transport_by: str | None = None  # shared.nomenclatures.TRANSPORT_BY (None: not said)
    # When it is available (offer, share) or wanted (need, pool): shared.nomenclatures.WEEKDAYS codes and month
    # numbers; empty: any day, any month.
    days: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    months: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    transport_means: str | None = None  # shared.nomenclatures.TRANSPORT_MEANS
    # Qualities (offers.domain.QUALITIES): an offer's, or what a need requires (see shared.events).
    temperature_c: float | None = None
    pressure_bar: float | None = None
    purity_percent: float | None = None
    moisture_percent: float | None = None
    # Fields the organisation keeps to itself for good, even from matched partners and the animateur.
    private_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


class ExpiryReminder(SQLModel, table=True):
    """A listing's owner was reminded of the expiry on `expires_at`: once per validity period.

    A table of its own (not a column of `listing`) so existing databases get it without a migration.
    """

    __tablename__ = "expiry_reminder"

    listing_id: str = Field(foreign_key="listing.id", primary_key=True)
    expires_at: date = Field(primary_key=True)
    sent_at: datetime = Field(default_factory=_now)


class DismissedSuggestion(SQLModel, table=True):
    """A flow typical of its activity (`offers.typical_flows`) an organisation said it does not have: not offered
    again."""

    __tablename__ = "dismissed_suggestion"

    organisation_id: str = Field(foreign_key="organisation.id", primary_key=True)
    ewc_code: str = Field(primary_key=True)
    dismissed_at: datetime = Field(default_factory=_now)


class ListingRequest(SQLModel, table=True):
    """A `POST /listings` made with an `Idempotency-Key`: the same key again gives back the same listing.

    `fingerprint` is a hash of the request's body, so a key reused for another listing is refused.
    """

    __tablename__ = "listing_request"

    organisation_id: str = Field(foreign_key="organisation.id", primary_key=True)
    idempotency_key: str = Field(primary_key=True)
    listing_id: str = Field(foreign_key="listing.id")
    fingerprint: str
    created_at: datetime = Field(default_factory=_now)


class UserAccount(SQLModel, table=True):
    """A person acting for one organisation; `email` is stored lower-case, so unique whatever its case."""

    __tablename__ = "user_account"

    id: str = Field(default_factory=_uuid, primary_key=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True)
    name: str
    email: str = Field(unique=True, index=True)
    password_hash: str | None = None  # None: signs in by emailed link only
    role: str = "member"
    confirmed_at: datetime | None = None
    created_at: datetime = Field(default_factory=_now)


class WebSession(SQLModel, table=True):
    """A browser session: the cookie holds a random token, only its SHA-256 is kept (`id`)."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True)
    user_id: str = Field(foreign_key="user_account.id", index=True)
    csrf_token: str
    created_at: datetime = Field(default_factory=_now)
    expires_at: datetime
    revoked_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """A password login attempt, counted to throttle guessing per email and per client address."""

    __tablename__ = "login_attempt"

    id: str = Field(default_factory=_uuid, primary_key=True)
    email: str = Field(index=True)
    address: str | None = Field(default=None, index=True)
    succeeded: bool
    attempted_at: datetime = Field(default_factory=_now, index=True)


class Invitation(SQLModel, table=True):
    """An administrator's invitation to join its organisation, pending until its link is used. It makes no account
    and reserves no address (issue 18): several organisations may invite one address, its owner may sign up
    meanwhile, and an invitation never accepted expires. Accepted, it becomes the user (with its `id`)."""

    __table_args__ = (UniqueConstraint("organisation_id", "email"),)

    id: str = Field(default_factory=_uuid, primary_key=True)  # the user's id once accepted
    organisation_id: str = Field(foreign_key="organisation.id", index=True)
    email: str = Field(index=True)  # lower-case, as `user_account.email`
    name: str  # as the administrator typed it
    role: str = "member"
    created_at: datetime = Field(default_factory=_now)
    expires_at: datetime


class LoginLink(SQLModel, table=True):
    """A link to email a user, valid an hour, used once. Its nonce is made when the mailer asks for the link
    (`POST /internal/account-links/{id}`), never before, and only its SHA-256 is kept; events name the link
    by `id` alone. An invitation's link names the invitation instead of a user (one of the two is set)."""

    __tablename__ = "login_link"

    id: str = Field(default_factory=_uuid, primary_key=True)
    nonce_hash: str | None = Field(default=None, unique=True)
    user_id: str | None = Field(default=None, foreign_key="user_account.id", index=True)
    invitation_id: str | None = Field(default=None, foreign_key="invitation.id", index=True)
    purpose: str  # confirm | login | invite | invite_existing | diagnostic | review | signup_attempt
    created_at: datetime = Field(default_factory=_now, index=True)
    expires_at: datetime
    used_at: datetime | None = None


class ApiToken(SQLModel, table=True):
    """An organisation's API bearer token (its SHA-256); revoked tokens are kept, never reused."""

    __tablename__ = "api_token"

    id: str = Field(default_factory=_uuid, primary_key=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True)
    token_hash: str = Field(unique=True, index=True)
    label: str
    created_at: datetime = Field(default_factory=_now)
    revoked_at: datetime | None = None


class RoleRequest(SQLModel, table=True):
    """A user's request for a role only the platform's team grants: the animateur of a collectivité."""

    __tablename__ = "role_request"

    id: str = Field(default_factory=_uuid, primary_key=True)
    user_id: str = Field(foreign_key="user_account.id", index=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True)
    role: str
    status: str = Field(default="pending", index=True)  # pending | granted | refused
    requested_at: datetime = Field(default_factory=_now)
    decided_at: datetime | None = None


ACCOUNT_TABLES: list[type[SQLModel]] = [
    UserAccount,
    WebSession,
    LoginAttempt,
    Invitation,
    LoginLink,
    ApiToken,
    RoleRequest,
]
# The service's tables (with the outbox and inbox): what its migrations bring a database to.
TABLES: list[type[SQLModel]] = [
    Organisation,
    Site,
    Listing,
    ExpiryReminder,
    ListingRequest,
    DismissedSuggestion,
    *ACCOUNT_TABLES,
]


class SuggestionOut(BaseModel):
    """A flow typical of the organisation's activity, to publish as a listing of `kind` with this code and title."""

    ewc_code: str
    title: str
    kind: Literal["offer"]


class Input(BaseModel):
    """API input: unknown fields are refused, so a typo is reported rather than ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SuggestionDismissed(Input):
    """A typical flow the organisation does not have, by its code of the List of Waste."""

    ewc_code: Annotated[str, PydanticField(min_length=6, max_length=6, description="6 chiffres, ex. 150101")]


def _no_nul(value: str) -> str:
    if "\x00" in value:  # PostgreSQL text cannot hold it: a 422 rather than a 500
        raise ValueError("le caractère nul (U+0000) n'est pas accepté")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


# Where an organisation or one of its sites is: a commune (its postcode or INSEE code), exact coordinates if wished.
Commune = Annotated[Text, PydanticField(max_length=120)]
Postcode = Annotated[str, PydanticField(pattern=r"^\d{5}$")]
Insee = Annotated[str, PydanticField(pattern=r"^(\d{5}|2[AB]\d{3})$")]
Latitude = Annotated[float, PydanticField(ge=-90, le=90)]
Longitude = Annotated[float, PydanticField(ge=-180, le=180)]


def stays(value: object) -> object:
    """A field that may change but not go: null is refused in a change."""
    if value is None:
        raise ValueError("ce champ peut changer mais pas être vidé")
    return value


class OrganisationCreate(Input):
    name: Text = PydanticField(min_length=2, max_length=200)
    kind: OrganisationKind
    siret: Text | None = None
    naf_code: Text | None = None
    commune: Commune | None = None
    postcode: Postcode | None = None
    insee: Insee | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    contact_email: EmailStr


class OrganisationUpdate(Input):
    """Profile fields to change. Moving needs the commune, postcode or INSEE code (coordinates optional);
    the SIRET and NAF code may be emptied with null, the name, kind and contact address may not."""

    name: Text | None = PydanticField(default=None, min_length=2, max_length=200)
    kind: OrganisationKind | None = None
    siret: Text | None = None
    naf_code: Text | None = None
    commune: Commune | None = None
    postcode: Postcode | None = None
    insee: Insee | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    contact_email: EmailStr | None = None

    # An organisation always has a name, a kind and a contact address: they may change, not go.
    _stay = field_validator("name", "kind", "contact_email")(stays)


class SiteCreate(Input):
    """Another establishment of the organisation: its name, its SIRET if it has one, its commune (and its exact
    position if wished)."""

    name: Text = PydanticField(min_length=2, max_length=120)
    siret: Text | None = None
    commune: Commune | None = None
    postcode: Postcode | None = None
    insee: Insee | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None


class SiteUpdate(SiteCreate):
    """Fields to change; moving needs the commune, postcode or INSEE code, as creating does."""

    name: Text | None = PydanticField(default=None, min_length=2, max_length=120)  # type: ignore[assignment]

    _stay = field_validator("name")(stays)


class SitePublic(BaseModel):
    """A site as its organisation sees it; `id` null: the organisation's own address, its first site."""

    id: str | None
    name: str
    siret: str | None
    commune: str | None
    postcode: str | None
    insee: str | None
    lat: float | None
    lon: float | None
    location_approximation: str | None
    active_listings: int = 0


class OrganisationCreated(BaseModel):
    id: str
    token: str


class OrganisationPublic(BaseModel):
    """An organisation as it sees itself."""

    id: str
    name: str
    kind: str
    siret: str | None
    naf_code: str | None
    commune: str | None
    postcode: str | None
    insee: str | None
    lat: float | None
    lon: float | None
    location_approximation: str | None
    contact_email: str


class OrganisationMe(OrganisationPublic):
    """The caller's organisation and who calls: a user (`user_id`) or an API token (`user_id` null)."""

    role: str
    user_id: str | None


AccountRole = Literal["member", "org_admin", "animateur", "platform_admin"]


class AccountCreate(Input):
    """Sign-up: a new organisation and its first user, its administrator."""

    organisation: OrganisationCreate
    name: Text = PydanticField(min_length=2, max_length=200)
    email: EmailStr
    password: Text | None = PydanticField(
        default=None, description="12 caractères au moins ; sans mot de passe, connexion par lien envoyé par email"
    )


class RoleRequestCreate(Input):
    role: Literal["animateur"] = PydanticField(description="le rôle demandé : animateur (d'une collectivité)")


class RoleDecision(Input):
    granted: bool


class RoleRequestPublic(BaseModel):
    id: str
    user_id: str
    user_name: str
    user_email: str
    organisation_id: str
    organisation_name: str
    role: str
    status: str
    requested_at: datetime
    decided_at: datetime | None


class AccountCreated(BaseModel):
    organisation_id: str
    user_id: str


class Credentials(Input):
    email: Text = PydanticField(max_length=320)
    password: Text = PydanticField(max_length=1024)


class LinkRequest(Input):
    email: Text = PydanticField(max_length=320)


class SessionUser(BaseModel):
    id: str
    name: str
    email: str
    role: str


class SessionOrganisation(BaseModel):
    id: str
    name: str
    kind: str


class SessionInfo(BaseModel):
    """Who is logged in; `csrf_token` goes in the `X-CSRF-Token` header of every unsafe request."""

    user: SessionUser
    organisation: SessionOrganisation
    csrf_token: str


class PasswordChange(Input):
    password: Text = PydanticField(max_length=1024)
    current_password: Text | None = PydanticField(default=None, max_length=1024)


class TokenCreate(Input):
    label: Text = PydanticField(min_length=1, max_length=100)


class TokenCreated(BaseModel):
    """A new API token: `token` is shown this once, only its hash is kept."""

    id: str
    label: str
    token: str


class TokenPublic(BaseModel):
    id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


class UserInvite(Input):
    """A colleague invited to join the organisation: an email invites them, its link makes their account."""

    name: Text = PydanticField(min_length=2, max_length=200)
    email: EmailStr
    role: Literal["member", "org_admin"] = "member"


class UserPublic(BaseModel):
    """A user, or an invitation not accepted yet (`confirmed` false, `invited_until` its expiry): its `id` is the
    user's once accepted."""

    id: str
    organisation_id: str
    name: str
    email: str
    role: str
    confirmed: bool
    created_at: datetime
    invited_until: datetime | None = None


class RoleChange(Input):
    role: AccountRole


class Quantity(Input):
    value: float = PydanticField(gt=0, le=1e12, description="strictement positive")
    unit: Text = PydanticField(
        max_length=20,
        description="kg, t, l, hl, m3, m2, kwh, mwh, unit, pallet, bale, meal, "
        "animal_place, hour, day, nm3 ; débits : kw, mw, m3h, th",
    )


PrivateField = Literal["quantity"]


class ListingFields(Input):
    """What a new listing may say and a change may change, all optional (null empties a field in a change)."""

    description: Text | None = PydanticField(default=None, max_length=5000)
    ewc_code: Text | None = None
    category: Text | None = PydanticField(default=None, max_length=120)
    quantity: Quantity | None = None
    frequency: Frequency | None = None
    radius_km: float | None = None
    available_from: date | None = None
    expires_at: date | None = None
    waste_status: Text | None = PydanticField(
        default=None,
        description="statut déclaré : waste (déchet), by_product (sous-produit), end_of_waste "
        "(sortie du statut de déchet), product (produit) ; pour un besoin, le statut exigé",
    )
    abp_category: int | Text | None = PydanticField(
        default=None, description="catégorie de sous-produits animaux (1, 2 ou 3, règlement (CE) n° 1069/2009)"
    )
    organic_farming: bool | None = PydanticField(
        default=None, description="offre : utilisable en agriculture biologique ; besoin : pour une ferme en bio"
    )
    terms: Text | None = PydanticField(
        default=None,
        description="conditions : free (gratuit), for_sale (à vendre), negotiable (à débattre) ; montrées à tous",
    )
    price: Text | None = PydanticField(
        default=None, max_length=120, description="prix, montré à l'autre partie seulement après accord des deux"
    )
    transport_by: Text | None = PydanticField(
        default=None,
        description="qui transporte : giver (le cédant livre), taker (le preneur vient chercher), either (à convenir)",
    )
    transport_means: Text | None = PydanticField(
        default=None,
        description="avec quoi : van (utilitaire), tractor_trailer (tracteur et remorque), truck "
        "(camion ou porteur), skip_lorry (camion benne), tanker (citerne), refrigerated "
        "(véhicule frigorifique)",
    )
    days: list[Text] | None = PydanticField(
        default=None,
        max_length=7,
        description="jours où c'est disponible (offre, partage) ou voulu (besoin, "
        "mutualisation) : mon, tue, wed, thu, fri, sat, sun ; vide : tous",
    )
    months: list[int] | None = PydanticField(
        default=None, max_length=12, description="mois (1 à 12) ; vide : toute l'année"
    )
    temperature_c: float | None = PydanticField(
        default=None, description="°C ; pour un besoin, le minimum exigé (pour du froid, le maximum)"
    )
    pressure_bar: float | None = PydanticField(default=None, description="bar ; pour un besoin, le minimum")
    purity_percent: float | None = PydanticField(default=None, description="% ; pour un besoin, le minimum")
    moisture_percent: float | None = PydanticField(default=None, description="% ; pour un besoin, le maximum")
    private_fields: list[PrivateField] | None = PydanticField(
        default=None, description="champs gardés privés pour de bon : « quantity » (ni fourchette ni quantité montrée)"
    )
    site_id: Text | None = PydanticField(
        default=None,
        description="le site d'où part l'offre ou où va le besoin (`GET /organisations/me/sites`) ; "
        "absent ou null : l'adresse de l'organisation",
    )
    counterpart_id: Text | None = PydanticField(
        default=None,
        description="en échange de : une annonce en ligne de la même organisation, du type "
        "complémentaire (une offre de paille contre un besoin de fumier)",
    )


class ListingCreate(ListingFields):
    kind: ListingKind
    title: Text = PydanticField(min_length=3, max_length=200)


class ListingUpdate(ListingFields):
    """Fields to change; the kind of a listing cannot change (withdraw and post anew)."""

    title: Text | None = PydanticField(default=None, min_length=3, max_length=200)

    @field_validator("title")
    @classmethod
    def title_stays(cls, value: str | None) -> str | None:
        """A listing always has a title: it may change, not go (other fields may be emptied with null)."""
        if value is None:
            raise ValueError("le titre ne peut pas être retiré (3 caractères au moins)")
        return value


class ListingCreated(BaseModel):
    id: str
    status: str


class QuantityOut(BaseModel):
    value: float
    unit: str


class ListingPublic(BaseModel):
    """A listing in full, as its owner sees it."""

    id: str
    organisation_id: str
    kind: str
    status: str
    revision: int
    title: str
    description: str | None
    ewc_code: str | None
    category: str | None
    quantity: QuantityOut | None
    frequency: str | None
    radius_km: float | None
    available_from: date | None
    expires_at: date
    waste_status: str | None = None
    abp_category: int | None = None
    organic_farming: bool | None = None
    terms: str | None = None
    price: str | None = None
    transport_by: str | None = None
    transport_means: str | None = None
    days: list[str] = []
    months: list[int] = []
    temperature_c: float | None = None
    pressure_bar: float | None = None
    purity_percent: float | None = None
    moisture_percent: float | None = None
    private_fields: list[str] = []
    site_id: str | None = None
    counterpart_id: str | None = None
    created_at: datetime
    updated_at: datetime
    mine: bool = True


class ListingAnonymised(BaseModel):
    """Another organisation's listing: no name, exact quantity, description or address."""

    id: str
    kind: str
    status: str
    title: str
    ewc_code: str | None
    category: str | None
    quantity_approx: str | None
    frequency: str | None
    commune: str | None
    expires_at: date
    waste_status: str | None = None  # what the flow is in law is no secret: the partner's obligations follow from it
    abp_category: int | None = None
    organic_farming: bool | None = None
    terms: str | None = None  # the price stays with its owner until a match is accepted
    transport_by: str | None = None  # who carries, with what: said to all, it decides whether a piste is realistic
    transport_means: str | None = None
    days: list[str] = []  # when it is available or wanted
    months: list[int] = []
    temperature_c: float | None = None  # qualities are what a partner needs to know, not a secret
    pressure_bar: float | None = None
    purity_percent: float | None = None
    moisture_percent: float | None = None
    mine: bool = False
