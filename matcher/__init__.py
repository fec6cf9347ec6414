"""The diagnosis and matching engine: pure code over frozen profiles.

Importing `matcher` loads no model and no web or database library.  Names
whose modules pull in scikit-learn (the learned model, training, evaluation)
are resolved lazily on first access, so `import matcher` stays fast for code
that only needs profiles, signals or rules.

Note: `matcher.diagnose` is the function `diagnose`; reach the module with
`importlib.import_module("matcher.diagnose")`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from matcher.credit_code import credit_code_check_char, credit_code_problem
from matcher.diagnose import (
    CategoryResult,
    Diagnosis,
    diagnose,
    diagnose_probabilities,
    load_default_engine,
)
from matcher.diagnosis_rules import (
    DiagnosisRule,
    DiagnosisRules,
    FiredRule,
    apply_rules,
    load_diagnosis_rules,
    rule_probabilities,
    rule_scores,
)
from matcher.indicators import Indicators, compute_indicators
from matcher.industry import IndustryEntry, IndustryTable, industry_relation, is_excluded
from matcher.profile import Asset, EnterpriseProfile, Financials, PartnerProfile
from matcher.prose import parse_money_figures, parse_percent_figures, parse_stoppage_months
from matcher.signals import NUMERIC_SIGNALS, count_cues, extract_signals, fill_financials
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
    from matcher.classify import (
        FiniteClipper,
        TreatmentModel,
        build_treatment_pipeline,
        load_treatment_model,
    )
    from matcher.config import MatcherConfig
    from matcher.embed import (
        Encoder,
        StoredEmbedding,
        embed_partners,
        enterprise_need_text,
        load_encoder,
        partner_offer_text,
        top_partners,
    )
    from matcher.evaluation import (
        DiagnosisReport,
        Label,
        evaluate_diagnosis,
        load_labelled_set,
        load_training_set,
    )
    from matcher.partner_index import PartnerIndex
    from matcher.report_format import format_diagnosis_report
    from matcher.rules import DiagnosisCategories, estimate_deal_size, hard_filter_reasons
    from matcher.scoring import (
        MatchResult,
        rank_partners,
        rank_partners_for_asset,
        rank_partners_many,
    )
    from matcher.training import train_treatment_model

_LAZY: dict[str, str] = {
    "FiniteClipper": "matcher.classify",
    "TreatmentModel": "matcher.classify",
    "build_treatment_pipeline": "matcher.classify",
    "load_treatment_model": "matcher.classify",
    "DiagnosisReport": "matcher.evaluation",
    "Label": "matcher.evaluation",
    "evaluate_diagnosis": "matcher.evaluation",
    "load_labelled_set": "matcher.evaluation",
    "load_training_set": "matcher.evaluation",
    "format_diagnosis_report": "matcher.report_format",
    "train_treatment_model": "matcher.training",
    "IndustryChain": "matcher.chain",
    "MatcherConfig": "matcher.config",
    "Encoder": "matcher.embed",
    "StoredEmbedding": "matcher.embed",
    "embed_partners": "matcher.embed",
    "load_encoder": "matcher.embed",
    "top_partners": "matcher.embed",
    "enterprise_need_text": "matcher.embed",
    "partner_offer_text": "matcher.embed",
    "PartnerIndex": "matcher.partner_index",
    "DiagnosisCategories": "matcher.rules",
    "estimate_deal_size": "matcher.rules",
    "hard_filter_reasons": "matcher.rules",
    "MatchResult": "matcher.scoring",
    "rank_partners": "matcher.scoring",
    "rank_partners_for_asset": "matcher.scoring",
    "rank_partners_many": "matcher.scoring",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'matcher' has no attribute {name!r}")


__all__ = [
    "ASSET_TYPES",
    "Asset",
    "CATEGORIES",
    "CategoryResult",
    "Diagnosis",
    "DiagnosisCategories",
    "DiagnosisReport",
    "DiagnosisRule",
    "DiagnosisRules",
    "ENCUMBRANCES",
    "Encoder",
    "EnterpriseProfile",
    "Financials",
    "FiniteClipper",
    "FiredRule",
    "Indicators",
    "IndustryChain",
    "IndustryEntry",
    "IndustryTable",
    "KIND_TREATMENTS",
    "Label",
    "MatchResult",
    "MatcherConfig",
    "NUMERIC_SIGNALS",
    "OPERATING_STATUSES",
    "PARTNER_KINDS",
    "PartnerIndex",
    "PartnerProfile",
    "REVIEW_STATUSES",
    "StoredEmbedding",
    "TreatmentModel",
    "apply_rules",
    "build_treatment_pipeline",
    "char_ngrams",
    "compute_indicators",
    "count_cues",
    "credit_code_check_char",
    "credit_code_problem",
    "diagnose",
    "diagnose_probabilities",
    "embed_partners",
    "enterprise_need_text",
    "estimate_deal_size",
    "evaluate_diagnosis",
    "extract_signals",
    "fill_financials",
    "format_diagnosis_report",
    "hard_filter_reasons",
    "industry_relation",
    "is_excluded",
    "load_default_engine",
    "load_diagnosis_rules",
    "load_encoder",
    "load_labelled_set",
    "load_training_set",
    "load_treatment_model",
    "normalize_zh",
    "parse_money_figures",
    "parse_percent_figures",
    "parse_stoppage_months",
    "partner_offer_text",
    "rank_partners",
    "rank_partners_for_asset",
    "rank_partners_many",
    "rule_probabilities",
    "rule_scores",
    "tokenize_zh",
    "top_partners",
    "train_treatment_model",
]
