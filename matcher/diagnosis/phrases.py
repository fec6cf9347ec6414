"""Phrases in their clause: found, quoted, and negated when the clause says so.

"无逾期" is not evidence of overdue debt, "未停产" not of a stoppage, and
"不存在欠薪" not of wage arrears.  A phrase counts as negated when a negator
("无", "未", "没有", "不存在"…) stands within a few characters before it in the
same clause; a clause ends at punctuation or at a contrast word ("但"), so that in
"无逾期，但贷款到期" the loan falling due is still read.  Words that merely contain a
negator ("未来", "不少") are masked first.  Each hit keeps its clause, so a reason can
quote the officer's own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from matcher.diagnosis.lexicon import Negation
from matcher.text import normalize_zh

QUOTE_CHARS = 36


@dataclass(frozen=True)
class Hit:
    phrase: str
    clause: str
    negated: bool

    def quote(self) -> str:
        """The clause in 「」, shortened around the phrase when long."""
        text = self.clause.strip()
        if len(text) > QUOTE_CHARS:
            at = max(0, text.find(self.phrase) - QUOTE_CHARS // 3)
            text = text[at : at + QUOTE_CHARS] + "…"
        return f"「{text}」"


@lru_cache(maxsize=8)
def _splitter(breaks: str, contrast: tuple[str, ...]) -> re.Pattern[str]:
    parts = [re.escape(c) for c in breaks] + [re.escape(w) for w in contrast]
    return re.compile("|".join(parts) if parts else r"\n")


@dataclass(frozen=True)
class Passage:
    """A text cut into clauses, each with its negation-safe mask, ready for look-ups."""

    clauses: tuple[str, ...]
    masked: tuple[str, ...]
    negation: Negation

    def hits(self, phrases: Iterable[str]) -> list[Hit]:
        """Every phrase found, once per clause, longest phrase first at a place."""
        found: list[Hit] = []
        for clause, masked in zip(self.clauses, self.masked, strict=True):
            taken: list[tuple[int, int]] = []
            for phrase in phrases:
                start = clause.find(phrase)
                while start >= 0:
                    end = start + len(phrase)
                    if not any(s < end and start < e for s, e in taken):
                        taken.append((start, end))
                        found.append(Hit(phrase, clause, self._negated(masked, start)))
                        break
                    start = clause.find(phrase, start + 1)
        return found

    def _negated(self, masked: str, start: int) -> bool:
        before = masked[max(0, start - self.negation.window) : start]
        return any(neg in before for neg in self.negation.prefixes)

    def present(self, phrases: Iterable[str]) -> list[Hit]:
        """The hits that are not negated."""
        return [h for h in self.hits(phrases) if not h.negated]

    def negated(self, phrases: Iterable[str]) -> list[Hit]:
        return [h for h in self.hits(phrases) if h.negated]


def _mask(clause: str, words: tuple[str, ...]) -> str:
    for word in words:
        if word in clause:
            clause = clause.replace(word, "＿" * len(word))
    return clause


def passage(text: str, negation: Negation) -> Passage:
    """Cut normalised text into clauses at punctuation and contrast words.

    Example:
        >>> from matcher.diagnosis.lexicon import Negation
        >>> neg = Negation(("无", "未"), 4, ("未来",), "，。", ("但",))
        >>> p = passage("无逾期，但贷款到期；未来订单稳定", neg)
        >>> [(h.phrase, h.negated) for h in p.hits(["逾期", "到期", "订单"])]
        [('逾期', True), ('到期', False), ('订单', False)]
    """
    pieces = _splitter(negation.clause_breaks, negation.contrast).split(normalize_zh(text))
    clauses = tuple(p for p in pieces if p.strip())
    return Passage(clauses, tuple(_mask(c, negation.not_negators) for c in clauses), negation)
