"""Service results → response schemas, shared by the JSON routes and the page."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from api.services.diagnoses import DiagnosisView
from api.services.matching import MatchView
from matcher.matching.roles import ROLES, derive_role
from matcher.profile import PartnerProfile
from matcher.vocab import CATEGORIES
from models.results import (
    CategoryOut,
    DiagnosisOut,
    FindingOut,
    MatchItem,
    MatchRunOut,
    OverrideOut,
    ReviewEvent,
)
from models.tables import EngagementEvent, MatchRun


def diagnosis_out(view: DiagnosisView) -> DiagnosisOut:
    record = view.record
    assert record.id is not None
    override = view.override
    return DiagnosisOut(
        id=record.id,
        enterprise_id=record.enterprise_id,
        primary=record.primary,
        primary_name=CATEGORIES.get(record.primary, record.primary),
        effective_primary=view.effective_primary,
        categories=[
            CategoryOut(
                code=c["code"],
                name=CATEGORIES.get(c["code"], c["code"]),
                probability=c["probability"],
                reasons=list(c["reasons"]),
            )
            for c in record.categories
        ],
        needs_review=record.needs_review,
        review_reasons=list(record.review_reasons),
        model_version=record.model_version,
        rules_version=record.rules_version,
        signals=dict(record.signals),
        findings=[FindingOut.model_validate(f) for f in record.findings or []],
        missing=list(record.missing or []),
        override=None
        if override is None
        else OverrideOut(
            primary=override.primary,
            reason=override.reason,
            actor=override.actor,
            created_at=override.created_at,
        ),
        created_at=record.created_at,
    )


def match_item(view: MatchView) -> MatchItem:
    match, partner = view.match, view.partner
    assert match.id is not None and partner.id is not None
    return match_item_of_row(
        SimpleNamespace(
            match_id=match.id,
            partner_id=partner.id,
            rank=match.rank,
            score=match.score,
            components=dict(match.components),
            levels=dict(match.levels),
            reasons=list(match.reasons),
            weak=match.weak,
            partner_name=partner.name,
            partner_kind=partner.kind,
            partner_capabilities=partner.capabilities,
            partner_treatments=partner.treatment_types,
            partner_industries=partner.industries,
            status=view.status,
        )
    )


def match_item_of_row(row: Any) -> MatchItem:
    """`match_item` from a row of matching.ITEM_COLUMNS (the stored GET's plain read)."""
    partner = PartnerProfile(
        name=row.partner_name,
        kind=row.partner_kind,
        capabilities=row.partner_capabilities,
        treatment_types=tuple(row.partner_treatments),
        industries=tuple(row.partner_industries),  # a fund's one trade makes it industrial
    )
    role = derive_role(partner)
    return MatchItem(
        match_id=row.match_id,
        partner_id=row.partner_id,
        partner_name=row.partner_name,
        partner_kind=row.partner_kind,
        rank=row.rank,
        score=row.score,
        components=row.components,
        levels=row.levels,
        reasons=row.reasons,
        status=row.status,
        role=role.code,
        role_title=ROLES[role.code],
        weak=row.weak,
    )


def run_out(run: MatchRun | None) -> MatchRunOut | None:
    if run is None or run.id is None:
        return None
    return MatchRunOut(
        id=run.id,
        config_hash=run.config_hash,
        model_name=run.model_name,
        diagnosis_id=run.diagnosis_id,
        created_at=run.created_at,
        pending_embeddings=run.pending_embeddings,
        query_embedding_pending=run.query_pending,
    )


def review_event(event: EngagementEvent) -> ReviewEvent:
    return ReviewEvent(
        from_status=event.from_status,
        to_status=event.to_status,
        note=event.note,
        actor=event.actor,
        at=event.at,
    )
