"""施策类别: does the partner take part in the engagement the enterprise needs?

A partner's own treatment list, or the one its kind implies when the list is
empty (PartnerProfile.effective_treatments), against the diagnosis' primary
category through the engagement matrix (matcher.matching.policy.ENGAGEMENTS,
shipped in the weights file): listing the treatment itself is `primary`; an
engagement the matrix marks as the usual taker of this case by another name is
`natural` (an industrial buyer doing 兼并重组 for a 破产重整); then the
secondaries; then an engagement that can take part, `partial`.  The natural
and partial levels weigh less than `primary` (a partner listing the treatment
itself has said so), so the matrix widens the list without reordering it.

A partner that lists no treatment at all is read from its kind (an AMC takes
债务重组、破产重整 …), but that is the officer's guess, not the partner's word:
its primary treatment counts as `inferred`, between `primary` and `natural`:
a first call goes to whoever said it does this kind of case, and the guess
still ranks above an engagement that only serves the case by another name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.industry import IndustryTable
from matcher.matching.arrays import any_bit, bit_mask, levels_where
from matcher.matching.component import Contribution, Key, Level, RuleComponent
from matcher.matching.context import MatchContext, MatchQuery
from matcher.profile import PartnerProfile
from matcher.vocab import CATEGORIES, PARTNER_KINDS

_CATS = tuple(CATEGORIES)

LEVELS = (
    Level("null", "尚无诊断", 0.0, "尚无诊断结论"),
    Level("primary", "承接主要方向", 3.0, "承接{category}{how}"),
    Level("inferred", "按主体类型推断承接主要方向", 2.4, "未列明，承接{category}{how}"),
    Level("natural", "主要方向的天然承接方", 1.6, "承接{engagement}：{reason}{how}"),
    Level("secondary", "承接次要方向", 1.0, "承接次要方向{names}{how}"),
    Level("partial", "可参与主要方向", 0.6, "承接{engagement}：{reason}{how}"),
    Level("else", "不承接", -3.0, "不承接{category}{how}"),
)


def matrix_row(q: MatchQuery, ctx: MatchContext) -> dict[str, list[str]]:
    """Engagement → [level, reason] for the query's primary treatment (empty without one)."""
    return ctx.config.engagement.get(q.primary or "", {})


def pair(q: MatchQuery, p: PartnerProfile, ctx: MatchContext) -> Contribution:
    if q.primary is None:
        return TREATMENT.verdict(q, ctx, "null")
    types = p.effective_treatments
    how = "" if p.treatment_types else f"（按{PARTNER_KINDS.get(p.kind, p.kind)}类型推断）"
    category = CATEGORIES[q.primary]
    if q.primary in types and p.treatment_types:
        return TREATMENT.verdict(q, ctx, "primary", category=category, how=how)
    if q.primary in types:
        return TREATMENT.verdict(q, ctx, "inferred", category=category, how=how)
    row = matrix_row(q, ctx)
    natural = _matrix_hit(q, ctx, row, types, "natural", how)
    if natural is not None:
        return natural
    hits = [c for c in q.secondaries if c in types]
    if hits:
        names = "、".join(CATEGORIES[c] for c in hits)
        return TREATMENT.verdict(q, ctx, "secondary", names=names, how=how)
    partial = _matrix_hit(q, ctx, row, types, "partial", how)
    if partial is not None:
        return partial
    return TREATMENT.verdict(q, ctx, "else", category=category, how=how)


def _matrix_hit(
    q: MatchQuery,
    ctx: MatchContext,
    row: dict[str, list[str]],
    types: tuple[str, ...],
    level: str,
    how: str,
) -> Contribution | None:
    hits = [c for c in _CATS if c in types and row.get(c, ("",))[0] == level]
    if not hits:
        return None
    engagement, reason = CATEGORIES[hits[0]], row[hits[0]][1]
    return TREATMENT.verdict(q, ctx, level, engagement=engagement, reason=reason, how=how)


@dataclass(frozen=True)
class TreatmentState:
    treatment_bits: np.ndarray
    """Each partner's effective treatments as bits of matcher.vocab.CATEGORIES."""
    stated: np.ndarray
    """Whether the partner listed its treatments (False: inferred from its kind)."""


def prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> TreatmentState:
    bits = [bit_mask(p.effective_treatments, _CATS) for p in partners]
    stated = np.array([bool(p.treatment_types) for p in partners], dtype=bool)
    return TreatmentState(np.array(bits, dtype=np.int32), stated)


def pool(state: TreatmentState, q: MatchQuery, ctx: MatchContext) -> np.ndarray:
    n = len(state.treatment_bits)
    if q.primary is None:
        return TREATMENT.full(n, "null")
    row = matrix_row(q, ctx)
    bits = state.treatment_bits

    def matrix(level: str) -> np.ndarray:
        return any_bit(bits, bit_mask([c for c, (lv, *_) in row.items() if lv == level], _CATS))

    # Later pairs win: the weakest level first, `primary` last.
    listed = any_bit(bits, bit_mask((q.primary,), _CATS))
    pairs = [
        (matrix("partial"), TREATMENT.index("partial")),
        (any_bit(bits, bit_mask(q.secondaries, _CATS)), TREATMENT.index("secondary")),
        (matrix("natural"), TREATMENT.index("natural")),
        (listed & ~state.stated, TREATMENT.index("inferred")),
        (listed & state.stated, TREATMENT.index("primary")),
    ]
    return levels_where(n, TREATMENT.index("else"), pairs)


def key(q: MatchQuery, ctx: MatchContext) -> Key:
    return (q.primary, q.secondaries)


TREATMENT = RuleComponent(
    name="treatment",
    title="施策类别",
    levels=LEVELS,
    pair=pair,
    pool=pool,
    key=key,
    prepare=prepare,
)
