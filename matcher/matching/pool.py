"""The partner pool as the ranking reads it, built once per pool (and rebuilt on a change).

A `PartnerIndex` holds what every component shares (the profiles, their
ids, the offer embeddings on matcher.cosine's exact grid, the lexical index)
and, per component and filter of its registry, the state that component's
`prepare` hook computed.  Ranking reads the registry from the index it is
given, so the components scored are always those the index was built for.
There is no Python loop over partners on the ranking path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from matcher.cosine import from_grid, to_grid
from matcher.industry import IndustryTable
from matcher.matching.lexical import LexicalIndex, NgramStore
from matcher.matching.registry import STANDARD_REGISTRY, Registry
from matcher.matching.texts import partner_offer_text
from matcher.profile import PartnerProfile


@dataclass(frozen=True)
class PartnerIndex:
    """Precomputed partner features; rows align with `partners`."""

    partners: tuple[PartnerProfile, ...]
    ids: tuple[str, ...]
    positions: dict[str, int]
    grid: np.ndarray | None
    """The offer embeddings on matcher.cosine's exact grid (whole numbers, int16).

    The only copy of the embeddings the index keeps: `embeddings` derives the
    unit vectors from it when asked."""
    lexical: LexicalIndex | None
    registry: Registry
    states: dict[str, object]
    """Component or filter name → what its `prepare` hook returned."""
    pending: np.ndarray | None = None
    """Rows whose offer embedding is not computed yet (bool mask; None: every row has one).

    Their grid rows are zero; the dense similarity is standardised over the
    other rows and contributes nothing to theirs, so a pending partner is
    ranked on its rules and lexical similarity alone until its vector lands."""

    @classmethod
    def build(
        cls,
        partners: Sequence[PartnerProfile],
        embeddings: np.ndarray | None,
        industries: IndustryTable,
        *,
        lexical: bool = True,
        ngram_store: NgramStore | None = None,
        registry: Registry = STANDARD_REGISTRY,
        pending: np.ndarray | None = None,
        grid: np.ndarray | None = None,
    ) -> PartnerIndex:
        """Precompute the arrays for a pool.

        Args:
            partners: the pool; ids default to the row number when missing.
            embeddings: (n, d) normalised offer embeddings aligned with
                `partners`, or None to rank without the dense component.
            industries: the GB/T table, to canonicalise codes.
            lexical: fit the character n-gram index on the offer texts.
            ngram_store: the store of the previous build of this pool, so that
                only new offer texts are analysed (None: analyse them all).
            registry: the components to prepare (and later rank with).
            pending: bool mask of the rows whose embedding is not ready (their
                rows of `embeddings` are ignored); None or all False: none.
            grid: instead of `embeddings`, their int16 grid (`to_grid(embeddings,
                np.int16)`, which may be computed a block of rows at a time:
                each row is put on the grid on its own), so that a large pool
                never needs its float32 matrix.

        Raises:
            ValueError: when `embeddings` and `partners` differ in length.

        Example:
            >>> index = PartnerIndex.build(partners, emb, table)  # doctest: +SKIP
        """
        if embeddings is not None and len(embeddings) != len(partners):
            raise ValueError("embeddings and partners differ in length")
        if grid is not None and (embeddings is not None or grid.dtype != np.int16):
            raise ValueError("grid is an int16 grid, given instead of embeddings")
        if grid is not None and len(grid) != len(partners):
            raise ValueError("grid and partners differ in length")
        rows = tuple(partners)
        ids = tuple(p.id or str(j) for j, p in enumerate(rows))
        prepared = (*registry.components, *registry.filters)
        index = cls(
            partners=rows,
            ids=ids,
            positions={pid: j for j, pid in enumerate(ids)},
            grid=None,
            lexical=LexicalIndex.fit([partner_offer_text(p) for p in rows], ngram_store)
            if lexical
            else None,
            registry=registry,
            states={c.name: c.prepare(rows, industries) for c in prepared},
        )
        if grid is not None:
            return index._with_grid(grid, pending)
        return index.with_embeddings(embeddings, pending)

    def with_embeddings(
        self, embeddings: np.ndarray | None, pending: np.ndarray | None = None
    ) -> PartnerIndex:
        """The same pool with other offer embeddings (e.g. once pending ones have landed).

        Nothing but the dense grid depends on the embeddings, so this costs one
        `to_grid`, not a rebuild of the lexical index and the rule arrays.
        """
        if embeddings is not None and len(embeddings) != len(self.partners):
            raise ValueError("embeddings and partners differ in length")
        grid = None if embeddings is None else to_grid(embeddings, np.int16)
        return self._with_grid(grid, pending)

    def with_rows(
        self, rows: Sequence[int], vectors: np.ndarray, pending: np.ndarray | None = None
    ) -> PartnerIndex:
        """The same pool with the embeddings of `rows` set (e.g. pending ones that landed).

        The other rows keep their grid as it is: turning the grid back into
        floats and rounding it again could move a component by one unit, and
        then an index refreshed as vectors land would rank differently from
        one built fresh from the same vectors (a process's history, or which
        of several workers answers, would change a ranking).  `to_grid` treats
        each row on its own, so the new rows are exactly those of a fresh build.

        Args:
            rows: row numbers, aligned with `vectors`.
            vectors: (len(rows), d) offer embeddings of those rows.
            pending: the new pending mask (as in `with_embeddings`).

        Raises:
            ValueError: when `rows` and `vectors` differ in length.
        """
        picked = np.asarray(rows, dtype=np.int64)
        new = np.asarray(vectors)
        if new.ndim != 2 or len(new) != len(picked):
            raise ValueError("rows and vectors differ in length")
        if self.grid is not None and self.grid.shape[1] == new.shape[1]:
            grid = self.grid.copy()
        else:  # the first vectors of an all-pending pool (or of another dimension)
            grid = np.zeros((len(self.partners), new.shape[1]), dtype=np.int16)
        if len(picked):
            grid[picked] = to_grid(new, np.int16)
        return self._with_grid(grid, pending)

    def _with_grid(self, grid: np.ndarray | None, pending: np.ndarray | None) -> PartnerIndex:
        mask = None
        if pending is not None:
            mask = np.asarray(pending, dtype=bool)
            if len(mask) != len(self.partners):
                raise ValueError("pending and partners differ in length")
            if not mask.any():
                mask = None
        if mask is not None and grid is not None:
            grid[mask] = 0
        return replace(self, grid=grid, pending=mask)

    @property
    def pending_count(self) -> int:
        """How many partners are ranked without their embedding for now."""
        return 0 if self.pending is None else int(self.pending.sum())

    def embedded_rows(self, rows: np.ndarray) -> np.ndarray:
        """The rows among `rows` that have an embedding (all of them when none is pending)."""
        if self.pending is None:
            return rows
        return rows[~self.pending.take(rows)]

    def __len__(self) -> int:
        return len(self.partners)

    @property
    def embeddings(self) -> np.ndarray | None:
        """The offer embeddings as unit vectors (a copy; the ranking reads `grid`)."""
        return None if self.grid is None else from_grid(self.grid)

    def state(self, name: str) -> object:
        """What component or filter `name` prepared for this pool."""
        return self.states[name]

    def rows_of(self, partner_ids: Iterable[str]) -> np.ndarray:
        return np.array([self.positions[p] for p in partner_ids if p in self.positions], np.int64)


class LevelMemo:
    """Level arrays already computed over one pool, keyed by what they depend on.

    Ranking many enterprises in one batch (matcher.matching.ranking.rank_partners_many),
    most of them share a region, a diagnosis or an industry with another, so
    their level arrays are computed once.  A re-score job ranks its enterprises
    in blocks, one call each, and passes one memo to every call, so that the
    blocks share them too (`for_pool` empties it when the pool, the config or
    the tables change).  The least recently used array goes first once
    `max_entries` are kept, or, by default, once they would hold more than
    `max_bytes` (48 MB: 503 arrays at 100k partners, enough for the ~310 that
    1,000 synthetic enterprises share; an estimated deal size is nearly unique
    to its enterprise, and with the oldest going first its arrays pushed the
    shared industry arrays out: 980 of 1,000 industry levels were computed
    again with 256 entries).  `LevelMemo(0)` keeps nothing.
    """

    def __init__(self, max_entries: int | None = None, max_bytes: int = 48 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._store: dict[tuple[object, ...], np.ndarray] = {}
        self._pool: tuple[object, ...] = ()

    def for_pool(self, index: PartnerIndex, *tables: object) -> LevelMemo:
        """This memo for arrays over `index` with `tables` (the config's hash, the tables):
        emptied first when any of them is not the one its arrays were computed with."""
        pool = (index, *tables)
        same = len(pool) == len(self._pool) and all(
            a is b for a, b in zip(pool, self._pool, strict=True)
        )
        if not same:
            self._store.clear()
            self._pool = pool
        return self

    def get(self, key: tuple[object, ...], compute: Callable[[], np.ndarray]) -> np.ndarray:
        found = self._store.pop(key, None)
        if found is None:
            found = compute()
        limit = self.max_entries
        if limit is None:
            limit = self.max_bytes // max(found.nbytes, 1)
        if limit > 0:
            while len(self._store) >= limit:
                del self._store[next(iter(self._store))]
            self._store[key] = found  # the most recently used last
        return found
