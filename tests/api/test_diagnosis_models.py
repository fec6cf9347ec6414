"""Diagnosis models as versions: a stored candidate diagnoses nothing until an admin
activates it; the service follows the activation without a restart; base rolls back exactly.

The candidate is the shipped model under another version name (a real fitted model, not a
stand-in), so these run in the fast lane; tests/test_cli_learning.py trains a real one.
"""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.runtime import Runtime
from api.services.diagnosis_models import store_candidate
from matcher.diagnosis.model import TreatmentModel, treatment_model_from_bytes
from tests.api.test_edit_forms import sign_in

CANDIDATE = "diag-20261201-candidate"


def _store(engine: Engine, runtime: Runtime, version: str = CANDIDATE) -> TreatmentModel:
    shipped = runtime.base_treatment_model
    assert isinstance(shipped, TreatmentModel)
    model = dataclasses.replace(shipped, metadata={**shipped.metadata, "model_version": version})
    with Session(engine) as session:
        store_candidate(
            session=session,
            model=model,
            data={
                "corpus": "diagnosis_corpus.jsonl",
                "corpus_rows": 150,
                "overrides_used": 3,
                "overrides_held_out": 1,
                "from": None,
                "to": None,
            },
            held_out={"overall": {"overrides": 1, "active_agrees": 0.0, "candidate_agrees": 1.0}},
            compared_with="base",
            actor="token#1:张三",
        )
        session.commit()
    return model


def test_the_artifact_round_trips_through_bytes(runtime: Runtime) -> None:
    shipped = runtime.base_treatment_model
    assert isinstance(shipped, TreatmentModel)
    again = treatment_model_from_bytes(shipped.to_bytes(), name="test")
    assert again.metadata == shipped.metadata
    assert again.pipeline.classes_.tolist() == shipped.pipeline.classes_.tolist()


def test_candidate_activate_and_roll_back(seeded: TestClient, engine: Engine, runtime: Runtime):
    shipped = runtime.base_treatment_model
    assert shipped is not None
    first = seeded.post("/enterprises/1/diagnosis").json()
    assert first["model_version"] == shipped.model_version
    ranked = seeded.get("/enterprises/1/matches").json()
    _store(engine, runtime)

    listed = seeded.get("/diagnosis/models").json()
    assert listed["active"] == "base"
    assert [(m["version"], m["active"]) for m in listed["items"]] == [
        (CANDIDATE, False),
        ("base", True),
    ]
    # Stored but not active: the stored ranking kept, the same model diagnoses.
    assert seeded.get("/enterprises/1/matches").json()["run"] == ranked["run"]
    assert seeded.post("/enterprises/1/diagnosis").json()["model_version"] == first["model_version"]
    ranked = seeded.get("/enterprises/1/matches").json()

    activated = seeded.post(f"/diagnosis/models/{CANDIDATE}/activate")
    assert activated.status_code == 200, activated.text
    assert activated.json()["previous"] == "base"
    assert activated.json()["rescore_job_id"] is not None
    assert seeded.post("/enterprises/2/diagnosis").json()["model_version"] == CANDIDATE
    # The ranking asked for next is made on a diagnosis by the active model.
    after = seeded.get("/enterprises/1/matches").json()
    assert after["run"]["diagnosis_id"] != ranked["run"]["diagnosis_id"]
    assert seeded.get("/enterprises/1/diagnosis").json()["model_version"] == CANDIDATE

    assert seeded.post("/diagnosis/models/base/activate").status_code == 200
    back = seeded.post("/enterprises/1/diagnosis").json()
    assert back["model_version"] == first["model_version"]
    assert back["categories"] == first["categories"]
    assert seeded.post("/diagnosis/models/base/activate").status_code == 409
    missing = seeded.post("/diagnosis/models/diag-none/activate")
    assert missing.status_code == 404 and "诊断模型 diag-none 不存在" in missing.json()["detail"]
    audit = seeded.get("/audit", params={"entity": "diagnosis_model"}).json()["data"]
    assert sorted(a["action"] for a in audit) == ["activate", "activate", "create"]


def test_only_admins_see_and_activate(seeded: TestClient, engine: Engine, runtime: Runtime):
    _store(engine, runtime)
    issued = seeded.post("/tokens", json={"name": "李四", "role": "officer"}).json()
    officer = {"Authorization": f"Bearer {issued['token']}"}
    assert seeded.get("/diagnosis/models", headers=officer).status_code == 403
    refused = seeded.post(f"/diagnosis/models/{CANDIDATE}/activate", headers=officer)
    assert refused.status_code == 403
    assert seeded.get("/diagnosis/models").json()["active"] == "base"


def test_the_page_lists_compares_and_activates(
    seeded: TestClient, engine: Engine, runtime: Runtime
):
    _store(engine, runtime)
    client = sign_in(seeded)
    page = client.get("/ui/diagnosis-models")
    assert page.status_code == 200
    assert f'data-version="{CANDIDATE}"' in page.text and "张三 训练" in page.text
    assert "3 条官员改判" in page.text and "100%" in page.text
    assert f'data-activate="{CANDIDATE}"' in page.text
    done = client.post(f"/ui/diagnosis-models/{CANDIDATE}/activate", follow_redirects=False)
    assert done.status_code == 303
    page = client.get("/ui/diagnosis-models")
    assert "已启用诊断模型" in page.text
    assert 'data-activate="base"' in page.text and f'data-activate="{CANDIDATE}"' not in page.text
    client.post("/ui/diagnosis-models/base/activate", follow_redirects=False)
