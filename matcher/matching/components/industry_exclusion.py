"""The exclusion filter: a partner that excludes the enterprise's industry (by code prefix)
is never recommended, whatever its other levels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from matcher.industry import IndustryTable, is_excluded
from matcher.matching.arrays import membership
from matcher.matching.component import HardFilter, Key
from matcher.matching.context import MatchContext, MatchQuery
from matcher.profile import PartnerProfile


def _excluded_codes(p: PartnerProfile, industries: IndustryTable) -> tuple[str, ...]:
    return tuple(industries.normalize(x) or x.strip().upper() for x in p.excluded_industries)


@dataclass(frozen=True)
class ExclusionState:
    n: int
    exclusions: tuple[str, ...]
    exclusion_mat: np.ndarray
    _hits: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def hits(self, code: str) -> np.ndarray:
        """Rows of `exclusion_mat` whose excluded prefix covers `code`."""
        found = self._hits.get(code)
        if found is None:
            found = np.flatnonzero([is_excluded(code, (x,)) for x in self.exclusions])
            self._hits[code] = found
        return found


def _prepare_exclusions(
    partners: Sequence[PartnerProfile], industries: IndustryTable
) -> ExclusionState:
    exclusions, mat = membership([_excluded_codes(p, industries) for p in partners])
    return ExclusionState(len(partners), exclusions, mat)


def _excluded_pair(q: MatchQuery, p: PartnerProfile, ctx: MatchContext) -> bool:
    if not q.industry_code:
        return False
    return is_excluded(q.industry_code, _excluded_codes(p, ctx.industries))


def _excluded_pool(
    state: ExclusionState, levels: Mapping[str, np.ndarray], q: MatchQuery, ctx: MatchContext
) -> np.ndarray:
    code = q.industry_code
    if code is None or not state.exclusions:
        return np.zeros(state.n, dtype=bool)
    hits = state.hits(code)
    if not len(hits):
        return np.zeros(state.n, dtype=bool)
    return np.asarray(state.exclusion_mat[hits].any(axis=0))


def _exclusion_key(q: MatchQuery, ctx: MatchContext) -> Key:
    return (q.industry_code,)


EXCLUDED_INDUSTRY = HardFilter(
    name="excluded_industry",
    reason="企业行业在合作方排除行业内",
    pair=_excluded_pair,
    pool=_excluded_pool,
    key=_exclusion_key,
    prepare=_prepare_exclusions,
)
