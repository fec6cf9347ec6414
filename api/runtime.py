"""The heavy, read-only objects the services use, loaded once at start.

The GB/T table, the diagnosis rules and model, the matcher config, the
industry-chain table, the sentence encoder and the registry of matching
components are built here from the settings and handed to services as one
value; nothing is loaded at import, and tests can build a Runtime with a
stand-in encoder or a registry of their own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from api.config import Settings
from matcher.chain import IndustryChain
from matcher.classify import load_treatment_model
from matcher.diagnose import ProbabilityModel
from matcher.diagnosis_rules import DiagnosisRules, load_diagnosis_rules
from matcher.encoders.loading import Encoder, load_encoder
from matcher.industry import IndustryTable
from matcher.matching.config import MatcherConfig
from matcher.matching.embeddings import StoredEmbedding
from matcher.matching.lexical import NgramStore
from matcher.matching.pool import PartnerIndex
from matcher.matching.registry import STANDARD_REGISTRY, Registry

INDUSTRY_TABLE_FILE = "gbt4754_2017.csv"
RULES_FILE = "diagnosis_rules.toml"
MODEL_FILE = Path("models") / "diagnosis.joblib"
MATCHER_CONFIG_FILE = "matcher_config.toml"
CHAIN_FILE = "industry_chain.toml"


@dataclass
class PoolCache:
    """The last built PartnerIndex and the pool version it was built for."""

    version: str = ""
    index: PartnerIndex | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    vectors: dict[tuple[str, str], StoredEmbedding] = field(default_factory=dict)
    """(partner id, model) → the last embedding this process computed or loaded."""
    ngrams: NgramStore = field(default_factory=NgramStore)
    """The offer texts' analysed n-grams, so that a rebuild analyses only changed texts."""


@dataclass
class Runtime:
    """What the service loaded once: the diagnosis's rules and model, the matching's config,
    registry and encoder, and the reference tables.  "rules" alone would be ambiguous here:
    the matching's comparisons are its `registry`, the diagnosis policy its `diagnosis_rules`.
    """

    industries: IndustryTable
    diagnosis_rules: DiagnosisRules
    treatment_model: ProbabilityModel | None
    matcher_config: MatcherConfig
    chain: IndustryChain
    encoder: Encoder
    pool: PoolCache = field(default_factory=PoolCache)
    registry: Registry = STANDARD_REGISTRY
    """The matching components: the pool is built with them, reports name them."""

    @property
    def model_name(self) -> str:
        return self.encoder.name


def load_runtime(settings: Settings, *, encoder: Encoder | None = None) -> Runtime:
    """Load everything from the fixtures folder; the encoder from LD_EMBEDDING_MODEL."""
    fixtures = settings.fixtures_dir
    model_path = fixtures / MODEL_FILE
    return Runtime(
        industries=IndustryTable.from_csv(fixtures / INDUSTRY_TABLE_FILE),
        diagnosis_rules=load_diagnosis_rules(fixtures / RULES_FILE),
        treatment_model=load_treatment_model(model_path) if model_path.exists() else None,
        matcher_config=MatcherConfig.from_toml(fixtures / MATCHER_CONFIG_FILE),
        chain=IndustryChain.from_toml(fixtures / CHAIN_FILE),
        encoder=encoder or load_encoder(settings.embedding_model, settings.model_cache_dir),
    )
