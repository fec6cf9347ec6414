"""Lexical similarity for Chinese: character n-gram TF-IDF (scikit-learn).

Chinese has no spaces, so word TF-IDF needs a segmenter; character bigrams and
trigrams need none and still make exact terms count (轮胎, 担保链, 原料药) where
embeddings blur them.  Digits are dropped first: amounts and years say nothing
about fit and would otherwise match by accident.
"""

from __future__ import annotations

import re
import unicodedata
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
        self._vectorizer = vectorizer
        self._matrix = matrix

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
            vectorizer = TfidfVectorizer(analyzer="char", preprocessor=lambda s: s or "_")
            matrix = vectorizer.fit_transform(["_"] * len(docs))
        return cls(vectorizer, matrix)

    def __len__(self) -> int:
        return int(self._matrix.shape[0])  # type: ignore[attr-defined]

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of `text` to every indexed document, in [0, 1]."""
        query = self._vectorizer.transform([text])  # type: ignore[attr-defined]
        out = (self._matrix @ query.T).toarray().ravel()  # type: ignore[attr-defined,operator]
        return np.asarray(out, dtype=np.float32)
