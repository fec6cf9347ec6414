"""The diagnosis and matching engine: pure code over frozen profiles.

Importing `matcher` loads no model and no web or database library.  Names
whose modules pull in scikit-learn (the learned model, training, evaluation)
and the matching and encoder wings (matcher.matching, matcher.encoders) are
resolved lazily on first access, so `import matcher` stays fast for code
that only needs profiles, signals or rules.  matcher/README.md maps the wings.

The diagnosis engine lives in `matcher.diagnosis` (see its docstring for the modules).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from matcher.credit_code import credit_code_check_char, credit_code_problem
from matcher.diagnosis import (
    CategoryResult,
    Diagnosis,
    Evidence,
    Finding,
    Lexicon,
    diagnose,
    fill_financials,
    gather_evidence,
    load_lexicon,
)
from matcher.diagnosis.amounts import (
    parse_money_figures,
    parse_percent_figures,
    parse_stoppage_months,
)
from matcher.indicators import Indicators, compute_indicators
from matcher.industry import IndustryEntry, IndustryTable, industry_relation, is_excluded
from matcher.profile import Asset, EnterpriseProfile, Financials, PartnerProfile
from matcher.text import char_ngrams, normalize_zh, tokenize_zh
from matcher.vocab import (
    ASSET_TYPES,
    CATEGORIES,
    ENCUMBRANCES,
    KIND_TREATMENTS,
    OPERATING_STATUSES,
    PARTNER_KINDS,
    REVIEW_STATUSES,
)

if TYPE_CHECKING:
    from matcher.chain import IndustryChain
    from matcher.diagnosis.evaluation import (
        DiagnosisReport,
        Label,
        evaluate_diagnosis,
        load_labelled_set,
        load_training_set,
    )
    from matcher.diagnosis.model import TreatmentModel, build_pipeline, load_treatment_model
    from matcher.diagnosis.report import format_diagnosis_report
    from matcher.diagnosis.training import train_treatment_model
    from matcher.encoders.loading import Encoder, load_encoder
    from matcher.encoders.search import top_partners
    from matcher.matching.component import (
        Contribution,
        HardFilter,
        Level,
        RuleComponent,
        SimilarityComponent,
    )
    from matcher.matching.config import MatcherConfig
    from matcher.matching.context import DiagnosisCategories, MatchContext, MatchQuery
    from matcher.matching.deal_estimate import estimate_deal_size
    from matcher.matching.embeddings import StoredEmbedding, embed_partners
    from matcher.matching.evaluation import Devset, evaluate_matching, format_matching_report
    from matcher.matching.explain import MatchResult, hard_filter_reasons
    from matcher.matching.pool import PartnerIndex
    from matcher.matching.ranking import (
        rank_partners,
        rank_partners_for_asset,
        rank_partners_many,
    )
    from matcher.matching.registry import STANDARD_REGISTRY, Registry
    from matcher.matching.texts import enterprise_need_text, partner_offer_text

_LAZY: dict[str, str] = {
    "TreatmentModel": "matcher.diagnosis.model",
    "build_pipeline": "matcher.diagnosis.model",
    "load_treatment_model": "matcher.diagnosis.model",
    "DiagnosisReport": "matcher.diagnosis.evaluation",
    "Label": "matcher.diagnosis.evaluation",
    "evaluate_diagnosis": "matcher.diagnosis.evaluation",
    "load_labelled_set": "matcher.diagnosis.evaluation",
    "load_training_set": "matcher.diagnosis.evaluation",
    "format_diagnosis_report": "matcher.diagnosis.report",
    "train_treatment_model": "matcher.diagnosis.training",
    "IndustryChain": "matcher.chain",
    "Encoder": "matcher.encoders.loading",
    "load_encoder": "matcher.encoders.loading",
    "top_partners": "matcher.encoders.search",
    "Contribution": "matcher.matching.component",
    "HardFilter": "matcher.matching.component",
    "Level": "matcher.matching.component",
    "RuleComponent": "matcher.matching.component",
    "SimilarityComponent": "matcher.matching.component",
    "MatcherConfig": "matcher.matching.config",
    "DiagnosisCategories": "matcher.matching.context",
    "MatchContext": "matcher.matching.context",
    "MatchQuery": "matcher.matching.context",
    "estimate_deal_size": "matcher.matching.deal_estimate",
    "StoredEmbedding": "matcher.matching.embeddings",
    "embed_partners": "matcher.matching.embeddings",
    "Devset": "matcher.matching.evaluation",
    "evaluate_matching": "matcher.matching.evaluation",
    "format_matching_report": "matcher.matching.evaluation",
    "MatchResult": "matcher.matching.explain",
    "hard_filter_reasons": "matcher.matching.explain",
    "PartnerIndex": "matcher.matching.pool",
    "rank_partners": "matcher.matching.ranking",
    "rank_partners_for_asset": "matcher.matching.ranking",
    "rank_partners_many": "matcher.matching.ranking",
    "Registry": "matcher.matching.registry",
    "STANDARD_REGISTRY": "matcher.matching.registry",
    "enterprise_need_text": "matcher.matching.texts",
    "partner_offer_text": "matcher.matching.texts",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'matcher' has no attribute {name!r}")


__all__ = [
    "Asset",
    "ASSET_TYPES",
    "build_pipeline",
    "CATEGORIES",
    "CategoryResult",
    "char_ngrams",
    "compute_indicators",
    "Contribution",
    "credit_code_check_char",
    "credit_code_problem",
    "Devset",
    "diagnose",
    "Diagnosis",
    "DiagnosisCategories",
    "DiagnosisReport",
    "embed_partners",
    "Encoder",
    "ENCUMBRANCES",
    "enterprise_need_text",
    "EnterpriseProfile",
    "estimate_deal_size",
    "evaluate_diagnosis",
    "evaluate_matching",
    "Evidence",
    "fill_financials",
    "Financials",
    "Finding",
    "gather_evidence",
    "format_diagnosis_report",
    "format_matching_report",
    "hard_filter_reasons",
    "HardFilter",
    "Indicators",
    "industry_relation",
    "IndustryChain",
    "IndustryEntry",
    "IndustryTable",
    "is_excluded",
    "KIND_TREATMENTS",
    "Label",
    "Level",
    "Lexicon",
    "load_lexicon",
    "load_encoder",
    "load_labelled_set",
    "load_training_set",
    "load_treatment_model",
    "MatchContext",
    "MatcherConfig",
    "MatchQuery",
    "MatchResult",
    "normalize_zh",
    "OPERATING_STATUSES",
    "parse_money_figures",
    "parse_percent_figures",
    "parse_stoppage_months",
    "PARTNER_KINDS",
    "partner_offer_text",
    "PartnerIndex",
    "PartnerProfile",
    "rank_partners",
    "rank_partners_for_asset",
    "rank_partners_many",
    "Registry",
    "REVIEW_STATUSES",
    "RuleComponent",
    "SimilarityComponent",
    "STANDARD_REGISTRY",
    "StoredEmbedding",
    "tokenize_zh",
    "top_partners",
    "train_treatment_model",
    "TreatmentModel",
]
