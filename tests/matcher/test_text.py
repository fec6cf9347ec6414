"""matcher.text: normalisation and Chinese tokenisation."""

from __future__ import annotations

import pytest

from matcher.text import char_ngrams, normalize_zh, tokenize_zh


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("负债率１１２％", "负债率112%"),
        ("  总资产　3.2亿元  ", "总资产 3.2亿元"),
        ("", ""),
    ],
)
def test_normalize_zh(raw: str, expected: str) -> None:
    assert normalize_zh(raw) == expected


def test_tokenize_keeps_domain_terms_whole() -> None:
    tokens = tokenize_zh("资产负债率112%，与5家企业互保联保，面临代偿")
    assert "资产负债率" in tokens
    assert "互保联保" in tokens
    assert "代偿" in tokens
    assert "，" not in tokens and "%" not in tokens


def test_tokenize_is_not_whitespace_splitting() -> None:
    assert len(tokenize_zh("订单充足客户稳定")) >= 3


def test_tokenize_empty() -> None:
    assert tokenize_zh("") == []


def test_char_ngrams() -> None:
    assert char_ngrams("停产，", 1, 2) == ["停", "产", "停产"]
