"""Lexical similarity for Chinese: character n-gram TF-IDF (scikit-learn).

Chinese has no spaces, so word TF-IDF needs a segmenter; character bigrams and
trigrams need none and still make exact terms count (轮胎, 担保链, 原料药) where
embeddings blur them.  Digits are dropped first: amounts and years say nothing
about fit and would otherwise match by accident.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

_DIGITS = re.compile(r"[0-9０-９.．%％]+")
_SPACE = re.compile(r"\s+")


def normalize_for_lexical(text: str) -> str:
    """NFKC, no digits, single spaces.

    Example:
        >>> normalize_for_lexical("负债约１２.９亿元 ，担保链")
        '负债约亿元 ,担保链'
    """
    folded = unicodedata.normalize("NFKC", text or "")
    return _SPACE.sub(" ", _DIGITS.sub("", folded)).strip()


class LexicalIndex:
    """TF-IDF over character 2–3-grams, fitted on the partner texts.

    Example:
        >>> idx = LexicalIndex.fit(["轮胎制造龙头", "不良资产收购"])
        >>> idx.scores("轮胎企业").argmax()
        0
    """

    def __init__(self, vectorizer: object, matrix: object) -> None:
        # Term-major (an inverted index): a query touches only the rows of its
        # own n-grams, instead of a sparse product over every document (at
        # 100k documents: 3.5 ms instead of 121 ms per query, same scores).
        self._by_term = matrix.T.tocsr()  # type: ignore[attr-defined]
        self._by_term.sort_indices()
        self._analyzer = vectorizer.build_analyzer()  # type: ignore[attr-defined]
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_  # type: ignore[attr-defined]
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float32)  # type: ignore[attr-defined]

    @classmethod
    def fit(cls, texts: Sequence[str], ngram_range: tuple[int, int] = (2, 3)) -> LexicalIndex:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(
            analyzer="char",
            ngram_range=ngram_range,
            preprocessor=normalize_for_lexical,
            sublinear_tf=True,
            min_df=1,
            dtype=np.float32,
        )
        docs = list(texts) or [""]
        try:
            matrix = vectorizer.fit_transform(docs)
        except ValueError:  # every document empty: an index that matches nothing
            vectorizer = TfidfVectorizer(
                analyzer="char", preprocessor=lambda s: s or "_", sublinear_tf=True
            )
            matrix = vectorizer.fit_transform(["_"] * len(docs))
        return cls(vectorizer, matrix)

    def __len__(self) -> int:
        return int(self._by_term.shape[1])

    def query_terms(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The n-gram numbers of `text` (ascending) and their TF-IDF weights, L2-normalised.

        The same vector as the fitted vectorizer's `transform` (a test checks
        it), computed without building a sparse matrix: 0.2 ms instead of 0.7.
        """
        known = self._vocabulary
        counts = Counter(g for g in self._analyzer(text) if g in known)
        if not counts:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        ids = np.fromiter((known[g] for g in counts), np.int32, len(counts))
        tf = np.fromiter(counts.values(), np.float32, len(counts))
        weights = (1.0 + np.log(tf)) * self._idf[ids]
        weights /= np.linalg.norm(weights)
        order = np.argsort(ids)
        return ids[order], weights[order]

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of `text` to every indexed document, in [0, 1]."""
        ids, weights = self.query_terms(text)
        if not len(ids):
            return np.zeros(len(self), np.float32)
        out = self._by_term[ids].T @ weights
        return np.asarray(out, dtype=np.float32).ravel()
