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

try:  # SciPy's compiled sparse kernels (what `csr_matrix @ vector` calls); see rows_product
    from scipy.sparse._sparsetools import csc_matvec as _csc_matvec
except ImportError:  # pragma: no cover - a SciPy without them falls back to row selection
    _csc_matvec = None

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
        """The text's n-gram numbers (ascending, int32) and their counts (unsigned integers).

        Counts are kept as the smallest unsigned type that holds them (uint16 for
        any text under 65,536 characters): the store holds one entry per n-gram
        of every distinct text in the pool, so its element size is its memory.
        """
        found = self._docs.get(text)
        if found is None:
            counts = Counter(self._analyze(text))
            vocabulary = self.vocabulary
            for gram in counts:
                if gram not in vocabulary:
                    vocabulary[gram] = len(vocabulary)
            ids = np.fromiter((vocabulary[g] for g in counts), np.int32, len(counts))
            top = max(counts.values(), default=0)
            dtype = np.uint16 if top < 1 << 16 else np.uint32
            values = np.fromiter(counts.values(), dtype, len(counts))
            order = np.argsort(ids)
            found = (ids[order], values[order])
            self._docs[text] = found
        return found

    def retain(self, texts: Sequence[str]) -> None:
        keep = set(texts)
        self._docs = {t: v for t, v in self._docs.items() if t in keep}

    def __len__(self) -> int:
        return len(self._docs)


_CHUNK_ENTRIES = 1 << 18
"""Stored (n-gram, document) entries handled per step of the build (bounds its temporaries)."""


def sublinear_tf(top: int) -> np.ndarray:
    """1 + log(count) for every count 0..top, float32 (index 0 is never read)."""
    counts = np.arange(top + 1, dtype=np.float32)
    counts[0] = 1.0
    return (1.0 + np.log(counts)).astype(np.float32)


def _chunks(lengths: np.ndarray, entries: int) -> list[tuple[int, int]]:
    """Consecutive document ranges holding about `entries` stored entries each."""
    bounds = np.searchsorted(np.cumsum(lengths), np.arange(entries, lengths.sum(), entries))
    edges = [0, *sorted(set((bounds + 1).tolist())), len(lengths)]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


class LexicalIndex:
    """TF-IDF over character 2–3-grams, fitted on the partner texts.

    The same weights as scikit-learn's TfidfVectorizer(analyzer="char",
    sublinear_tf=True, smooth idf, L2 rows) fitted on the texts (a test checks
    it), computed from an NgramStore so that a rebuild re-analyses only new
    texts.

    Stored compactly: a document's weight for an n-gram is
    (1 + log count) · idf(n-gram) / ‖document‖, and 93 % of the entries of
    offer texts have count 1, where 1 + log count is exactly 1.  So the index
    keeps, term-major, those entries as a pattern (the document number, int32,
    and a one-byte True) and the others with their 1 + log count (float32),
    plus the idf per n-gram and the norm per document: ~5.2 bytes per entry
    instead of a float32 weight and an int32 number (8).  A pool of 100k offer
    texts holds ~40 M entries.  A query multiplies its weights times idf into
    the two parts of its rows and divides by the norms.

    Example:
        >>> idx = LexicalIndex.fit(["轮胎制造龙头", "不良资产收购"])
        >>> int(idx.scores("轮胎企业").argmax())
        0
    """

    def __init__(
        self,
        store: NgramStore,
        ones: sparse.csr_matrix,
        rest: sparse.csr_matrix,
        df: np.ndarray,
        idf: np.ndarray,
        norms: np.ndarray,
    ) -> None:
        # Term-major (an inverted index): a query touches only the rows of its
        # own n-grams, instead of a sparse product over every document (at
        # 100k documents: 3.5 ms instead of 121 ms per query).
        self.store = store
        self._ones = ones
        """(n-grams × documents), True where the n-gram occurs once in the document."""
        self._rest = rest
        """(n-grams × documents), 1 + log count where it occurs more than once."""
        self._df = df
        self._idf = idf
        self._norms = norms

    @classmethod
    def fit(cls, texts: Sequence[str], store: NgramStore | None = None) -> LexicalIndex:
        """Index `texts`; pass the store of the previous build to re-analyse only new texts.

        The term-major arrays are filled in place, a bounded range of documents
        at a time (a counting sort per range), so the build's temporaries stay
        small next to the index itself.

        Example:
            >>> store = NgramStore()
            >>> first = LexicalIndex.fit(["轮胎", "担保链"], store)
            >>> again = LexicalIndex.fit(["轮胎", "担保链", "原料药"], store)  # analyses one text
        """
        store = store if store is not None else NgramStore()
        docs = [store.counts(t) for t in texts]
        store.retain(texts)
        n, size = len(docs), len(store.vocabulary)
        lengths = np.fromiter((len(ids) for ids, _ in docs), np.int64, n)
        ranges = _chunks(lengths, _CHUNK_ENTRIES)
        df = np.zeros(size, np.int64)
        once = np.zeros(size, np.int64)
        top = 0
        for a, b in ranges:
            ids = np.concatenate([d[0] for d in docs[a:b]])
            counts = np.concatenate([d[1] for d in docs[a:b]])
            df += np.bincount(ids, minlength=size)
            once += np.bincount(ids[counts == 1], minlength=size)
            top = max(top, int(counts.max()) if len(counts) else 0)
        idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        tf = sublinear_tf(top)
        ones = _TermMajor(once, n, np.bool_)
        rest = _TermMajor(df - once, n, np.float32)
        norms = np.ones(n, np.float32)
        for a, b in ranges:
            chunk = docs[a:b]
            ids = np.concatenate([d[0] for d in chunk])
            counts = np.concatenate([d[1] for d in chunk])
            starts = np.zeros(b - a + 1, np.int64)
            np.cumsum(lengths[a:b], out=starts[1:])
            weights = tf.take(counts) * idf.take(ids)
            filled = np.flatnonzero(lengths[a:b] > 0)
            if len(filled):
                # One segment per non-empty document (an empty one adds no entries).
                squares = np.add.reduceat(weights * weights, starts[:-1][filled])
                norms[a + filled] = np.sqrt(squares)
            docs_of = np.repeat(np.arange(a, b, dtype=np.int64), lengths[a:b])
            single = counts == 1
            ones.add(ids[single], docs_of[single], np.ones(int(single.sum()), np.bool_))
            rest.add(ids[~single], docs_of[~single], tf.take(counts[~single]))
        return cls(store, ones.matrix(), rest.matrix(), df, idf, norms)

    def __len__(self) -> int:
        return int(self._ones.shape[1])

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
        """Cosine similarity of `text` to every indexed document, in [0, 1].

        Σ over the query's n-grams of query weight · idf · (1 + log count),
        divided by the document's norm; the counts-of-one part and the rest
        are two sparse products over the query's rows.
        """
        ids, weights = self.query_terms(text)
        if not len(ids):
            return np.zeros(len(self), np.float32)
        x = (weights * self._idf.take(ids)).astype(np.float32, copy=False)
        out = rows_product(self._ones, ids, x)
        out += rows_product(self._rest, ids, x)
        out /= self._norms
        return out


