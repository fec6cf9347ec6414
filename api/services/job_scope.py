"""What a re-score request may cover: the enterprises it names, held to the caller's counties.

A county-scoped officer names enterprises by id; an id outside its counties
and an id that names nothing get the same 403 with the same wording, so the
answer never tells whether an enterprise exists in another county (the size
of another county is not the caller's to learn either: "all" means all of the
caller's own counties).  A caller who sees the whole city (an admin, or an
officer whose token lists no county) learns nothing new from existence, so
its unknown ids get a plain 422 naming them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlmodel import Session, col, select

from api.auth import Principal
from api.errors import (
    JOB_IDS_FORBIDDEN,
    JOB_IDS_UNKNOWN,
    JOB_TOO_MANY_IDS,
    FieldInvalid,
    Forbidden,
)
from models.tables import Enterprise, Match, MatchRun, Partner

IDS_SHOWN = 20
"""How many refused ids an error message lists before it says how many there were."""
CHUNK = 900
"""Ids per IN (...) list: under SQLite's and PostgreSQL's bound-parameter limits."""


def scope_of(principal: Principal) -> tuple[str, ...]:
    """The counties the caller's jobs are held to; () means the whole city."""
    if principal.role == "admin" or not principal.counties:
        return ()
    return tuple(principal.counties)


def id_list(ids: Sequence[int], shown: int = IDS_SHOWN) -> str:
    """`1, 2, 3`, or the first `shown` ids and the count: a message stays short."""
    text = ", ".join(str(i) for i in ids[:shown])
    return text if len(ids) <= shown else f"{text} 等（共 {len(ids)} 个）"


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def live_enterprise_ids(session: Session, counties: Sequence[str] = ()) -> list[int]:
    """Every enterprise not archived, within `counties` (() = all), by id."""
    query = select(Enterprise.id).where(col(Enterprise.archived).is_(False))
    if counties:
        query = query.where(col(Enterprise.county).in_(counties))
    rows = session.exec(query.order_by(col(Enterprise.id))).all()
    return [r for r in rows if r is not None]


def _check_count(ids: Sequence[int], field: str, max_ids: int) -> None:
    if len(ids) > max_ids:
        raise FieldInvalid(("body", field), JOB_TOO_MANY_IDS.format(limit=max_ids, count=len(ids)))


def _checked_enterprises(
    session: Session, ids: Sequence[int], counties: Sequence[str]
) -> list[int]:
    found: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = session.exec(
            select(Enterprise.id, Enterprise.county).where(col(Enterprise.id).in_(chunk))
        ).all()
        found.update((i, county) for i, county in rows if i is not None)
    if counties:
        refused = [i for i in ids if i not in found or found[i] not in counties]
        if refused:
            raise Forbidden(JOB_IDS_FORBIDDEN.format(ids=id_list(refused)))
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise FieldInvalid(
            ("body", "enterprise_ids"), JOB_IDS_UNKNOWN.format(entity="企业", ids=id_list(unknown))
        )
    return list(ids)


def _checked_partners(session: Session, ids: Sequence[int]) -> None:
    """Partners are the whole city's (every role reads them): unknown ones are simply 422."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        rows = session.exec(select(Partner.id).where(col(Partner.id).in_(chunk))).all()
        found.update(r for r in rows if r is not None)
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise FieldInvalid(
            ("body", "partner_ids"), JOB_IDS_UNKNOWN.format(entity="合作主体", ids=id_list(unknown))
        )


def enterprises_ranking_partners(
    session: Session, partner_ids: Sequence[int], counties: Sequence[str] = ()
) -> set[int]:
    """Live enterprises within `counties` whose current ranking lists any of these partners."""
    out: set[int] = set()
    for chunk in _chunks(partner_ids):
        query = (
            select(Match.enterprise_id)
            .join(MatchRun, col(MatchRun.id) == col(Match.run_id))
            .join(Enterprise, col(Enterprise.id) == col(Match.enterprise_id))
            .where(
                col(MatchRun.is_current).is_(True),
                col(Match.partner_id).in_(chunk),
                col(Enterprise.archived).is_(False),
            )
        )
        if counties:
            query = query.where(col(Enterprise.county).in_(counties))
        out.update(session.exec(query.distinct()).all())
    return out


def resolve_rescore(
    *,
    session: Session,
    principal: Principal,
    enterprise_ids: Iterable[int] | None,
    partner_ids: Iterable[int] | None,
    max_ids: int,
) -> list[int]:
    """The enterprises a request covers, sorted; refuses what the caller may not name.

    Neither list: every live enterprise within the caller's counties.  Otherwise
    the named enterprises (each checked, see the module's note) together with
    the enterprises of the caller's counties whose ranking lists a named partner.

    Raises:
        FieldInvalid: too many ids in a list, or ids that name nothing (whole-city callers).
        Forbidden: ids outside the caller's counties, or unknown (county-scoped callers).
    """
    counties = scope_of(principal)
    if enterprise_ids is None and partner_ids is None:
        return live_enterprise_ids(session, counties)
    named, partners = list(enterprise_ids or ()), list(partner_ids or ())
    _check_count(named, "enterprise_ids", max_ids)  # as sent: duplicates count too
    _check_count(partners, "partner_ids", max_ids)
    named, partners = sorted(set(named)), sorted(set(partners))
    ids = set(_checked_enterprises(session, named, counties))
    if partners:
        _checked_partners(session, partners)
        ids |= enterprises_ranking_partners(session, partners, counties)
    return sorted(ids)
