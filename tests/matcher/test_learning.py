"""The learner on hand-made decisions: direction, pull toward the current weights, thresholds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from matcher.matching.config import MatcherConfig
from matcher.matching.learning import fit_overlay, fit_shared
from matcher.matching.learning_category import KEEP_ACTIVE, SHARED, fit_category
from matcher.matching.learning_data import (
    Decision,
    LearnSettings,
    NotEnoughDecisions,
    Overlay,
    split_by_time,
)
from matcher.matching.learning_loop import compare, learn, tuned

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


def crowded_pair(e: int, p: int, outcome: str, crowded: int, dense: float) -> Decision:
    return Decision(
        f"e{e}", f"p{p}", outcome, {"dense": dense}, "relief", START, "", {}, {}, crowded
    )


@pytest.mark.parametrize(("signed_crowded", "moves"), [(3, "down"), (0, "up")])
def test_the_coverage_penalty_follows_whether_officers_sign_crowded_partners(
    signed_crowded: int, moves: str
) -> None:
    """Officers who sign the fourth bank of a list say the roles need less mixing; officers
    who pass over it and sign the first of another role say they need more."""
    decisions = []
    for e in range(30):
        text = 1.0 if e % 2 else -1.0  # the text says nothing about the outcome, on balance
        decisions.append(crowded_pair(e, 1, "signed", signed_crowded, text))
        decisions.append(crowded_pair(e, 2, "rejected", 3 - signed_crowded, -text))
        decisions.append(crowded_pair(e, 3, "contacted", 1, 0.0))
    start = Overlay(levels={}, component_factors={"dense": 1.0}, coverage_penalty=0.5)
    settings = LearnSettings(min_decisions=2, strength=2.0, min_category_decisions=10**6)
    fitted = fit_overlay(decisions, start, ("dense",), settings)
    assert fitted.coverage_penalty is not None and fitted.coverage_penalty >= 0.0
    before = fitted.coverage_penalty < 0.5 if moves == "down" else fitted.coverage_penalty > 0.5
    assert before, fitted.coverage_penalty


def test_a_candidate_is_put_back_in_the_current_units() -> None:
    """The fit floor is in score units: the learned scores keep the current ones' spread."""
    decisions = officers_who_follow_the_text(20)
    settings = LearnSettings(min_decisions=2, strength=5.0, min_category_decisions=10**6)
    fitted = fit_overlay(decisions, current(), COMPONENTS, settings)
    spread = np.std([current().score(d) for d in decisions])
    assert np.std([fitted.score(d) for d in decisions]) == pytest.approx(spread, rel=1e-4)
    scaled = fitted.scaled(2.0)
    assert scaled.levels["region"]["county"] == pytest.approx(2 * fitted.levels["region"]["county"])
    assert [scaled.score(d) for d in decisions] == pytest.approx(
        [2 * fitted.score(d) for d in decisions]
    )


def test_the_coverage_penalty_round_trips_and_reaches_the_config() -> None:
    learned = Overlay(levels={}, component_factors={"dense": 1.5}, coverage_penalty=0.125)
    assert Overlay.from_dict(learned.to_dict()) == learned
    assert learned.apply(BASE, "x").coverage_penalty == 0.125
    assert Overlay(levels={}).apply(BASE, "y").coverage_penalty == BASE.coverage_penalty
    assert "coverage_penalty" not in Overlay(levels={}).to_dict()


def mixed_officers(enterprises: int, start: int = 0) -> list[Decision]:
    """Half the enterprises follow the text, half the region: λ matters."""
    out = []
    for e in range(start, start + enterprises):
        text = e % 2 == 0
        out.append(pair(e, 1, "signed", "else" if text else "county", 1.5, day=e))
        out.append(pair(e, 2, "rejected", "county" if text else "else", -0.5, day=e))
        out.append(pair(e, 3, "contacted", "county", 0.2, day=e))
    return out


def test_the_strengths_are_chosen_on_the_fitted_decisions_alone() -> None:
    """The held-out share never chooses λ: other held-out decisions, the same choice."""
    settings = LearnSettings(
        min_decisions=6,
        min_category_decisions=10**6,
        strengths=(0.5, 4.0, 32.0),
        category_strengths=(20.0,),
        holdout_share=0.25,
        inner_folds=3,
    )
    early = mixed_officers(24)
    late_text = officers_who_follow_the_text(8)
    late_text = [
        replace(d, enterprise=f"late{d.enterprise}", at=START + timedelta(days=99))
        for d in late_text
    ]
    late_region = [
        replace(d, outcome={"signed": "rejected", "rejected": "signed"}.get(d.outcome, d.outcome))
        for d in late_text
    ]
    one = learn(early + late_text, current(), COMPONENTS, settings)
    two = learn(early + late_region, current(), COMPONENTS, settings)
    assert one.data["strength"] == two.data["strength"] in settings.strengths
    assert one.overlay == two.overlay
    assert set(one.data["cross_validated"]) == {"0.5/20", "4/20", "32/20"}
    tuning = tuned(early, current(), COMPONENTS, settings)
    assert tuning.settings.strength == one.data["strength"]
    assert tuning.table == one.data["cross_validated"]
    fixed = tuned(early, current(), COMPONENTS, LearnSettings(min_decisions=6, strength=3.0))
    assert fixed.settings.strength == 3.0 and "3/20" in fixed.table


TREATMENT = {
    "null": 0.0,
    "primary": 3.0,
    "inferred": 2.4,
    "natural": 1.6,
    "secondary": 1.0,
    "partial": 0.6,
    "else": -3.0,
}


