"""Embedding helpers with a stand-in encoder: texts, stored reuse, array search."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from matcher.encoders.loading import Encoder, load_encoder
from matcher.encoders.search import top_indices, top_partners
from matcher.matching.embeddings import StoredEmbedding, embed_partners, text_hash
from matcher.matching.texts import enterprise_need_text, partner_offer_text
from tests.matcher.match_helpers import HashEncoder, enterprise, partner, pool


def test_stand_in_satisfies_protocol() -> None:
    assert isinstance(HashEncoder(), Encoder)


def test_need_text_has_every_part_in_order() -> None:
    text = enterprise_need_text(enterprise())
    for piece in ("主营：", "困难：", "诉求：", "优势：", "闲置厂房：闲置厂房2万平方米"):
        assert piece in text
    assert text.index("主营") < text.index("困难") < text.index("诉求")


def test_offer_text_has_capabilities_interests_track_record() -> None:
    p = partner("P", track_record="2023年并购某轮胎厂")
    text = partner_offer_text(p)
    assert "能力：" in text and "意向：" in text and "业绩：2023年并购某轮胎厂" in text


def test_text_hash_is_stable_and_content_sensitive() -> None:
    assert text_hash("轮胎") == text_hash("轮胎")
    assert text_hash("轮胎") != text_hash("轮胎。")


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("top_k", [1, 3, 7, 50])
def test_top_partners_matches_brute_force(seed: int, top_k: int) -> None:
    rng = np.random.default_rng(seed)
    corpus = rng.normal(size=(20, 8)).astype(np.float32)
    corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
    query = corpus[3] + 0.1 * rng.normal(size=8).astype(np.float32)
    ids = [f"p{i}" for i in range(20)]
    got = top_partners(query, corpus, ids, top_k)
    brute = sorted(((ids[i], float(corpus[i] @ query)) for i in range(20)), key=lambda x: -x[1])
    assert [g[0] for g in got] == [b[0] for b in brute[:top_k]]
    assert [g[1] for g in got] == pytest.approx([b[1] for b in brute[:top_k]], abs=1e-6)


def test_top_partners_edge_cases() -> None:
    eye = np.eye(3, dtype=np.float32)
    assert top_partners(eye[0], eye, ["a", "b", "c"], 0) == []
    assert top_partners(eye[0], eye[:0], [], 5) == []
    with pytest.raises(ValueError):
        top_partners(eye[0], eye, ["a"], 1)


def test_top_indices_breaks_ties_by_position() -> None:
    assert top_indices(np.array([1.0, 2.0, 2.0, 0.5]), 3).tolist() == [1, 2, 0]


def test_stored_embeddings_are_reused_until_text_or_model_changes() -> None:
    encoder = HashEncoder()
    partners = pool()[:4]
    first, fresh = embed_partners(encoder, partners, {})
    assert encoder.calls == [4]
    assert set(fresh) == {p.id for p in partners}
    assert first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)

    again, fresh2 = embed_partners(encoder, partners, fresh)
    assert encoder.calls == [4]  # nothing re-encoded
    assert fresh2 == {}
    assert np.allclose(again, first)

    changed = [dataclasses.replace(partners[1], interests="改为关注新能源电池。"), *partners[2:]]
    _, fresh3 = embed_partners(encoder, [partners[0], *changed], fresh)
    assert encoder.calls == [4, 1]
    assert set(fresh3) == {partners[1].id}

    other_model = HashEncoder(name="hash-64-v2")
    _, fresh4 = embed_partners(other_model, partners, fresh)
    assert other_model.calls == [4]
    assert all(rec.model_name == "hash-64-v2" for rec in fresh4.values())


def test_stored_record_keeps_hash_of_offer_text() -> None:
    p = partner("P")
    _, fresh = embed_partners(HashEncoder(), [p], {})
    record = fresh["P"]
    assert isinstance(record, StoredEmbedding)
    assert record.text_hash == text_hash(partner_offer_text(p))


def test_load_encoder_rejects_unknown_spec(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no embedding model"):
        load_encoder("no-such-model-package", tmp_path)


def test_package_spec_finds_the_shipped_model_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.encoders.loading import _package_model_dir, model_spec_from_env

    pkg = tmp_path / "fake_model_pkg"
    (pkg / "model").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "model" / "modules.json").write_text("[]", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _package_model_dir("fake_model_pkg") == pkg / "model"
    assert _package_model_dir("no_such_pkg_here") is None

    monkeypatch.setenv("LD_EMBEDDING_MODEL", "fake_model_pkg")
    assert model_spec_from_env() == "fake_model_pkg"
    monkeypatch.delenv("LD_EMBEDDING_MODEL")
    assert model_spec_from_env() is None
