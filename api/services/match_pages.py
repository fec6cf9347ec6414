"""The answer of `GET …/matches`: a page of a stored run, from item JSON encoded once.

A stored run never changes: a new ranking is a new run, and runs are only ever
deleted.  Nor does what an item of it shows — rank, score, components, levels,
reasons, weak, and the partner's name, kind and role: a partner's write bumps
the pool revision, so every run ranked before it is stale and is ranked anew
before it is served again.  What does change between two reads of one run is
which of its items are listed (review statuses, partners made inactive or
archived, the request's filters) and each item's review status.

So a request reads only that — the page's match ids and statuses, every filter
in SQL (api.services.matching.page_rows) — and the answer is assembled from
each item's JSON, encoded by the response models the first time this process
served the item.  The stored GET used to decode three JSON columns per item,
derive each partner's role and validate and encode the answer twice on every
request; that was most of its time (bench/README.md, issue 17).

The bytes are those FastAPI renders for `MatchList` (JSONResponse: compact,
UTF-8, keys in field order); tests/api/test_match_pages.py checks them against
the models' own rendering.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from api.presenters import match_item_of_row, run_out
from api.services import matching
from api.services.matching import RunKey
from models.results import MatchItem
from models.tables import MatchRun

CACHE_BYTES = 32 * 1024 * 1024
"""What the encoded items may hold per process: about 1.2 kB per item, so some
27,000 items, e.g. the first pages of every run of a few thousand enterprises."""


def render(content: Any) -> bytes:
    """JSON as FastAPI's JSONResponse renders it (so the answer is byte for byte the same)."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


_FIELDS = list(MatchItem.model_fields)
_STATUS_AT = _FIELDS.index("status")


def _split_item(item: MatchItem) -> tuple[bytes, bytes]:
    """The item's JSON without its status: what comes before the status's value (the key
    included) and what follows it, so that a request splices in the live status."""
    data = item.model_dump(mode="json")
    before = {k: data[k] for k in _FIELDS[:_STATUS_AT]}
    after = {k: data[k] for k in _FIELDS[_STATUS_AT + 1 :]}
    head = render(before)[:-1] + b',"status":'
    tail = (b"," + render(after)[1:]) if after else b"}"
    return head, tail


def run_key(run: MatchRun) -> RunKey:
    assert run.id is not None
    return (run.id, run.enterprise_id, run.created_at)


class _Entry:
    """What the cache holds of one run: the run as read, its answer's frame, its items."""

    __slots__ = ("frame", "items", "run", "size")

    def __init__(self) -> None:
        self.run: MatchRun | None = None
        self.frame: tuple[bytes, bytes] | None = None
        """The answer around its items: up to `"items":[`, and from `]` on."""
        self.items: dict[int, tuple[bytes, bytes]] = {}
        self.size = 0


RUN_BYTES = 1024
"""What a kept run and its frame are counted as (a transient MatchRun and two short texts)."""


class PageCache:
    """Each served item's JSON (without its status), per run, with the run itself and its
    answer's frame; the least recently read run dropped first once they hold more than
    `max_bytes`.  Shared by the request threads.  Also the `matching.RunMemo` of
    `matching.read_ranking_state`: a run read again is not built again."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._runs: OrderedDict[RunKey, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: RunKey, match_ids: Sequence[int]) -> dict[int, tuple[bytes, bytes]]:
        """The encoded items of `match_ids` this cache holds (maybe not all)."""
        with self._lock:
            entry = self._runs.get(key)
            if entry is None:
                return {}
            self._runs.move_to_end(key)
            return {i: entry.items[i] for i in match_ids if i in entry.items}

    def put(self, key: RunKey, encoded: dict[int, tuple[bytes, bytes]]) -> None:
        with self._lock:
            entry = self._entry(key)
            added = 0
            for match_id, parts in encoded.items():
                if match_id not in entry.items:
                    entry.items[match_id] = parts
                    added += len(parts[0]) + len(parts[1])
            self._grow(entry, added)

    def known_run(self, key: RunKey) -> MatchRun | None:
        with self._lock:
            entry = self._runs.get(key)
            return None if entry is None else entry.run

    def keep_run(self, key: RunKey, run: MatchRun) -> None:
        with self._lock:
            entry = self._entry(key)
            if entry.run is None:
                entry.run = run
                self._grow(entry, RUN_BYTES)

    def frame(self, run: MatchRun) -> tuple[bytes, bytes]:
        """The run's answer around its items (encoded the first time it is asked for)."""
        key = run_key(run)
        with self._lock:
            entry = self._runs.get(key)
            if entry is not None and entry.frame is not None:
                self._runs.move_to_end(key)
                return entry.frame
        frame = _frame(run)
        with self._lock:
            entry = self._entry(key)
            if entry.frame is None:
                entry.frame = frame
                self._grow(entry, len(frame[0]) + len(frame[1]))
        return frame

    def _entry(self, key: RunKey) -> _Entry:
        entry = self._runs.get(key)
        if entry is None:
            entry = self._runs[key] = _Entry()
        self._runs.move_to_end(key)
        return entry

    def _grow(self, entry: _Entry, added: int) -> None:
        entry.size += added
        self._bytes += added
        while self._bytes > self.max_bytes and len(self._runs) > 1:
            _, old = self._runs.popitem(last=False)
            self._bytes -= old.size


def _frame(run: MatchRun) -> tuple[bytes, bytes]:
    summary = run_out(run)
    assert summary is not None
    head = b"".join(
        (
            b'{"enterprise_id":',
            render(run.enterprise_id),
            b',"run":',
            render(summary.model_dump(mode="json")),
            b',"items":[',
        )
    )
    return head, b'],"qualified":' + render(run.qualified) + b"}"


_STATUS_JSON: dict[str | None, bytes] = {}


def _status_json(status: str | None) -> bytes:
    encoded = _STATUS_JSON.get(status)
    if encoded is None:
        encoded = _STATUS_JSON[status] = render(status)
    return encoded


def page_json(
    *,
    connection: Connection,
    run: MatchRun,
    cache: PageCache,
    limit: int,
    kind: str | None = None,
    min_score: float | None = None,
    include_rejected: bool = False,
    include_weak: bool = False,
) -> bytes:
    """The `MatchList` of the run's page, as JSON bytes: best first; weak items (below the
    fit floor) only with `include_weak`, rejected partners only with `include_rejected`."""
    page = matching.page_rows(
        connection=connection,
        run=run,
        limit=limit,
        kind=kind,
        min_score=min_score,
        include_rejected=include_rejected,
        include_weak=include_weak,
    )
    key = run_key(run)
    ids = [row.match_id for row in page]
    encoded = cache.get(key, ids)
    missing = [i for i in ids if i not in encoded]
    if missing:
        fresh = {
            row.match_id: _split_item(match_item_of_row(row))
            for row in matching.items_by_id(connection=connection, match_ids=missing)
        }
        cache.put(key, fresh)
        encoded.update(fresh)
    # A match gone between the two reads (its run pruned meanwhile) is left out.
    items = b",".join(
        encoded[row.match_id][0] + _status_json(row.status) + encoded[row.match_id][1]
        for row in page
        if row.match_id in encoded
    )
    head, tail = cache.frame(run)
    return head + items + tail
