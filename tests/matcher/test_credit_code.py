"""GB 32100-2015 credit codes: known codes pass, and each wrong part is named."""

from __future__ import annotations

import json

import pytest

from api.config import FIXTURES_DIR
from matcher.credit_code import (
    credit_code_check_char,
    credit_code_problem,
    organisation_code_check_char,
)


def build(head: str, org8: str) -> str:
    """A code from its first eight characters and an organisation code's first eight."""
    first17 = head + org8 + organisation_code_check_char(org8)
    return first17 + credit_code_check_char(first17)


# The standard's worked example, a central SOE (ends in a letter), a 事业单位 at the
# national level, a 律师事务所, a 村级集体经济组织 (letter authority), a development zone.
VALID = [
    "91350100M000100Y43",
    "91110000100006485K",
    build("12100000", "40000012"),
    build("31370000", "49546180"),
    build("N2370523", "MA3C0000"),
    build("91370571", "MA3C0001"),
]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code: str) -> None:
    assert credit_code_problem(code) is None
    assert credit_code_check_char(code[:17]) == code[17]


def test_organisation_check_digit_follows_gb_11714() -> None:
    assert organisation_code_check_char("M000100Y") == "4"
    assert organisation_code_check_char("10000648") == "5"
    assert organisation_code_check_char("00000001") == "9"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y44", "校验位错误：第18位应为3"),
        ("91350100M000100Y4", "应为18位"),
        ("91350100M000100Y433", "应为18位"),
        ("91350100M000100I43", "非法字符：I"),
        ("91350100m000100Y43", "非法字符：m"),
    ],
)
def test_problems_are_named(code: str, fragment: str) -> None:
    problem = credit_code_problem(code)
    assert problem is not None and fragment in problem


# Each has a correct 18th character, so the old check (the last character only) took it.
WRONG_PART = [
    ("unknown authority", build("B1370523", "MA3C0000"), "第1位（登记管理部门代码）“B”无效"),
    ("type not of the authority", build("95370523", "MA3C0000"), "第2位（机构类别代码）“5”"),
    ("letters in the division", build("91AB0523", "MA3C0000"), "“AB0523”应为6位数字"),
    ("unknown province", build("91990000", "MA3C0000"), "“990000”不是有效的行政区划代码"),
    ("unknown prefecture", build("91379900", "MA3C0000"), "“379900”不是有效的行政区划代码"),
    ("unknown county", build("91370540", "MA3C0000"), "“370540”不是有效的行政区划代码"),
]


@pytest.mark.parametrize(("case", "code", "fragment"), WRONG_PART, ids=[w[0] for w in WRONG_PART])
def test_every_part_is_checked(case: str, code: str, fragment: str) -> None:
    assert code[17] == credit_code_check_char(code[:17])
    problem = credit_code_problem(code)
    assert problem is not None and fragment in problem, (case, problem)


def test_a_wrong_organisation_check_digit_is_named() -> None:
    first17 = "91370523MA3C00000"  # GB 11714 wants 3 after MA3C0000
    code = first17 + credit_code_check_char(first17)
    assert credit_code_problem(code) == (
        "统一社会信用代码第9–17位（主体标识码，即组织机构代码）的校验位错误：第17位应为3，实际为0"
    )


def test_every_single_character_typo_is_caught() -> None:
    code = VALID[0]
    for position in range(17):
        for replacement in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if replacement != code[position]:
                typo = code[:position] + replacement + code[position + 1 :]
                assert credit_code_problem(typo) is not None, typo


@pytest.mark.parametrize("name", ["enterprises.json", "partners.json"])
def test_every_demo_credit_code_is_valid(name: str) -> None:
    items = json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))
    codes = [item["credit_code"] for item in items if item.get("credit_code")]
    assert codes
    assert {code: credit_code_problem(code) for code in codes} == dict.fromkeys(codes)