def rows_product(matrix: sparse.csr_matrix, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
    """`matrix[rows].T @ x` as float32 (x float32, `rows` ascending), without copying the rows.

    SciPy's row selection copies every entry of the query's rows (about half
    the time of a query at 100k documents) before multiplying.  Here SciPy's
    own column kernel (`csc_matvec`, the one that product runs) is called on
    each row in place, in the same order — rows ascending, each row's
    documents ascending, one float32 multiply-add per entry — so the sums are
    the same bits.  A row of a boolean matrix is multiplied as float32 ones.
    Where SciPy's kernels cannot be reached (a future SciPy moving them), the
    row selection is used.
    """
    n = matrix.shape[1]
    if _csc_matvec is None or x.dtype != np.float32:
        return np.asarray(matrix[rows].T @ x, dtype=np.float32).ravel()
    out = np.zeros(n, dtype=np.float32)
    indptr, docs = matrix.indptr, matrix.indices
    units = matrix.dtype == np.bool_
    starts, stops = indptr.take(rows), indptr.take(rows + 1)
    values = np.ones(int((stops - starts).max()), np.float32) if units else matrix.data
    span = np.zeros(2, dtype=docs.dtype)
    starts, stops = starts.tolist(), stops.tolist()
    for k, (a, b) in enumerate(zip(starts, stops, strict=True)):
        if a == b:
            continue
        span[1] = b - a
        _csc_matvec(
            n, 1, span, docs[a:b], values[: b - a] if units else values[a:b], x[k : k + 1], out
        )
    return out


class _TermMajor:
    """A term-major sparse matrix filled range by range (each range in document order)."""

    def __init__(self, per_term: np.ndarray, n: int, dtype: type) -> None:
        self.n = n
        total = int(per_term.sum())
        self.index_type = np.int32 if max(n, total) < 2**31 else np.int64
        self.indptr = np.zeros(len(per_term) + 1, np.int64)
        np.cumsum(per_term, out=self.indptr[1:])
        self.cursor = self.indptr[:-1].copy()
        self.docs = np.empty(total, self.index_type)
        self.values = np.empty(total, dtype)

    def add(self, terms: np.ndarray, docs: np.ndarray, values: np.ndarray) -> None:
        """Append entries (documents after those added before) to their rows.

        The entries are put in term order by scipy's counting sort (stable, so
        each row keeps its documents ascending) and each row's run is written
        after what earlier ranges put there.
        """
        if not len(terms):
            return
        first = int(docs.min())
        part = sparse.coo_matrix(
            (values, (terms, docs - first)),
            shape=(len(self.cursor), int(docs.max()) - first + 1),
        ).tocsr()
        runs = np.diff(part.indptr).astype(np.int64)
        term = np.repeat(np.arange(len(runs)), runs)
        offset = np.arange(len(term)) - np.repeat(part.indptr[:-1].astype(np.int64), runs)
        place = self.cursor[term] + offset
        self.docs[place] = part.indices + first
        self.values[place] = part.data
        self.cursor += runs

    def matrix(self) -> sparse.csr_matrix:
        indptr = self.indptr.astype(self.index_type)
        return sparse.csr_matrix((self.values, self.docs, indptr), shape=(len(indptr) - 1, self.n))
