"""Industry-chain clusters (产业链) read from fixtures/industry_chain.toml.

The GB/T 4754 hierarchy says that 轮胎制造 and 橡胶板管带制造 are siblings; it
cannot say that a tyre maker buys from a rubber-chemicals plant.  The chain
table adds that: clusters of code prefixes plus upstream/downstream links.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

SAME_CLUSTER, ADJACENT_CLUSTER, NO_CHAIN = 2, 1, 0


@dataclass(frozen=True)
class IndustryChain:
    """Clusters of code prefixes and the links between them.

    Attributes:
        clusters: cluster key -> (Chinese name, code prefixes).
        links: unordered pairs of linked cluster keys.
        version: the table's own version string.
        trade: cluster key -> the GB/T 51 wholesale code prefixes of its goods.
        goods: cluster key -> the words that name its goods in a trader's description.
    """

    clusters: dict[str, tuple[str, tuple[str, ...]]]
    links: frozenset[frozenset[str]]
    version: str = ""
    trade: dict[str, tuple[str, ...]] = field(default_factory=dict)
    goods: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _clusters_memo: dict[str, frozenset[str]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _linked_memo: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_toml(cls, path: Path | str) -> IndustryChain:
        """Load the table.

        Raises:
            ValueError: when a link names an unknown cluster.

        Example:
            >>> chain = IndustryChain.from_toml("fixtures/industry_chain.toml")  # doctest: +SKIP
        """
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        clusters = {
            key: (str(body.get("name", key)), tuple(str(c) for c in body.get("codes", ())))
            for key, body in data.get("clusters", {}).items()
        }
        links = set()
        for link in data.get("links", ()):
            a, b = str(link["from"]), str(link["to"])
            if a not in clusters or b not in clusters:
                raise ValueError(f"industry chain link names an unknown cluster: {a} -> {b}")
            links.add(frozenset((a, b)))
        bodies = data.get("clusters", {}).items()
        return cls(
            clusters=clusters,
            links=frozenset(links),
            version=str(data.get("version", "")),
            trade={k: tuple(str(c) for c in b.get("trade", ())) for k, b in bodies},
            goods={k: tuple(str(w) for w in b.get("goods", ())) for k, b in bodies},
        )

    @classmethod
    def empty(cls) -> IndustryChain:
        return cls(clusters={}, links=frozenset())

    def clusters_of(self, code: str) -> frozenset[str]:
        """Clusters whose prefixes cover `code` (canonical form, e.g. "C2911").

        Memoised: every ranking asks this for each industry code it explains,
        and a scan of every cluster's prefixes per call was 9% of ranking one
        enterprise against 100k partners.
        """
        found = self._clusters_memo.get(code)
        if found is None:
            found = frozenset(
                key
                for key, (_, prefixes) in self.clusters.items()
                if any(code.startswith(p) for p in prefixes)
            )
            self._clusters_memo[code] = found
        return found

    def linked_clusters(self, code: str) -> frozenset[str]:
        """Clusters linked (upstream or downstream) to a cluster covering `code`."""
        found = self._linked_memo.get(code)
        if found is None:
            own = self.clusters_of(code)
            found = frozenset(y for link in self.links for x in own if x in link for y in link)
            self._linked_memo[code] = found
        return found

    def level(self, a: str, b: str) -> int:
        """The first element of `relation(a, b)` without building its note (the hot path)."""
        ca, cb = self.clusters_of(a), self.clusters_of(b)
        if ca & cb:
            return SAME_CLUSTER
        return ADJACENT_CLUSTER if self.linked_clusters(a) & cb else NO_CHAIN

    def relation(self, a: str, b: str) -> tuple[int, str]:
        """How two codes relate along the chain, with the cluster names involved.

        Returns:
            (SAME_CLUSTER | ADJACENT_CLUSTER | NO_CHAIN, a short Chinese note).

        Example:
            >>> chain.relation("C2614", "C2911")  # doctest: +SKIP
            (1, '石油化工→橡胶塑料')
        """
        ca, cb = self.clusters_of(a), self.clusters_of(b)
        shared = sorted(ca & cb)
        if shared:
            return SAME_CLUSTER, self.clusters[shared[0]][0]
        for x in sorted(ca):
            for y in sorted(cb):
                if frozenset((x, y)) in self.links:
                    return ADJACENT_CLUSTER, f"{self.clusters[x][0]}↔{self.clusters[y][0]}"
        return NO_CHAIN, ""

    def traded(self, codes: tuple[str, ...], text: str) -> frozenset[str]:
        """The clusters a trader deals in: those whose wholesale codes cover one of `codes`,
        and those whose goods its description names (a bare 51 code says only "wholesale").

        Example:
            >>> sorted(chain.traded(("F51",), "大宗商品供应链，进入橡胶轮胎领域"))  # doctest: +SKIP
            ['rubber_plastics', 'tyre_auto']
        """
        return frozenset(
            key
            for key in self.clusters
            if any(c.startswith(self.trade.get(key, ())) for c in codes)
            or any(w in text for w in self.goods.get(key, ()))
        )

    def trade_covers(self, code: str, traded: frozenset[str]) -> str:
        """The name of a cluster of `code` among `traded`, else "".

        Only the maker's own chain: a trader of its goods knows its buyers and suppliers; one
        trading a linked chain (fertiliser for a fish farm) is a supplier, not a buyer of it.
        """
        hit = self.clusters_of(code) & traded
        return self.clusters[min(hit)][0] if hit else ""
