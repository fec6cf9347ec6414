"""A ranking held at a gate: a registered rule component whose pool step waits until the
test lets it go — the only stand-in, for timing control (the "slow model" of a unit test)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence

import numpy as np

from api.runtime import PoolCache, Runtime
from matcher.industry import IndustryTable
from matcher.matching.component import LEVEL_DTYPE, Contribution, Level, RuleComponent
from matcher.matching.config import MatcherConfig
from matcher.matching.context import MatchContext, MatchQuery
from matcher.matching.registry import STANDARD_REGISTRY
from matcher.profile import PartnerProfile

HOLD = 20.0
"""How long the gate holds a ranking at most (the test releases it sooner)."""


class Gate:
    """Holds the first ranking that reaches it until released; later ones pass."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._used = False

    def pass_through(self) -> None:
        with self._lock:
            first, self._used = not self._used, True
        if first:
            self.reached.set()
            self.released.wait(HOLD)


GATE_LEVELS = (Level("null", "闸门", 0.0, "测试闸门"), Level("else", "闸门", 0.0, "测试闸门"))
"""Weighted 0: the gate changes no score."""


def gate_component(gate: Gate) -> RuleComponent:
    def pair(q: MatchQuery, p: PartnerProfile, c: MatchContext) -> Contribution:
        return component.verdict(q, c, "null")

    def prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> int:
        return len(partners)

    def pool(size: int, q: MatchQuery, c: MatchContext) -> np.ndarray:
        gate.pass_through()
        return np.zeros(size, dtype=LEVEL_DTYPE)

    component = RuleComponent(
        name="gate",
        title="闸门",
        levels=GATE_LEVELS,
        pair=pair,
        pool=pool,
        key=lambda q, c: (),
        prepare=prepare,
    )
    return component


def gated_runtime(runtime: Runtime, gate: Gate) -> Runtime:
    standard = MatcherConfig()
    config = dataclasses.replace(
        standard, levels={**standard.levels, "gate": {lv.label: lv.weight for lv in GATE_LEVELS}}
    )
    return dataclasses.replace(
        runtime,
        registry=STANDARD_REGISTRY.with_component(gate_component(gate)),
        matcher_config=config,
        pool=PoolCache(),
        inline_embeddings=False,  # the service's default: vectors come from the worker
    )
