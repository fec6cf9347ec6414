"""The engine's view of enterprises and partners: frozen, storage-free records.

The API maps database rows onto these, the evaluation maps JSON lines onto
them, and every signal, rule and score reads only them.  Keeping them frozen
means a profile can be cached, hashed and shared between threads safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, make_dataclass
from typing import Any

from matcher.home_region import filled_region
from matcher.vocab import DEFAULT_CITY, DEFAULT_PROVINCE, FINANCIAL_FIELDS, KIND_TREATMENTS


def _financials_from_dict(cls: type, data: Mapping[str, Any] | None) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: _opt_float(v) for k, v in (data or {}).items() if k in names})


Financials = make_dataclass(
    "Financials",
    [(name, float | None, field(default=None)) for name in FINANCIAL_FIELDS],
    frozen=True,
    namespace={
        "__doc__": 'Money in 万元; None means "not reported", never zero.\n\n'
        "One attribute per `matcher.vocab.FINANCIAL_FIELDS`, in its order.",
        "from_dict": classmethod(_financials_from_dict),
    },
)
Financials.__module__ = __name__  # so that a profile pickles (3.11's make_dataclass does not)


@dataclass(frozen=True)
class Asset:
    type: str
    description: str = ""
    area_m2: float | None = None
    book_value: float | None = None
    appraised_value: float | None = None
    encumbrance: str = "none"
    idle: bool = False
    location: str = ""
    id: str | None = None

    @property
    def value(self) -> float | None:
        """The appraisal when there is one, as a buyer would price it."""
        return self.appraised_value if self.appraised_value is not None else self.book_value

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Asset:
        return cls(
            type=str(data["type"]),
            description=str(data.get("description") or ""),
            area_m2=_opt_float(data.get("area_m2")),
            book_value=_opt_float(data.get("book_value")),
            appraised_value=_opt_float(data.get("appraised_value")),
            encumbrance=str(data.get("encumbrance") or "none"),
            idle=bool(data.get("idle", False)),
            location=str(data.get("location") or ""),
            id=_opt_str(data.get("id")),
        )


@dataclass(frozen=True)
class EnterpriseProfile:
    name: str
    industry_code: str = ""
    province: str = DEFAULT_PROVINCE
    city: str = DEFAULT_CITY
    county: str = ""
    description: str = ""
    problems: str = ""
    demands: str = ""
    strengths: str = ""
    operating_status: str = "normal"
    capacity_utilization: float | None = None
    employees: int | None = None
    financials: Financials = field(default_factory=Financials)
    assets: tuple[Asset, ...] = ()
    credit_code: str | None = None
    id: str | None = None

    @property
    def text(self) -> str:
        """Everything an officer wrote, in reading order, for text features."""
        parts = [self.description, self.problems, self.demands, self.strengths]
        parts += [a.description for a in self.assets]
        return "\n".join(p for p in parts if p)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnterpriseProfile:
        county = str(data.get("county") or "")
        credit_code = _opt_str(data.get("credit_code"))
        province, city = filled_region(
            str(data.get("province") or ""),
            str(data.get("city") or ""),
            county,
            credit_code,
            (DEFAULT_PROVINCE, DEFAULT_CITY),
        )
        return cls(
            name=str(data["name"]),
            industry_code=str(data.get("industry_code") or ""),
            province=province,
            city=city,
            county=county,
            description=str(data.get("description") or ""),
            problems=str(data.get("problems") or ""),
            demands=str(data.get("demands") or ""),
            strengths=str(data.get("strengths") or ""),
            operating_status=str(data.get("operating_status") or "normal"),
            capacity_utilization=_opt_float(data.get("capacity_utilization")),
            employees=None if data.get("employees") is None else int(data["employees"]),
            financials=Financials.from_dict(data.get("financials")),
            assets=tuple(Asset.from_dict(a) for a in data.get("assets") or ()),
            credit_code=credit_code,
            id=_opt_str(data.get("id") or data.get("ext_id")),
        )


@dataclass(frozen=True)
class PartnerProfile:
    name: str
    kind: str = "other"
    industries: tuple[str, ...] = ()
    capabilities: str = ""
    interests: str = ""
    treatment_types: tuple[str, ...] = ()
    asset_interests: tuple[str, ...] = ()
    preferred_regions: tuple[str, ...] = ()
    ticket_min: float | None = None
    ticket_max: float | None = None
    excluded_industries: tuple[str, ...] = ()
    track_record: str = ""
    active: bool = True
    credit_code: str | None = None
    id: str | None = None

    @property
    def effective_treatments(self) -> tuple[str, ...]:
        """The partner's own list, or what its kind implies when it gave none."""
        return self.treatment_types or KIND_TREATMENTS.get(self.kind, ())

    @property
    def text(self) -> str:
        parts = [self.capabilities, self.interests, self.track_record]
        return "\n".join(p for p in parts if p)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PartnerProfile:
        return cls(
            name=str(data["name"]),
            kind=str(data.get("kind") or "other"),
            industries=tuple(data.get("industries") or ()),
            capabilities=str(data.get("capabilities") or ""),
            interests=str(data.get("interests") or ""),
            treatment_types=tuple(data.get("treatment_types") or ()),
            asset_interests=tuple(data.get("asset_interests") or ()),
            preferred_regions=tuple(data.get("preferred_regions") or ()),
            ticket_min=_opt_float(data.get("ticket_min")),
            ticket_max=_opt_float(data.get("ticket_max")),
            excluded_industries=tuple(data.get("excluded_industries") or ()),
            track_record=str(data.get("track_record") or ""),
            active=bool(data.get("active", True)),
            credit_code=_opt_str(data.get("credit_code")),
            id=_opt_str(data.get("id") or data.get("ext_id")),
        )


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