def engaged(e: int, p: int, outcome: str, level: str, dense: float, category: str) -> Decision:
    return Decision(
        enterprise=f"{category}-{e}",
        partner=f"p{p}",
        outcome=outcome,
        parts={"treatment": TREATMENT[level], "dense": dense},
        levels={"treatment": level},
        scales={"treatment": 1.0},
        category=category,
        at=START + timedelta(days=e),
    )


def officers(category: str, enterprises: int, *, partial_first: bool) -> list[Decision]:
    """Each enterprise: a `natural` and a `partial` engagement, the latter a little closer in
    text.  The active weights put the `natural` one first (1.6 − 0.3 > 0.6 + 0.3); officers
    of `partial_first` sign the `partial` one and reject the other, the rest agree with the
    active weights."""
    out = []
    for e in range(enterprises):
        first, second = ("signed", "rejected") if partial_first else ("rejected", "signed")
        out.append(engaged(e, 1, first, "partial", 0.3, category))
        out.append(engaged(e, 2, second, "natural", -0.3, category))
        out.append(engaged(e, 3, "rejected", "else", 0.0, category))
    return out


def engagement_overlay() -> Overlay:
    return Overlay(levels={"treatment": dict(TREATMENT)}, component_factors={"dense": 1.0})


CATEGORY_SETTINGS = LearnSettings(
    min_decisions=6, strength=2.0, category_strength=5.0, min_category_decisions=20, inner_folds=3
)


def test_a_category_whose_officers_weigh_an_engagement_their_own_way_gets_its_own_part() -> None:
    """清算 officers sign the partial engagement; 纾困 officers agree with the active weights.
    The learner finds the 清算 effect in 清算's own part and leaves 纾困 exactly as it was."""
    decisions = officers("exit_liquidation", 12, partial_first=True)
    decisions += officers("relief", 12, partial_first=False)
    active = engagement_overlay()
    result = learn(decisions, active, ("treatment", "dense"), replace(CATEGORY_SETTINGS))
    assert result.data["categories"]["exit_liquidation"] not in (KEEP_ACTIVE, SHARED)
    assert result.data["categories"]["relief"] == KEEP_ACTIVE
    overlay = result.overlay
    exit_part = overlay.category_levels["exit_liquidation"]["treatment"]
    # The partial engagement gains on the natural one for 清算 (never above it: order kept).
    gap_exit = exit_part["natural"] - exit_part["partial"]
    gap_shared = overlay.levels["treatment"]["natural"] - overlay.levels["treatment"]["partial"]
    assert 0.0 <= gap_exit < gap_shared
    exit_firsts = [
        d for d in decisions if d.category == "exit_liquidation" and d.outcome == "signed"
    ]
    for d in exit_firsts:
        rival = next(x for x in decisions if x.enterprise == d.enterprise and x.partner == "p2")
        assert overlay.score(d) > overlay.score(rival)
    # 纾困 keeps the active weights exactly: every pair scores as before.
    for d in (d for d in decisions if d.category == "relief"):
        assert overlay.score(d) == pytest.approx(active.score(d), abs=1e-5)
    config = overlay.apply(MatcherConfig(), "x")
    assert config.level_weight("treatment", "partial", "relief") == TREATMENT["partial"]
    assert config.level_weight("treatment", "partial", "exit_liquidation") == (exit_part["partial"])


def test_without_a_category_effect_no_category_moves() -> None:
    """Officers of every category agree with the active weights: nothing beats them on inner
    cross-validation, so every category keeps them exactly."""
    decisions = officers("exit_liquidation", 12, partial_first=False)
    decisions += officers("relief", 12, partial_first=False)
    active = engagement_overlay()
    result = learn(decisions, active, ("treatment", "dense"), CATEGORY_SETTINGS)
    assert set(result.data["categories"].values()) == {KEEP_ACTIVE}
    for d in decisions:
        assert result.overlay.score(d) == pytest.approx(active.score(d), abs=1e-5)
    assert result.metrics["overall"]["delta"] == 0.0


def test_a_category_part_grows_with_its_decisions_and_stays_near_the_shared_weights() -> None:
    """Hierarchical shrinkage: a few decisions of a category move its part a little, many
    move it more; the part is pulled toward the shared weights, not toward zero."""
    active = engagement_overlay()
    agreeing = officers("relief", 12, partial_first=False)
    shared = fit_shared(agreeing, active, ("treatment", "dense"), 2.0)
    moved = []
    for n in (2, 40):
        decisions = agreeing + officers("exit_liquidation", n, partial_first=True)
        part = fit_category(
            decisions, active, shared, ("treatment", "dense"), "exit_liquidation", 5.0
        )
        own = part.levels["treatment"]
        moved.append(own["partial"] - shared.levels["treatment"]["partial"])
        assert "null" not in own  # missing data stays neutral in every category
        assert own["natural"] >= own["partial"] >= 0.0
    assert 0.0 < moved[0] < moved[1]


def test_category_levels_and_penalties_round_trip_and_leave_the_hand_set_hash() -> None:
    learned = Overlay(
        levels={},
        category_levels={"relief": {"treatment": {"partial": 0.9}}},
        category_coverage_penalty={"relief": 0.25},
    )
    assert Overlay.from_dict(learned.to_dict()) == learned
    config = learned.apply(BASE, "x")
    assert config.level_weight("treatment", "partial", "relief") == 0.9
    assert (
        config.level_weight("treatment", "partial", "tech_upgrade")
        == BASE.levels["treatment"]["partial"]
    )
    assert config.coverage_penalty_for("relief") == 0.25
    assert config.coverage_penalty_for("tech_upgrade") == BASE.coverage_penalty
    assert "category_levels" not in BASE.to_dict()
    assert MatcherConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="category_levels.relief.treatment"):
        replace(BASE, category_levels={"relief": {"treatment": {"nearby": 1.0}}})
