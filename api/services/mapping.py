"""Between storage rows, the engine's profiles and the public schemas.

The only place that knows both the table layout and the matcher's records, so
a renamed column or field is changed here once.
"""

from __future__ import annotations

from dataclasses import asdict

from matcher.indicators import compute_indicators
from matcher.industry import IndustryTable
from matcher.profile import Asset as AssetProfile
from matcher.profile import EnterpriseProfile, Financials, PartnerProfile
from matcher.vocab import FINANCIAL_FIELDS
from models.schemas import (
    AssetPublic,
    EnterprisePublic,
    PartnerPublic,
)
from models.schemas import Financials as FinancialsSchema
from models.tables import Asset, Enterprise, Partner


def enterprise_profile(row: Enterprise, assets: list[Asset]) -> EnterpriseProfile:
    return EnterpriseProfile(
        id=str(row.id),
        name=row.name,
        credit_code=row.credit_code,
        industry_code=row.industry_code,
        province=row.province,
        city=row.city,
        county=row.county,
        description=row.description,
        problems=row.problems,
        demands=row.demands,
        strengths=row.strengths,
        operating_status=row.operating_status,
        capacity_utilization=row.capacity_utilization,
        employees=row.employees,
        financials=Financials(**{f: getattr(row, f) for f in FINANCIAL_FIELDS}),
        assets=tuple(asset_profile(a) for a in assets if not a.archived),
    )


def asset_profile(row: Asset) -> AssetProfile:
    return AssetProfile(
        id=str(row.id),
        type=row.type,
        description=row.description,
        area_m2=row.area_m2,
        book_value=row.book_value,
        appraised_value=row.appraised_value,
        encumbrance=row.encumbrance,
        idle=row.idle,
        location=row.location,
    )


def partner_profile(row: Partner) -> PartnerProfile:
    return PartnerProfile(
        id=str(row.id),
        name=row.name,
        credit_code=row.credit_code,
        kind=row.kind,
        industries=tuple(row.industries),
        capabilities=row.capabilities,
        interests=row.interests,
        treatment_types=tuple(row.treatment_types),
        asset_interests=tuple(row.asset_interests),
        preferred_regions=tuple(row.preferred_regions),
        ticket_min=row.ticket_min,
        ticket_max=row.ticket_max,
        excluded_industries=tuple(row.excluded_industries),
        track_record=row.track_record,
        active=row.active and not row.archived,
    )


def enterprise_public(
    row: Enterprise, assets: list[Asset], industries: IndustryTable
) -> EnterprisePublic:
    live_assets = [a for a in assets if not a.archived]
    indicators = asdict(compute_indicators(enterprise_profile(row, live_assets)))
    return EnterprisePublic(
        **row.model_dump(exclude=set(FINANCIAL_FIELDS)),
        industry_name=industries.name(row.industry_code) if row.industry_code else None,
        financials=FinancialsSchema(**{f: getattr(row, f) for f in FINANCIAL_FIELDS}),
        indicators=indicators,
        assets=[AssetPublic.model_validate(a.model_dump()) for a in live_assets],
    )


def partner_public(row: Partner, industries: IndustryTable) -> PartnerPublic:
    profile = partner_profile(row)
    names = {code: industries.name(code) or "" for code in row.industries}
    return PartnerPublic(
        **row.model_dump(),
        industry_names=names,
        effective_treatment_types=list(profile.effective_treatments),
    )
