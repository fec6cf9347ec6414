"""An index refreshed as vectors land is exactly the one a fresh build of the same stored
vectors makes: its grid and its rankings do not depend on the process's history, so two
workers, one that saw the vectors land and one that started after, rank alike."""

from __future__ import annotations

import dataclasses

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.config import FIXTURES_DIR
from api.runtime import PoolCache, Runtime
from api.services.mapping import enterprise_profile, partner_profile
from api.services.pool import bump_embedding_revision, partner_index, store_embeddings
from api.services.seed import seed_fixtures
from matcher.cosine import GRID, from_grid, to_grid
from matcher.matching.embeddings import StoredEmbedding, text_hash
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import rank_partners
from matcher.matching.texts import partner_offer_text
from models.db import session_scope
from models.tables import Enterprise, Partner
from tests.matcher.match_helpers import HashEncoder

DIM = 384


def _fragile(rng: np.random.Generator) -> np.ndarray:
    """A unit vector whose grid moves when it is turned back into floats and rounded again.

    One large component and many small ones just below half a grid unit above a
    whole number: each small one rounds down, so the grid row is shorter than
    GRID, and normalising the floats it stands for scales the large component by
    enough to cross a rounding boundary.
    """
    small = (np.floor(rng.uniform(30, 50, DIM - 1)) + 0.49) / GRID
    vector = np.concatenate([[np.sqrt(1 - float(small @ small))], small])
    return rng.permutation(vector).astype(np.float32)


def _store(session: Session, runtime: Runtime, vectors: dict[str, np.ndarray]) -> None:
    rows = session.exec(select(Partner).where(col(Partner.id).in_([int(p) for p in vectors])))
    store_embeddings(
        session,
        {
            str(r.id): StoredEmbedding(
                runtime.model_name,
                text_hash(partner_offer_text(partner_profile(r))),
                vectors[str(r.id)],
            )
            for r in rows
        },
    )
    bump_embedding_revision(session)


def _rankings(session: Session, runtime: Runtime, index: PartnerIndex) -> list[object]:
    rng = np.random.default_rng(3)
    out: list[object] = []
    for row in session.exec(select(Enterprise).order_by(col(Enterprise.id))).all():
        query = rng.normal(size=DIM).astype(np.float32)
        ranked = rank_partners(
            enterprise_profile(row, []),
            None,
            index=index,
            encoder_or_query_embedding=query / np.linalg.norm(query),
            config=runtime.matcher_config,
            industries=runtime.industries,
            chain=runtime.chain,
            limit=len(index),
        )
        out.append([(r.partner_id, r.score, r.components, r.reasons) for r in ranked])
    return out


def test_an_index_refreshed_as_vectors_land_is_the_one_a_fresh_build_makes(
    engine: Engine, runtime: Runtime
) -> None:
    background = dataclasses.replace(runtime, inline_embeddings=False, pool=PoolCache())
    with session_scope(engine) as session:
        seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=runtime.industries)
    with Session(engine) as session:
        ids = [str(i) for i in session.exec(select(Partner.id).order_by(col(Partner.id))).all()]
    rng = np.random.default_rng(11)
    vectors = {pid: _fragile(rng) for pid in ids}
    grid = to_grid(np.stack(list(vectors.values())), np.int16)
    assert not np.array_equal(to_grid(from_grid(grid), np.int16), grid), "vectors not fragile"
    first, rest = ids[: len(ids) // 2], ids[len(ids) // 2 :]

    with Session(engine) as session:
        _store(session, background, {p: vectors[p] for p in first})
        session.commit()
        waiting, _ = partner_index(session=session, runtime=background)
        assert waiting.pending_count == len(rest)
        for some in (rest[:3], rest[3:]):  # the worker's batches land one after another
            _store(session, background, {p: vectors[p] for p in some})
            session.commit()
            refreshed, _ = partner_index(session=session, runtime=background)
        assert refreshed.pending is None and refreshed.lexical is waiting.lexical  # no rebuild

        fresh_runtime = dataclasses.replace(background, pool=PoolCache())
        fresh, _ = partner_index(session=session, runtime=fresh_runtime)
        assert fresh is not refreshed and fresh.grid is not None and refreshed.grid is not None
        assert fresh.grid.dtype == refreshed.grid.dtype == np.int16
        assert np.array_equal(refreshed.grid, fresh.grid)
        assert np.array_equal(fresh.grid, grid)
        assert _rankings(session, background, refreshed) == _rankings(session, background, fresh)


def test_an_inline_build_is_the_one_a_build_from_the_stored_vectors_makes(
    engine: Engine, runtime: Runtime
) -> None:
    """A process that encoded the vectors itself holds the grid of one that read them back."""
    inline = dataclasses.replace(
        runtime, encoder=HashEncoder(), inline_embeddings=True, pool=PoolCache()
    )
    with session_scope(engine) as session:
        seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=runtime.industries)
    with Session(engine) as session:
        encoded, _ = partner_index(session=session, runtime=inline)
        session.commit()
        assert encoded.pending is None and len(inline.pool.encoded) == len(encoded)
        assert sum(inline.encoder.calls) == len(encoded)  # type: ignore[attr-defined]
        read_back, _ = partner_index(
            session=session, runtime=dataclasses.replace(inline, pool=PoolCache())
        )
    assert encoded.grid is not None and read_back.grid is not None
    assert np.array_equal(encoded.grid, read_back.grid)
