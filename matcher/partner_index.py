"""The partner pool as NumPy arrays, and the rule levels computed over all of it.

Built once per pool (and rebuilt when a partner changes).  Each `*_levels`
function returns, for one enterprise, the level index of every partner for one
component, with exactly the semantics of the pure functions in matcher.rules
(a test compares them partner by partner).  There is no Python loop over
partners on this path: per-enterprise work loops only over the few distinct
industry codes, regions and exclusion codes that occur in the pool, and those
small loops are cached per enterprise industry code.

Layout, chosen by profiling one enterprise against 100k partners: set-valued
fields with a handful of possible values (treatments, asset interests) are
bit masks, one integer per partner, so a level is one `&` over the pool;
industry codes, of which a partner lists a few out of hundreds, are a flat
list with segment offsets, so a partner's best code is one `minimum.reduceat`
rather than a scan of a codes × partners matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from matcher.chain import ADJACENT_CLUSTER, SAME_CLUSTER, IndustryChain
from matcher.config import LEVELS, MatcherConfig
from matcher.cosine import from_grid, to_grid
from matcher.embed import partner_offer_text
from matcher.industry import (
    SAME_DALEI,
    SAME_MENLEI,
    SAME_XIAOLEI,
    SAME_ZHONGLEI,
    IndustryTable,
    industry_relation,
    is_excluded,
)
from matcher.lexical import LexicalIndex, NgramStore
from matcher.profile import EnterpriseProfile, PartnerProfile
from matcher.rules import (
    ASSET_CATEGORIES,
    FINANCIAL_CATEGORIES,
    DiagnosisCategories,
    canonical_codes,
    relevant_asset_types,
)
from matcher.vocab import ASSET_TYPES, CATEGORIES, PARTNER_KINDS

_CATS = tuple(CATEGORIES)
_ASSETS = tuple(ASSET_TYPES)
_KINDS = tuple(PARTNER_KINDS)
LEVEL_DTYPE = np.int8


def level_index(component: str, label: str) -> int:
    return LEVELS[component].index(label)


def bit_mask(values: Iterable[str], universe: tuple[str, ...]) -> int:
    """The bits of `values` among `universe` (unknown values set no bit); fits an int32."""
    assert len(universe) < 31, "a bit per value must fit an int32"
    return sum(1 << universe.index(v) for v in set(values) if v in universe)


def _membership(items: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], np.ndarray]:
    """Distinct values and a (n_values, n_partners) boolean membership matrix."""
    values = tuple(sorted({v for row in items for v in row}))
    pos = {v: i for i, v in enumerate(values)}
    mat = np.zeros((len(values), len(items)), dtype=bool)
    for j, row in enumerate(items):
        for v in row:
            mat[pos[v], j] = True
    return values, mat


@dataclass(frozen=True)
class CodeLists:
    """Each partner's canonical industry codes as code numbers, laid out for a fast minimum.

    `head[r, j]` is partner j's r-th code (the number `len(codes)` where it has
    fewer), for the first `HEAD` codes; a partner's further codes are
    segments of `tail_ids` starting at `tail_starts`, one per row in
    `tail_rows`.  A partner's best level is then a few element-wise minimums
    over the pool plus a `reduceat` over the rare long lists, instead of a
    `reduceat` over every listed code (2.4 ms at 100k partners).
    """

    HEAD = 4
    codes: tuple[str, ...]
    head: np.ndarray
    tail_ids: np.ndarray
    tail_starts: np.ndarray
    tail_rows: np.ndarray
    unknown_rows: np.ndarray
    """Partners that list industries of which the table knows none."""
    agnostic_rows: np.ndarray
    """Partners that list no industry at all."""

    @classmethod
    def build(cls, listed: Sequence[Sequence[str]], known: Sequence[Sequence[str]]) -> CodeLists:
        """From each partner's listed codes (as given) and their canonical, known forms."""
        codes = tuple(sorted({c for row in known for c in row}))
        pos = {c: i for i, c in enumerate(codes)}
        lists = [sorted({pos[c] for c in row}) for row in known]
        width = min(cls.HEAD, max((len(x) for x in lists), default=0))
        head = np.full((width, len(lists)), len(codes), dtype=np.int32)
        tail_ids: list[int] = []
        tail_starts: list[int] = []
        tail_rows: list[int] = []
        for j, ids in enumerate(lists):
            head[: min(width, len(ids)), j] = ids[:width]
            if len(ids) > width:
                tail_rows.append(j)
                tail_starts.append(len(tail_ids))
                tail_ids.extend(ids[width:])
        return cls(
            codes=codes,
            head=head,
            tail_ids=np.array(tail_ids, dtype=np.int32),
            tail_starts=np.array(tail_starts, dtype=np.int64),
            tail_rows=np.array(tail_rows, dtype=np.int64),
            unknown_rows=np.array(
                [j for j, (a, b) in enumerate(zip(listed, lists, strict=True)) if a and not b],
                dtype=np.int64,
            ),
            agnostic_rows=np.array([j for j, a in enumerate(listed) if not a], dtype=np.int64),
        )

    def best(self, per_code: np.ndarray, n: int, null: int) -> np.ndarray:
        """Per partner, the lowest value of `per_code` over its codes.

        `null` for partners whose codes are all unknown; the rows of partners
        listing no code are left undefined for the caller (`agnostic_rows`).
        """
        if not len(self.head):
            return np.full(n, null, dtype=LEVEL_DTYPE)
        padding = np.iinfo(LEVEL_DTYPE).max  # the value of the "no further code" slot
        values = np.append(per_code.astype(LEVEL_DTYPE), LEVEL_DTYPE(padding))
        out = values.take(self.head[0])
        for row in self.head[1:]:
            np.minimum(out, values.take(row), out=out)
        if len(self.tail_rows):
            tail = np.minimum.reduceat(values[self.tail_ids], self.tail_starts)
            out[self.tail_rows] = np.minimum(out[self.tail_rows], tail)
        out[self.unknown_rows] = null
        return out


