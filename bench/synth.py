"""Synthetic partner pools and enterprises drawn from the project's own vocabulary.

Everything comes from what the project ships: the GB/T 4754-2017 table and the
industry-chain clusters (industry codes and their Chinese names), matcher.vocab
(partner kinds, treatment categories, asset types, what each kind usually
does), and the demo fixtures (clauses cut out of real-looking Chinese texts).

Texts are drawn from a bounded set so that a large pool stays cheap to embed
with the real model: a pool of `n` partners uses at most `distinct_offers`
different offer texts (each text keeps the kind and industries it speaks of),
while the structured fields (regions, tickets, asset interests, exclusions,
treatments, active) are drawn per partner.  Enterprises likewise share at most
`distinct_needs` need texts and vary in county, finances and asset values.
Every partner and enterprise still gets the embedding of its own text.

Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import json
import random
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from matcher.matching.texts import enterprise_need_text, partner_offer_text
from matcher.profile import Asset, EnterpriseProfile, Financials, PartnerProfile
from matcher.vocab import ASSET_TYPES, CATEGORIES, KIND_TREATMENTS, PARTNER_KINDS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

PROVINCE = "山东省"
CITY = "东营市"
COUNTIES = (
    "东营区",
    "河口区",
    "垦利区",
    "利津县",
    "广饶县",
    "东营经济技术开发区",
    "东营港经济开发区",
)
OTHER_CITIES = ("淄博市", "滨州市", "潍坊市", "济南市", "青岛市")
OTHER_PROVINCES = ("河北省", "江苏省", "河南省")

# Relative frequency of partner kinds in a city-level partner registry.
KIND_WEIGHTS = {
    "central_soe": 6,
    "local_soe": 14,
    "private_leader": 22,
    "foreign": 4,
    "industrial_fund": 12,
    "pe_vc": 10,
    "amc": 8,
    "bank": 12,
    "research": 6,
    "other": 6,
}
FINANCIAL_KINDS = frozenset({"amc", "bank", "pe_vc", "industrial_fund"})
STATUSES = ("normal", "partial", "halted", "in_bankruptcy")


@dataclass(frozen=True)
class Vocabulary:
    """What the generator draws from (all of it read from the project's files)."""

    industries: tuple[tuple[str, str], ...]
    """(canonical code, Chinese name) of GB/T 小类 inside the industry-chain clusters."""
    clusters: tuple[tuple[str, tuple[str, ...]], ...]
    """(cluster name, its 小类 codes)."""
    capability_clauses: tuple[str, ...]
    interest_clauses: tuple[str, ...]
    record_clauses: tuple[str, ...]
    problem_clauses: tuple[str, ...]
    demand_clauses: tuple[str, ...]
    strength_clauses: tuple[str, ...]
    description_clauses: tuple[str, ...]


_CLAUSE = re.compile(r"[。；;！!？?\n]+")


def _clauses(texts: Sequence[str]) -> tuple[str, ...]:
    out = {c.strip(" ，,、") for t in texts for c in _CLAUSE.split(t or "")}
    return tuple(sorted(c for c in out if 6 <= len(c) <= 80))


@lru_cache(maxsize=1)
def load_vocabulary(fixtures: Path = FIXTURES) -> Vocabulary:
    """Read the vocabulary from fixtures/ (GB/T table, chain clusters, demo texts)."""
    names: dict[str, str] = {}
    with open(fixtures / "gbt4754_2017.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["level"] == "小类":
                names[row["menlei"].strip() + row["code"].strip()] = row["name"].strip()
    with open(fixtures / "industry_chain.toml", "rb") as handle:
        chain = tomllib.load(handle)
    clusters = []
    used: dict[str, str] = {}
    for body in chain.get("clusters", {}).values():
        prefixes = tuple(str(c) for c in body.get("codes", ()))
        codes = tuple(sorted(c for c in names if c.startswith(prefixes)))
        if codes:
            clusters.append((str(body.get("name", "")), codes))
            used.update({c: names[c] for c in codes})
    partners = json.loads((fixtures / "partners.json").read_text(encoding="utf-8"))
    enterprises = json.loads((fixtures / "enterprises.json").read_text(encoding="utf-8"))
    return Vocabulary(
        industries=tuple(sorted(used.items())),
        clusters=tuple(clusters),
        capability_clauses=_clauses([p.get("capabilities", "") for p in partners]),
        interest_clauses=_clauses([p.get("interests", "") for p in partners]),
        record_clauses=_clauses([p.get("track_record", "") for p in partners]),
        problem_clauses=_clauses([e.get("problems", "") for e in enterprises]),
        demand_clauses=_clauses([e.get("demands", "") for e in enterprises]),
        strength_clauses=_clauses([e.get("strengths", "") for e in enterprises]),
        description_clauses=_clauses([e.get("description", "") for e in enterprises]),
    )


@dataclass(frozen=True)
class _Offer:
    kind: str
    industries: tuple[str, ...]
    capabilities: str
    interests: str
    track_record: str


def _offer(rng: random.Random, vocab: Vocabulary) -> _Offer:
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    label = PARTNER_KINDS[kind]
    cluster_name, codes = rng.choice(vocab.clusters)
    names = dict(vocab.industries)
    if kind in FINANCIAL_KINDS and rng.random() < 0.6:
        industries: tuple[str, ...] = ()  # industry-agnostic money
        field = "不限行业"
    else:
        industries = tuple(sorted(rng.sample(codes, k=min(len(codes), rng.randint(1, 4)))))
        field = "、".join(names[c] for c in industries)
    cats = KIND_TREATMENTS.get(kind) or tuple(CATEGORIES)
    cat = CATEGORIES[rng.choice(cats)]
    capabilities = (
        f"{label}，聚焦{cluster_name}产业链，覆盖{field}。"
        + "；".join(rng.sample(vocab.capability_clauses, k=2))
        + "。"
    )
    interests = f"关注{cluster_name}领域的{cat}项目，" + rng.choice(vocab.interest_clauses) + "。"
    record = (
        f"{rng.randint(2015, 2026)}年参与{rng.randint(1, 9)}家{cluster_name}企业{cat}；"
        + rng.choice(vocab.record_clauses)
        + "。"
    )
    return _Offer(kind, industries, capabilities, interests, record)


def _regions(rng: random.Random) -> tuple[str, ...]:
    r = rng.random()
    if r < 0.35:
        return ()
    if r < 0.65:
        return (PROVINCE,)
    if r < 0.80:
        return (CITY,) if rng.random() < 0.7 else (rng.choice(OTHER_CITIES),)
    if r < 0.93:
        return tuple(rng.sample(COUNTIES, k=rng.randint(1, 3)))
    return (rng.choice(OTHER_PROVINCES),)  # filtered out for every enterprise here


def _ticket(rng: random.Random) -> tuple[float | None, float | None]:
    if rng.random() < 0.1:
        return None, None
    lo = round(10 ** rng.uniform(2.0, 5.0), -1)
    hi = round(lo * rng.uniform(3.0, 60.0), -1)
    return (None if rng.random() < 0.1 else lo), (None if rng.random() < 0.1 else hi)


def make_partners(n: int, *, distinct_offers: int = 600, seed: int = 7) -> list[PartnerProfile]:
    """`n` partners sharing at most `distinct_offers` offer texts; ids "1".."n"."""
    rng = random.Random(seed)
    vocab = load_vocabulary()
    offers = [_offer(rng, vocab) for _ in range(max(1, min(distinct_offers, n)))]
    assets = list(ASSET_TYPES)
    out = []
    for j in range(n):
        offer = offers[j % len(offers)] if j < len(offers) else rng.choice(offers)
        lo, hi = _ticket(rng)
        treatments: tuple[str, ...] = ()
        if rng.random() < 0.6:
            pool = KIND_TREATMENTS.get(offer.kind) or tuple(CATEGORIES)
            treatments = tuple(rng.sample(pool, k=rng.randint(1, len(pool))))
        excluded: tuple[str, ...] = ()
        if rng.random() < 0.05:
            excluded = (rng.choice(vocab.industries)[0][:3],)
        out.append(
            PartnerProfile(
                id=str(j + 1),
                name=f"合作方{j + 1:06d}{PARTNER_KINDS[offer.kind]}",
                kind=offer.kind,
                industries=offer.industries,
                capabilities=offer.capabilities,
                interests=offer.interests,
                treatment_types=treatments,
                asset_interests=tuple(sorted(rng.sample(assets, k=rng.randint(0, 4)))),
                preferred_regions=_regions(rng),
                ticket_min=lo,
                ticket_max=hi,
                excluded_industries=excluded,
                track_record=offer.track_record,
                active=rng.random() > 0.03,
            )
        )
    return out


@dataclass(frozen=True)
class _Need:
    industry_code: str
    description: str
    problems: str
    demands: str
    strengths: str
    assets: tuple[Asset, ...]
    operating_status: str


def _need(rng: random.Random, vocab: Vocabulary) -> _Need:
    code, name = rng.choice(vocab.industries)
    status = rng.choices(STATUSES, weights=(4, 4, 2, 1))[0]
    assets = []
    for kind in rng.sample(list(ASSET_TYPES)[:8], k=rng.randint(1, 3)):
        idle = status != "normal" and rng.random() < 0.6
        label = ASSET_TYPES[kind]
        assets.append(
            Asset(
                type=kind,
                idle=idle,
                description=f"{label}一处，{rng.choice(vocab.description_clauses)}",
            )
        )
    return _Need(
        industry_code=code,
        description=f"主营{name}，{rng.choice(vocab.description_clauses)}。",
        problems="；".join(rng.sample(vocab.problem_clauses, k=2)) + "。",
        demands="；".join(rng.sample(vocab.demand_clauses, k=2)) + "。",
        strengths=rng.choice(vocab.strength_clauses) + "。",
        assets=tuple(assets),
        operating_status=status,
    )


def make_enterprises(
    m: int, *, distinct_needs: int = 150, seed: int = 11
) -> list[EnterpriseProfile]:
    """`m` enterprises in 东营市 sharing at most `distinct_needs` need texts; ids "1".."m"."""
    rng = random.Random(seed)
    vocab = load_vocabulary()
    needs = [_need(rng, vocab) for _ in range(max(1, min(distinct_needs, m)))]
    out = []
    for i in range(m):
        need = needs[i % len(needs)]
        total = round(10 ** rng.uniform(3.3, 5.5), -1)
        ratio = rng.uniform(0.4, 1.4)
        revenue = round(total * rng.uniform(0.2, 1.2), -1)
        assets = tuple(
            replace(
                a,
                appraised_value=round(total * rng.uniform(0.02, 0.4), -1),
                location=rng.choice(COUNTIES),
            )
            for a in need.assets
        )
        out.append(
            EnterpriseProfile(
                id=str(i + 1),
                name=f"东营市企业{i + 1:05d}有限公司",
                industry_code=need.industry_code,
                province=PROVINCE,
                city=CITY,
                county=rng.choice(COUNTIES),
                description=need.description,
                problems=need.problems,
                demands=need.demands,
                strengths=need.strengths,
                operating_status=need.operating_status,
                capacity_utilization=round(rng.uniform(0.0, 0.9), 2),
                employees=rng.randint(30, 3000),
                financials=Financials(
                    total_assets=total,
                    total_liabilities=round(total * ratio, -1),
                    overdue_debt=round(total * rng.uniform(0.0, 0.2), -1),
                    guarantee_exposure=round(total * rng.uniform(0.0, 0.3), -1),
                    annual_revenue=revenue,
                    prior_revenue=round(revenue * rng.uniform(0.8, 1.6), -1),
                    net_profit=round(revenue * rng.uniform(-0.3, 0.08), -1),
                    wage_arrears=0.0 if rng.random() < 0.8 else round(total * 0.005, -1),
                ),
                assets=assets,
            )
        )
    return out


def distinct(texts: Sequence[str]) -> tuple[list[str], list[int]]:
    """The distinct texts in first-seen order, and each input's position among them."""
    pos: dict[str, int] = {}
    rows = [pos.setdefault(t, len(pos)) for t in texts]
    return list(pos), rows


def offer_texts(partners: Sequence[PartnerProfile]) -> list[str]:
    return [partner_offer_text(p) for p in partners]


def need_texts(enterprises: Sequence[EnterpriseProfile]) -> list[str]:
    return [enterprise_need_text(e) for e in enterprises]


def with_distinct_records(partners: Sequence[PartnerProfile]) -> list[PartnerProfile]:
    """The partners with a number in each track record, so that no two offer texts are equal
    (a bulk write of real partners repeats few texts; timing one that repeats would flatter
    anything that encodes a text once)."""
    return [
        replace(p, track_record=f"{p.track_record}（第{j}号合作方）")
        for j, p in enumerate(partners)
    ]
