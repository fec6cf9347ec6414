"""Negation and clause scoping: "无逾期" is not overdue debt, "但" starts a new scope."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from matcher.diagnosis.lexicon import lexicon_from_dict, load_lexicon
from matcher.diagnosis.phrases import passage

LEXICON_PATH = Path(__file__).resolve().parents[3] / "fixtures" / "diagnosis_lexicon.toml"
NEGATION = load_lexicon(LEXICON_PATH).negation


@pytest.mark.parametrize(
    ("text", "phrase", "negated"),
    [
        ("无逾期", "逾期", True),
        ("企业未停产", "停产", True),
        ("不存在欠薪", "欠薪", True),
        ("没有任何逾期", "逾期", True),
        ("贷款已逾期", "逾期", False),
        ("无逾期，但贷款下月到期", "到期", False),  # the comma ends the negated clause
        ("没有欠薪但有逾期", "逾期", False),  # "但" ends it too
        ("未来订单稳定", "订单", False),  # 未来 is not a negation
        ("不少客户仍在下单", "下单", False),
        ("无力清偿到期债务", "无力清偿", False),  # the phrase itself starts with 无
        ("银行尚未抽贷", "抽贷", True),
        ("无欠薪、无逾期", "逾期", True),
    ],
)
def test_negation_in_its_clause(text: str, phrase: str, negated: bool) -> None:
    hits = passage(text, NEGATION).hits([phrase])
    assert len(hits) == 1 and hits[0].negated is negated, (text, hits)


def test_full_width_punctuation_and_digits_split_clauses() -> None:
    hits = passage("无逾期；贷款１２００万元到期", NEGATION).hits(["逾期", "到期"])
    assert [(h.phrase, h.negated) for h in hits] == [("逾期", True), ("到期", False)]


def test_longest_phrase_wins_at_a_place_and_quotes_its_clause() -> None:
    hits = passage("2025年3月进入破产重整，管理人已接管", NEGATION).hits(["进入破产重整", "破产"])
    assert [h.phrase for h in hits] == ["进入破产重整"]
    assert hits[0].quote() == "「2025年3月进入破产重整」"


def test_long_clauses_are_shortened_around_the_phrase() -> None:
    text = "甲" * 60 + "资不抵债" + "乙" * 60
    quote = passage(text, NEGATION).hits(["资不抵债"])[0].quote()
    assert "资不抵债" in quote and quote.endswith("…」") and len(quote) < 45


def test_the_lexicon_is_validated() -> None:
    data = tomllib.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    assert lexicon_from_dict(data).version.startswith("diag-lexicon-")
    del data["families"]["capped"]
    with pytest.raises(ValueError, match="capped"):
        lexicon_from_dict(data)
    data = tomllib.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    data["families"]["idle"] = ["闲置", ""]
    with pytest.raises(ValueError, match="idle"):
        lexicon_from_dict(data)
