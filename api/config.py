"""Service settings, read from LD_* environment variables.

Read through get_settings() (cached) rather than a module-level instance, so
tests and the CLI can build their own Settings and pass them to create_app.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveFloat
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = PROJECT_ROOT / "fixtures"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LD_", env_nested_delimiter="__")

    database_url: str | None = None
    """SQLAlchemy URL; unset means an embedded SQLite file in data_dir."""
    data_dir: Path = PROJECT_ROOT / "data"
    admin_token: str | None = None
    embedding_model: str | None = None
    """A model path or package name; unset means the bundled default."""
    embedding_backend: str | None = None
    """How the sentence model runs (LD_EMBEDDING_BACKEND): one of
    matcher.encoders.loading.BACKENDS; unset means its DEFAULT_BACKEND (FALLBACK_BACKEND where
    ONNX Runtime is not installed)."""
    embeddings: Literal["background", "inline"] = "background"
    """background: requests never encode; the worker embeds new and changed texts and rankings
    meanwhile use what is ready.  inline: whoever needs a vector encodes it (batch commands)."""
    fixtures_dir: Path = FIXTURES_DIR
    max_body_bytes: int = 16 * 1024 * 1024
    run_migrations: bool = True
    start_worker: bool = True
    follow_up_days: float = 14.0
    """A match in progress with no change for this many days is an overdue follow-up."""
    job_stale_seconds: float = 60.0
    """A running job whose worker has been silent this long is taken over by another."""
    rescore_max_ids: int = 10_000
    """At most this many enterprise (or partner) ids in one re-score request."""
    job_queue_per_owner: int = 5
    """At most this many of one caller's jobs queued or running at once (429 beyond)."""
    job_slice: int = 64
    """Enterprises a job ranks before it lets another owner's waiting job have the worker."""
    learn_min_decisions: int = Field(default=30, ge=1)
    """Reviewed enterprise–partner pairs needed before a matcher config is learned."""
    learn_strengths: tuple[PositiveFloat, ...] = Field(default=(0.5, 2.0, 8.0), min_length=1)
    """Candidates for how many decisions the current weights count as (the pull toward them);
    the learner picks one by cross-validation over the fitted decisions' enterprises."""
    learn_category_strengths: tuple[PositiveFloat, ...] = Field(
        default=(5.0, 20.0, 80.0), min_length=1
    )
    """Candidates for the pull of a category's own factors toward the shared ones (likewise)."""
    learn_inner_folds: int = Field(default=4, ge=2)
    """Folds of that cross-validation."""
    learn_min_category_decisions: int = Field(default=60, ge=1)
    """Reviewed pairs a treatment category needs before it gets factors of its own."""
    learn_holdout_share: float = Field(default=0.25, gt=0, lt=1)
    """The most recently decided share of enterprises held out for the comparison."""
    auth_failure_limit: int = Field(default=20, ge=0)
    """Wrong tokens a client address may present per window before a lock-out; 0: no limit."""
    auth_failure_window_seconds: float = Field(default=60.0, gt=0)
    auth_lockout_seconds: float = Field(default=60.0, gt=0)
    """How long a client whose budget is spent gets 429 (with Retry-After)."""
    cookie_secure: Literal["auto", "true", "false"] = "auto"
    """The sign-in cookie's Secure flag: auto sets it when the request is https (directly,
    or by X-Forwarded-Proto from a proxy uvicorn trusts, see FORWARDED_ALLOW_IPS)."""
    trusted_origins: list[str] = Field(default_factory=list)
    """Origins besides the service's own whose form posts the pages accept, e.g. the public
    https://host of a proxy that rewrites Host; JSON list in the environment."""

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'linked_diagnosis.db').resolve()}"

    model_cache: Path | None = None
    """Where the bundled model is unpacked once; default: <data_dir>/cache/models."""

    @property
    def model_cache_dir(self) -> Path:
        return self.model_cache or self.data_dir / "cache" / "models"


@lru_cache
def get_settings() -> Settings:
    return Settings()
