"""The case officers' pages (server-rendered, Chinese), served by the same app under /ui.

`router` gathers every page router; api/main.py includes it.  The pages call the
same services as the JSON API with the signed-in token's Principal, so roles and
county scopes hold here exactly as there.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.pages import (
    cases,
    configs,
    enterprise_edit,
    enterprises,
    home,
    partners,
    session,
    transfer,
)

router = APIRouter(include_in_schema=False)
for _module in (session, home, enterprises, enterprise_edit, partners, transfer, cases, configs):
    router.include_router(_module.router)

__all__ = ["router"]
