"""A deterministic stand-in for the sentence model (smoke test, `--encoder hash`)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np


class HashEncoder:
    """Character bigrams hashed into `dim` buckets, L2-normalised (an Encoder)."""

    def __init__(self, dim: int = 384, name: str = "bench-hash-384") -> None:
        self.dim = dim
        self.name = name

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            marked = ("q:" if prompt_name == "query" else "p:") + text
            for a, b in zip(marked, marked[1:], strict=False):
                out[i, zlib.crc32((a + b).encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
