"""Request and response schemas of the HTTP contract (shared/spec.md §1, §2).

These are separate from the tables because the contract nests `financials`
and `assets` inside an enterprise while storage keeps them as columns and rows.
Validation that needs no database or reference table lives here; industry codes
are checked by the service against the GB/T 4754 table.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from matcher.credit_code import credit_code_problem
from matcher.home_region import filled_region
from matcher.vocab import DEFAULT_CITY, DEFAULT_PROVINCE, FINANCIAL_FIELDS, SIGNED_FINANCIAL_FIELDS
from models.bases import AssetBase, EnterpriseBase, PartnerBase
from models.enums import AssetType, Category, Encumbrance, OperatingStatus, PartnerKind, Role
from models.fields import (
    Area,
    Count,
    IndustryCode,
    LongText,
    Money,
    Name,
    NoBool,
    Share,
    ShortText,
    SignedMoney,
    UtcDatetime,
)

T = TypeVar("T")


class Strict(BaseModel):
    """Unknown keys are refused, so a misspelt field is an error, not silently lost."""

    model_config = ConfigDict(extra="forbid")


def _check_credit_code(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().upper()
    problem = credit_code_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Financials = create_model(  # one optional figure per matcher.vocab.FINANCIAL_FIELDS, in order
    "Financials",
    __base__=Strict,
    **{
        name: (SignedMoney | None if name in SIGNED_FINANCIAL_FIELDS else Money | None, None)
        for name in FINANCIAL_FIELDS
    },
)


FINANCIALS_ON_CREATE = "万元。null 与 {} 相同：没有填报任何财务数据（spec §1）。"
FINANCIALS_ON_PATCH = (
    "万元，逐项合并：只改写给出的键，某键为 null 则清除该项；{} 不改任何一项；"
    "整个 financials 为 null 表示“没有财务数据”，清除全部八项（spec §1：null 即无数据）。"
)


def _no_figures(value: Financials | None) -> Financials:
    """null means no figures were given, exactly like {} (spec §1)."""
    return Financials() if value is None else value


class AssetCreate(AssetBase):
    model_config = ConfigDict(extra="forbid")  # as Strict: a misspelt field is an error


class AssetUpdate(Strict):
    type: AssetType | None = None
    description: LongText | None = None
    area_m2: Area | None = None
    book_value: Money | None = None
    appraised_value: Money | None = None
    encumbrance: Encumbrance | None = None
    idle: StrictBool | None = None
    location: ShortText | None = None


class AssetPublic(AssetCreate):
    model_config = ConfigDict(extra="ignore")
    id: int
    enterprise_id: int


CREDIT_CODE_DOC = (
    "统一社会信用代码 (GB 32100-2015): 18 characters of 0-9 and A-Z without I, O, S, V, Z "
    "(surrounding blanks trimmed, letters upper-cased). Every part is checked: the "
    "registration authority (1st) and its entity type (2nd), the GB/T 2260 division (3rd-8th), "
    "the organisation code's GB 11714 check digit (17th) and the check character (18th); "
    "the 422 names the wrong part. Unique among enterprises (among partners) when given."
)
VERSION_DOC = (
    "bumped by every write; the read's ETag is this number in quotes, and a write with "
    "If-Match naming an older one is refused with 412"
)
CREDIT_CODE_SCHEMA = {
    "pattern": r"^\s*[1-9ANYany][0-9A-Za-z]\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}\s*$"
}
"""The code's alphabet and length as a pattern; the parts' meaning and the check digits are
verified by the service (a pattern cannot compute them), hence 422s for pattern-valid codes."""
EXT_ID_DOC = "your own reference for the record (e.g. a devset ext_id); stored and returned"


class _Identity(Strict):
    """Name, credit code and own reference of a new record: listed first in its schema."""

    name: Name
    credit_code: str | None = Field(
        default=None,
        max_length=40,
        description=CREDIT_CODE_DOC,
        json_schema_extra=CREDIT_CODE_SCHEMA,
    )
    ext_id: ShortText | None = Field(default=None, description=EXT_ID_DOC)

    _credit = field_validator("credit_code")(_check_credit_code)


# The base classes are listed table-base first: pydantic orders fields from the last base to
# the first, so that _Identity's come first, as the contract lists them.
class EnterpriseCreate(EnterpriseBase, _Identity):
    model_config = ConfigDict(extra="forbid")
    financials: Financials | None = Field(
        default_factory=Financials, description=FINANCIALS_ON_CREATE
    )
    assets: list[AssetCreate] = Field(default_factory=list, max_length=1000)

    _figures = field_validator("financials")(_no_figures)

    @model_validator(mode="after")
    def _place(self) -> EnterpriseCreate:
        """A province or city not given (or blank) is read from the county or the credit
        code before the defaults apply (`matcher.home_region.filled_region`)."""
        given = self.model_fields_set
        self.province, self.city = filled_region(
            self.province if "province" in given else "",
            self.city if "city" in given else "",
            self.county,
            self.credit_code,
            (DEFAULT_PROVINCE, DEFAULT_CITY),
        )
        return self

    @property
    def figures(self) -> Financials:
        """The financials, never None (null was read as no figures)."""
        return self.financials or Financials()


class EnterpriseUpdate(Strict):
    """PATCH body: only the fields sent are changed; `financials` merges key by key.

    `"financials": null` clears every figure (null means no figures, spec §1), `{}` changes none.
    """

    name: Name | None = None
    credit_code: str | None = Field(
        default=None,
        max_length=40,
        description=CREDIT_CODE_DOC,
        json_schema_extra=CREDIT_CODE_SCHEMA,
    )
    ext_id: ShortText | None = None
    province: ShortText | None = None
    city: ShortText | None = None
    county: ShortText | None = None
    industry_code: IndustryCode | None = None
    description: LongText | None = None
    problems: LongText | None = None
    demands: LongText | None = None
    strengths: LongText | None = None
    operating_status: OperatingStatus | None = None
    capacity_utilization: Share | None = None
    employees: Count | None = None
    financials: Financials | None = Field(default=None, description=FINANCIALS_ON_PATCH)

    _credit = field_validator("credit_code")(_check_credit_code)

    @property
    def clears_figures(self) -> bool:
        """`"financials": null` was sent: every figure is to be cleared."""
        return "financials" in self.model_fields_set and self.financials is None


class EnterprisePublic(BaseModel):
    id: int
    name: str
    credit_code: str | None
    ext_id: str | None
    province: str
    city: str
    county: str
    industry_code: str
    industry_name: str | None
    description: str
    problems: str
    demands: str
    strengths: str
    operating_status: str
    capacity_utilization: float | None
    employees: int | None
    financials: Financials
    indicators: dict[str, float | int | None]
    assets: list[AssetPublic]
    archived: bool
    version: int = Field(description=VERSION_DOC)
    created_at: UtcDatetime
    updated_at: UtcDatetime


class PartnerCreate(PartnerBase, _Identity):
    model_config = ConfigDict(extra="forbid")

    @field_validator("ticket_max")
    @classmethod
    def _ticket_order(cls, value: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("ticket_min")
        if value is not None and low is not None and low > value:
            raise ValueError(f"ticket_max（{value:g}）不能小于 ticket_min（{low:g}）")
        return value


class PartnerUpdate(Strict):
    name: Name | None = None
    credit_code: str | None = Field(
        default=None,
        max_length=40,
        description=CREDIT_CODE_DOC,
        json_schema_extra=CREDIT_CODE_SCHEMA,
    )
    ext_id: ShortText | None = None
    kind: PartnerKind | None = None
    industries: list[IndustryCode] | None = Field(default=None, max_length=500)
    capabilities: LongText | None = None
    interests: LongText | None = None
    treatment_types: list[Category] | None = Field(default=None, max_length=8)
    asset_interests: list[AssetType] | None = Field(default=None, max_length=9)
    preferred_regions: list[ShortText] | None = Field(default=None, max_length=500)
    ticket_min: Money | None = None
    ticket_max: Money | None = None
    excluded_industries: list[IndustryCode] | None = Field(default=None, max_length=500)
    track_record: LongText | None = None
    active: StrictBool | None = None

    _credit = field_validator("credit_code")(_check_credit_code)


class PartnerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    credit_code: str | None
    ext_id: str | None
    kind: str
    industries: list[str]
    industry_names: dict[str, str]
    capabilities: str
    interests: str
    treatment_types: list[str]
    effective_treatment_types: list[str]
    asset_interests: list[str]
    preferred_regions: list[str]
    ticket_min: float | None
    ticket_max: float | None
    excluded_industries: list[str]
    track_record: str
    active: bool
    archived: bool
    version: int = Field(description=VERSION_DOC)
    created_at: UtcDatetime
    updated_at: UtcDatetime


class IdList(BaseModel):
    ids: list[int]


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int


class TokenCreate(Strict):
    name: Name
    role: Role
    counties: list[ShortText] = Field(default_factory=list, max_length=200)
    department: Annotated[int, Field(ge=1, le=2**31 - 1), NoBool] | Name | None = Field(
        default=None,
        description="the department (id or name) it acts for: required for role department, "
        "optional for an officer",
    )


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    role: str
    counties: list[str]
    department_id: int | None = None
    token_prefix: str
    created_by: str
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None


class TokenIssued(TokenPublic):
    token: str = Field(description="The secret; shown once, never stored in clear.")


class AuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: UtcDatetime
    actor: str
    action: str
    entity: str
    entity_id: str
    changes: dict[str, object]


class SecurityEventOut(BaseModel):
    """A refused sign-in or request; the token only by its id (if known) and hash prefix."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    at: UtcDatetime
    kind: str = Field(
        description="login_failed, bad_token, missing_token, bad_cookie, forbidden, cross_site, "
        "locked_out"
    )
    status: int
    method: str
    path: str
    client: str = Field(description="the client address (the proxy's, unless it is trusted)")
    token_id: int | None
    token_hash_prefix: str = Field(description="first 12 hex digits of the token's SHA-256")
    actor: str
    detail: str
