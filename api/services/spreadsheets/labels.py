"""Field → Chinese label mapping, and API errors rewritten for officers.

Used by the forms, the import report, the templates and the exports, so a
field has one Chinese name everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from matcher.matching.registry import STANDARD_REGISTRY
from matcher.vocab import (
    ASSET_TYPES,
    CATEGORIES,
    ENCUMBRANCES,
    FINANCIAL_FIELDS,
    OPERATING_STATUSES,
    PARTNER_KINDS,
    REVIEW_STATUSES,
    SIGNED_FINANCIAL_FIELDS,
)


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    kind: str = "text"  # text | float | int | share | bool | enum | enum_list | list
    vocab: Mapping[str, str] | None = None
    hint: str = ""


MONEY = "万元，数字"


ENTERPRISE_COLUMNS: tuple[Column, ...] = (
    Column("name", "企业名称", hint="必填，1–200 字"),
    Column("credit_code", "统一社会信用代码", hint="18 位，可空"),
    Column("province", "省份", hint="默认 山东省"),
    Column("city", "城市", hint="留空则按县区或信用代码推断，再不能则为 东营市"),
    Column("county", "县区", hint="如 广饶县、东营区"),
    Column("industry_code", "行业代码", hint="GB/T 4754-2017，如 C2911 或 2911"),
    Column("operating_status", "经营状态", "enum", OPERATING_STATUSES),
    Column("capacity_utilization", "产能利用率", "share", hint="0–1 的小数或百分数，如 55%"),
    Column("employees", "职工人数", "int", hint="整数"),
    Column("description", "主营业务"),
    Column("problems", "主要困难"),
    Column("demands", "诉求"),
    Column("strengths", "核心优势"),
    *(
        Column(
            f"financials.{name}",
            f"{label}（万元）",
            "float",
            hint="万元，可为负" if name in SIGNED_FINANCIAL_FIELDS else MONEY,
        )
        for name, label in FINANCIAL_FIELDS.items()
    ),
)


ASSET_KEY = Column("enterprise", "企业名称", hint="与 企业 表中的企业名称一致")


ASSET_COLUMNS: tuple[Column, ...] = (
    Column("type", "资产类型", "enum", ASSET_TYPES),
    Column("description", "资产描述"),
    Column("area_m2", "面积（平方米）", "float", hint="数字"),
    Column("book_value", "账面价值（万元）", "float", hint=MONEY),
    Column("appraised_value", "评估价值（万元）", "float", hint=MONEY),
    Column("encumbrance", "权利限制", "enum", ENCUMBRANCES),
    Column("idle", "是否闲置", "bool", hint="是 / 否"),
    Column("location", "坐落位置"),
)


LIST_HINT = "多个用顿号、逗号或换行分隔"


PARTNER_COLUMNS: tuple[Column, ...] = (
    Column("name", "合作主体名称", hint="必填"),
    Column("credit_code", "统一社会信用代码", hint="18 位，可空"),
    Column("kind", "主体类型", "enum", PARTNER_KINDS),
    Column("industries", "投资/经营行业", "list", hint="行业代码，" + LIST_HINT),
    Column("capabilities", "业务与能力"),
    Column("interests", "投资/合作意向"),
    Column("treatment_types", "参与的施策类别", "enum_list", CATEGORIES, hint=LIST_HINT),
    Column("asset_interests", "关注的资产类型", "enum_list", ASSET_TYPES, hint=LIST_HINT),
    Column("preferred_regions", "偏好地区", "list", hint="省/市/县区，" + LIST_HINT),
    Column("ticket_min", "规模下限（万元）", "float", hint=MONEY),
    Column("ticket_max", "规模上限（万元）", "float", hint=MONEY),
    Column("excluded_industries", "排除行业", "list", hint="行业代码，" + LIST_HINT),
    Column("track_record", "过往案例"),
    Column("active", "是否启用", "bool", hint="是 / 否，默认 是"),
)


OTHER_LABELS = {"status": "状态", "note": "说明", "primary": "主要类别", "reason": "改判理由"}


FIELD_LABELS: dict[str, dict[str, str]] = {
    "enterprise": {c.field: c.label for c in ENTERPRISE_COLUMNS} | OTHER_LABELS,
    "asset": {c.field: c.label for c in ASSET_COLUMNS},
    "partner": {c.field: c.label for c in PARTNER_COLUMNS} | OTHER_LABELS,
    "review": OTHER_LABELS,
}


"""The one mapping field → 中文标签 (forms, error messages, templates, exports)."""


COMPONENT_LABELS: dict[str, str] = STANDARD_REGISTRY.titles
"""Score component → its one Chinese title, as the matching registry declares it."""


VOCABS: dict[str, Mapping[str, str]] = {
    c.field.split(".")[-1]: c.vocab
    for c in (*ENTERPRISE_COLUMNS, *ASSET_COLUMNS, *PARTNER_COLUMNS)
    if c.vocab is not None
} | {"status": REVIEW_STATUSES, "primary": CATEGORIES}


def field_label(entity: str, loc: Iterable[str | int]) -> str:
    """The Chinese label of an error location, e.g. ('financials', 'total_assets') → 总资产."""
    parts = [p for p in loc if p != "body"]
    if entity == "enterprise" and len(parts) >= 2 and parts[0] == "assets":
        index = parts[1]
        rest = [p for p in parts[2:] if isinstance(p, str)]
        label = FIELD_LABELS["asset"].get(rest[0], rest[0]) if rest else "资产"
        return f"资产{index + 1 if isinstance(index, int) else ''}·{label}"
    names = [p for p in parts if isinstance(p, str)]
    key = ".".join(names)
    labels = FIELD_LABELS.get(entity, {})
    return labels.get(key) or labels.get(names[-1] if names else "", key or "（整行）")


_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "不能超过 {max_length} 个字符",
    "too_long": "最多 {max_length} 项",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "须大于 {gt}",
    "less_than": "须小于 {lt}",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "finite_number": "须为有限的数字",
    "bool_parsing": "须为“是”或“否”",
    "bool_type": "须为“是”或“否”",
    "string_type": "须为文字",
    "list_type": "须为列表",
    "extra_forbidden": "未知字段",
}


def error_text(error: Mapping[str, Any]) -> str:
    """A pydantic error (or the API's 422 item) in Chinese."""
    kind = str(error.get("type") or "")
    ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (error.get("ctx") or {}).items()}
    loc = [p for p in error.get("loc", ()) if isinstance(p, str)]
    if kind in ("literal_error", "enum"):
        vocab = VOCABS.get(loc[-1] if loc else "", {})
        return "须为以下之一：" + "、".join(vocab.values()) if vocab else "取值不在允许范围内"
    if kind in _MESSAGES:
        try:
            return _MESSAGES[kind].format(**ctx)
        except (KeyError, IndexError):
            return _MESSAGES[kind].split("{")[0].strip()
    message = str(error.get("msg") or "取值不合法")
    return localize_message(message.removeprefix("Value error, "))


_CODE_LABELS = {
    c.field.split(".")[-1]: c.label
    for c in (*PARTNER_COLUMNS, *ENTERPRISE_COLUMNS, *ASSET_COLUMNS)
    if "_" in c.field.split(".")[-1]
}


_CODE_PATTERN = re.compile(r"\b(" + "|".join(sorted(_CODE_LABELS, key=len, reverse=True)) + r")\b")


def localize_message(message: str) -> str:
    """Field codes in a service's message (e.g. ticket_max) replaced by their Chinese labels."""
    return _CODE_PATTERN.sub(lambda m: _CODE_LABELS[m.group(1)], message)


def validation_errors(entity: str, error: ValidationError) -> list[tuple[tuple, str, str]]:
    """(loc, 中文标签, 中文说明) of each problem, in the order pydantic reports them."""
    out = []
    for item in error.errors():
        loc = tuple(item.get("loc", ()))
        out.append((loc, field_label(entity, loc), error_text(item)))
    return out
