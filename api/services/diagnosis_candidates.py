"""What `ld train --with-overrides` learns from and is compared on: the officers' overrides.

The overrides are labels with a time.  The most recent share of them
(LD_LEARN_HOLDOUT_SHARE) is held out; the candidate model is fitted on the
training corpus plus the earlier overrides; the held-out overrides then say, per
category, how often the active model and the candidate agree with the officers.
The candidate is stored, inactive, by api/services/diagnosis_models.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from api.services.enterprises import list_assets
from api.services.mapping import enterprise_profile
from matcher.diagnosis import Lexicon, ProbabilityModel, diagnose
from matcher.profile import EnterpriseProfile
from models.tables import DiagnosisOverride, Enterprise

OVERALL = "overall"


@dataclass(frozen=True)
class OverrideExample:
    profile: EnterpriseProfile
    primary: str
    at: datetime


def override_examples(session: Session) -> list[OverrideExample]:
    """Each enterprise's latest override as a labelled profile, oldest first."""
    latest: dict[int, DiagnosisOverride] = {}
    for row in session.exec(select(DiagnosisOverride).order_by(col(DiagnosisOverride.id))).all():
        latest[row.enterprise_id] = row
    out = []
    for enterprise_id, override in latest.items():
        row = session.get(Enterprise, enterprise_id)
        if row is None:
            continue
        profile = enterprise_profile(row, list_assets(session=session, enterprise_id=enterprise_id))
        out.append(OverrideExample(profile, override.primary, override.created_at))
    return sorted(out, key=lambda e: (e.at.replace(tzinfo=None), e.profile.id or ""))


def split_by_time(
    examples: list[OverrideExample], share: float
) -> tuple[list[OverrideExample], list[OverrideExample]]:
    """(earlier, the most recent `share`); nothing is held out from fewer than two."""
    if len(examples) < 2:
        return examples, []
    held = max(1, round(len(examples) * share))
    return examples[:-held], examples[-held:]


def held_out_report(
    held_out: list[OverrideExample],
    *,
    lexicon: Lexicon,
    active: ProbabilityModel | None,
    candidate: ProbabilityModel,
) -> dict[str, dict[str, float | int]]:
    """Per officer-chosen category and overall: how often each model's primary is theirs."""
    hits: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for example in held_out:
        for name, model in (("active", active), ("candidate", candidate)):
            primary = diagnose(example.profile, lexicon=lexicon, model=model).primary
            for group in (OVERALL, example.primary):
                hits[group][name].append(int(primary == example.primary))
    return {
        group: {
            "overrides": len(row["candidate"]),
            "active_agrees": round(sum(row["active"]) / len(row["active"]), 4),
            "candidate_agrees": round(sum(row["candidate"]) / len(row["candidate"]), 4),
        }
        for group, row in sorted(hits.items(), key=lambda kv: (kv[0] != OVERALL, kv[0]))
    }


def data_card(
    earlier: list[OverrideExample], held_out: list[OverrideExample], *, corpus: str, rows: int
) -> dict[str, object]:
    """What a candidate was fitted on and compared on (stored with it, shown beside it)."""
    times = [e.at for e in earlier + held_out]
    return {
        "corpus": corpus,
        "corpus_rows": rows,
        "overrides_used": len(earlier),
        "overrides_held_out": len(held_out),
        "from": min(times).isoformat() if times else None,
        "to": max(times).isoformat() if times else None,
    }
