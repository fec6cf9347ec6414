"""Schemas of the versioned matcher configs and diagnosis models, and the decision report (§6)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from models.fields import UtcDatetime

METRICS_HELP = (
    "按主要施策类别（及 overall）比较：留出的最近决策上，当前生效配置与候选配置的 NDCG@10"
    "（ndcg_active / ndcg_candidate / delta），以及前三名中含被否决主体的企业数"
    "（rejected_top3_active / rejected_top3_candidate）"
)


class ConfigLearned(BaseModel):
    version: str
    metrics: dict[str, dict[str, Any]] = Field(description=METRICS_HELP)
    active: bool
    config_hash: str
    compared_with: str = Field(description="the version active when it was learned")
    data: dict[str, Any] = Field(
        description="what it was fitted on: decisions, pairs, enterprises, outcomes, from, to, hash"
    )
    held_out: dict[str, Any] = Field(description="the same summary of the held-out decisions")
    overlay: dict[str, Any] = Field(
        description=(
            "levels, component_factors, category_factors, coverage_penalty, category_levels, "
            "category_coverage_penalty over the shipped weights file"
        )
    )


class ConfigOut(ConfigLearned):
    created_by: str
    created_at: UtcDatetime | None = Field(description="null for the shipped `base`")


class ConfigList(BaseModel):
    active: str
    items: list[ConfigOut] = Field(description="newest first; the shipped `base` last")


class ConfigActivated(BaseModel):
    version: str
    active: bool
    previous: str
    config_hash: str
    rescore_job_id: int | None = Field(
        description="the background re-score of every stored ranking (null: none stored)"
    )


class OverrideFlowOut(BaseModel):
    from_category: str
    to_category: str
    count: int


class RejectionGroupOut(BaseModel):
    component: str = Field(description="the component that gave the rejected partner most; '' none")
    title: str
    count: int
    notes: list[str]


class DecisionReportOut(BaseModel):
    overrides: list[OverrideFlowOut]
    rejections: list[RejectionGroupOut]
    landed: int
    landed_in_top5: int
    landed_rank_unknown: int
    landed_top5_share: float | None = Field(
        description="landed deals whose partner was in the engine's first five, of those known"
    )


HELD_OUT_HELP = (
    "按官员改判的类别（及 overall）：最近留出的改判上，当前生效模型与候选模型的主类别"
    "与官员一致的比例（overrides / active_agrees / candidate_agrees）"
)


class DiagnosisModelOut(BaseModel):
    version: str = Field(description="`base` is the shipped model")
    active: bool
    model_version: str = Field(description="what its diagnoses record as model_version")
    metrics: dict[str, Any] = Field(description="the model's own cross-validated figures")
    data: dict[str, Any] = Field(
        description="what it was fitted on: corpus, corpus_rows, overrides_used, "
        "overrides_held_out, from, to"
    )
    held_out: dict[str, dict[str, Any]] = Field(description=HELD_OUT_HELP)
    compared_with: str = Field(description="the version active when it was trained")
    created_by: str
    created_at: UtcDatetime | None = Field(description="null for the shipped `base`")


class DiagnosisModelList(BaseModel):
    active: str
    items: list[DiagnosisModelOut] = Field(description="newest first; the shipped `base` last")


class DiagnosisModelActivated(BaseModel):
    version: str
    active: bool
    previous: str
    rescore_job_id: int | None = Field(
        description="the background re-score (and re-diagnosis) of every ranked enterprise"
    )
