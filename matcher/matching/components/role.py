"""合作角色: is the partner's role one the treatment needs, and the leading one?

The role (matcher.matching.roles) is read once per partner when the index is
built; the roles a treatment needs, leading first, are `MatcherConfig.role_needs`
(a 破产重整 needs the industrial investor first, then the financier and the
管理人; a 清算 needs the disposal channel first).  The ranking's coverage step
(matcher.matching.coverage) reads the same roles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.industry import IndustryTable
from matcher.matching.component import LEVEL_DTYPE, Contribution, Key, Level, RuleComponent
from matcher.matching.context import MatchContext, MatchQuery
from matcher.matching.roles import ROLES, derive_role
from matcher.profile import PartnerProfile
from matcher.vocab import CATEGORIES

ROLE_CODES = tuple(ROLES)

LEVELS = (
    Level("null", "尚无诊断", 0.0, "尚无诊断结论"),
    Level("lead", "所需的主导角色", 0.5, "{role}是{category}的主导角色"),
    Level("support", "所需的配合角色", 0.2, "{role}可配合{category}"),
    Level("else", "该施策较少需要的角色", -0.3, "{category}较少需要{role}"),
)


def role_level(primary: str, role: str, ctx: MatchContext) -> str:
    needs = ctx.config.role_needs.get(primary, [])
    if needs and needs[0] == role:
        return "lead"
    return "support" if role in needs else "else"


def pair(q: MatchQuery, p: PartnerProfile, ctx: MatchContext, role: str = "") -> Contribution:
    """`role`: the partner's role code if the caller knows it ("": derived here)."""
    if q.primary is None:
        return ROLE.verdict(q, ctx, "null")
    role = role or derive_role(p).code
    label = role_level(q.primary, role, ctx)
    return ROLE.verdict(q, ctx, label, role=ROLES[role], category=CATEGORIES[q.primary])


@dataclass(frozen=True)
class RoleState:
    role: np.ndarray
    """Each partner's role as its position in ROLE_CODES."""


def prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> RoleState:
    return RoleState(np.array([ROLE_CODES.index(derive_role(p).code) for p in partners], np.int8))


def pool(state: RoleState, q: MatchQuery, ctx: MatchContext) -> np.ndarray:
    if q.primary is None:
        return ROLE.full(len(state.role), "null")
    by_role = np.array(
        [ROLE.index(role_level(q.primary, r, ctx)) for r in ROLE_CODES], dtype=LEVEL_DTYPE
    )
    return by_role.take(state.role)


def key(q: MatchQuery, ctx: MatchContext) -> Key:
    return (q.primary,)


ROLE = RuleComponent(
    name="role",
    title="合作角色",
    levels=LEVELS,
    pair=pair,
    pool=pool,
    key=key,
    prepare=prepare,
)
