"""统一社会信用代码 (GB 32100-2015): every part of a code checked, and the wrong part named.

A code is five parts (zh.wikipedia.org/wiki/统一社会信用代码, the source python-stdnum cites):

    9        1        370523      MA3C0000X     0
    登记管理  机构类别  登记管理机关  主体标识码    校验码
    部门代码  代码      行政区划码    (GB 11714 组织机构代码, its own check digit last)

python-stdnum is the library for the arithmetic and the reference data: its
`stdnum.cn.uscc.calc_check_digit` computes the 18th character, and the GB/T 2260
division table it ships (`cn/loc`, every code ever in force: a code keeps the
division it was issued in even after the district is renamed) checks characters
3–8.  Its `validate()` itself (python-stdnum 2.2) checks only the length, digits
in the first eight characters and the 18th character: it refuses the letter
authorities the standard's amendments added (A 中央军委改革和编制办公室, N 农业,
Y 其他; N2… is every 村级集体经济组织) and accepts unknown authority and type
codes and a wrong organisation-code check digit.  So the parts are checked here,
in order of position, and the first wrong one is named.

Two kinds of division code are accepted although GB/T 2260 does not list them:
100000 (national registration authorities, e.g. 12100000… for central public
institutions) and county parts 71–99 (development zones and other functional
areas, e.g. 370571 东营经济技术开发区 in the statistical division codes).
"""

from __future__ import annotations

from functools import lru_cache

from stdnum import numdb
from stdnum.cn import uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""GB 32100's 31 characters: digits and capitals without I, O, S, V, Z."""

REGISTRATION_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": (
        "机构编制",
        {"1": "机关", "2": "事业单位", "3": "中央编办直管机构编制的群众团体", "9": "其他"},
    ),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商（市场监管）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),
}
"""Authority code → (authority, {type code: type}) as GB 32100 and its amendments assign them."""

NATIONAL_DIVISION = "100000"
FUNCTIONAL_AREA_MIN = 71
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_LABEL = "统一社会信用代码"


def credit_code_check_char(first17: str) -> str:
    """Return the check character (the 18th) for the first 17 characters of a code.

    Raises:
        ValueError: if the input is not 17 characters of the code alphabet.

    Example:
        >>> credit_code_check_char("91350100M000100Y4")
        '3'
    """
    if len(first17) != 17 or any(c not in ALPHABET for c in first17):
        raise ValueError("需要17位由数字和大写字母（不含I、O、S、V、Z）组成的字符")
    return str(uscc.calc_check_digit(first17))


def organisation_code_check_char(first8: str) -> str:
    """Return the GB 11714 check digit of an organisation code's first 8 characters.

    The code's characters count as 0–9 and A=10 … Z=35; the check is 11 − Σ(c·w) mod 11,
    written X for 10 and 0 for 11.

    Raises:
        ValueError: if the input is not 8 digits or capital letters.

    Example:
        >>> organisation_code_check_char("M000100Y")
        '4'
    """
    if len(first8) != 8 or not all(c.isdigit() or "A" <= c <= "Z" for c in first8):
        raise ValueError("需要8位由数字和大写字母组成的字符")
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


@lru_cache(maxsize=4096)
def _division_known(code: str) -> bool:
    if code == NATIONAL_DIVISION:
        return True
    parts = numdb.get("cn/loc").info(code)
    province = parts[0][1] if parts else {}
    if "province" not in province:
        return False
    if code[2:] == "0000":
        return True
    prefecture = numdb.get("cn/loc").info(code[:4] + "00")
    if len(prefecture) < 2 or "county" not in prefecture[1][1]:
        return False
    if code[4:] == "00" or "county" in parts[1][1]:
        return True
    return int(code[4:]) >= FUNCTIONAL_AREA_MIN


def _authority_problem(code: str) -> str | None:
    authority = REGISTRATION_AUTHORITIES.get(code[0])
    if authority is None:
        allowed = "、".join(REGISTRATION_AUTHORITIES)
        return f"{_LABEL}第1位（登记管理部门代码）“{code[0]}”无效：应为 {allowed} 之一"
    name, types = authority
    if code[1] not in types:
        allowed = "、".join(f"{k}（{v}）" for k, v in types.items())
        return f"{_LABEL}第2位（机构类别代码）“{code[1]}”与登记管理部门“{name}”不符：应为 {allowed}"
    return None


def _division_problem(code: str) -> str | None:
    division = code[2:8]
    if not division.isdigit():
        return f"{_LABEL}第3–8位（登记管理机关行政区划码）“{division}”应为6位数字"
    if not _division_known(division):
        return f"{_LABEL}第3–8位（登记管理机关行政区划码）“{division}”不是有效的行政区划代码"
    return None


def _organisation_problem(code: str) -> str | None:
    body, check = code[8:16], code[16]
    expected = organisation_code_check_char(body)
    if check != expected:
        return (
            f"{_LABEL}第9–17位（主体标识码，即组织机构代码）的校验位错误："
            f"第17位应为{expected}，实际为{check}"
        )
    return None


def credit_code_problem(code: str) -> str | None:
    """Say what is wrong with a credit code (the first wrong part, by position), or None.

    Example:
        >>> credit_code_problem("91350100M000100Y43") is None
        True
        >>> credit_code_problem("91379900M000100Y43")[:26]
        '统一社会信用代码第3–8位（登记管理机关行政区划码）'
    """
    if len(code) != 18:
        return f"{_LABEL}应为18位，实际{len(code)}位"
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        return f"{_LABEL}含非法字符：{''.join(bad)}"
    problem = _authority_problem(code) or _division_problem(code) or _organisation_problem(code)
    if problem:
        return problem
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return f"{_LABEL}校验位错误：第18位应为{expected}，实际为{code[17]}"
    return None
