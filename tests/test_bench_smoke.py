"""The benchmark stays runnable: synthetic pools and one pool stage at a tiny size.

No sentence model: a deterministic stand-in encoder (bench.encoders.HashEncoder).
"""

from __future__ import annotations

import numpy as np

from api.config import FIXTURES_DIR
from bench.encoders import HashEncoder
from bench.engine_bench import Budget, Engine, Queries, embedding_stage, pool_stage
from bench.report import check_targets, render
from bench.synth import distinct, make_enterprises, make_partners, need_texts, offer_texts
from matcher.chain import IndustryChain
from matcher.encoders.loading import Encoder
from matcher.industry import IndustryTable
from matcher.matching.config import MatcherConfig


def test_synthetic_pools_are_deterministic_and_bounded() -> None:
    partners = make_partners(300, distinct_offers=40)
    assert [p.id for p in partners[:3]] == ["1", "2", "3"]
    assert make_partners(300, distinct_offers=40) == partners
    offers, rows = distinct(offer_texts(partners))
    assert len(offers) == 40 and len(rows) == 300
    table = IndustryTable.from_csv(FIXTURES_DIR / "gbt4754_2017.csv")
    assert all(table.normalize(c) == c for p in partners for c in p.industries)
    enterprises = make_enterprises(50, distinct_needs=10)
    assert len(distinct(need_texts(enterprises))[0]) == 10
    assert {e.city for e in enterprises} == {"东营市"}


def test_one_pool_stage_runs_with_a_stand_in_encoder() -> None:
    encoder = HashEncoder(dim=64)
    assert isinstance(encoder, Encoder)
    engine = Engine(
        encoder,
        MatcherConfig.from_toml(FIXTURES_DIR / "matcher_config.toml"),
        IndustryTable.from_csv(FIXTURES_DIR / "gbt4754_2017.csv"),
        IndustryChain.from_toml(FIXTURES_DIR / "industry_chain.toml"),
    )
    enterprises = make_enterprises(12, distinct_needs=6)
    needs, need_rows = distinct(need_texts(enterprises))
    offers, _ = distinct(offer_texts(make_partners(200, distinct_offers=30)))
    figures, offer_vecs, need_vecs = embedding_stage(encoder, offers, needs, sample=8, one_by_one=2)
    assert figures["cold"]["texts"] == 8 and offer_vecs.shape == (30, 64)
    cycle = [
        {"relief": 0.7, "debt_restructuring": 0.3},
        {"asset_revitalization": 0.6, "exit_liquidation": 0.4},
        {"strategic_investment": 1.0},
    ]
    queries = Queries(
        enterprises, [cycle[i % 3] for i in range(12)], np.asarray(need_vecs[need_rows])
    )
    budget = Budget(single_s=0.5, single_min=3, single_max=10, naive_runs=1, batch_s=2.0)
    pool = pool_stage(
        engine,
        200,
        offer_vecs=offer_vecs,
        offer_index={t: i for i, t in enumerate(offers)},
        distinct_offers=30,
        queries=queries,
        enterprise_sizes=[5, 12],
        k=10,
        budget=budget,
        cold_texts_per_s=figures["cold"]["texts_per_s"],
    )
    single = pool["single"]
    assert single["service"]["n"] >= 3 and single["floor"]["p50_ms"] > 0
    assert single["agreement"]["topk_overlap"] >= 0.9, "naive baseline no longer ranks alike"
    assert set(pool["batch"]) == {"5", "12"}
    assert pool["batch"]["12"]["pairs"] == 12 * 200
    result = {
        "machine": {"cpu": "test", "cores": 1},
        "settings": {"k": 10},
        "embedding": figures,
        "pools": {"200": pool},
        "elapsed_s": 1.0,
    }
    result["targets"] = check_targets(result)
    text = render(result)
    assert "÷ floor" in text and "Batch re-score" in text


def test_the_diagnosis_bench_times_every_stage() -> None:
    from bench.diagnosis_bench import run

    result = run(rounds=1, budget_s=0.1)
    stages = result["stages"]
    assert set(stages) == {"evidence", "policy_only", "full"}  # type: ignore[arg-type]
    assert all(s["n"] >= result["profiles"] and s["p50_ms"] > 0 for s in stages.values())  # type: ignore[union-attr, index]
