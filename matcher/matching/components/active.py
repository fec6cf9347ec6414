"""A partner that has stopped co-operating (`active = false`) is never recommended."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from matcher.industry import IndustryTable
from matcher.matching.component import HardFilter
from matcher.matching.context import MatchContext, MatchQuery
from matcher.profile import PartnerProfile


def _pair(q: MatchQuery, p: PartnerProfile, ctx: MatchContext) -> bool:
    return not p.active


def _prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> np.ndarray:
    return np.array([not p.active for p in partners], dtype=bool)


def _pool(
    inactive: np.ndarray, levels: Mapping[str, np.ndarray], q: MatchQuery, ctx: MatchContext
) -> np.ndarray:
    return inactive


INACTIVE = HardFilter(
    name="inactive",
    reason="合作方已停止合作",
    pair=_pair,
    pool=_pool,
    prepare=_prepare,
)
