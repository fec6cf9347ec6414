"""Schemas of what the engine produces: diagnoses, matches, reviews and jobs (spec §5)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from models.enums import Category, JobStatus, ReviewStatus
from models.fields import LongText, NoBool, UtcDatetime
from models.schemas import Strict

JOB_STATUS_HELP = (
    "queued 排队中 → running 进行中 → done 已完成 | failed 失败 | cancelled 已取消。"
    "cancelled 是对规范（queued|running|done|failed）的扩展：排队中的任务被取消后不会开始，"
    "进行中的任务在当前一步提交后停止，已完成的步骤保留。"
)


class CategoryOut(BaseModel):
    code: str
    name: str
    probability: float
    reasons: list[str]


class OverrideIn(Strict):
    primary: Category
    reason: LongText = Field(min_length=1, description="为何改判（必填）")


class OverrideOut(BaseModel):
    primary: str
    reason: str
    actor: str
    created_at: UtcDatetime


class FindingOut(BaseModel):
    """One question an officer asks of the file, answered with its evidence."""

    question: str = Field(description="question code, e.g. solvency, court, core_business")
    title: str = Field(description="the question in Chinese")
    answer: str = Field(description="answer code, e.g. insolvent, viable, unknown")
    text: str = Field(description="the answer in Chinese")
    source: str = Field(description="figures | text | unknown: where the answer came from")
    evidence: list[str] = Field(description="the figures or quoted phrases it rests on")
    value: float | None = Field(default=None, description="the figure, when there is one")


class DiagnosisOut(BaseModel):
    id: int
    enterprise_id: int
    primary: str
    primary_name: str
    effective_primary: str = Field(description="the officer's override when there is one")
    categories: list[CategoryOut]
    needs_review: bool
    review_reasons: list[str]
    model_version: str
    rules_version: str
    signals: dict[str, float | int | str | bool]
    findings: list[FindingOut] = Field(
        default_factory=list, description="the officer's questions, each answered with evidence"
    )
    missing: list[str] = Field(
        default_factory=list, description="facts to ask next that would separate the top categories"
    )
    override: OverrideOut | None
    created_at: UtcDatetime


class MatchItem(BaseModel):
    match_id: int
    partner_id: int
    partner_name: str
    partner_kind: str
    rank: int
    score: float
    components: dict[str, float]
    levels: dict[str, str]
    reasons: list[str]
    status: ReviewStatus | None = Field(description="lifecycle stage, if reviewed")
    role: str = Field(default="", description="the partner's role in the case (code)")
    role_title: str = Field(default="", description="the role in Chinese (产业投资人 …)")
    weak: bool = Field(
        default=False, description="below the fit floor: not a recommendation (不建议)"
    )


class MatchRunOut(BaseModel):
    id: int
    config_hash: str
    model_name: str
    diagnosis_id: int | None
    created_at: UtcDatetime
    pending_embeddings: int = 0
    """Partners ranked on rules and keywords alone: their texts were not embedded yet."""
    query_embedding_pending: bool = False
    """The enterprise's own need text was not embedded yet (no semantic similarity at all)."""


class StatusOut(BaseModel):
    """How far the background embedding has got (GET /status)."""

    partners: int
    """Live (not archived) partners."""
    embedded: int
    """Of them, those whose offer text has a vector of the current model and backend."""
    pending: int
    """partners − embedded: ranked on rules and keywords alone until the worker embeds them."""
    model: str
    backend: str


class MatchList(BaseModel):
    enterprise_id: int
    run: MatchRunOut | None
    items: list[MatchItem]
    qualified: int | None = Field(
        default=None,
        description="partners of the pool at or above the fit floor (null for older runs)",
    )


class ReviewIn(Strict):
    status: ReviewStatus
    note: LongText = ""


class ReviewEvent(BaseModel):
    from_status: str | None
    to_status: str
    note: str
    actor: str
    at: UtcDatetime


class ReviewOut(BaseModel):
    match_id: int
    enterprise_id: int
    partner_id: int
    status: str
    note: str
    history: list[ReviewEvent]


class MatchDetail(MatchItem):
    enterprise_id: int
    run_id: int
    history: list[ReviewEvent]


ObjectRef = Annotated[int, Field(ge=1, le=2**31 - 1), NoBool]


class RescoreIn(Strict):
    """Which enterprises to re-score; no body at all means every live one the caller may see.

    Every id must name an enterprise within the caller's counties (else 403, or
    422 for unknown ids when the caller sees the whole city); at most
    LD_RESCORE_MAX_IDS ids per list (default 10000, else 422).
    """

    enterprise_ids: list[ObjectRef] | None = Field(default=None, max_length=100_000)
    partner_ids: list[ObjectRef] | None = Field(
        default=None,
        max_length=100_000,
        description="also re-score the enterprises (within the caller's counties) whose "
        "ranking lists these partners",
    )


class JobAccepted(BaseModel):
    job_id: int


class JobOut(BaseModel):
    job_id: int
    status: JobStatus = Field(description=JOB_STATUS_HELP)
    done: int
    total: int
    reason: str
    error: str
    created_by: str = Field(description='the owner: who asked ("system" for automatic ones)')
    counties: list[str] = Field(description="the owner's county scope; [] = the whole city")
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None = Field(description="when it ended done, failed or cancelled")


class RankChangeOut(BaseModel):
    partner_id: int
    partner_name: str
    old_rank: int | None
    new_rank: int | None
    old_score: float | None
    new_score: float | None
    why: list[str]


class MatchChangesOut(BaseModel):
    enterprise_id: int
    current_run_id: int | None
    previous_run_id: int | None
    entered: list[RankChangeOut]
    left: list[RankChangeOut]
    moved: list[RankChangeOut]


class AssetMatchItem(BaseModel):
    partner_id: int
    partner_name: str
    partner_kind: str
    rank: int
    score: float
    components: dict[str, float]
    levels: dict[str, str]
    reasons: list[str]
    role: str = Field(default="", description="the partner's role in the case (code)")
    role_title: str = Field(default="", description="the role in Chinese")


class AssetMatchList(BaseModel):
    enterprise_id: int
    asset_id: int
    config_hash: str
    items: list[AssetMatchItem]


class PipelineItem(BaseModel):
    engagement_id: int
    status: ReviewStatus
    note: str
    updated_by: str
    updated_at: UtcDatetime
    enterprise_id: int
    enterprise_name: str
    county: str
    partner_id: int
    partner_name: str
    partner_kind: str
    match_id: int | None = Field(description="the pair's match in the current ranking, if any")
    score: float | None


class PipelineCounts(BaseModel):
    stages: dict[str, int] = Field(description="lifecycle stage → number of pairs")
    overdue: int = Field(description="pairs in progress with no change for `days` days")
    days: float
