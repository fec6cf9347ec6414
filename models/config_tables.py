"""Versioned matcher configs and diagnosis models: learned candidates and which one is active.

A version row holds a learned overlay (factors over the shipped weights file,
matcher.matching.learning.Overlay), the decisions it was fitted on and its
held-out comparison.  The shipped file itself is the version `base` and has no
row.  The one `matcher_config_state` row names the active version; every
ranking process reads it (one primary-key lookup) and follows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel

from models.tables import utcnow

BASE_VERSION = "base"


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class MatcherConfigVersion(SQLModel, table=True):
    __tablename__ = "matcher_config_version"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=40, unique=True)
    overlay: dict[str, Any] = _json()
    """The learned part of the config (matcher.matching.learning_data.Overlay.to_dict)."""
    base_hash: str = Field(max_length=64)
    """The hash of the weights file it was learned over."""
    config_hash: str = Field(max_length=64)
    """The hash of the overlay applied to that file: what its rankings are stamped with."""
    data: dict[str, Any] = _json()
    """What it was fitted on: counts, date range, hash."""
    held_out: dict[str, Any] = _json()
    metrics: dict[str, Any] = _json()
    """Treatment category (and "overall") → the held-out comparison with the active config."""
    compared_with: str = Field(default="", max_length=40)
    settings: dict[str, Any] = _json()
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


class MatcherConfigState(SQLModel, table=True):
    """One row: the active version (absent: the shipped file)."""

    __tablename__ = "matcher_config_state"

    id: int = Field(default=1, primary_key=True)
    active_version: str = Field(default=BASE_VERSION, max_length=40)
    activated_by: str = Field(default="", max_length=200)
    activated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class DiagnosisModelVersion(SQLModel, table=True):
    """A diagnosis model trained with the officers' overrides: a candidate until activated.

    The artifact itself is kept in the database (a few hundred KB), so every
    process of a deployment, and a rollback months later, loads exactly the
    model that was compared; the shipped model is the version `base` and has no row.
    """

    __tablename__ = "diagnosis_model_version"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=80, unique=True)
    artifact: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    model_metadata: dict[str, Any] = _json()
    """The model's own metadata (training data hash, cross-validated metrics, features)."""
    data: dict[str, Any] = _json()
    """What it was fitted on: corpus rows, overrides used and held out, their date range."""
    held_out: dict[str, Any] = _json()
    """Group ("overall" and each category) → how often the active model and the candidate
    agree with the officers on the most recent overrides, held out from training."""
    compared_with: str = Field(default="", max_length=80)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


class DiagnosisModelState(SQLModel, table=True):
    """One row: the active diagnosis model (absent: the shipped one)."""

    __tablename__ = "diagnosis_model_state"

    id: int = Field(default=1, primary_key=True)
    active_version: str = Field(default=BASE_VERSION, max_length=80)
    activated_by: str = Field(default="", max_length=200)
    activated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
