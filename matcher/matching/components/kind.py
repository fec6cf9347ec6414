"""主体类型: a small prior, the kind of partner that usually leads this engagement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.industry import IndustryTable
from matcher.matching.component import LEVEL_DTYPE, Contribution, Key, Level, RuleComponent
from matcher.matching.context import MatchContext, MatchQuery
from matcher.profile import PartnerProfile
from matcher.vocab import CATEGORIES, PARTNER_KINDS

_KINDS = tuple(PARTNER_KINDS)

LEVELS = (
    Level("null", "尚无诊断", 0.0, "尚无诊断结论"),
    Level("typical", "常牵头该类施策", 0.2, "{kind}常牵头{category}"),
    Level("else", "非典型主体", 0.0, ""),
)


def pair(q: MatchQuery, p: PartnerProfile, ctx: MatchContext) -> Contribution:
    if q.primary is None:
        return KIND.verdict(q, ctx, "null")
    if p.kind in ctx.config.kind_typical.get(q.primary, ()):
        kind = PARTNER_KINDS.get(p.kind, p.kind)
        return KIND.verdict(q, ctx, "typical", kind=kind, category=CATEGORIES[q.primary])
    return KIND.verdict(q, ctx, "else")


@dataclass(frozen=True)
class KindState:
    kind: np.ndarray
    """Each partner's kind as its position in matcher.vocab.PARTNER_KINDS (unknown: the last)."""


def prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> KindState:
    numbers = [_KINDS.index(p.kind) if p.kind in _KINDS else len(_KINDS) for p in partners]
    return KindState(np.array(numbers, dtype=np.int16))


def pool(state: KindState, q: MatchQuery, ctx: MatchContext) -> np.ndarray:
    if q.primary is None:
        return KIND.full(len(state.kind), "null")
    # One level per kind number; the last slot is for an unknown kind.
    by_kind = np.full(len(_KINDS) + 1, KIND.index("else"), dtype=LEVEL_DTYPE)
    for k in ctx.config.kind_typical.get(q.primary, ()):
        if k in _KINDS:
            by_kind[_KINDS.index(k)] = KIND.index("typical")
    return by_kind.take(state.kind)


def key(q: MatchQuery, ctx: MatchContext) -> Key:
    return (q.primary,)


KIND = RuleComponent(
    name="kind",
    title="主体类型",
    levels=LEVELS,
    pair=pair,
    pool=pool,
    key=key,
    prepare=prepare,
)
