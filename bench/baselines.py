"""What the service is compared with, over the same arrays.

* `NaiveScorer`: the straightforward way — one Python iteration per
  (enterprise, partner) pair calling the per-pair form of every hard filter
  and rule component in the registry (the reference semantics), a per-pair
  cosine and a per-pair TF-IDF dot product, then the same standardisation
  and fusion as matcher.matching.fusion, a full sort and the top k.  It returns the same ranking as
  `rank_partners` (checked in the run: `agreement`).
* `semantic_search_*`: sentence_transformers.util.semantic_search over the
  same embeddings (the dense part only), with `dot_score` since the rows are
  already normalised.
* `floor_*`: the floor — a bare NumPy matrix product plus top-k selection
  (argpartition, then a sort of the k) over the same float32 arrays: what the
  hardware allows for the dense part, with no rules, filters or explanations.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.chain import IndustryChain
from matcher.industry import IndustryTable
from matcher.matching.components.role import ROLE_CODES
from matcher.matching.config import MatcherConfig
from matcher.matching.context import DiagnosisCategories, MatchContext, MatchQuery
from matcher.matching.coverage import cover, free_places
from matcher.matching.explain import hard_filter_reasons
from matcher.matching.fusion import text_factor
from matcher.matching.lexical import normalize_for_lexical
from matcher.matching.registry import STANDARD_REGISTRY, Registry
from matcher.matching.roles import derive_role
from matcher.matching.texts import partner_offer_text
from matcher.profile import EnterpriseProfile, PartnerProfile


def _sparse_rows(matrix: object) -> list[dict[int, float]]:
    csr = matrix.tocsr()  # type: ignore[attr-defined]
    indptr, indices, data = csr.indptr, csr.indices.tolist(), csr.data.tolist()
    return [
        dict(zip(indices[indptr[j] : indptr[j + 1]], data[indptr[j] : indptr[j + 1]], strict=True))
        for j in range(csr.shape[0])
    ]


def _z(values: list[float], clip: float) -> list[float]:
    if not values:
        return []
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if std <= 1e-9:
        return [0.0] * len(values)
    return [max(-clip, min(clip, (v - mean) / std)) for v in values]


@dataclass(frozen=True)
class NaiveResult:
    partner_id: str
    score: float


class NaiveScorer:
    """Per-pair Python scoring with the components' per-pair forms (the naive way).

    Setup (not timed): each partner's vector as its own array and its TF-IDF
    row as a dict, fitted with the settings of matcher.matching.lexical.LexicalIndex.
    """

    def __init__(
        self,
        partners: Sequence[PartnerProfile],
        embeddings: np.ndarray,
        *,
        config: MatcherConfig,
        industries: IndustryTable,
        chain: IndustryChain,
        registry: Registry = STANDARD_REGISTRY,
    ) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.partners = list(partners)
        self.ids = [p.id or str(j) for j, p in enumerate(self.partners)]
        self.vectors = [np.asarray(row, np.float32) for row in embeddings]
        self.ctx = MatchContext(industries, chain, config)
        self.config = config
        self.registry = registry
        self._vectorizer = TfidfVectorizer(
            analyzer="char",
            ngram_range=(2, 3),
            preprocessor=normalize_for_lexical,
            sublinear_tf=True,
            min_df=1,
            dtype=np.float32,
        )
        matrix = self._vectorizer.fit_transform([partner_offer_text(p) for p in self.partners])
        self.rows = _sparse_rows(matrix)

    def __len__(self) -> int:
        return len(self.partners)

    def rank(
        self,
        e: EnterpriseProfile,
        diagnosis: DiagnosisCategories | dict[str, float] | None,
        query: np.ndarray,
        limit: int,
    ) -> list[NaiveResult]:
        ctx, cfg, registry = self.ctx, self.config, self.registry
        mq = MatchQuery.build(e, diagnosis, ctx)
        query_row = _sparse_rows(self._vectorizer.transform([mq.text]))[0]
        q = np.asarray(query, np.float32).reshape(-1)
        kept: list[int] = []
        rules: list[float] = []
        dense: list[float] = []
        lexical: list[float] = []
        for j, p in enumerate(self.partners):
            if hard_filter_reasons(mq, p, ctx, registry):
                continue
            parts = [c.pair(mq, p, ctx) for c in registry.components]
            row = self.rows[j]
            small, large = (row, query_row) if len(row) < len(query_row) else (query_row, row)
            kept.append(j)
            rules.append(sum(c.weight for c in parts))
            dense.append(float(np.dot(self.vectors[j], q)))
            lexical.append(sum(v * large.get(t, 0.0) for t, v in small.items()))
        zd = _z(dense, cfg.similarity_clip)
        zl = _z(lexical, cfg.similarity_clip)
        text = text_factor(mq, ctx)
        scores = [
            cfg.base + r + text * (cfg.dense_weight * a + cfg.lexical_weight * b)
            for r, a, b in zip(rules, zd, zl, strict=True)
        ]
        fit = [i for i in range(len(kept)) if scores[i] >= cfg.fit_floor]
        order = sorted(fit, key=lambda i: (-scores[i], kept[i]))
        if mq.primary is None or "role" not in registry.names:
            return [NaiveResult(self.ids[kept[i]], scores[i]) for i in order[:limit]]
        # The coverage step, with the roles read per pair.
        roles = np.array(
            [ROLE_CODES.index(derive_role(self.partners[kept[i]]).code) for i in order]
        )
        covered = cover(
            np.arange(len(order)),
            np.array([scores[i] for i in order]),
            roles,
            limit,
            cfg.coverage_penalty,
            free_places(mq, ctx),
        )
        return [
            NaiveResult(self.ids[kept[order[r]]], scores[order[r]] + float(a))
            for r, a in zip(covered.rows.tolist(), covered.adjust.tolist(), strict=True)
        ]


def floor_single(embeddings: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """Top-k indices by dot product: one GEMV, argpartition, a sort of k."""
    scores = embeddings @ query
    k = min(k, len(scores))
    top = np.argpartition(scores, len(scores) - k)[-k:]
    return top[np.argsort(-scores[top], kind="stable")]


@dataclass(frozen=True)
class FloorBatch:
    matmul_s: float
    topk_s: float

    @property
    def total_s(self) -> float:
        return self.matmul_s + self.topk_s


def floor_batch(
    queries: np.ndarray, embeddings: np.ndarray, k: int, max_block_bytes: int = 256 * 1024 * 1024
) -> FloorBatch:
    """Top-k for many queries: blocked GEMM into one reused buffer, then top-k per row."""
    m, n = len(queries), len(embeddings)
    k = min(k, n)
    rows = max(1, min(m, max_block_bytes // max(1, 4 * n)))
    buffer = np.empty((rows, n), dtype=np.float32)
    matmul = topk = 0.0
    for start in range(0, m, rows):
        block = queries[start : start + rows]
        out = buffer[: len(block)]
        t0 = time.perf_counter()
        np.matmul(block, embeddings.T, out=out)
        t1 = time.perf_counter()
        top = np.argpartition(out, n - k, axis=1)[:, -k:]
        picked = np.take_along_axis(out, top, axis=1)
        np.take_along_axis(top, np.argsort(-picked, axis=1, kind="stable"), axis=1)
        t2 = time.perf_counter()
        matmul += t1 - t0
        topk += t2 - t1
    return FloorBatch(matmul, topk)


class SemanticSearch:
    """sentence_transformers.util.semantic_search over torch views of the same arrays."""

    def __init__(self, embeddings: np.ndarray) -> None:
        import torch
        from sentence_transformers import util

        self._torch = torch
        self._util = util
        self.corpus = torch.from_numpy(np.ascontiguousarray(embeddings, dtype=np.float32))

    def search(self, queries: np.ndarray, k: int) -> list[list[dict[str, float]]]:
        q = self._torch.from_numpy(np.ascontiguousarray(np.atleast_2d(queries), np.float32))
        return self._util.semantic_search(
            q,
            self.corpus,
            top_k=k,
            score_function=self._util.dot_score,
            corpus_chunk_size=max(1, len(self.corpus)),
        )
