"""GB/T 4754-2017 industry codes: validation, names and hierarchy.

Codes arrive as "C2911", "C29", "2911" or " c291 "; the table turns them into
one canonical form (section letter plus digits) so that comparisons, prefix
exclusions and storage all agree.  The table is loaded from the CSV the project
ships in fixtures/ and passed to whoever needs it, never read at import.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_CODE_RE = re.compile(r"^([A-Ta-t])?(\d{2,4})$")
_SECTION_RE = re.compile(r"^[A-Ta-t]$")

# How closely two codes are related, by the deepest level they share.
SAME_XIAOLEI, SAME_ZHONGLEI, SAME_DALEI, SAME_MENLEI, UNRELATED = 4, 3, 2, 1, 0


@dataclass(frozen=True)
class IndustryEntry:
    code: str
    """Canonical code: section letter plus 0, 2, 3 or 4 digits (e.g. "C2911")."""
    level: str
    name: str


class IndustryTable:
    """A read-only lookup of the GB/T 4754-2017 classification."""

    def __init__(self, entries: dict[str, IndustryEntry], section_of_dalei: dict[str, str]) -> None:
        self._entries = entries
        self._section_of_dalei = section_of_dalei
        # Ranking explains every result through normalize(); the inputs are
        # few distinct codes, and the bound keeps arbitrary user text from growing it.
        self._normalize_cached = lru_cache(maxsize=4096)(self._normalize)

    @classmethod
    def from_csv(cls, path: Path | str) -> IndustryTable:
        """Load the table from the reference CSV (columns level, code, name, menlei…)."""
        entries: dict[str, IndustryEntry] = {}
        section_of_dalei: dict[str, str] = {}
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                section = row["menlei"].strip()
                digits = "" if row["level"] == "门类" else row["code"].strip()
                if row["level"] == "大类":
                    section_of_dalei[digits] = section
                code = section + digits
                entries[code] = IndustryEntry(
                    code=code, level=row["level"], name=row["name"].strip()
                )
        return cls(entries, section_of_dalei)

    def __len__(self) -> int:
        return len(self._entries)

    def normalize(self, raw: str) -> str | None:
        """Return the canonical code, or None when it is not in the table.

        Example:
            >>> table.normalize("2911")  # doctest: +SKIP
            'C2911'
        """
        return self._normalize_cached(raw)

    def _normalize(self, raw: str) -> str | None:
        text = raw.strip()
        if _SECTION_RE.match(text):
            code = text.upper()
            return code if code in self._entries else None
        match = _CODE_RE.match(text)
        if not match:
            return None
        letter, digits = match.groups()
        section = self._section_of_dalei.get(digits[:2])
        if section is None or (letter and letter.upper() != section):
            return None
        code = section + digits
        return code if code in self._entries else None

    def get(self, code: str) -> IndustryEntry | None:
        canonical = self.normalize(code)
        return None if canonical is None else self._entries[canonical]

    def name(self, code: str) -> str | None:
        entry = self.get(code)
        return None if entry is None else entry.name

    def lineage(self, code: str) -> list[IndustryEntry]:
        """The entry and its ancestors, from 门类 down to the code itself."""
        canonical = self.normalize(code)
        if canonical is None:
            return []
        section, digits = canonical[0], canonical[1:]
        prefixes = [section] + [section + digits[:n] for n in (2, 3, 4) if len(digits) >= n]
        return [self._entries[p] for p in prefixes if p in self._entries]


def industry_relation(a: str, b: str) -> int:
    """How closely two canonical codes are related (SAME_XIAOLEI … UNRELATED).

    Two codes of different depth are compared on the depth they share, so a
    partner listing "C29" is SAME_DALEI to an enterprise in "C2911".

    Example:
        >>> industry_relation("C2911", "C2913")
        3
    """
    if not a or not b or a[0] != b[0]:
        return UNRELATED
    da, db = a[1:], b[1:]
    shared = 0
    for n in (2, 3, 4):
        if len(da) >= n and len(db) >= n and da[:n] == db[:n]:
            shared = n
    depth = min(len(da), len(db))
    if shared == 4 or (shared and shared == depth):
        # One code contains the other: as close as the coarser code allows.
        return {2: SAME_DALEI, 3: SAME_ZHONGLEI, 4: SAME_XIAOLEI}[shared]
    return {0: SAME_MENLEI, 2: SAME_DALEI, 3: SAME_ZHONGLEI}[shared]


def is_excluded(code: str, excluded: tuple[str, ...] | list[str]) -> bool:
    """True when an exclusion code is a prefix of the canonical code."""
    return any(code.startswith(prefix) for prefix in excluded if prefix)
