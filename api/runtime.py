"""The heavy, read-only objects the services use, loaded once at start.

The GB/T table, the diagnosis lexicon and model, the matcher config, the
industry-chain table, the sentence encoder and the registry of matching
components are built here from the settings and handed to services as one
value; nothing is loaded at import, and tests can build a Runtime with a
stand-in encoder or a registry of their own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from api.config import Settings
from matcher.chain import IndustryChain
from matcher.diagnosis import Lexicon, ProbabilityModel, load_lexicon
from matcher.diagnosis.model import load_treatment_model
from matcher.encoders.loading import Encoder, lazy_encoder
from matcher.industry import IndustryTable
from matcher.matching.config import MatcherConfig
from matcher.matching.lexical import NgramStore
from matcher.matching.pool import PartnerIndex
from matcher.matching.registry import STANDARD_REGISTRY, Registry

INDUSTRY_TABLE_FILE = "gbt4754_2017.csv"
LEXICON_FILE = "diagnosis_lexicon.toml"
MODEL_FILE = Path("models") / "diagnosis.joblib"
MATCHER_CONFIG_FILE = "matcher_config.toml"
CHAIN_FILE = "industry_chain.toml"


class EncodedVectors:
    """The partner vectors this process encoded, by (model, offer-text hash); the latest `limit`.

    So that a process that moves to another database holding the same texts
    without their vectors (the test suite, a demo reset) reuses them instead of
    encoding them again.  Vectors read from the database are not kept: the index
    already holds them (on its grid), and a second float copy of every one was
    half the service's memory at 100k partners.  What is kept is bounded, so an
    inline import of a large pool does not bring that copy back.
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    def get(self, model_name: str, text_hash: str) -> np.ndarray | None:
        return self._vectors.get((model_name, text_hash))

    def add(self, model_name: str, text_hash: str, vector: np.ndarray) -> None:
        key = (model_name, text_hash)
        self._vectors[key] = np.asarray(vector, dtype=np.float32)
        self._vectors.move_to_end(key)
        while len(self._vectors) > self.limit:
            self._vectors.popitem(last=False)

    def __len__(self) -> int:
        return len(self._vectors)


@dataclass
class PoolCache:
    """The last built PartnerIndex and the pool version it was built for."""

    version: str = ""
    index: PartnerIndex | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    encoded: EncodedVectors = field(default_factory=lambda: EncodedVectors())
    """The vectors this process's encoder computed lately (never those read from the database)."""
    ngrams: NgramStore = field(default_factory=NgramStore)
    """The offer texts' analysed n-grams, so that a rebuild analyses only changed texts."""
    partners_key: str = ""
    """The pool revision (without the embedding revision) and model the index was built for."""
    hashes: tuple[str, ...] = ()
    """The offer-text hash of each row of the index (to accept vectors that land later)."""
    enterprises_checked: str = ""
    """The enterprises' state when none lacked a query vector (api.services.embedding_jobs)."""


@dataclass
class Runtime:
    """What the service loaded once: the diagnosis's lexicon and model, the matching's config,
    registry and encoder, and the reference tables.  "rules" alone would be ambiguous here:
    the matching's comparisons are its `registry`, the phrases the diagnosis reads its `lexicon`.
    """

    industries: IndustryTable
    lexicon: Lexicon
    treatment_model: ProbabilityModel | None
    matcher_config: MatcherConfig
    chain: IndustryChain
    encoder: Encoder
    pool: PoolCache = field(default_factory=PoolCache)
    registry: Registry = STANDARD_REGISTRY
    """The matching components: the pool is built with them, reports name them."""
    inline_embeddings: bool = False
    """Encode missing embeddings where they are needed (batch commands); False: a request
    never encodes, the background worker does (LD_EMBEDDINGS=background, the default)."""
    base_config: MatcherConfig | None = None
    """The shipped weights file; `matcher_config` is it with the active version's overlay
    (api/services/matcher_configs.py keeps the two in step with the database)."""
    active_version: str = "base"
    base_treatment_model: ProbabilityModel | None = None
    """The shipped diagnosis model; `treatment_model` is the active version's
    (api/services/diagnosis_models.py keeps it in step with the database)."""
    active_diagnosis_version: str = "base"

    def __post_init__(self) -> None:
        if self.base_config is None:
            self.base_config = self.matcher_config
        if self.base_treatment_model is None and self.active_diagnosis_version == "base":
            self.base_treatment_model = self.treatment_model

    @property
    def model_name(self) -> str:
        return self.encoder.name


def load_runtime(settings: Settings, *, encoder: Encoder | None = None) -> Runtime:
    """Load everything from the fixtures folder; the encoder from LD_EMBEDDING_MODEL and
    LD_EMBEDDING_BACKEND, in a background thread (matcher.encoders.loading.LazyEncoder)."""
    fixtures = settings.fixtures_dir
    model_path = fixtures / MODEL_FILE
    return Runtime(
        industries=IndustryTable.from_csv(fixtures / INDUSTRY_TABLE_FILE),
        lexicon=load_lexicon(fixtures / LEXICON_FILE),
        treatment_model=load_treatment_model(model_path) if model_path.exists() else None,
        matcher_config=MatcherConfig.from_toml(fixtures / MATCHER_CONFIG_FILE),
        chain=IndustryChain.from_toml(fixtures / CHAIN_FILE),
        encoder=encoder
        or lazy_encoder(
            settings.embedding_model, settings.model_cache_dir, settings.embedding_backend
        ),
        inline_embeddings=settings.embeddings == "inline",
    )