@dataclass(frozen=True)
class PartnerIndex:
    """Precomputed partner features; rows align with `partners`.

    `_memo` caches what depends only on the enterprise's industry code (the
    level of each listed code, the exclusion hits); it is bounded by the
    number of GB/T codes and keyed by the chain object it was computed with.
    """

    partners: tuple[PartnerProfile, ...]
    ids: tuple[str, ...]
    positions: dict[str, int]
    grid: np.ndarray | None
    """The offer embeddings on matcher.cosine's exact grid (whole numbers, float32)."""
    lexical: LexicalIndex | None
    active: np.ndarray
    kind: np.ndarray
    treatment_bits: np.ndarray
    asset_bits: np.ndarray
    ticket_lo_or_0: np.ndarray
    ticket_hi_or_inf: np.ndarray
    regions: tuple[str, ...]
    region_mat: np.ndarray
    has_region_pref: np.ndarray
    code_lists: CodeLists
    exclusions: tuple[str, ...]
    exclusion_mat: np.ndarray
    _memo: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(
        cls,
        partners: Sequence[PartnerProfile],
        embeddings: np.ndarray | None,
        industries: IndustryTable,
        *,
        lexical: bool = True,
        ngram_store: NgramStore | None = None,
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

        Example:
            >>> index = PartnerIndex.build(partners, emb, table)  # doctest: +SKIP
        """
        n = len(partners)
        if embeddings is not None and len(embeddings) != n:
            raise ValueError("embeddings and partners differ in length")
        regions, region_mat = _membership([p.preferred_regions for p in partners])
        excl = [
            tuple(industries.normalize(x) or x.strip().upper() for x in p.excluded_industries)
            for p in partners
        ]
        exclusions, exclusion_mat = _membership(excl)
        ids = tuple(p.id or str(j) for j, p in enumerate(partners))
        return cls(
            partners=tuple(partners),
            ids=ids,
            positions={pid: j for j, pid in enumerate(ids)},
            grid=None if embeddings is None else to_grid(embeddings),
            lexical=LexicalIndex.fit([partner_offer_text(p) for p in partners], ngram_store)
            if lexical
            else None,
            active=np.array([p.active for p in partners], dtype=bool),
            kind=np.array(
                [_KINDS.index(p.kind) if p.kind in _KINDS else len(_KINDS) for p in partners],
                dtype=np.int16,
            ),
            treatment_bits=np.array(
                [bit_mask(p.effective_treatments, _CATS) for p in partners], dtype=np.int32
            ),
            asset_bits=np.array(
                [bit_mask(p.asset_interests, _ASSETS) for p in partners], dtype=np.int32
            ),
            ticket_lo_or_0=np.array([p.ticket_min or 0.0 for p in partners], dtype=np.float64),
            ticket_hi_or_inf=np.array(
                [np.inf if p.ticket_max is None else max(p.ticket_max, 1e-9) for p in partners],
                dtype=np.float64,
            ),
            regions=regions,
            region_mat=region_mat,
            has_region_pref=region_mat.any(axis=0) if len(regions) else np.zeros(n, bool),
            code_lists=CodeLists.build(
                [p.industries for p in partners],
                [canonical_codes(p.industries, industries) for p in partners],
            ),
            exclusions=exclusions,
            exclusion_mat=exclusion_mat,
        )

    def __len__(self) -> int:
        return len(self.partners)

    @property
    def embeddings(self) -> np.ndarray | None:
        """The offer embeddings as unit vectors (a copy; the ranking reads `grid`)."""
        return None if self.grid is None else from_grid(self.grid)

    @property
    def codes(self) -> tuple[str, ...]:
        return self.code_lists.codes

    def code_levels(self, code: str, chain: IndustryChain) -> np.ndarray:
        """The industry level of each distinct listed code for an enterprise in `code`."""
        key = ("levels", code, id(chain))
        hit = self._memo.get(key)
        if hit is None or hit[0] is not chain:  # type: ignore[index]
            levels = np.array([_code_level(code, c, chain) for c in self.codes], LEVEL_DTYPE)
            hit = (chain, levels)  # holding the chain keeps its id from being reused
            self._memo[key] = hit
        return hit[1]  # type: ignore[index]

    def exclusion_hits(self, code: str) -> np.ndarray:
        """Rows of `exclusion_mat` whose excluded prefix covers `code`."""
        key = ("excluded", code)
        hit = self._memo.get(key)
        if hit is None:
            hit = np.flatnonzero([is_excluded(code, (x,)) for x in self.exclusions])
            self._memo[key] = hit
        return hit  # type: ignore[return-value]

    def rows_of(self, partner_ids: Iterable[str]) -> np.ndarray:
        return np.array([self.positions[p] for p in partner_ids if p in self.positions], np.int64)


class LevelMemo:
    """Level arrays already computed over one pool, keyed by what they depend on.

    Ranking many enterprises in one batch (matcher.scoring.rank_partners_many),
    most of them share a region, a diagnosis or an industry with another, so
    their level arrays are computed once.  At most `max_entries` arrays are
    kept (the oldest go first), which bounds the memory to that many × pool
    size bytes; `LevelMemo(0)` keeps nothing.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._store: dict[tuple[object, ...], np.ndarray] = {}

    def get(self, key: tuple[object, ...], compute: Callable[[], np.ndarray]) -> np.ndarray:
        found = self._store.get(key)
        if found is None:
            found = compute()
            if self.max_entries > 0:
                if len(self._store) >= self.max_entries:
                    del self._store[next(iter(self._store))]
                self._store[key] = found
        return found


_BY_RELATION = {
    SAME_XIAOLEI: "same_xiaolei",
    SAME_ZHONGLEI: "same_zhonglei",
    SAME_DALEI: "same_dalei",
}


def _levels_where(n: int, default: int, pairs: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """Start from `default`; each (mask, level) overwrites it, later pairs win.

    The masks are packed into one small code per partner and the level read
    from a lookup table: one pass per mask plus one `take`, where a boolean
    assignment per mask costs several times more at 100k partners.
    """
    if not pairs:
        return np.full(n, default, dtype=LEVEL_DTYPE)
    code = np.zeros(n, dtype=np.uint8)
    for bit, (mask, _) in enumerate(pairs):
        code |= np.left_shift(mask.view(np.uint8), bit, dtype=np.uint8)
    lut = np.array(
        [default] + [pairs[c.bit_length() - 1][1] for c in range(1, 1 << len(pairs))],
        dtype=LEVEL_DTYPE,
    )
    return lut.take(code)


def _any_bit(bits: np.ndarray, mask: int) -> np.ndarray:
    if not mask:
        return np.zeros(len(bits), dtype=bool)
    return (bits & mask) != 0


def treatment_levels(
    index: PartnerIndex, dx: DiagnosisCategories | None, cfg: MatcherConfig
) -> np.ndarray:
    n = len(index)
    if dx is None:
        return np.full(n, level_index("treatment", "null"), dtype=LEVEL_DTYPE)
    secondary = bit_mask(dx.secondaries(cfg.secondary_min_probability), _CATS)
    primary = bit_mask((dx.primary,), _CATS)
    return _levels_where(
        n,
        level_index("treatment", "else"),
        [
            (_any_bit(index.treatment_bits, secondary), level_index("treatment", "secondary")),
            (_any_bit(index.treatment_bits, primary), level_index("treatment", "primary")),
        ],
    )


def _code_level(code: str, other: str, chain: IndustryChain) -> int:
    rel = industry_relation(code, other)
    if rel in _BY_RELATION:
        return level_index("industry", _BY_RELATION[rel])
    link = chain.level(code, other)
    if link == SAME_CLUSTER:
        return level_index("industry", "chain_same")
    if link == ADJACENT_CLUSTER:
        return level_index("industry", "chain_adjacent")
    return level_index("industry", "same_menlei" if rel == SAME_MENLEI else "else")


def industry_levels(
    index: PartnerIndex,
    e: EnterpriseProfile,
    dx: DiagnosisCategories | None,
    table: IndustryTable,
    chain: IndustryChain,
) -> np.ndarray:
    n = len(index)
    null = level_index("industry", "null")
    code = table.normalize(e.industry_code) if e.industry_code else None
    if code is None:
        return np.full(n, null, dtype=LEVEL_DTYPE)
    # Each partner takes the best (lowest) level among its codes; listed codes
    # none of which the table knows leave it at null.
    out = index.code_lists.best(index.code_levels(code, chain), n, null)
    agnostic = index.code_lists.agnostic_rows
    if not len(agnostic):
        return out
    fit = level_index("industry", "agnostic_fit")
    if dx is not None and dx.primary in FINANCIAL_CATEGORIES:
        out[agnostic] = fit
    elif dx is not None and dx.primary in ASSET_CATEGORIES:
        wanted = bit_mask(relevant_asset_types(e, dx), _ASSETS)
        takes = _any_bit(index.asset_bits.take(agnostic), wanted)
        out[agnostic] = np.where(takes, fit, level_index("industry", "agnostic"))
    else:
        out[agnostic] = level_index("industry", "agnostic")
    return out


def ticket_ratios(index: PartnerIndex, value: float) -> np.ndarray:
    """Vectorised matcher.rules.ticket_ratio (≥ 1; 1 inside the range)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        below = index.ticket_lo_or_0 / max(value, 1e-9)
        above = np.maximum(value / index.ticket_hi_or_inf, 1.0)
    return np.where(below > 1.0, below, above)


def deal_levels(index: PartnerIndex, value: float | None, cfg: MatcherConfig) -> np.ndarray:
    n = len(index)
    if value is None or value <= 0:
        return np.full(n, level_index("deal_size", "null"), dtype=LEVEL_DTYPE)
    ratio = ticket_ratios(index, value)
    return _levels_where(
        n,
        level_index("deal_size", "else"),
        [
            (ratio <= cfg.ticket_far_factor, level_index("deal_size", "far")),
            (ratio <= cfg.ticket_near_factor, level_index("deal_size", "near")),
            (ratio <= 1.0, level_index("deal_size", "inside")),
        ],
    )


def region_levels(index: PartnerIndex, e: EnterpriseProfile) -> np.ndarray:
    n = len(index)
    pairs = [
        (index.region_mat[index.regions.index(name)], level_index("region", label))
        for label, name in (("province", e.province), ("city", e.city), ("county", e.county))
        if name and name in index.regions
    ]
    # A partner with no preference is null whatever the names say.
    pairs.append((~index.has_region_pref, level_index("region", "null")))
    return _levels_where(n, level_index("region", "else"), pairs)


def asset_levels(
    index: PartnerIndex, e: EnterpriseProfile, dx: DiagnosisCategories | None
) -> np.ndarray:
    n = len(index)
    owned = bit_mask((a.type for a in e.assets), _ASSETS)
    if not owned:
        return np.full(n, level_index("asset", "null"), dtype=LEVEL_DTYPE)
    idle = bit_mask(relevant_asset_types(e, dx), _ASSETS)
    return _levels_where(
        n,
        level_index("asset", "else"),
        [
            (_any_bit(index.asset_bits, owned), level_index("asset", "covered")),
            (_any_bit(index.asset_bits, idle), level_index("asset", "idle_covered")),
            (index.asset_bits == 0, level_index("asset", "null")),
        ],
    )


def kind_levels(
    index: PartnerIndex, dx: DiagnosisCategories | None, cfg: MatcherConfig
) -> np.ndarray:
    n = len(index)
    if dx is None:
        return np.full(n, level_index("kind", "null"), dtype=LEVEL_DTYPE)
    # One level per kind number; the last slot is for an unknown kind.
    by_kind = np.full(len(_KINDS) + 1, level_index("kind", "else"), dtype=LEVEL_DTYPE)
    for k in cfg.kind_typical.get(dx.primary, ()):
        if k in _KINDS:
            by_kind[_KINDS.index(k)] = level_index("kind", "typical")
    return by_kind.take(index.kind)


def excluded_mask(index: PartnerIndex, e: EnterpriseProfile, table: IndustryTable) -> np.ndarray:
    code = table.normalize(e.industry_code) if e.industry_code else None
    if code is None or not index.exclusions:
        return np.zeros(len(index), dtype=bool)
    hits = index.exclusion_hits(code)
    if not len(hits):
        return np.zeros(len(index), dtype=bool)
    return index.exclusion_mat[hits].any(axis=0)
