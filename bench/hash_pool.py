"""A synthetic pool ranked with the hash encoder: what the CPU benches share.

`bench.ranking_cpu` and `bench.explain_cpu` time the engine's own work, not the sentence
model's, so both build the same thing: a bench.synth pool of bounded offer texts, its
enterprises with the engine's diagnoses, their query vectors and the partner index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class HashPool:
    runtime: Any
    """The api.runtime.Runtime (config, tables, lexicon) the rankings read."""
    enterprises: list[Any]
    diagnoses: list[Any]
    queries: np.ndarray
    index: Any
    """The matcher.matching.pool.PartnerIndex of the pool."""


def hash_pool(partners: int, enterprises: int) -> HashPool:
    """`partners` synthetic partners (300 distinct offer texts) and `enterprises` enterprises
    (100 distinct needs), embedded with the deterministic hash encoder."""
    from api.config import Settings
    from api.runtime import load_runtime
    from bench.__main__ import diagnose_all
    from bench.encoders import HashEncoder
    from bench.synth import distinct, make_enterprises, make_partners, need_texts, offer_texts
    from matcher.matching.pool import PartnerIndex

    encoder = HashEncoder()
    runtime = load_runtime(
        Settings(model_cache=Path(".cache/models"), start_worker=False), encoder=encoder
    )
    pool = make_partners(partners, distinct_offers=300)
    ents = make_enterprises(enterprises, distinct_needs=100)
    texts, rows = distinct(offer_texts(pool))
    needs, need_rows = distinct(need_texts(ents))
    queries = encoder.encode(needs, prompt_name="query")[need_rows]
    diagnoses = diagnose_all(runtime, ents, need_rows)
    index = PartnerIndex.build(pool, encoder.encode(texts)[rows], runtime.industries)
    return HashPool(runtime, ents, diagnoses, queries, index)
