"""GB 32100-2015 check character: known codes, each kind of error."""

from __future__ import annotations

import pytest

from matcher.credit_code import credit_code_check_char, credit_code_problem

# The first is the standard's worked example; the others end in a letter and in 0.
VALID = ["91350100M000100Y43", "91110000100006485K", "913705230000000120"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code: str) -> None:
    assert credit_code_problem(code) is None
    assert credit_code_check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y44", "校验位错误：应为3"),
        ("91350100M000100Y4", "应为18位"),
        ("91350100M000100Y433", "应为18位"),
        ("91350100M000100I43", "非法字符：I"),
        ("91350100m000100Y43", "非法字符：m"),
    ],
)
def test_problems_are_named(code: str, fragment: str) -> None:
    problem = credit_code_problem(code)
    assert problem is not None and fragment in problem


def test_every_single_character_typo_is_caught() -> None:
    code = VALID[0]
    for position in range(17):
        for replacement in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if replacement != code[position]:
                typo = code[:position] + replacement + code[position + 1 :]
                assert credit_code_problem(typo) is not None, typo
