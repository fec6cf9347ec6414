"""ETags and If-Match for enterprises and partners (spec §6).

An enterprise's or a partner's ETag is its version counter, which every write
bumps in the same conditional UPDATE that checks it (api/services/versions.py).
An enterprise's assets are part of its representation, so they share its ETag.
"""

from __future__ import annotations

import re
from typing import Any

_TAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def etag_for(version: int) -> str:
    """The ETag of a representation with this version.

    Example:
        >>> etag_for(3)
        '"3"'
    """
    return f'"{version}"'


def parse_if_match(header: str | None) -> frozenset[int] | None:
    """The versions an If-Match header accepts, or None when it sets no condition.

    None for a missing header or `*` (the resource exists: the route checks that
    anyway).  A weak tag (W/"3") counts as its version: a proxy that compresses
    the answer may weaken the ETag it passes on, and the version is exact either
    way.  A tag that is not one of ours matches no version, so the write is
    refused with 412 rather than done unconditionally.

    Example:
        >>> sorted(parse_if_match('"3", W/"4", "abc"'))
        [3, 4]
        >>> parse_if_match("*") is None
        True
    """
    if header is None or not header.strip():
        return None
    tags = [t.strip() for t in header.split(",") if t.strip()]
    if "*" in tags:
        return None
    return frozenset(int(m[1]) for t in tags if (m := _TAG.match(t)))


_ETAG_HEADER = {
    "ETag": {"description": "the version read or written, quoted", "schema": {"type": "string"}}
}
_DETAIL = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        }
    }
}


def versioned(status: int = 200, *, conditional: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` of a route whose answer carries an ETag (and, for a write that
    honours If-Match, its 412)."""
    out: dict[int | str, dict[str, Any]] = {status: {"headers": _ETAG_HEADER}}
    if conditional:
        out[412] = {
            "description": "If-Match 的版本已过期：记录已被他人修改（答复带有当前 ETag）",
            "headers": _ETAG_HEADER,
            "content": _DETAIL,
        }
    return out
