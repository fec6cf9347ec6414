"""Which procedure a court opened, or a petition asks for: 重整 or 清算.

Read only once the court question says a court acted (or a petition was filed): the
procedure is the frame the officer works in, so the policy weighs it and the court's
finding names it.
"""

from __future__ import annotations

from collections.abc import Mapping

from matcher.diagnosis.phrases import Hit, Passage

PROCEDURE_NAMES = {"reorganisation": "重整", "liquidation": "清算"}
"""Procedure code -> its Chinese name (the lexicon's [procedure] and [petition] names)."""


def named_procedure(
    situation: Passage, table: Mapping[str, tuple[str, ...]], read: bool = True
) -> tuple[str, tuple[Hit, ...]] | None:
    """The one procedure the file names from `table`, with its phrases; None when not
    `read`, or none or both are named ("招募重整投资人，否则转入破产清算" decides neither)."""
    if not read:
        return None
    named = {name: tuple(situation.present(phrases)) for name, phrases in table.items()}
    named = {name: found for name, found in named.items() if found}
    return next(iter(named.items())) if len(named) == 1 else None


def naming_procedure(
    text: str, evidence: tuple[str, ...], procedure: str, hits: tuple[Hit, ...]
) -> tuple[str, tuple[str, ...]]:
    """The court finding's text and evidence, saying which procedure was opened and
    quoting where the file says so."""
    quote = hits[0].quote()
    quotes = evidence if quote in evidence else (*evidence, quote)
    return f"{text}（{PROCEDURE_NAMES[procedure]}）", quotes
