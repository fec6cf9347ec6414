"""合作角色: is the partner's role one the treatment needs, and the leading one?

The role (matcher.matching.roles) is read once per partner when the index is
built; the roles a treatment needs, leading first, are `MatcherConfig.role_needs`
(a 破产重整 needs the industrial investor first, then the financier and the
管理人; a 清算 needs the disposal channel first).  The ranking's coverage step
(matcher.matching.coverage) reads the same roles.

An industrial investor leads a 引进战投, a 兼并重组 or a 破产重整 for its trade:
the 链主 of the same trade or chain buys into a supplier, a competitor or a
plant it can run.  A firm outside the enterprise's trade and chain
cluster (the industry component's `OUTSIDE_TRADE` levels: a neighbouring
cluster, only the same 门类, or nothing in common) that lists the treatment is
not that investor, however it describes itself (a feed group for a rope
maker, a fine-chemicals firm for a weaving mill), so it is `off_trade`: it
weighs as a role the treatment rarely needs, not as its lead.  Where the
enterprise's code is unknown, or the partner lists no industry, nothing says
it is outside and the role stays `lead`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.industry import IndustryTable
from matcher.matching.component import LEVEL_DTYPE, Contribution, Key, Level, RuleComponent
from matcher.matching.components import industry as industry_component
from matcher.matching.context import MatchContext, MatchQuery
from matcher.matching.roles import ROLES, derive_role
from matcher.profile import PartnerProfile
from matcher.vocab import CATEGORIES

ROLE_CODES = tuple(ROLES)

LEVELS = (
    Level("null", "尚无诊断", 0.0, "尚无诊断结论"),
    Level("lead", "所需的主导角色", 0.5, "{role}是{category}的主导角色"),
    Level("support", "所需的配合角色", 0.2, "{role}可配合{category}"),
    Level(
        "off_trade",
        "另一行业的产业投资人",
        -0.3,
        "{role}不在企业的行业或产业链内，不是{category}的同业或链主",
    ),
    Level("else", "该施策较少需要的角色", -0.3, "{category}较少需要{role}"),
)


TRADE_LED = frozenset({"strategic_investment", "merger_restructuring", "judicial_reorganization"})
"""Treatments whose industrial investor takes the firm (or a stake in it) for its own trade."""
INDUSTRIAL = "industrial"


def role_level(primary: str, role: str, ctx: MatchContext) -> str:
    if role in ctx.config.leads(primary):
        return "lead"
    return "support" if role in ctx.config.role_needs.get(primary, []) else "else"


def _trade_checked(primary: str, role: str) -> bool:
    """Whether a partner of this role outside the trade is `off_trade` here (see the module)."""
    return role == INDUSTRIAL and primary in TRADE_LED


def pair(q: MatchQuery, p: PartnerProfile, ctx: MatchContext, role: str = "") -> Contribution:
    """`role`: the partner's role code if the caller knows it ("": derived here)."""
    if q.primary is None:
        return ROLE.verdict(q, ctx, "null")
    role = role or derive_role(p).code
    label = role_level(q.primary, role, ctx)
    if _trade_checked(q.primary, role):
        trade = industry_component.pair(q, p, ctx, role=role).level
        if trade in industry_component.OUTSIDE_TRADE:
            label = "off_trade"
    return ROLE.verdict(q, ctx, label, role=ROLES[role], category=CATEGORIES[q.primary])


@dataclass(frozen=True)
class RoleState:
    role: np.ndarray
    """Each partner's role as its position in ROLE_CODES."""
    industrial: np.ndarray
    """The rows of the industrial investors, the only role whose trade is read (TRADE_LED)."""
    industry: industry_component.IndustryState
    """The industry component's state of those rows alone: whose trade is outside."""


def prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> RoleState:
    role = np.array([ROLE_CODES.index(derive_role(p).code) for p in partners], np.int8)
    industrial = np.flatnonzero(role == ROLE_CODES.index(INDUSTRIAL))
    subset = [partners[j] for j in industrial.tolist()]
    return RoleState(role, industrial, industry_component.prepare(subset, industries))


_OUTSIDE = np.zeros(len(industry_component.INDUSTRY.levels), dtype=bool)
_OUTSIDE[[industry_component.INDUSTRY.index(x) for x in industry_component.OUTSIDE_TRADE]] = True
"""Industry level number → whether it is outside the trade (a lookup, not a search)."""


def pool(state: RoleState, q: MatchQuery, ctx: MatchContext) -> np.ndarray:
    if q.primary is None:
        return ROLE.full(len(state.role), "null")
    by_role = np.array(
        [ROLE.index(role_level(q.primary, r, ctx)) for r in ROLE_CODES], dtype=LEVEL_DTYPE
    )
    out = by_role.take(state.role)
    if _trade_checked(q.primary, INDUSTRIAL) and q.industry_code is not None:
        trade = industry_component.pool(state.industry, q, ctx)
        out[state.industrial[_OUTSIDE.take(trade)]] = ROLE.index("off_trade")
    return out


def key(q: MatchQuery, ctx: MatchContext) -> Key:
    if q.primary not in TRADE_LED:
        return (q.primary,)
    return (q.primary, *industry_component.INDUSTRY.key(q, ctx))


ROLE = RuleComponent(
    name="role",
    title="合作角色",
    levels=LEVELS,
    pair=pair,
    pool=pool,
    key=key,
    prepare=prepare,
)
