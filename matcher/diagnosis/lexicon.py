"""The diagnosis lexicon: the phrases read as evidence, loaded from a TOML file.

The words an officer reads as evidence ("资不抵债", "禁养区", "订单排到下季度") are
data, kept in fixtures/diagnosis_lexicon.toml where policy staff can read and
extend them.  The engine receives a loaded `Lexicon`; it never finds the file
itself.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from matcher.text import normalize_zh

FAMILIES: tuple[str, ...] = (
    "insolvent",
    "court_proceedings",
    "court_petition",
    "enforcement",
    "orders",
    "licences",
    "intact",
    "brand_customers",
    "gone",
    "no_strength",
    "liquidity",
    "structural",
    "capped",
    "policy_exit",
    "growth",
    "idle",
    "guarantee",
    "guarantee_triggered",
    "overdue",
    "operating_value",
    "owner_sound",
)
"""Situation phrase families the evidence questions read (one home for the names)."""

DEMAND_FAMILIES: tuple[str, ...] = (
    "equity",
    "loan",
    "debt_deal",
    "reorg_investor",
    "liquidation",
    "merger",
    "asset_deal",
    "tech_partner",
)
"""Families read from the 诉求 text only: what is asked is weaker than what is."""


@dataclass(frozen=True)
class Negation:
    prefixes: tuple[str, ...]
    window: int
    not_negators: tuple[str, ...]
    clause_breaks: str
    contrast: tuple[str, ...]
    conditional: tuple[str, ...] = ()
    """Words that make a closure threat in their clause conditional ("否则关停")."""
    owner_wish: tuple[str, ...] = ()
    """Words that make a bankruptcy petition the owner's wish ("老板想申请破产")."""
    history_phrases: tuple[str, ...] = ()
    history_markers: tuple[str, ...] = ()
    """A `history_phrases` policy-exit hit in a clause with a marker is past, not a threat
    ("2013年完成环保搬迁": the plant has moved and works on)."""


PROCEDURES: tuple[str, ...] = ("reorganisation", "liquidation")
"""The procedures a court may open (the [procedure] table's names; one home)."""


@dataclass(frozen=True)
class Lexicon:
    version: str
    negation: Negation
    families: Mapping[str, tuple[str, ...]]
    demands: Mapping[str, tuple[str, ...]]
    procedure: Mapping[str, tuple[str, ...]] = dataclass_field(default_factory=dict)
    """Which procedure a court opened (重整 or 清算), read once a court has acted."""
    petition: Mapping[str, tuple[str, ...]] = dataclass_field(default_factory=dict)
    """Which procedure a petition asks for, read when a petition is the court step."""


def _phrases(
    raw: Mapping[str, Any], names: tuple[str, ...], table: str
) -> dict[str, tuple[str, ...]]:
    unknown = set(raw) - set(names)
    missing = set(names) - set(raw)
    if unknown or missing:
        raise ValueError(f"词库 [{table}]：未知 {sorted(unknown)}，缺少 {sorted(missing)}")
    out: dict[str, tuple[str, ...]] = {}
    for name in names:
        values = raw[name]
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise ValueError(f"词库 [{table}].{name} 必须是非空字符串列表")
        # Longest first, so that "进入破产重整" is quoted rather than "破产".
        out[name] = tuple(sorted({normalize_zh(v) for v in values}, key=lambda v: (-len(v), v)))
    return out


def lexicon_from_dict(data: Mapping[str, Any]) -> Lexicon:
    """Validate a parsed lexicon (the TOML's tables) and build the Lexicon.

    Raises:
        ValueError: on a missing or unknown family, or an empty phrase.
    """
    neg = data["negation"]
    negation = Negation(
        prefixes=tuple(sorted(neg["prefixes"], key=len, reverse=True)),
        window=int(neg.get("window", 5)),
        not_negators=tuple(neg.get("not_negators", ())),
        clause_breaks=str(neg.get("clause_breaks", "，。；;\n")),
        contrast=tuple(sorted(neg.get("contrast", ()), key=len, reverse=True)),
        conditional=tuple(neg.get("conditional", ())),
        owner_wish=tuple(neg.get("owner_wish", ())),
        history_phrases=tuple(neg.get("history_phrases", ())),
        history_markers=tuple(neg.get("history_markers", ())),
    )
    if negation.window < 1 or not negation.prefixes:
        raise ValueError("词库 [negation]：window 须为正数，prefixes 不能为空")
    return Lexicon(
        version=str(data["version"]),
        negation=negation,
        families=_phrases(data["families"], FAMILIES, "families"),
        demands=_phrases(data["demands"], DEMAND_FAMILIES, "demands"),
        procedure=_phrases(data["procedure"], PROCEDURES, "procedure")
        if "procedure" in data
        else {},
        petition=_phrases(data["petition"], PROCEDURES, "petition") if "petition" in data else {},
    )


def load_lexicon(path: Path | str) -> Lexicon:
    """Load fixtures/diagnosis_lexicon.toml (or any file of that shape).

    Example:
        >>> lexicon = load_lexicon("fixtures/diagnosis_lexicon.toml")  # doctest: +SKIP
        >>> "资不抵债" in lexicon.families["insolvent"]  # doctest: +SKIP
        True
    """
    with open(path, "rb") as handle:
        return lexicon_from_dict(tomllib.load(handle))
