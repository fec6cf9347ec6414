"""Small NumPy helpers the components' pool forms share.

Layout, chosen by profiling one enterprise against 100k partners: set-valued
fields with a handful of possible values (treatments, asset interests) are
bit masks, one integer per partner, so a level is one `&` over the pool; a
level array is built from a few masks packed into one small code per partner
and read from a lookup table (`levels_where`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from matcher.matching.component import LEVEL_DTYPE


def bit_mask(values: Iterable[str], universe: tuple[str, ...]) -> int:
    """The bits of `values` among `universe` (unknown values set no bit); fits an int32.

    Example:
        >>> bit_mask(["b", "zz"], ("a", "b", "c"))
        2
    """
    assert len(universe) < 31, "a bit per value must fit an int32"
    return sum(1 << universe.index(v) for v in set(values) if v in universe)


def any_bit(bits: np.ndarray, mask: int) -> np.ndarray:
    """Partners whose bits share at least one with `mask`."""
    if not mask:
        return np.zeros(len(bits), dtype=bool)
    return (bits & mask) != 0


def membership(items: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], np.ndarray]:
    """Distinct values and a (n_values, n_partners) boolean membership matrix."""
    values = tuple(sorted({v for row in items for v in row}))
    pos = {v: i for i, v in enumerate(values)}
    mat = np.zeros((len(values), len(items)), dtype=bool)
    for j, row in enumerate(items):
        for v in row:
            mat[pos[v], j] = True
    return values, mat


def levels_where(n: int, default: int, pairs: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
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
