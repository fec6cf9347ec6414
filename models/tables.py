"""Database tables.

Financial figures are real columns (not a JSON blob) so that officers can
filter and sort on them in SQL; list-valued partner attributes are JSON because
they are only ever read whole.  Nothing is deleted: rows are archived, and every
write leaves an AuditLog row.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import create_model
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from matcher.vocab import FINANCIAL_FIELDS
from models.bases import AssetBase, EnterpriseBase, PartnerBase


def utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamp() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


FinancialColumns = create_model(
    "FinancialColumns",
    __base__=SQLModel,
    **dict.fromkeys(FINANCIAL_FIELDS, (float | None, None)),
)
"""One nullable REAL column per `matcher.vocab.FINANCIAL_FIELDS` figure (万元)."""


class Enterprise(EnterpriseBase, FinancialColumns, table=True):  # type: ignore[valid-type, misc]
    """The columns shared with `EnterpriseCreate` are declared in `models.bases`."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    credit_code: str | None = Field(default=None, max_length=18, unique=True)
    ext_id: str | None = Field(default=None, max_length=200, index=True)
    """The caller's own reference (a spreadsheet row, another system's id); not unique."""
    industry_code: str = Field(default="", max_length=8, index=True)
    """Stored normalised (the GB/T 4754 class, e.g. C2911): narrower than the API accepts."""
    archived: bool = Field(default=False, index=True)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """Bumped by every write (assets included for an enterprise): the ETag of its reads."""
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Asset(AssetBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(
        sa_column=Column(Integer, ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    )
    archived: bool = Field(default=False)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Partner(PartnerBase, table=True):
    """The columns shared with `PartnerCreate` are declared in `models.bases`."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    credit_code: str | None = Field(default=None, max_length=18, unique=True)
    ext_id: str | None = Field(default=None, max_length=200, index=True)
    """The caller's own reference (a spreadsheet row, another system's id); not unique."""
    archived: bool = Field(default=False, index=True)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """Bumped by every write: the ETag of its reads."""
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class ApiToken(SQLModel, table=True):
    """A bearer token, kept only as its SHA-256 digest: a leaked table grants nothing."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    counties: list[str] = _json_list()
    department_id: int | None = Field(default=None, foreign_key="department.id")
    """The department the token acts for (role `department`, or an officer of one)."""
    token_hash: str = Field(max_length=64, unique=True)
    token_prefix: str = Field(max_length=12)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = _timestamp()
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _timestamp()
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40, index=True)
    entity_id: str = Field(max_length=40, index=True)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SecurityEvent(SQLModel, table=True):
    """A refused sign-in or request (401, 403, 429, a cross-site form): who, from where, when.

    The presented secret is never kept: only the id of the token it belonged to, when it
    is a known one, and the first 12 hex digits of its SHA-256, so that the attempts made
    with one wrong token can be told apart from another's.
    """

    __tablename__ = "security_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=True
    )
    kind: str = Field(max_length=40, index=True)
    status: int
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    client: str = Field(default="", max_length=100, index=True)
    token_id: int | None = None
    token_hash_prefix: str = Field(default="", max_length=12)
    actor: str = Field(default="", max_length=200)
    detail: str = Field(default="", max_length=500)


class DiagnosisRecord(SQLModel, table=True):
    """One diagnosis run of an enterprise; the newest is the current one."""

    __tablename__ = "diagnosis"
    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(
        sa_column=Column(Integer, ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    )
    primary: str = Field(max_length=40)
    categories: list[dict[str, Any]] = _json_list()
    needs_review: bool = False
    review_reasons: list[str] = _json_list()
    signals: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    findings: list[dict[str, Any]] = _json_list()
    """Each officer question answered: answer, source (figures/text/unknown), evidence."""
    missing: list[str] = _json_list()
    """Facts to ask next when the evidence cannot separate the top categories."""
    model_version: str = Field(max_length=120)
    rules_version: str = Field(default="", max_length=120)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = _timestamp()


class DiagnosisOverride(SQLModel, table=True):
    """An officer's correction of the primary category; the next training run uses it."""

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(
        sa_column=Column(Integer, ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    )
    diagnosis_id: int = Field(
        sa_column=Column(Integer, ForeignKey("diagnosis.id", ondelete="CASCADE"), index=True)
    )
    primary: str = Field(max_length=40)
    reason: str = Field(sa_type=Text)
    actor: str = Field(max_length=200)
    created_at: datetime = _timestamp()


class PartnerEmbedding(SQLModel, table=True):
    """A partner's offer-text vector, reused while the model and the text stay the same."""

    partner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True)
    )
    model_name: str = Field(primary_key=True, max_length=200)
    text_hash: str = Field(max_length=64)
    dim: int
    vector: bytes = Field(sa_type=LargeBinary)
    updated_at: datetime = _timestamp()


