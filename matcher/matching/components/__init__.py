"""One module per comparison; matcher.matching.registry lists them in order.

treatment, industry (with the exclusion filter), deal_size (with the ticket
filter), region (with the region filter), asset, kind: rule components with
ordered levels.  similarity: the dense and lexical text similarities.
active: the filter on partners that stopped co-operating.
"""
