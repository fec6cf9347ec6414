from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import IndustriesDep, PrincipalDep
from api.errors import NOT_FOUND, NotFound

router = APIRouter(prefix="/industries", tags=["reference"])


class IndustryPublic(BaseModel):
    code: str
    level: str
    name: str
    lineage: list[dict[str, str]]


@router.get("/{code}", response_model=IndustryPublic)
def read_industry(code: str, industries: IndustriesDep, _: PrincipalDep) -> IndustryPublic:
    """Look up a GB/T 4754-2017 code (with or without its section letter)."""
    entry = industries.get(code)
    if entry is None:
        raise NotFound(NOT_FOUND.format(entity="行业代码", id=code))
    lineage = [{"code": e.code, "level": e.level, "name": e.name} for e in industries.lineage(code)]
    return IndustryPublic(code=entry.code, level=entry.level, name=entry.name, lineage=lineage)
