"""What a comparison is, declared once: ordered levels, a per-pair form and a pool form.

A `RuleComponent` is one comparison between an enterprise (its `MatchQuery`)
and a partner, in the splink style: ordered levels, a `null` level first
(missing data, weight 0) and an `else` level last, the first level that
matches wins.  The component carries both of its "backends" side by side:

- `pair(query, partner, ctx) -> Contribution`: one partner, with the Chinese
  reason; the reference semantics, used for explanations and the naive
  baseline;
- `pool(state, query, ctx) -> level numbers`: every partner at once with
  NumPy, for ranking; `state` is what the component's own `prepare` hook
  precomputed from the pool, so a new component never edits the index.

A table-driven test checks that the two agree level by level for every
registered component.  A `SimilarityComponent` (dense, lexical) adds
weight × clipped z-score of a text similarity instead of a level weight; a
`HardFilter` removes partners before ranking.  `matcher.matching.registry`
holds the ordered list of all three kinds.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from matcher.industry import IndustryTable
from matcher.profile import PartnerProfile

if TYPE_CHECKING:  # types only: the context and the pool import the registry of these
    from matcher.matching.context import MatchContext, MatchQuery
    from matcher.matching.pool import PartnerIndex

LEVEL_DTYPE = np.int8
"""Level numbers are small: a component has at most 127 levels."""

Key = tuple[object, ...]


@dataclass(frozen=True)
class Level:
    """One level of a component.

    Attributes:
        label: the stable code stored with each match and named in the TOML.
        title: a short Chinese title of the level.
        weight: the default weight (what fixtures/matcher_config.toml ships).
        reason: the default reason template, filled by the per-pair form
            with `str.format` fields; empty for a level that explains nothing.
    """

    label: str
    title: str
    weight: float
    reason: str = ""


class Contribution(NamedTuple):
    """One component's verdict for one partner: which level matched, its weight and why.

    A named tuple rather than a frozen dataclass: every explanation of 100
    results builds 600 of these, and a tuple is built in a third of the time.
    """

    component: str
    level: str
    weight: float
    detail: str


def no_state(partners: Sequence[PartnerProfile], industries: IndustryTable) -> None:
    """The `prepare` hook of a component that needs nothing precomputed."""
    return None


def _unit_factor(query: MatchQuery, ctx: MatchContext) -> float:
    return 1.0


@dataclass(frozen=True)
class RuleComponent:
    """A comparison with ordered levels, in both its per-pair and its pool form.

    Attributes:
        name: the code used in scores, stored components and the TOML.
        title: the one Chinese title of the component (page, export, change report).
        levels: ordered; the first is `null`, the last `else`.
        pair: `(query, partner, ctx) -> Contribution`, built with `verdict`.
        pool: `(state, query, ctx) -> LEVEL_DTYPE array`, one level number per partner.
        key: `(query, ctx) -> tuple`: everything `pool` depends on besides the
            pool, so a batch computes the levels once for enterprises that agree on it.
        prepare: `(partners, industries) -> state`, run once when the index is built.
        factor: `(query, ctx) -> float` multiplying every level weight (the
            asset component's category factor); 1 for most components.
        note: `query -> str`, one line about the query itself appended to
            every explanation (the deal size's basis), or None.

    A per-pair form that reads the partner's role (matcher.matching.roles) takes it as
    an optional fourth argument, `role` (the code; "": derived there, when needed):
    the explanation of a ranking passes the role the index derived once per partner
    (the role component's state), as deriving it again per result was most of the
    explanation's time (issue 17).  `takes_role` tells such a form.

    Raises:
        ValueError: on levels that do not start with `null`, end with `else`,
            repeat a label or give `null` a weight.
    """

    name: str
    title: str
    levels: tuple[Level, ...]
    pair: Callable[[MatchQuery, PartnerProfile, MatchContext], Contribution]
    pool: Callable[[Any, MatchQuery, MatchContext], np.ndarray]
    key: Callable[[MatchQuery, MatchContext], Key]
    prepare: Callable[[Sequence[PartnerProfile], IndustryTable], Any] = no_state
    factor: Callable[[MatchQuery, MatchContext], float] = _unit_factor
    note: Callable[[MatchQuery], str] | None = None
    _by_label: dict[str, Level] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        labels = [lv.label for lv in self.levels]
        if len(labels) < 2 or labels[0] != "null" or labels[-1] != "else":
            raise ValueError(f"{self.name}: levels must start with 'null' and end with 'else'")
        if len(set(labels)) != len(labels):
            raise ValueError(f"{self.name}: level labels repeat")
        if len(labels) > np.iinfo(LEVEL_DTYPE).max:
            raise ValueError(f"{self.name}: too many levels")
        if self.levels[0].weight != 0.0:
            raise ValueError(f"{self.name}.null must weigh 0 (missing data is neutral)")
        object.__setattr__(self, "_by_label", {lv.label: lv for lv in self.levels})

    @cached_property
    def takes_role(self) -> bool:
        """Whether `pair` takes the partner's role code as its `role` argument."""
        return "role" in inspect.signature(self.pair).parameters

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return tuple(lv.label for lv in self.levels)

    def index(self, label: str) -> int:
        """The level number of `label` (its position; the pool form returns these)."""
        return self.labels.index(label)

    def level(self, label: str) -> Level:
        return self._by_label[label]

    def full(self, n: int, label: str) -> np.ndarray:
        """Every one of `n` partners at the level `label`."""
        return np.full(n, self.index(label), dtype=LEVEL_DTYPE)

    def verdict(
        self,
        query: MatchQuery,
        ctx: MatchContext,
        label: str,
        detail: str | None = None,
        **fields: object,
    ) -> Contribution:
        """The contribution of level `label`: its configured weight and its reason.

        The reason is the level's template filled with `fields`, or `detail`
        when the per-pair form has a more precise one.
        """
        if detail is None:
            reason = self._by_label[label].reason
            detail = reason.format_map(fields) if fields else reason
        weight = ctx.config.level_weight(self.name, label, query.primary)
        if self.factor is not _unit_factor:  # the explanation of 100 results calls this 600 times
            weight *= self.factor(query, ctx)
        if ctx.config.component_factors or ctx.config.category_factors:
            weight *= ctx.config.factor_for(self.name, query.primary)
        return Contribution(self.name, label, weight, detail)


@dataclass(frozen=True)
class SimilarityComponent:
    """A text similarity fused as weight × clipped z-score over the filtered pool.

    Attributes:
        name, title: as for a RuleComponent.
        weight_field: the MatcherConfig attribute holding the weight per pool
            standard deviation.
        reason: the reason shown when the similarity stands well above the
            pool (`str.format` field `cosine`).
        scores: `(index, query) -> similarities (n,) float32`, or None when
            this similarity is unavailable (no embeddings, no lexical index).
        block_scores: `(index, queries) -> (m, n)` for a batch, when one call
            for many queries is cheaper (a matrix product); None otherwise.
        needs_embedding: the ranking encodes the need text when this
            similarity is in use.
    """

    name: str
    title: str
    weight_field: str
    reason: str
    scores: Callable[[PartnerIndex, MatchQuery], np.ndarray | None]
    block_scores: Callable[[PartnerIndex, Sequence[MatchQuery]], np.ndarray | None] | None = None
    needs_embedding: bool = False

    def weight(self, config: Any) -> float:
        return float(getattr(config, self.weight_field))


@dataclass(frozen=True)
class HardFilter:
    """A condition that removes a partner before ranking; it is never returned.

    Attributes:
        name: a code, unique among the registry's names.
        reason: the Chinese reason `hard_filter_reasons` gives.
        pair: `(query, partner, ctx) -> bool`, True when the partner is removed.
        pool: `(state, levels, query, ctx) -> bool array` of removed partners;
            `levels` holds the rule components' level arrays of this query.
        key: `(query, ctx) -> tuple` when the pool form depends on the query
            only through it (a batch then computes it once), or None.
        prepare: as for a RuleComponent.
    """

    name: str
    reason: str
    pair: Callable[[MatchQuery, PartnerProfile, MatchContext], bool]
    pool: Callable[[Any, Mapping[str, np.ndarray], MatchQuery, MatchContext], np.ndarray]
    key: Callable[[MatchQuery, MatchContext], Key] | None = None
    prepare: Callable[[Sequence[PartnerProfile], IndustryTable], Any] = no_state


def _always(config: Any) -> bool:
    return True


def level_filter(
    component: RuleComponent,
    label: str,
    reason: str,
    *,
    name: str,
    when: Callable[[Any], bool] = _always,
) -> HardFilter:
    """A filter removing the partners at one level of a component (when `when(config)`).

    Example:
        >>> outside = level_filter(REGION, "else", "不在地区内", name="outside")  # doctest: +SKIP
    """
    number = component.index(label)

    def pair(query: MatchQuery, partner: PartnerProfile, ctx: MatchContext) -> bool:
        return when(ctx.config) and component.pair(query, partner, ctx).level == label

    def pool(
        state: object, levels: Mapping[str, np.ndarray], query: MatchQuery, ctx: MatchContext
    ) -> np.ndarray:
        found = levels[component.name]
        if not when(ctx.config):
            return np.zeros(len(found), dtype=bool)
        return found == number

    return HardFilter(name=name, reason=reason, pair=pair, pool=pool)
