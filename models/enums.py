"""The closed vocabularies as the types the schemas, routes and pages validate with.

Each vocabulary is declared once, as a code → 中文 mapping: the engine's in
`matcher.vocab` (categories, statuses, asset types, kinds, review stages…), the
service's own here (roles, job statuses).  The `Literal` types below are built
from those mappings, so the OpenAPI document's `enum` lists, the validation and
the Chinese labels of the pages cannot drift apart.
"""

from __future__ import annotations

from typing import Literal

from matcher.vocab import (
    ASSET_TYPES,
    CATEGORIES,
    ENCUMBRANCES,
    MEASURE_STATUSES,
    OPERATING_STATUSES,
    PARTNER_KINDS,
    PLAN_CATEGORY_SOURCES,
    REVIEW_STATUSES,
)

ROLES: dict[str, str] = {
    "admin": "管理员",
    "officer": "办案人员",
    "viewer": "只读",
    "department": "部门",
}
"""Who a token acts as (spec §4); `department` answers the consultation only."""

JOB_STATUSES: dict[str, str] = {
    "queued": "排队中",
    "running": "进行中",
    "done": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
}
"""The spec's queued|running|done|failed, extended with `cancelled` (POST /jobs/{id}/cancel)."""

# Literal[tuple] is how a Literal is built from values known only at run time; the
# type checker cannot follow it, hence the ignores.
Category = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]
OperatingStatus = Literal[tuple(OPERATING_STATUSES)]  # type: ignore[valid-type]
AssetType = Literal[tuple(ASSET_TYPES)]  # type: ignore[valid-type]
Encumbrance = Literal[tuple(ENCUMBRANCES)]  # type: ignore[valid-type]
PartnerKind = Literal[tuple(PARTNER_KINDS)]  # type: ignore[valid-type]
ReviewStatus = Literal[tuple(REVIEW_STATUSES)]  # type: ignore[valid-type]
MeasureStatus = Literal[tuple(MEASURE_STATUSES)]  # type: ignore[valid-type]
PlanSource = Literal[tuple(PLAN_CATEGORY_SOURCES)]  # type: ignore[valid-type]
Role = Literal[tuple(ROLES)]  # type: ignore[valid-type]
JobStatus = Literal[tuple(JOB_STATUSES)]  # type: ignore[valid-type]

# "" is what an untouched <select> of a page's filter form sends: no filter.
CategoryFilter = Literal[("", *CATEGORIES)]  # type: ignore[valid-type]
OperatingStatusFilter = Literal[("", *OPERATING_STATUSES)]  # type: ignore[valid-type]
PartnerKindFilter = Literal[("", *PARTNER_KINDS)]  # type: ignore[valid-type]
