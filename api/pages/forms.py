"""HTML form fields → the API's schemas, and errors back to the field they belong to.

The forms post flat names (`name`, `financials.total_assets`, `assets-0-type`)
that are read with the same cell conversion as the spreadsheet import, then
validated by the same pydantic schemas; each error is keyed by its form field
and names that field in Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from api.errors import DomainError, FieldInvalid
from api.services.spreadsheets import (
    ASSET_COLUMNS,
    ENTERPRISE_COLUMNS,
    PARTNER_COLUMNS,
    build_payload,
    error_text,
    field_label,
    localize_message,
)
from models.schemas import AssetCreate

MAX_ASSET_ROWS = 200
_ASSET_KEY = re.compile(r"^assets-(\d{1,3})-(\w+)$")
FORM_ERROR = "_form"
_DEFAULTED = ("bool", "enum")  # a select or checkbox always sends something: not "filled in"


def form_values(form: FormData, columns: tuple[Any, ...]) -> dict[str, str]:
    values = {}
    for column in columns:
        if column.kind == "enum_list":
            values[column.field] = "、".join(
                v for v in form.getlist(column.field) if isinstance(v, str)
            )
        elif column.kind == "bool":
            values[column.field] = "是" if form.get(column.field) else "否"
        else:
            raw = form.get(column.field)
            values[column.field] = raw if isinstance(raw, str) else ""
    return values


def asset_rows(form: FormData) -> list[dict[str, str]]:
    """The asset rows of the form, in order; fully blank rows are dropped."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.multi_items():
        match = _ASSET_KEY.match(key)
        if match and isinstance(value, str) and int(match[1]) < MAX_ASSET_ROWS:
            rows.setdefault(int(match[1]), {})[match[2]] = value
    out = []
    for index in sorted(rows):
        row = rows[index]
        row["index"] = str(index)
        filled = [c for c in ASSET_COLUMNS if c.field == "type" or c.kind not in _DEFAULTED]
        if any(row.get(c.field, "").strip() for c in filled):
            out.append(row)
    return out


def _key(entity: str, loc: tuple[Any, ...], asset_index: list[str] | None = None) -> str:
    parts = [p for p in loc if p != "body"]
    if asset_index is not None and len(parts) >= 3 and parts[0] == "assets":
        position = parts[1]
        if isinstance(position, int) and position < len(asset_index):
            return f"assets-{asset_index[position]}-{parts[2]}"
    return ".".join(p for p in parts if isinstance(p, str)) or FORM_ERROR


def schema_errors(
    entity: str, error: ValidationError, asset_index: list[str] | None = None
) -> dict[str, str]:
    """Form field → “中文标签：说明” for every problem pydantic found."""
    out: dict[str, str] = {}
    for item in error.errors():
        loc = tuple(item.get("loc", ()))
        key = _key(entity, loc, asset_index)
        label = field_label(entity, loc)
        out.setdefault(key, f"{label}：{error_text(item)}")
    return out


def service_error(entity: str, error: DomainError) -> dict[str, str]:
    """A service's refusal, put next to the field it concerns when it names one."""
    if isinstance(error, FieldInvalid):
        loc = tuple(error.loc)
        message = localize_message(error.message)
        return {_key(entity, loc): f"{field_label(entity, loc)}：{message}"}
    if "信用代码" in error.message:
        return {"credit_code": f"统一社会信用代码：{error.message}"}
    if "令牌无权访问" in error.message:
        return {"county": f"县区：{error.message}"}
    return {FORM_ERROR: error.message}


def validate(
    model: type[BaseModel],
    entity: str,
    payload: Mapping[str, Any],
    asset_index: list[str] | None = None,
) -> tuple[Any, dict[str, str]]:
    try:
        return model.model_validate(dict(payload)), {}
    except ValidationError as error:
        return None, schema_errors(entity, error, asset_index)


def validate_line(
    model: type[BaseModel], entity: str, payload: Mapping[str, Any]
) -> tuple[Any, str]:
    """`payload` through the API's own request schema, for a one-line form (a flash message).

    The problems come back as one line, each naming its field in Chinese
    (“改判理由：不能为空”), so a page refuses what the API refuses, for the same reason.
    """
    data, errors = validate(model, entity, payload)
    return data, "；".join(errors.values())


def enterprise_payload(
    form: FormData, *, clear_blanks: bool
) -> tuple[dict[str, str], list[dict[str, str]], dict[str, Any]]:
    """The submitted values (to show again), asset rows, and the payload to validate."""
    values = form_values(form, ENTERPRISE_COLUMNS)
    rows = asset_rows(form)
    payload = build_payload(ENTERPRISE_COLUMNS, values, clear_blanks=clear_blanks)
    return values, rows, payload


def asset_payloads(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    payloads = []
    for row in rows:
        values = dict(row)
        values["idle"] = "是" if row.get("idle") else "否"
        payloads.append(build_payload(ASSET_COLUMNS, values))
    return payloads


def validate_assets(rows: list[dict[str, str]]) -> tuple[list[AssetCreate], dict[str, str]]:
    """Each asset row through AssetCreate (used when editing, row by row)."""
    assets, errors = [], {}
    for row, payload in zip(rows, asset_payloads(rows), strict=True):
        asset, problems = validate(AssetCreate, "asset", payload)
        for key, message in problems.items():
            errors[f"assets-{row['index']}-{key}"] = message
        assets.append(asset)
    return assets, errors


def partner_payload(form: FormData, *, clear_blanks: bool) -> tuple[dict[str, str], dict[str, Any]]:
    values = form_values(form, PARTNER_COLUMNS)
    return values, build_payload(PARTNER_COLUMNS, values, clear_blanks=clear_blanks)
