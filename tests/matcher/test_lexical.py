"""Character n-gram TF-IDF: Chinese exact terms count."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.lexical import LexicalIndex, normalize_for_lexical

DOCS = [
    "轮胎制造龙头，并购橡胶制品企业，承接闲置厂房。",
    "全国性资产管理公司，不良资产收购处置，债务重组。",
    "原料药和化学制剂研发，技术改造合作。",
]


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("全钢子午线轮胎生产企业寻求并购", 0),
        ("逾期贷款，担保链风险，希望债务重组", 1),
        ("原料药企业环保改造", 2),
    ],
)
def test_exact_terms_rank_first(query: str, best: int) -> None:
    index = LexicalIndex.fit(DOCS)
    scores = index.scores(query)
    assert scores.shape == (3,)
    assert int(scores.argmax()) == best


def test_digits_do_not_match() -> None:
    index = LexicalIndex.fit(["2025年投资3000万元", "轮胎"])
    assert index.scores("2025 3000")[0] == pytest.approx(0.0)


def test_full_width_folds() -> None:
    assert normalize_for_lexical("ＡＢＣ，担保") == "ABC,担保"


def test_empty_pool_and_empty_texts() -> None:
    index = LexicalIndex.fit(["", ""])
    assert len(index) == 2
    assert index.scores("轮胎").tolist() == [0.0, 0.0]


def _reference_vectorizer() -> TfidfVectorizer:
    """scikit-learn's own vectorizer with LexicalIndex's settings, to check against."""
    return TfidfVectorizer(
        analyzer="char",
        ngram_range=(2, 3),
        preprocessor=normalize_for_lexical,
        sublinear_tf=True,
        dtype=np.float32,
    )


def test_query_vector_equals_the_vectorizers_transform() -> None:
    vectorizer = _reference_vectorizer().fit(DOCS)
    index = LexicalIndex.fit(DOCS)
    query = "轮胎轮胎企业，逾期贷款担保链；Ｘ光 2025年"
    expected = vectorizer.transform([query])
    ids, weights = index.query_terms(query)
    assert ids.tolist() == sorted(expected.indices.tolist())
    order = np.argsort(expected.indices)
    assert weights == pytest.approx(expected.data[order], abs=1e-6)


def test_scores_equal_a_product_over_every_document() -> None:
    docs = DOCS + ["轮胎与橡胶制品，担保链化解", "资产管理公司收购不良资产包"]
    index = LexicalIndex.fit(docs)
    query = "轮胎企业担保链风险，寻求资产管理公司收购不良资产"
    vectorizer = _reference_vectorizer()
    matrix = vectorizer.fit_transform(docs)
    expected = (matrix @ vectorizer.transform([query]).T).toarray().ravel()
    assert index.scores(query) == pytest.approx(expected, abs=1e-6)
    assert index.scores("完全无关的文字zzz").tolist() == [0.0] * len(docs)
