"""Mentions légales, politique de confidentialité, déclaration d'accessibilité (issue 18): public, linked from every
page's footer, their details the operator's settings — and said to be missing while they are not set."""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient

from shared.gateway import create_app
from shared.settings import Settings

PAGES = {
    "/mentions-legales": "Mentions légales",
    "/confidentialite": "Politique de confidentialité",
    "/accessibilite": "Déclaration d'accessibilité",
}


def pages(**settings: str) -> dict[str, str]:
    with TestClient(create_app(Settings(**settings)), base_url="https://testserver") as client:  # type: ignore[arg-type]
        found = {}
        for path, title in PAGES.items():
            answer = client.get(path)
            found[path] = unescape(answer.text)
            assert answer.status_code == 200 and f"<h1>{title}</h1>" in found[path]
        return found


def test_the_legal_pages_show_the_operator_and_say_what_is_missing() -> None:
    unset = pages()
    for text in unset.values():
        assert "à renseigner par l'exploitant" in text
        assert all(f'href="{path}"' in text for path in PAGES)  # the footer links them all
    assert "GeoNames (geonames.org), CC-BY 4.0" in unset["/mentions-legales"]  # the attribution the data requires
    assert "non conforme" in unset["/accessibilite"] and "Défenseur des droits" in unset["/accessibilite"]
    assert "Télécharger nos données" in unset["/confidentialite"] and "cnil.fr" in unset["/confidentialite"]

    done = pages(
        BOUCLE_OPERATOR_NAME="Communauté de communes Les Bertranges",
        BOUCLE_OPERATOR_ADDRESS="2 rue de l'Exemple, 58400 La Charité-sur-Loire",
        BOUCLE_OPERATOR_EMAIL="eit@bertranges.example",
        BOUCLE_PUBLICATION_DIRECTOR="Le président",
        BOUCLE_HOST_NAME="Hébergeur Exemple",
        BOUCLE_HOST_ADDRESS="1 quai des Serveurs, 69000 Lyon",
        BOUCLE_DPO_EMAIL="dpo@bertranges.example",
    )
    assert "à renseigner" not in done["/mentions-legales"]
    assert "Communauté de communes Les Bertranges" in done["/mentions-legales"]
    assert "2 rue de l'Exemple" in done["/mentions-legales"]
    assert "Hébergeur Exemple" in done["/mentions-legales"] and "Le président" in done["/mentions-legales"]
    assert "dpo@bertranges.example" in done["/confidentialite"]
