"""What offers' routes take from the app they are mounted in: `offers.main.create_app` puts it in `app.state`, so
that the routers are built once per process, not once per app."""

from typing import Annotated

from fastapi import Depends, Request

from shared.geo import Gazetteer


def gazetteer_of(request: Request) -> Gazetteer:
    gazetteer: Gazetteer = request.app.state.gazetteer
    return gazetteer


GazetteerDep = Annotated[Gazetteer, Depends(gazetteer_of)]
