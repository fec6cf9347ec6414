"""The diagnosis engine (分类施策): the officer's questions, a policy, a model and a blend.

Modules, one job each: `amounts` (figures in prose), `phrases` (negation and
clauses), `lexicon` (the phrase lists, loaded from a file the caller names),
`evidence` (the questions answered from figures, else text, else unknown),
`policy` (answers → category scores with reasons), `features` and `model` (the
learned part), `training` (fit with cross-validation, choosing the blend weight
and the review margin), `questions` (facts still missing), `review` (the flag),
`engine` (one diagnosis), `corpus`, `evaluation` and `report` (quality reports).
Importing this package loads no scikit-learn: the model modules load on use.
"""

from matcher.diagnosis.amounts import figures_source, fill_financials
from matcher.diagnosis.engine import CategoryResult, Diagnosis, ProbabilityModel, diagnose
from matcher.diagnosis.evidence import QUESTIONS, Evidence, Finding, gather_evidence
from matcher.diagnosis.lexicon import Lexicon, lexicon_from_dict, load_lexicon

__all__ = [
    "CategoryResult",
    "diagnose",
    "Diagnosis",
    "Evidence",
    "figures_source",
    "fill_financials",
    "Finding",
    "gather_evidence",
    "Lexicon",
    "lexicon_from_dict",
    "load_lexicon",
    "ProbabilityModel",
    "QUESTIONS",
]
