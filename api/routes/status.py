from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.services.embedding_jobs import embedding_status
from models.results import StatusOut

router = APIRouter(tags=["health"])


@router.get("/status", response_model=StatusOut)
def status(session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep) -> StatusOut:
    """How many partners have their embedding (any token): the rest rank on rules and keywords."""
    del principal  # any valid token
    found = embedding_status(session=session, runtime=runtime)
    session.commit()  # an index build may have stored vectors this process remembered
    return StatusOut(**asdict(found))
