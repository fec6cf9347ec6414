"""Every enum the OpenAPI document shows is one declared vocabulary, in its declared order."""

from __future__ import annotations

from typing import Any

from api.main import create_app
from api.services.security import EVENT_KINDS
from matcher import vocab
from models import enums


def _enums(node: Any, where: str = "") -> list[tuple[str, tuple[str, ...]]]:
    """(JSON path, enum values) for every `enum` in the document."""
    if isinstance(node, dict):
        found = [(where, tuple(node["enum"]))] if "enum" in node else []
        for key, value in node.items():
            found += _enums(value, f"{where}/{key}")
        return found
    if isinstance(node, list):
        return [item for value in node for item in _enums(value, where)]
    return []


DECLARED = {
    tuple(v)
    for v in (
        vocab.CATEGORIES,
        vocab.OPERATING_STATUSES,
        vocab.ASSET_TYPES,
        vocab.ENCUMBRANCES,
        vocab.PARTNER_KINDS,
        vocab.REVIEW_STATUSES,
        vocab.MEASURE_STATUSES,
        vocab.PLAN_CATEGORY_SOURCES,
        enums.ROLES,
        enums.JOB_STATUSES,
        EVENT_KINDS,
    )
}


def test_every_openapi_enum_is_a_declared_vocabulary() -> None:
    found = _enums(create_app().openapi())
    assert found
    strays = {(where, values) for where, values in found if values not in DECLARED}
    assert strays == set()


def test_the_contract_fields_show_their_vocabulary() -> None:
    schemas = create_app().openapi()["components"]["schemas"]

    def enum_of(schema: str, field: str) -> list[str]:
        (values,) = {values for _, values in _enums(schemas[schema]["properties"][field])}
        return list(values)

    assert enum_of("EnterpriseCreate", "operating_status") == list(vocab.OPERATING_STATUSES)
    assert enum_of("AssetCreate", "type") == list(vocab.ASSET_TYPES)
    assert enum_of("AssetCreate", "encumbrance") == list(vocab.ENCUMBRANCES)
    assert enum_of("PartnerCreate", "kind") == list(vocab.PARTNER_KINDS)
    assert enum_of("PartnerCreate", "treatment_types") == list(vocab.CATEGORIES)
    assert enum_of("PartnerUpdate", "asset_interests") == list(vocab.ASSET_TYPES)
    assert enum_of("OverrideIn", "primary") == list(vocab.CATEGORIES)
    assert enum_of("ReviewIn", "status") == list(vocab.REVIEW_STATUSES)
    assert enum_of("TokenCreate", "role") == list(enums.ROLES)
    assert enum_of("JobOut", "status") == list(enums.JOB_STATUSES)


def test_every_vocabulary_has_a_chinese_label_for_each_code() -> None:
    for labels in (enums.ROLES, enums.JOB_STATUSES, vocab.CATEGORIES, vocab.REVIEW_STATUSES):
        assert all(
            code.isascii() and label and not label.isascii() for code, label in labels.items()
        )


def test_the_financial_figures_are_one_list_everywhere() -> None:
    from dataclasses import fields

    from api.services.case_report import KEY_FIGURES
    from api.services.spreadsheets.labels import ENTERPRISE_COLUMNS
    from matcher.profile import Financials as FinancialsProfile
    from models.schemas import Financials
    from models.tables import Enterprise

    names = list(vocab.FINANCIAL_FIELDS)
    assert [f.name for f in fields(FinancialsProfile)] == names
    assert list(Financials.model_fields) == names
    assert [c for c in Enterprise.__table__.columns.keys() if c in vocab.FINANCIAL_FIELDS] == names
    assert [c.field for c in ENTERPRISE_COLUMNS if c.field.startswith("financials.")] == [
        f"financials.{n}" for n in names
    ]
    assert [name for _, name in KEY_FIGURES] == names
    loss = Financials.model_json_schema()["properties"]["net_profit"]["anyOf"][0]
    assert "minimum" not in loss
    debt = Financials.model_json_schema()["properties"]["total_liabilities"]["anyOf"][0]
    assert debt["minimum"] == 0


def test_one_chinese_title_per_component_read_from_the_registry() -> None:
    from api.services.spreadsheets import COMPONENT_LABELS
    from matcher.matching.registry import STANDARD_REGISTRY

    titles = STANDARD_REGISTRY.titles
    assert COMPONENT_LABELS == titles and list(COMPONENT_LABELS) == list(STANDARD_REGISTRY.parts)
    assert len(set(titles.values())) == len(titles)
    assert all(title and not title.isascii() for title in titles.values())
