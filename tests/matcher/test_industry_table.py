"""GB/T 4754-2017 lookup: normalisation, names, lineage and relations."""

from __future__ import annotations

import pytest

from matcher.industry import (
    SAME_DALEI,
    SAME_MENLEI,
    SAME_XIAOLEI,
    SAME_ZHONGLEI,
    UNRELATED,
    IndustryTable,
    industry_relation,
    is_excluded,
)


def test_table_holds_every_level(industries: IndustryTable) -> None:
    assert len(industries) == 20 + 97 + 473 + 1381


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C2911", "C2911"),
        ("2911", "C2911"),
        (" c291 ", "C291"),
        ("29", "C29"),
        ("C", "C"),
        ("a0111", "A0111"),
        ("5411", "G5411"),
        ("D2911", None),
        ("C9999", None),
        ("C2", None),
        ("", None),
        ("C29111", None),
        ("2911x", None),
        ("Z", None),
    ],
)
def test_normalize(industries: IndustryTable, raw: str, expected: str | None) -> None:
    assert industries.normalize(raw) == expected


def test_names_and_lineage(industries: IndustryTable) -> None:
    assert industries.name("C2911") == "轮胎制造"
    assert [e.code for e in industries.lineage("2911")] == ["C", "C29", "C291", "C2911"]
    assert industries.lineage("nonsense") == []


@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        ("C2911", "C2911", SAME_XIAOLEI),
        ("C2911", "C2913", SAME_ZHONGLEI),
        ("C2911", "C2921", SAME_DALEI),
        ("C2911", "C2511", SAME_MENLEI),
        ("C2911", "A0111", UNRELATED),
        ("C2911", "C29", SAME_DALEI),
        ("C29", "C2911", SAME_DALEI),
        ("C291", "C2911", SAME_ZHONGLEI),
        ("C2911", "C", SAME_MENLEI),
        ("", "C2911", UNRELATED),
    ],
)
def test_relation(a: str, b: str, relation: int) -> None:
    assert industry_relation(a, b) == relation


def test_exclusion_is_a_prefix_match() -> None:
    assert is_excluded("C2511", ["C25"])
    assert is_excluded("C2511", ["C"])
    assert not is_excluded("C2611", ["C25", "B06"])
    assert not is_excluded("C2511", [""])
