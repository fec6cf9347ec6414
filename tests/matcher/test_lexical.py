"""Character n-gram TF-IDF: Chinese exact terms count."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.matching.lexical import LexicalIndex, NgramStore, normalize_for_lexical

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
    names = vectorizer.get_feature_names_out()
    want = {str(names[i]): float(w) for i, w in zip(expected.indices, expected.data, strict=True)}
    ids, weights = index.query_terms(query)
    term_of = {i: t for t, i in index.store.vocabulary.items()}
    got = {term_of[int(i)]: float(w) for i, w in zip(ids, weights, strict=True)}
    assert got == pytest.approx(want, abs=1e-6)
    assert list(ids) == sorted(ids)


def test_scores_equal_a_product_over_every_document() -> None:
    docs = DOCS + ["轮胎与橡胶制品，担保链化解", "资产管理公司收购不良资产包"]
    index = LexicalIndex.fit(docs)
    query = "轮胎企业担保链风险，寻求资产管理公司收购不良资产"
    vectorizer = _reference_vectorizer()
    matrix = vectorizer.fit_transform(docs)
    expected = (matrix @ vectorizer.transform([query]).T).toarray().ravel()
    assert index.scores(query) == pytest.approx(expected, abs=1e-6)
    assert index.scores("完全无关的文字zzz").tolist() == [0.0] * len(docs)


def test_a_rebuild_analyses_only_new_texts_and_equals_a_fresh_fit() -> None:
    store = NgramStore()
    LexicalIndex.fit(DOCS, store)
    analysed: list[str] = []
    analyze = store._analyze
    store._analyze = lambda text: analysed.append(text) or analyze(text)  # type: ignore[method-assign]
    changed = [DOCS[0], "新增：光伏组件回收与储能电站运营", DOCS[2]]
    rebuilt = LexicalIndex.fit(changed, store)
    assert analysed == ["新增：光伏组件回收与储能电站运营"]
    assert len(store) == 3  # the text that left the pool is dropped
    fresh = LexicalIndex.fit(changed)
    for query in ["轮胎企业并购", "光伏储能", "不良资产收购", "原料药"]:
        assert rebuilt.scores(query) == pytest.approx(fresh.scores(query), abs=1e-6), query
    # An n-gram only the departed text had does not count any more.
    assert rebuilt.scores("资产管理公司").tolist() == fresh.scores("资产管理公司").tolist()


def test_empty_texts_between_others() -> None:
    docs = ["轮胎", "", "担保链", ""]
    index = LexicalIndex.fit(docs)
    scores = index.scores("轮胎担保链")
    assert scores[1] == scores[3] == 0.0
    assert scores[0] > 0 and scores[2] > 0


def test_a_build_in_many_steps_equals_one_in_a_single_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The term-major arrays are filled a range of documents at a time; the ranges join up."""
    import matcher.matching.lexical as lexical

    docs = [
        *DOCS,
        "",
        "轮胎与橡胶制品，担保链化解",
        "资产管理公司收购不良资产包",
        "轮胎轮胎轮胎",
    ] * 7
    whole = LexicalIndex.fit(docs)
    monkeypatch.setattr(lexical, "_CHUNK_ENTRIES", 37)
    stepped = LexicalIndex.fit(docs)
    assert len(lexical._chunks(np.full(len(docs), 40), 37)) > 10
    for query in ["轮胎企业并购", "担保链", "不良资产收购", "原料药"]:
        assert stepped.scores(query).tolist() == whole.scores(query).tolist(), query
