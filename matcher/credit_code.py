"""统一社会信用代码 (GB 32100-2015) check-character verification.

The 18th character is a mod-31 checksum over the first 17, computed with the
standard's weights and its 31-character alphabet (digits and capitals without
I, O, S, V, Z).  Verifying it catches most typing errors before they become a
duplicate enterprise.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a code.

    Raises:
        ValueError: if the input is not 17 characters of the code alphabet.

    Example:
        >>> credit_code_check_char("91350100M000100Y4")
        '3'
    """
    if len(first17) != 17 or any(c not in ALPHABET for c in first17):
        raise ValueError("需要17位由数字和大写字母（不含I、O、S、V、Z）组成的字符")
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Say what is wrong with a credit code, or None when it is valid.

    Example:
        >>> credit_code_problem("91350100M000100Y43") is None
        True
    """
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实际{len(code)}位"
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        return f"统一社会信用代码含非法字符：{''.join(bad)}"
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：应为{expected}，实际为{code[17]}"
    return None
