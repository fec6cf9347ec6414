"""The two texts matching compares: what an enterprise needs, what a partner offers.

Both the dense and the lexical similarity read these, and a stored partner
embedding is valid only for the exact offer text it was computed from
(matcher.matching.embeddings), so each text is built in this one place.
"""

from __future__ import annotations

from matcher.profile import Asset, EnterpriseProfile, PartnerProfile
from matcher.vocab import ASSET_TYPES


def _asset_line(asset: Asset) -> str:
    state = "闲置" if asset.idle else ""
    return f"{state}{ASSET_TYPES.get(asset.type, asset.type)}：{asset.description}".strip()


def enterprise_need_text(profile: EnterpriseProfile) -> str:
    """What the enterprise needs, as one text (description, problems, demands, strengths, assets).

    Example:
        >>> enterprise_need_text(EnterpriseProfile(name="甲", demands="引进战投"))
        '诉求：引进战投'
    """
    parts = [
        ("主营", profile.description),
        ("困难", profile.problems),
        ("诉求", profile.demands),
        ("优势", profile.strengths),
    ]
    lines = [f"{label}：{text}" for label, text in parts if text]
    lines += [_asset_line(a) for a in profile.assets if a.description]
    return "\n".join(lines)


def partner_offer_text(profile: PartnerProfile) -> str:
    """What the partner offers (capabilities, interests, track record).

    Example:
        >>> partner_offer_text(PartnerProfile(name="乙", interests="债务重组"))
        '意向：债务重组'
    """
    parts = [
        ("能力", profile.capabilities),
        ("意向", profile.interests),
        ("业绩", profile.track_record),
    ]
    return "\n".join(f"{label}：{text}" for label, text in parts if text)
