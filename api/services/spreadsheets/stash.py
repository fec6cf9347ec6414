"""What a checked import keeps until the officer confirms it: the valid rows, not the file.

A check used to leave the uploaded file itself (up to 16 MB) in data/uploads for 24 h.
Now only the rows that passed, as the payloads the API's schemas took, go to a gzipped
JSON file named by an unguessable id, with its owner, kind and the problems of the rows
left out.  Confirming claims it (renamed first, so two clicks cannot import it twice) and
deletes it; what nobody confirms is deleted after `STASH_TTL_SECONDS` by `sweep`, which
every import runs, together with any raw upload an older version left.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.services.spreadsheets.importing import Candidate
from api.services.spreadsheets.sheets import CellError

STASH_TTL_SECONDS = 3600.0
"""An hour: a confirmation follows its check within minutes; the rows are re-checked anyway."""

_ID = re.compile(r"^[0-9a-f]{32}$")
_SUFFIX, _CLAIMED = ".rows.json.gz", ".claimed"
_LEGACY = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")
"""The raw uploads that versions before this one kept."""


@dataclass(frozen=True)
class Stash:
    owner: str
    kind: str
    filename: str
    total: int
    """Rows of the checked file, the rows left out included."""
    skipped: list[CellError]
    """The problems of the rows left out, shown again with the import's result."""
    candidates: list[Candidate]


def stash_dir(data_dir: Path) -> Path:
    path = data_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_stash(folder: Path, stash: Stash) -> str:
    """Store the stash; its id (32 hex digits) is what the confirm form posts."""
    stash_id = secrets.token_hex(16)
    document = {
        "owner": stash.owner,
        "kind": stash.kind,
        "filename": stash.filename,
        "total": stash.total,
        "skipped": [[e.sheet, e.row, e.column, e.message] for e in stash.skipped],
        "rows": [[c.row, c.payload, c.asset_rows] for c in stash.candidates],
    }
    temporary = folder / f".{stash_id}.tmp"
    temporary.write_bytes(gzip.compress(json.dumps(document, ensure_ascii=False).encode(), 6))
    os.replace(temporary, folder / f"{stash_id}{_SUFFIX}")
    return stash_id


def claim_stash(folder: Path, stash_id: str, *, owner: str, kind: str) -> Stash | None:
    """The stash, removed from the folder; None when it is gone, expired or someone else's."""
    if not _ID.match(stash_id):
        return None
    path = folder / f"{stash_id}{_SUFFIX}"
    try:
        if time.time() - path.stat().st_mtime > STASH_TTL_SECONDS:
            path.unlink(missing_ok=True)
            return None
        document: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError, EOFError):
        return None
    if document.get("owner") != owner or document.get("kind") != kind:
        return None
    claimed = folder / f"{stash_id}{_CLAIMED}"
    try:
        os.rename(path, claimed)  # the second of two confirmations finds nothing
    except OSError:
        return None
    claimed.unlink(missing_ok=True)
    return Stash(
        owner=owner,
        kind=kind,
        filename=str(document["filename"]),
        total=int(document["total"]),
        skipped=[CellError(*e) for e in document["skipped"]],
        candidates=[Candidate(r, p, list(a)) for r, p, a in document["rows"]],
    )


def sweep(folder: Path, *, now: float | None = None) -> int:
    """Delete expired stashes and any raw upload left by an older version; how many."""
    cutoff = (time.time() if now is None else now) - STASH_TTL_SECONDS
    removed = 0
    for path in folder.iterdir():
        name = path.name
        legacy = bool(_LEGACY.match(name))
        ours = name.endswith((_SUFFIX, _CLAIMED)) or (
            name.startswith(".") and name.endswith(".tmp")
        )
        try:
            if legacy or (ours and path.stat().st_mtime < cutoff):
                path.unlink(missing_ok=True)
                removed += 1
        except OSError:
            continue
    return removed