class MatchRun(SQLModel, table=True):
    """One ranking of the pool for one enterprise; `Enterprise`'s current run is the newest."""

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(
        sa_column=Column(Integer, ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    )
    config_hash: str = Field(max_length=64)
    model_name: str = Field(max_length=200)
    diagnosis_id: int | None = None
    pool_version: str = Field(max_length=64)
    enterprise_version: str = Field(max_length=64)
    job_id: int | None = None
    is_current: bool = Field(default=False, index=True)
    created_at: datetime = _timestamp()
    pending_embeddings: int = 0
    """Partners ranked without their offer embedding (rules and lexical only): not embedded yet."""
    query_pending: bool = False
    """The enterprise's need text was not embedded yet: no dense similarity in this run."""
    qualified: int | None = None
    """Partners of the pool at or above the fit floor when computed (None: older runs)."""


class Match(SQLModel, table=True):
    __table_args__ = (
        # A page of a run is read in rank order and stops at the page's last row: a stored
        # `GET …/matches` reads its ten rows, not the run's hundred sorted (issue 17).
        Index("ix_match_run_rank", "run_id", "rank"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(
        sa_column=Column(Integer, ForeignKey("matchrun.id", ondelete="CASCADE"), index=True)
    )
    enterprise_id: int = Field(index=True)
    partner_id: int = Field(index=True)
    rank: int
    score: float
    components: dict[str, float] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    levels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reasons: list[str] = _json_list()
    weak: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    """Below the fit floor: not a recommendation, listed only with include_weak (不建议)."""


class Engagement(SQLModel, table=True):
    """A review: where an enterprise–partner pair stands in the lifecycle; survives every
    re-score.  Written by api/services/reviews.py, listed at /pipeline, counted by
    api/services/dashboard.py (the names are explained in matcher/README.md, "Names")."""

    __table_args__ = (UniqueConstraint("enterprise_id", "partner_id"),)
    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(
        sa_column=Column(Integer, ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    )
    partner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    )
    status: str = Field(max_length=20, index=True)
    note: str = Field(default="", sa_type=Text)
    updated_by: str = Field(default="", max_length=200)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class EngagementEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(
        sa_column=Column(Integer, ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    )
    match_id: int | None = None
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    note: str = Field(default="", sa_type=Text)
    actor: str = Field(max_length=200)
    at: datetime = _timestamp()


class Job(SQLModel, table=True):
    """A background re-score; workers claim it, and its cursor lets a restart resume.

    `created_by` is the owner (the actor: one per token, "system" for automatic
    re-scores): the queue is shared fairly between owners, and only the owner
    or an admin sees or cancels the job.  `counties` is the scope the owner had
    when asking ([] = the whole city); the worker ranks nothing outside it.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="rescore", max_length=40)
    status: str = Field(default="queued", max_length=20, index=True)
    enterprise_ids: list[int] = _json_list()
    done: int = 0
    total: int = 0
    reason: str = Field(default="", max_length=200)
    error: str = Field(default="", sa_type=Text)
    created_by: str = Field(default="", max_length=200, index=True)
    owner_token_id: int | None = None
    counties: list[str] = _json_list()
    claimed_by: str = Field(default="", max_length=200)
    turn_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    """When a worker last took the job up: the owner served longest ago goes next."""
    created_at: datetime = _timestamp()
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    heartbeat_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class EnterpriseEmbedding(SQLModel, table=True):
    """An enterprise's need-text query vector, reused by re-scores while its text is unchanged."""

    enterprise_id: int = Field(
        sa_column=Column(Integer, ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True)
    )
    model_name: str = Field(primary_key=True, max_length=200)
    text_hash: str = Field(max_length=64)
    dim: int
    vector: bytes = Field(sa_type=LargeBinary)
    updated_at: datetime = _timestamp()


class PoolState(SQLModel, table=True):
    """One row: a revision number bumped in the same transaction as every partner write.

    Every ranking read checks whether its stored run was computed on the
    current pool; reading this row is one primary-key lookup, where an
    aggregate over the partners grows with the pool (42 % of a stored
    `GET …/matches` at 10k partners, measured with py-spy).
    """

    __tablename__ = "pool_state"

    id: int = Field(default=1, primary_key=True)
    epoch: str = Field(default_factory=lambda: uuid.uuid4().hex, max_length=32)
    """Random per database: a revision number alone would repeat across databases."""
    revision: int = Field(default=0, sa_type=BigInteger)
    embedding_revision: int = Field(default=0, sa_type=BigInteger)
    """Bumped when partner embeddings computed in the background are stored."""


# The consultation and plan tables live in their own module; importing it here
# registers them on the same metadata wherever the tables are used (Alembic too).
import models.config_tables  # noqa: E402, F401
import models.consultation  # noqa: E402, F401
