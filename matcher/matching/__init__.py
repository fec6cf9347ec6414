"""The matching wing: candidates → components → fusion → ranked, explained partners.

- context: DiagnosisCategories, MatchContext (tables and weights), MatchQuery
  (the enterprise side, derived once per ranking);
- component, components/, registry: each comparison declared once (levels,
  per-pair and pool forms) and the ordered registry every consumer reads;
- pool: PartnerIndex (the pool's arrays and each component's prepared state);
- fusion, ranking, explain: the score formula, the rankings, the reasons;
- config: MatcherConfig (fixtures/matcher_config.toml);
- deal_estimate, lexical, texts, embeddings, evaluation: what the components
  and the evaluation need.

matcher/README.md draws the whole data path and says where each change goes.
"""
