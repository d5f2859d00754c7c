"""Administration commands of the offers service.

Run (with the offers database and `BOUCLE_SECRET_KEY` of the platform in the environment):
- `python -m offers.admin create-platform-admin --email alice@boucle.example --name "Alice Martin"` creates
  the first platform admin (or makes an existing user one) and prints a login link, valid an hour, that
  confirms the address and opens a session: no email is needed to get started;
- `python -m offers.admin set-role --email anne@cc-cote.fr --role animateur` gives a user a role, as a
  platform admin does with `POST /api/v1/users/{id}/role` (an animateur may then declare its territory).
"""

import argparse
import sys
from datetime import datetime, timezone

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlmodel import Session

from offers.accounts import ROLES, SIGNED_LINK_LIFETIME
from offers.accounts_api import account_link_url
from offers.accounts_service import Conflict, appoint, create_platform_admin
from offers.service import NotFound
from shared import migrations
from shared.db import make_engine
from shared.links import LinkSigner
from shared.settings import Settings

PLATFORM_ORGANISATION = "Équipe de la plateforme Boucle"


def account_link(settings: Settings, user_id: str, nonce: str) -> str:
    """The signed link to `/liens/compte/…`, as the mailer gets it for emails."""
    return account_link_url(
        settings, LinkSigner(settings.account_link_key, int(SIGNED_LINK_LIFETIME.total_seconds())), user_id, nonce
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offers.admin", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser(
        "create-platform-admin", help="crée un administrateur de la plateforme et affiche son lien de connexion"
    )
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument(
        "--organisation",
        default=PLATFORM_ORGANISATION,
        help="nom de l'organisation créée pour lui s'il n'a pas encore de compte",
    )
    grant = commands.add_parser("set-role", help="donne un rôle à un utilisateur (animateur, org_admin…)")
    grant.add_argument("--email", required=True)
    grant.add_argument("--role", required=True, choices=ROLES)
    args = parser.parse_args(argv)

    try:
        email = str(TypeAdapter(EmailStr).validate_python(args.email))
    except ValidationError:
        print(f"Adresse email invalide : {args.email}", file=sys.stderr)
        return 2
    settings = Settings()
    engine = make_engine(settings.database_url("offers"))
    migrations.upgrade("offers", engine)
    try:
        with Session(engine) as session:
            if args.command == "set-role":
                user = appoint(session, email, args.role)
                print(f"{user.name} <{user.email}> a maintenant le rôle {user.role}.")
                return 0
            user, nonce = create_platform_admin(
                session, email, args.name.strip(), args.organisation.strip(), datetime.now(timezone.utc)
            )
        print(f"{user.name} <{user.email}> est administrateur de la plateforme.")
        print(f"Lien de connexion (une seule fois, valable une heure) :\n{account_link(settings, user.id, nonce)}")
        return 0
    except NotFound:
        print(f"Aucun compte pour {email}.", file=sys.stderr)
        return 1
    except Conflict as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
