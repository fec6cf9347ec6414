"""Cosine similarities that come out bit for bit the same on every CPU and batch shape.

A float32 dot product of two unit vectors is a sum of 384 rounded terms, and
BLAS adds them in an order that depends on the CPU (AVX2 or AVX-512, the
kernel's blocking) and on the shape of the product (one query against the
pool, or a block of 32).  The last bits differ, and where the similarities of
a pool are all but equal, standardising them over the pool turns that noise
into a visible score (−0.15 in a batch, 0.00 alone).

Here each unit vector is put on an integer grid first: every component is
rounded to a whole number of 1/GRID units, kept as float32.  Every product
of two such components is then an integer, and by Cauchy–Schwarz every
partial sum of them is bounded by ‖a‖·‖b‖ ≤ (GRID + ½·√d)², below 2**24, the
largest integer float32 holds exactly.  So no addition rounds, in any order,
with or without fused multiply-add: the dot product is exact, and a batched
re-score and a single ranking see the same similarities.  The grid costs
nothing in accuracy that matters: a component moves by at most 1/(2·GRID),
which leaves a vector's cosine to its original above 0.99999.

A pool's grid is stored as int16 (`to_grid(..., dtype=np.int16)`): every
component is a whole number of at most GRID in magnitude, so int16 holds it
exactly in half the memory of float32 (77 MB instead of 154 at 100k × 384).
The product converts a few hundred rows at a time to float32 (exactly) and
multiplies them by BLAS while they are in cache: the same exact integers, so
the same bits, and less memory traffic than reading float32 rows.
"""

from __future__ import annotations

import math

import numpy as np

GRID = 4000.0
"""Grid units per unit length; (GRID + ½·√d)² < 2**24 for every d up to 36,000."""
_EXACT_LIMIT = float(2**24)
_CHUNK = 2048
_ROWS_PER_QUERY = 1024
"""int16 rows converted per step for one query.

Measured on a 2-core AMD EPYC (1 MB L2 per core), 100k × 384, one BLAS thread:
512 rows 10.5–12.0 ms CPU, 1024 rows 8.4–9.3 ms, 1536 rows 9.3 ms, 4096 rows
10.4 ms (fewer NumPy calls outweigh the block leaving L2).  At 1536 rows and
above OpenBLAS with two threads splits each product, and on a loaded machine
its waiting threads cost 10–30× the CPU time; 1024 stays on one thread."""
_ROWS_PER_BLOCK = 16384
"""int16 rows converted per step for a block of queries (amortised over the block).

Each step is one BLAS product, and OpenBLAS with two threads wakes and joins
its threads per product: on a loaded 2-core machine a block of 50 queries ×
100k rows took 823 ms wall (368 ms CPU) in steps of 4096 rows and 433 ms
(168 ms CPU) in steps of 16384; with one thread both take ~80 ms CPU.  The
float32 scratch is 16384 × d (24 MB at d = 384)."""
assert GRID < np.iinfo(np.int16).max, "grid components must fit int16"


def to_grid(vectors: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """Normalise each row to unit length and round it onto the integer grid.

    Args:
        vectors: (n, d) or (d,) embeddings; zero rows stay zero.
        dtype: float32 (a query) or int16 (a pool's stored rows); both hold
            the grid's whole numbers exactly.

    Returns:
        array of the same shape holding whole numbers.

    Raises:
        ValueError: when d is so large that exactness could not be guaranteed.

    Example:
        >>> to_grid(np.array([3.0, 4.0])).tolist()
        [2400.0, 3200.0]
    """
    x = np.asarray(vectors)
    d = x.shape[-1] if x.ndim else 0
    if (GRID + 0.5 * math.sqrt(d)) ** 2 >= _EXACT_LIMIT:
        raise ValueError(f"embedding dimension {d} is too large for exact grid products")
    if dtype not in (np.float32, np.int16):
        raise ValueError(f"a grid is float32 or int16, not {dtype}")
    if x.ndim == 1:
        return _grid_rows(x[None, :], dtype)[0]
    out = np.empty(x.shape, dtype=dtype)
    for start in range(0, len(x), _CHUNK):  # bounded float64 temporaries for a large pool
        out[start : start + _CHUNK] = _grid_rows(x[start : start + _CHUNK], dtype)
    return out


def _grid_rows(x: np.ndarray, dtype: type) -> np.ndarray:
    rows = np.asarray(x, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))[:, None]
    return np.rint(rows / np.maximum(norms, 1e-12) * GRID).astype(dtype)


def grid_cosines(rows: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Cosines between grid rows and one grid query (d,) or a block of them (m, d).

    Args:
        rows: (n, d) grid rows, float32 or int16 (converted in cache-sized steps).
        queries: float32 grid query (d,) or block (m, d).

    Returns:
        float32 (n,) for one query, (m, n) for a block; the same values for a
        query whether it is asked alone or inside any block, and whether the
        rows are stored as float32 or int16.

    Example:
        >>> a = to_grid(np.eye(2))
        >>> grid_cosines(a, a[0]).tolist()
        [1.0, 0.0]
    """
    q = np.asarray(queries, dtype=np.float32)
    if rows.dtype == np.float32:
        product = rows @ q if q.ndim == 1 else q @ rows.T
    else:
        product = _converted_product(rows, q)
    product *= np.float32(1.0 / (GRID * GRID))
    return product


def _converted_product(rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    """rows @ q (or q @ rows.T for a block) with integer rows turned into float32 step by step."""
    n = len(rows)
    one = q.ndim == 1
    out = np.empty(n if one else (len(q), n), dtype=np.float32)
    step = _ROWS_PER_QUERY if one else _ROWS_PER_BLOCK
    scratch = np.empty((min(step, n), rows.shape[1]), dtype=np.float32)
    for start in range(0, n, step):
        stop = min(start + step, n)
        block = scratch[: stop - start]
        np.copyto(block, rows[start:stop])
        if one:
            np.matmul(block, q, out=out[start:stop])
        else:
            np.matmul(q, block.T, out=out[:, start:stop])
    return out


def from_grid(rows: np.ndarray) -> np.ndarray:
    """The unit vectors a grid stands for (for baselines and inspection, not the hot path)."""
    return (np.asarray(rows, dtype=np.float32) * np.float32(1.0 / GRID)).astype(np.float32)
