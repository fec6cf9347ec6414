"""Bearer tokens and what each role may do.

Tokens are random 32-byte secrets shown once; the database keeps only their
SHA-256.  The bootstrap admin token from LD_ADMIN_TOKEN is compared in constant
time and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import String, bindparam
from sqlmodel import Session, col, select

from models.enums import ROLES
from models.tables import ApiToken

TOKEN_PREFIX = "ld_"
BOOTSTRAP_NAME = "bootstrap"
"""The LD_ADMIN_TOKEN principal's name: kept in audit rows as the actor `admin:bootstrap`."""
BOOTSTRAP_LABEL = "系统管理员（启动令牌）"


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    counties: tuple[str, ...] = ()
    """Counties the token may see; empty means the whole city (every county)."""
    token_id: int | None = None
    department_id: int | None = None
    """The department the token acts for: a `department` token sees only the cases it
    was invited to (api/services/case_scope.py); an officer's is its default in opinions."""

    @property
    def is_department(self) -> bool:
        return self.role == "department"

    @property
    def actor(self) -> str:
        return (
            f"{self.role}:{self.name}"
            if self.token_id is None
            else f"token#{self.token_id}:{self.name}"
        )

    @property
    def label(self) -> str:
        """How the pages and the case document name this principal (see `actor_label`)."""
        return actor_label(self.actor)

    @property
    def display_name(self) -> str:
        """The name the page shows (the bootstrap token is not a person's or a bureau's)."""
        return BOOTSTRAP_LABEL if self.is_bootstrap else self.name

    @property
    def is_bootstrap(self) -> bool:
        return self.token_id is None and self.name == BOOTSTRAP_NAME

    def sees_county(self, county: str) -> bool:
        return self.role == "admin" or not self.counties or county in self.counties

    @property
    def can_write_enterprises(self) -> bool:
        return self.role in ("admin", "officer")

    @property
    def can_write_partners(self) -> bool:
        return self.role == "admin"

    @property
    def can_review(self) -> bool:
        return self.role in ("admin", "officer")


SYSTEM_ACTOR = "system"
"""The actor of what the service does by itself (automatic diagnoses and re-scores)."""
CLI_ACTOR = "cli"
"""The actor of what an administrator does with the `ld` command line."""
_ACTOR_LABELS = {SYSTEM_ACTOR: "系统（自动）", CLI_ACTOR: "命令行（管理员）"}


def actor_label(actor: str | None) -> str:
    """The name a person reads for a stored actor.

    Audit rows keep the actor as `Principal.actor` writes it (`token#7:张三`, `admin:bootstrap`,
    `system`), which identifies the token exactly; a page or the case document shows the name
    behind it instead, so an officer reads 张三, not a token number.

    Example:
        >>> actor_label("token#7:张三"), actor_label("admin:bootstrap"), actor_label("system")
        ('张三', '系统管理员（启动令牌）', '系统（自动）')
    """
    if not actor:
        return "—"
    if actor in _ACTOR_LABELS:
        return _ACTOR_LABELS[actor]
    head, sep, name = actor.partition(":")
    if not sep or not name:
        return actor
    if head.startswith("token#") or head in ROLES:
        if head == "admin" and name == BOOTSTRAP_NAME:
            return BOOTSTRAP_LABEL
        return _ACTOR_LABELS.get(name, name) if head in ROLES else name
    return actor


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


_TOKEN_QUERY = select(
    ApiToken.id,
    ApiToken.name,
    ApiToken.role,
    ApiToken.counties,
    ApiToken.department_id,
    ApiToken.revoked_at,
).where(col(ApiToken.token_hash) == bindparam("token_hash", type_=String))
"""Built once: every request with a token runs it.  Looked up each time, never cached,
so a revoked token stops at once in every server process."""


def bootstrap_principal(token: str, admin_token: str | None) -> Principal | None:
    """The bootstrap admin if `token` is LD_ADMIN_TOKEN (compared in constant time), else None."""
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(name=BOOTSTRAP_NAME, role="admin")
    return None


def resolve_token(*, session: Session, token: str, admin_token: str | None) -> Principal | None:
    """The principal a presented token stands for, or None when it is unknown or revoked."""
    bootstrap = bootstrap_principal(token, admin_token)
    if bootstrap is not None:
        return bootstrap
    row = session.exec(_TOKEN_QUERY, params={"token_hash": hash_token(token)}).first()
    if row is None or row.revoked_at is not None:
        return None
    return Principal(
        name=row.name,
        role=row.role,
        counties=tuple(row.counties),
        token_id=row.id,
        department_id=row.department_id,
    )
