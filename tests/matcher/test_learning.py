"""The learner on hand-made decisions: direction, pull toward the current weights, thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matcher.matching.config import MatcherConfig
from matcher.matching.learning import compare, fit_overlay, learn
from matcher.matching.learning_data import (
    Decision,
    LearnSettings,
    NotEnoughDecisions,
    Overlay,
    split_by_time,
)

BASE = MatcherConfig()
COMPONENTS = ("region", "dense")
LEVELS = {"region": {"null": 0.0, "county": 0.5, "else": -5.0}}
START = datetime(2026, 1, 1, tzinfo=UTC)


def pair(e: int, p: int, outcome: str, region: str, dense: float, day: int = 0) -> Decision:
    return Decision(
        enterprise=f"e{e}",
        partner=f"p{p}",
        outcome=outcome,
        parts={"region": LEVELS["region"][region], "dense": dense},
        levels={"region": region},
        scales={"region": 1.0},
        category="relief",
        at=START + timedelta(days=day),
    )


def officers_who_follow_the_text(enterprises: int) -> list[Decision]:
    """Each enterprise: the partner of higher text similarity signed, the local one rejected."""
    out = []
    for e in range(enterprises):
        out.append(pair(e, 1, "signed", "else", 1.5, day=e))
        out.append(pair(e, 2, "rejected", "county", -0.5, day=e))
        out.append(pair(e, 3, "shown", "county", 0.0, day=e))
    return out


def current() -> Overlay:
    return Overlay(levels={c: dict(t) for c, t in LEVELS.items()})


def test_decisions_move_the_weights_their_way_and_more_decisions_move_them_more() -> None:
    settings = LearnSettings(min_decisions=2, strength=20.0, min_category_decisions=10**6)
    few = fit_overlay(officers_who_follow_the_text(2), current(), COMPONENTS, settings)
    many = fit_overlay(officers_who_follow_the_text(40), current(), COMPONENTS, settings)
    assert 1.0 < few.component_factors["dense"] < many.component_factors["dense"]
    assert 0.5 > few.levels["region"]["county"] > many.levels["region"]["county"] >= 0.0
    # A penalty stays a penalty; null stays neutral.
    assert many.levels["region"]["else"] <= 0.0 and many.levels["region"]["null"] == 0.0


def test_too_few_decisions_gives_the_count() -> None:
    with pytest.raises(NotEnoughDecisions) as raised:
        learn(
            officers_who_follow_the_text(3), current(), COMPONENTS, LearnSettings(min_decisions=7)
        )
    assert (raised.value.count, raised.value.needed) == (6, 7)  # shown pairs are not decisions


def test_the_most_recent_enterprises_are_held_out() -> None:
    early, late = split_by_time(officers_who_follow_the_text(8), 0.25)
    assert {d.enterprise for d in late} == {"e6", "e7"}
    assert {d.enterprise for d in early} == {f"e{i}" for i in range(6)}


def test_comparison_on_held_out_decisions_per_category() -> None:
    decisions = officers_who_follow_the_text(4)
    text_first = Overlay(levels=current().levels, component_factors={"dense": 10.0})
    table = compare(decisions, current(), text_first)
    assert set(table) == {"overall", "relief"}
    assert table["overall"]["ndcg_candidate"] == 1.0
    assert table["overall"]["ndcg_active"] < 1.0  # the local partner outranked the signed one
    assert table["relief"]["rejected_top3_active"] == 4


def test_an_overlay_changes_only_weights_and_keeps_the_base_hash_when_empty() -> None:
    assert Overlay.of(BASE).apply(BASE, BASE.version).config_hash() == BASE.config_hash()
    learned = Overlay(levels={"region": {"county": 0.7}}, component_factors={"dense": 1.5})
    config = learned.apply(BASE, "x")
    assert config.levels["region"]["county"] == 0.7
    assert config.levels["region"]["else"] == BASE.levels["region"]["else"]
    assert config.ticket_filter is BASE.ticket_filter
    assert config.factor_for("dense", "relief") == 1.5
    assert config.config_hash() != BASE.config_hash()


def test_the_files_order_of_levels_is_kept() -> None:
    """Officers who prefer provincial partners make the levels closer, never reversed."""
    levels = {"region": {"null": 0.0, "county": 0.5, "province": 0.1, "else": -5.0}}
    decisions = []
    for e in range(30):
        decisions.append(
            Decision(f"e{e}", "far", "signed", {}, "relief", START, "", {"region": "province"})
        )
        decisions.append(
            Decision(f"e{e}", "near", "rejected", {}, "relief", START, "", {"region": "county"})
        )
    settings = LearnSettings(min_decisions=2, strength=1.0, min_category_decisions=10**6)
    fitted = fit_overlay(decisions, Overlay(levels=levels), ("region",), settings)
    county, province = fitted.levels["region"]["county"], fitted.levels["region"]["province"]
    assert county >= province - 1e-6
    assert county - province < 0.5 - 0.1  # moved toward each other
