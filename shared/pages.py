"""Server-rendered pages: each service's own templates, over the shared base layout."""

from __future__ import annotations

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape


def page_environment(package: str) -> Environment:
    """Templates of `package` first, then shared ones (`pages/base.html`); always autoescaped."""
    return Environment(
        loader=ChoiceLoader([PackageLoader(package, "templates"), PackageLoader("shared", "templates")]),
        autoescape=select_autoescape(),
    )
