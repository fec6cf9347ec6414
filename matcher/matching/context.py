"""What a comparison is given: the diagnosis, the shared tables, and the query.

`MatchQuery` holds everything a component needs from the enterprise side,
derived once per ranking (the canonical industry code, the diagnosis'
primary and secondaries, owned and wanted asset types, the estimated deal,
the need text), so the per-pair and the pool forms of every component read
the same values and no component derives them again.  `MatchContext` holds
what does not depend on the enterprise: the GB/T table, the industry chain
and the weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from matcher.chain import IndustryChain
from matcher.industry import IndustryTable
from matcher.matching.deal_estimate import deal_estimate
from matcher.matching.texts import enterprise_need_text
from matcher.profile import EnterpriseProfile
from matcher.vocab import ASSET_TYPES, CATEGORIES

if TYPE_CHECKING:  # a type only: the config imports the registry, which imports the components
    from matcher.matching.config import MatcherConfig

Deal = tuple[float | None, str]
"""An estimated deal size in 万元 (None when nothing supports one) and its Chinese basis."""


@dataclass(frozen=True)
class DiagnosisCategories:
    """The categories a partner is matched against, primary first.

    Example:
        >>> DiagnosisCategories.from_mapping({"relief": 0.7, "debt_restructuring": 0.3}).primary
        'relief'
    """

    primary: str
    probabilities: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, probabilities: Mapping[str, float]) -> DiagnosisCategories:
        """The first key is the primary (the API's diagnosis lists it first)."""
        if not probabilities:
            raise ValueError("a diagnosis needs at least one category")
        unknown = [c for c in probabilities if c not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown treatment categories: {unknown}")
        return cls(primary=next(iter(probabilities)), probabilities=dict(probabilities))

    @classmethod
    def from_diagnosis(cls, diagnosis: Any) -> DiagnosisCategories:
        """From the diagnosis engine's result (anything with `.primary` and
        `.categories` of items with `.code` and `.probability`)."""
        probabilities = {diagnosis.primary: 1.0}
        for item in diagnosis.categories:
            if item.code != diagnosis.primary:
                probabilities[item.code] = float(item.probability)
        return cls.from_mapping(probabilities)

    def secondaries(self, min_probability: float) -> tuple[str, ...]:
        return tuple(
            c for c, p in self.probabilities.items() if c != self.primary and p >= min_probability
        )


def as_diagnosis(
    dx: DiagnosisCategories | Mapping[str, float] | None,
) -> DiagnosisCategories | None:
    """A DiagnosisCategories from a category → probability mapping (primary first), or None."""
    if dx is None or isinstance(dx, DiagnosisCategories):
        return dx
    return DiagnosisCategories.from_mapping(dx)


@dataclass(frozen=True)
class MatchContext:
    """What every comparison needs besides the two sides: the tables and the weights."""

    industries: IndustryTable
    chain: IndustryChain
    config: MatcherConfig


def relevant_asset_types(e: EnterpriseProfile, dx: DiagnosisCategories | None) -> frozenset[str]:
    """Asset types a partner should want: idle ones, or all residual ones when liquidating."""
    everything = dx is not None and dx.primary == "exit_liquidation"
    return frozenset(a.type for a in e.assets if (a.idle or everything) and a.type in ASSET_TYPES)


@dataclass(frozen=True)
class MatchQuery:
    """One enterprise as every component sees it, derived once per ranking.

    Attributes:
        enterprise: the profile (regions and other plain fields are read from it).
        diagnosis: the categories matched against, or None before a diagnosis.
        industry_code: the canonical GB/T code, None when missing or unknown.
        primary: the primary category, or None.
        secondaries: the other categories that reach the configured probability.
        owned_assets: the known asset types the enterprise owns.
        wanted_assets: those a partner should want (idle ones; all when liquidating).
        deal: the estimated deal size and its basis (or the override given).
        text: the need text (matcher.matching.texts).
        embedding: the need text's query vector, when the dense similarity is used.
        deal_known: the deal figure is established (an amount asked, the
            appraised assets, the liabilities, or the override given), not a
            share of the balance sheet; a rough figure neither filters nor scores.
    """

    enterprise: EnterpriseProfile
    diagnosis: DiagnosisCategories | None
    industry_code: str | None
    primary: str | None
    secondaries: tuple[str, ...]
    owned_assets: frozenset[str]
    wanted_assets: frozenset[str]
    deal: Deal
    text: str
    embedding: np.ndarray | None = None
    deal_known: bool = True

    @classmethod
    def build(
        cls,
        enterprise: EnterpriseProfile,
        diagnosis: DiagnosisCategories | Mapping[str, float] | None,
        ctx: MatchContext,
        *,
        deal: Deal | None = None,
        text: str | None = None,
        embedding: np.ndarray | None = None,
    ) -> MatchQuery:
        """Derive the query; `deal` replaces the estimate (asset-level matching), `text`
        is the need text when the caller has built it already.

        Example:
            >>> q = MatchQuery.build(ent, {"relief": 1.0}, ctx)  # doctest: +SKIP
            >>> q.deal  # doctest: +SKIP
            (3000.0, '按企业诉求中的金额约3000万元估算')
        """
        dx = as_diagnosis(diagnosis)
        code = enterprise.industry_code
        known = True
        if deal is None:
            value, basis, known = (
                deal_estimate(enterprise, dx.primary) if dx is not None else (None, "", False)
            )
            deal = (value, basis)
        return cls(
            enterprise=enterprise,
            diagnosis=dx,
            industry_code=ctx.industries.normalize(code) if code else None,
            primary=dx.primary if dx is not None else None,
            secondaries=dx.secondaries(ctx.config.secondary_min_probability) if dx else (),
            owned_assets=frozenset(a.type for a in enterprise.assets if a.type in ASSET_TYPES),
            wanted_assets=relevant_asset_types(enterprise, dx),
            deal=deal,
            text=enterprise_need_text(enterprise) if text is None else text,
            embedding=embedding,
            deal_known=known,
        )
