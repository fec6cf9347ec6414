"""Service settings, read from LD_* environment variables.

Read through get_settings() (cached) rather than a module-level instance, so
tests and the CLI can build their own Settings and pass them to create_app.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    fixtures_dir: Path = FIXTURES_DIR
    max_body_bytes: int = 16 * 1024 * 1024
    run_migrations: bool = True
    start_worker: bool = True

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'linked_diagnosis.db').resolve()}"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


@lru_cache
def get_settings() -> Settings:
    return Settings()
