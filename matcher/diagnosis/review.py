"""The review flag: ask an officer to look when the engine itself is unsure.

A flag that is raised on almost every file tells the officer nothing.  It is raised
when the top two blended probabilities are within a margin, or when the policy and
the model lead with different categories; the margin is chosen by cross-validation
on the training corpus (`ld train` records it in the model's metadata), so that the
flag catches most wrong primaries while leaving most files alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from matcher.vocab import CATEGORIES

DEFAULT_MARGIN = 0.2


def review_reasons(
    blended: Mapping[str, float],
    policy: Mapping[str, float],
    model: Mapping[str, float] | None,
    *,
    margin: float,
) -> tuple[str, ...]:
    """Why the diagnosis needs an officer's review (empty: it does not).

    Example:
        >>> review_reasons({"relief": .5, "tech_upgrade": .45}, {"relief": 1.0},
        ...                None, margin=0.1)
        ('前两类概率接近：帮扶纾困 50%，技术改造升级 45%',)
    """
    ranked = sorted(blended, key=lambda c: (-blended[c], c))
    first, second = ranked[0], ranked[1]
    reasons: list[str] = []
    if blended[first] - blended[second] < margin:
        reasons.append(
            f"前两类概率接近：{CATEGORIES[first]} {blended[first]:.0%}，"
            f"{CATEGORIES[second]} {blended[second]:.0%}"
        )
    if model is not None:
        by_model = max(model, key=lambda c: (model[c], c))
        by_policy = max(policy, key=lambda c: (policy[c], c))
        if by_model != by_policy:
            reasons.append(
                f"模型判断（{CATEGORIES[by_model]}）与规则判断（{CATEGORIES[by_policy]}）不一致"
            )
    return tuple(reasons)
