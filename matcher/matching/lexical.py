"""Lexical similarity for Chinese: character n-gram TF-IDF.

Chinese has no spaces, so word TF-IDF needs a segmenter; character bigrams and
trigrams need none and still make exact terms count (轮胎, 担保链, 原料药) where
embeddings blur them.  Digits are dropped first: amounts and years say nothing
about fit and would otherwise match by accident.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

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


def _char_ngram_analyzer(ngram_range: tuple[int, int]) -> Callable[[str], list[str]]:
    """scikit-learn's character n-gram analyser with our preprocessor (the same tokens)."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(
        analyzer="char", ngram_range=ngram_range, preprocessor=normalize_for_lexical
    )
    return vectorizer.build_analyzer()  # type: ignore[no-any-return]


class NgramStore:
    """Each text's n-gram counts, numbered in a vocabulary that only grows.

    Analysing the texts is 95 % of building the index (scikit-learn's analyser
    in Python).  A pool that changes by one partner keeps every other text, so
    a store kept between builds analyses only the texts it has not seen; the
    numbers of known n-grams never change, so stored counts stay valid.
    `retain` drops the texts no longer in the pool (the vocabulary stays: it
    is bounded by the distinct n-grams ever seen, a few per character).
    """

    def __init__(self, ngram_range: tuple[int, int] = (2, 3)) -> None:
        self.ngram_range = ngram_range
        self.vocabulary: dict[str, int] = {}
        self._analyze = _char_ngram_analyzer(ngram_range)
        self._docs: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def analyze(self, text: str) -> list[str]:
        return self._analyze(text)  # type: ignore[no-any-return]

    def counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's n-gram numbers (ascending, int32) and their counts (float32)."""
        found = self._docs.get(text)
        if found is None:
            counts = Counter(self._analyze(text))
            vocabulary = self.vocabulary
            for gram in counts:
                if gram not in vocabulary:
                    vocabulary[gram] = len(vocabulary)
            ids = np.fromiter((vocabulary[g] for g in counts), np.int32, len(counts))
            values = np.fromiter(counts.values(), np.float32, len(counts))
            order = np.argsort(ids)
            found = (ids[order], values[order])
            self._docs[text] = found
        return found

    def retain(self, texts: Sequence[str]) -> None:
        keep = set(texts)
        self._docs = {t: v for t, v in self._docs.items() if t in keep}

    def __len__(self) -> int:
        return len(self._docs)


class LexicalIndex:
    """TF-IDF over character 2–3-grams, fitted on the partner texts.

    The same weights as scikit-learn's TfidfVectorizer(analyzer="char",
    sublinear_tf=True, smooth idf, L2 rows) fitted on the texts (a test checks
    it), computed from an NgramStore so that a rebuild re-analyses only new
    texts.

    Example:
        >>> idx = LexicalIndex.fit(["轮胎制造龙头", "不良资产收购"])
        >>> idx.scores("轮胎企业").argmax()
        0
    """

    def __init__(
        self, store: NgramStore, by_term: sparse.csr_matrix, df: np.ndarray, idf: np.ndarray
    ) -> None:
        # Term-major (an inverted index): a query touches only the rows of its
        # own n-grams, instead of a sparse product over every document (at
        # 100k documents: 3.5 ms instead of 121 ms per query, same scores).
        self.store = store
        self._by_term = by_term
        self._df = df
        self._idf = idf

    @classmethod
    def fit(cls, texts: Sequence[str], store: NgramStore | None = None) -> LexicalIndex:
        """Index `texts`; pass the store of the previous build to re-analyse only new texts.

        Example:
            >>> store = NgramStore()
            >>> first = LexicalIndex.fit(["轮胎", "担保链"], store)
            >>> again = LexicalIndex.fit(["轮胎", "担保链", "原料药"], store)  # analyses one text
        """
        store = store if store is not None else NgramStore()
        docs = [store.counts(t) for t in texts]
        store.retain(texts)
        n, size = len(docs), len(store.vocabulary)
        lengths = np.array([len(ids) for ids, _ in docs], dtype=np.int64)
        ids = np.concatenate([d[0] for d in docs]) if docs else np.zeros(0, np.int32)
        tf = np.concatenate([d[1] for d in docs]) if docs else np.zeros(0, np.float32)
        df = np.bincount(ids, minlength=size)
        idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        weights = (1.0 + np.log(tf)) * idf[ids]
        starts = np.concatenate(([0], np.cumsum(lengths)))
        norms = np.ones(n, np.float32)
        filled = lengths > 0
        if len(weights):
            # One segment per non-empty document (an empty one adds no elements).
            squares = np.add.reduceat(weights * weights, starts[:-1][filled])
            norms[filled] = np.sqrt(squares)
        weights /= np.repeat(norms, lengths)
        by_doc = sparse.csr_matrix((weights, ids, starts), shape=(n, size))
        by_term = by_doc.T.tocsr()
        by_term.sort_indices()
        return cls(store, by_term, df, idf)

    def __len__(self) -> int:
        return int(self._by_term.shape[1])

    def query_terms(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The n-gram numbers of `text` (ascending) and their TF-IDF weights, L2-normalised.

        Only n-grams of the indexed texts count (as with the vectorizer's
        `transform`); computed without building a sparse matrix.
        """
        known, df = self.store.vocabulary, self._df
        counts = Counter(g for g in self.store.analyze(text) if g in known and known[g] < len(df))
        ids = np.fromiter((known[g] for g in counts), np.int32, len(counts))
        tf = np.fromiter(counts.values(), np.float32, len(counts))
        present = df[ids] > 0  # n-grams of texts that have left the pool do not count
        ids, tf = ids[present], tf[present]
        if not len(ids):
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
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
