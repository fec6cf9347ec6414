"""资产偏好: the enterprise's assets (idle ones first) against what the partner takes on.

Assets decide 资产盘活 and 清算 and matter little for 纾困, so every level
weight is multiplied by the primary treatment's asset weight
(`MatcherConfig.treatment_weights`), in both forms through `factor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.industry import IndustryTable
from matcher.matching.arrays import any_bit, bit_mask, levels_where
from matcher.matching.component import Contribution, Key, Level, RuleComponent
from matcher.matching.context import MatchContext, MatchQuery
from matcher.matching.policy import weight_factor
from matcher.profile import PartnerProfile
from matcher.vocab import ASSET_TYPES

_ASSETS = tuple(ASSET_TYPES)

LEVELS = (
    Level("null", "无资产偏好或无可处置资产", 0.0, "无资产偏好或无可处置资产"),
    Level("idle_covered", "愿承接闲置资产", 2.0, "愿承接闲置/待处置{names}"),
    Level("covered", "资产类型相符", 0.8, "资产偏好含{names}"),
    Level("else", "资产类型不符", -0.5, "资产偏好与企业资产类型不符"),
)


def _names(types: set[str] | frozenset[str]) -> str:
    return "、".join(ASSET_TYPES.get(t, t) for t in sorted(types))


def pair(q: MatchQuery, p: PartnerProfile, ctx: MatchContext) -> Contribution:
    wanted = set(p.asset_interests)
    if not wanted or not q.owned_assets:
        return ASSET.verdict(q, ctx, "null")
    idle = q.wanted_assets & wanted
    if idle:
        return ASSET.verdict(q, ctx, "idle_covered", names=_names(idle))
    covered = q.owned_assets & wanted
    if covered:
        return ASSET.verdict(q, ctx, "covered", names=_names(covered))
    return ASSET.verdict(q, ctx, "else")


@dataclass(frozen=True)
class AssetState:
    asset_bits: np.ndarray
    """Each partner's asset interests as bits of matcher.vocab.ASSET_TYPES."""


def prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> AssetState:
    bits = [bit_mask(p.asset_interests, _ASSETS) for p in partners]
    return AssetState(np.array(bits, dtype=np.int32))


def pool(state: AssetState, q: MatchQuery, ctx: MatchContext) -> np.ndarray:
    n = len(state.asset_bits)
    owned = bit_mask(q.owned_assets, _ASSETS)
    if not owned:
        return ASSET.full(n, "null")
    idle = bit_mask(q.wanted_assets, _ASSETS)
    return levels_where(
        n,
        ASSET.index("else"),
        [
            (any_bit(state.asset_bits, owned), ASSET.index("covered")),
            (any_bit(state.asset_bits, idle), ASSET.index("idle_covered")),
            (state.asset_bits == 0, ASSET.index("null")),
        ],
    )


def key(q: MatchQuery, ctx: MatchContext) -> Key:
    return (q.owned_assets, q.wanted_assets)


ASSET = RuleComponent(
    name="asset",
    title="资产偏好",
    levels=LEVELS,
    pair=pair,
    pool=pool,
    key=key,
    prepare=prepare,
    factor=weight_factor("asset", without=0.25),
)
