"""MatcherConfig: validation, TOML round trip, hash."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from matcher.matching.config import LEVELS, MatcherConfig
from tests.matcher.match_helpers import FIXTURES


def test_shipped_config_loads_and_is_valid() -> None:
    cfg = MatcherConfig.from_toml(FIXTURES / "matcher_config.toml")
    assert set(cfg.levels) == set(LEVELS)
    assert cfg.version


def test_toml_round_trip(tmp_path: Path) -> None:
    cfg = dataclasses.replace(MatcherConfig(), dense_weight=0.37, version="test-1")
    path = tmp_path / "cfg.toml"
    cfg.save_toml(path)
    again = MatcherConfig.from_toml(path)
    assert again == cfg
    assert again.config_hash() == cfg.config_hash()


def test_hash_is_stable_and_sensitive() -> None:
    a, b = MatcherConfig(), MatcherConfig()
    assert a.config_hash() == b.config_hash()
    levels = {k: dict(v) for k, v in a.levels.items()}
    levels["region"]["city"] = 0.41
    assert dataclasses.replace(a, levels=levels).config_hash() != a.config_hash()


@pytest.mark.parametrize(
    ("description", "change", "message"),
    [
        ("missing component", {"levels": {"treatment": {"null": 0.0}}}, "lacks"),
        (
            "null must be neutral",
            {
                "levels": {
                    **MatcherConfig().levels,
                    "kind": {"null": 1.0, "typical": 0.4, "else": 0.0},
                }
            },
            "null must be 0",
        ),
        ("probability out of range", {"secondary_min_probability": 1.5}, "in \\[0, 1\\]"),
        ("near beyond far", {"ticket_near_factor": 4.0}, "ticket_near_factor"),
        ("not finite", {"dense_weight": float("nan")}, "finite"),
    ],
)
def test_invalid_configs_are_rejected(
    description: str, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(MatcherConfig(), **change)  # type: ignore[arg-type]


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown config keys"):
        MatcherConfig.from_dict({"weigths": 1})
