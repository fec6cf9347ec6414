"""The ordered list of comparisons: every consumer reads names, levels and titles here.

Scoring, explanations, the config's validation, the change report, the
spreadsheet export, the page and the bench baseline all iterate a
`Registry`; none keeps its own list of components.  Functions take a
registry argument defaulting to `STANDARD_REGISTRY`, so a test can register a
component of its own (`with_component`) without touching global state.

Example:
    >>> STANDARD_REGISTRY.names
    ('treatment', 'industry', 'deal_size', 'region', 'asset', 'kind', 'role', 'dense', 'lexical')
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from matcher.matching.component import HardFilter, RuleComponent, SimilarityComponent
from matcher.matching.components.active import INACTIVE
from matcher.matching.components.asset import ASSET
from matcher.matching.components.deal_size import BEYOND_TICKET, DEAL_SIZE
from matcher.matching.components.industry import INDUSTRY
from matcher.matching.components.industry_exclusion import EXCLUDED_INDUSTRY
from matcher.matching.components.kind import KIND
from matcher.matching.components.region import OUTSIDE_REGIONS, REGION
from matcher.matching.components.role import ROLE
from matcher.matching.components.similarity import DENSE, LEXICAL
from matcher.matching.components.treatment import TREATMENT
from matcher.matching.coverage import COVERAGE, COVERAGE_TITLE

RULES_MODE, FULL_MODE = "rules", "full"


@dataclass(frozen=True)
class Registry:
    """Rule components, similarity components and hard filters, each in order.

    The order of `components` then `similarities` is the order of every
    score's parts (and of the stored components).  `reason_order` is the
    order in which rule reasons of equal weight are listed (default: the
    components' order).

    Raises:
        ValueError: on a repeated name, or a `reason_order` that does not
            name each rule component once.
    """

    components: tuple[RuleComponent, ...]
    similarities: tuple[SimilarityComponent, ...] = ()
    filters: tuple[HardFilter, ...] = ()
    reason_order: tuple[str, ...] = ()
    _checked: set[str] = field(default_factory=set, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [*self.names, *(f.name for f in self.filters)]
        if len(set(names)) != len(names):
            raise ValueError(f"registry names repeat: {names}")
        if RULES_MODE in names or FULL_MODE in names or COVERAGE in names:
            raise ValueError("'full', 'rules' and 'coverage' are reserved names")
        if not self.reason_order:
            object.__setattr__(self, "reason_order", tuple(c.name for c in self.components))
        if sorted(self.reason_order) != sorted(c.name for c in self.components):
            raise ValueError("reason_order must name every rule component once")

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Every component that adds to a score, in order: rule components, then similarities."""
        return tuple(c.name for c in (*self.components, *self.similarities))

    @cached_property
    def parts(self) -> tuple[str, ...]:
        """Every part of a score, in order: the components, then the coverage adjustment."""
        return (*self.names, COVERAGE)

    @cached_property
    def titles(self) -> dict[str, str]:
        """Part name → its one Chinese title (the components and the coverage adjustment)."""
        titles = {c.name: c.title for c in (*self.components, *self.similarities)}
        titles[COVERAGE] = COVERAGE_TITLE
        return titles

    @cached_property
    def levels(self) -> dict[str, tuple[str, ...]]:
        """Rule component name → its ordered level labels."""
        return {c.name: c.labels for c in self.components}

    @cached_property
    def modes(self) -> tuple[str, ...]:
        """The ranking modes: everything, the rules alone, or one similarity alone."""
        return (FULL_MODE, RULES_MODE, *(s.name for s in self.similarities))

    @cached_property
    def explained(self) -> tuple[RuleComponent, ...]:
        by_name = {c.name: c for c in self.components}
        return tuple(by_name[name] for name in self.reason_order)

    @cached_property
    def noted(self) -> tuple[RuleComponent, ...]:
        """The components that add a line about the query to every explanation."""
        return tuple(c for c in self.components if c.note is not None)

    def component(self, name: str) -> RuleComponent:
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(name)

    def active_similarities(self, mode: str) -> tuple[SimilarityComponent, ...]:
        """The similarities a ranking in `mode` computes.

        Raises:
            ValueError: when `mode` is not one of `modes`.
        """
        if mode not in self.modes:
            raise ValueError(f"unknown mode {mode!r}; expected one of {self.modes}")
        if mode == FULL_MODE:
            return self.similarities
        return tuple(s for s in self.similarities if s.name == mode)

    def default_levels(self) -> dict[str, dict[str, float]]:
        """Component → level → default weight, as declared with the levels."""
        return {c.name: {lv.label: lv.weight for lv in c.levels} for c in self.components}

    def check(self, config: Any) -> None:
        """Raise ValueError unless `config` weighs every level of every rule component.

        Checked once per config (by its hash): rankings call this every time.
        """
        digest = config.config_hash()
        if digest in self._checked:
            return
        for c in self.components:
            given = config.levels.get(c.name)
            if given is None:
                raise ValueError(f"config lacks weights for component {c.name!r}")
            missing = [lab for lab in c.labels if lab not in given]
            if missing:
                raise ValueError(f"config lacks {c.name} level weights: {missing}")
            if given["null"] != 0.0:
                raise ValueError(f"{c.name}.null must be 0 (missing data is neutral)")
        self._checked.add(digest)

    def with_component(self, component: RuleComponent) -> Registry:
        """A copy with `component` added last (scored and explained after the others)."""
        return replace(
            self,
            components=(*self.components, component),
            reason_order=(*self.reason_order, component.name),
            _checked=set(),
        )

    def with_filter(self, hard_filter: HardFilter) -> Registry:
        """A copy with `hard_filter` checked after the others."""
        return replace(self, filters=(*self.filters, hard_filter), _checked=set())


STANDARD_REGISTRY = Registry(
    components=(TREATMENT, INDUSTRY, DEAL_SIZE, REGION, ASSET, KIND, ROLE),
    similarities=(DENSE, LEXICAL),
    filters=(INACTIVE, OUTSIDE_REGIONS, EXCLUDED_INDUSTRY, BEYOND_TICKET),
    # Among reasons of equal weight the deal size has always come last; kept so
    # that stored explanations read as before.
    reason_order=("treatment", "industry", "region", "asset", "kind", "role", "deal_size"),
)
