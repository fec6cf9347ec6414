"""The enterprise edit form: only the officer's own changes are saved, never over another's.

See api/pages/edits.py for the comparison.  The form's assets are part of the
enterprise (they share its version), so a change to them by somebody else is a
conflict of the whole form as well.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from api.auth import Principal
from api.deps import IndustriesDep, SessionDep
from api.errors import DomainError, PreconditionFailed
from api.pages import edits
from api.pages.common import PagePrincipal, PageRoute, PostedForm, form_text, redirect, render
from api.pages.enterprises import form_context, require_writer
from api.pages.forms import asset_rows, form_values, service_error, validate
from api.params import ObjectId
from api.services import enterprises as service
from api.services.mapping import enterprise_public
from api.services.spreadsheets import ASSET_COLUMNS, ENTERPRISE_COLUMNS, build_payload, field_label
from matcher.industry import IndustryTable
from models.schemas import AssetCreate, AssetUpdate, EnterpriseUpdate

router = APIRouter(prefix="/ui", route_class=PageRoute)

SAVED = "已保存"
ASSET_GONE = "资产 {id} 已被他人删除，您对它的修改未保存"


def _shown(value: Any) -> Any:
    """A stored value as the form shows it: no "None", no "52000.0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _stored_values(
    session: Session, enterprise_id: int, principal: Principal, industries: IndustryTable
) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """The form's values and asset rows as stored now, and the version they are at."""
    row = service.get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    public = enterprise_public(
        row, service.list_assets(session=session, enterprise_id=enterprise_id), industries
    )
    values: dict[str, Any] = public.model_dump(exclude={"financials", "assets"})
    values.update({f"financials.{k}": v for k, v in public.financials.model_dump().items()})
    values = {k: _shown(v) for k, v in values.items()}
    assets = [
        {**{k: _shown(v) for k, v in a.model_dump().items()}, "index": str(i)}
        for i, a in enumerate(public.assets)
    ]
    return values, assets, public.version


def _asset_key(asset_id: Any, field: str = "") -> str:
    return f"asset:{asset_id}:{field}"


def _strings(values: dict[str, Any], assets: list[dict[str, Any]]) -> dict[str, str]:
    """Every field of the form (profile and each stored asset), normalised for comparison."""
    out = edits.field_strings(ENTERPRISE_COLUMNS, values)
    for asset in assets:
        if asset.get("id"):
            out.update(edits.field_strings(ASSET_COLUMNS, asset, _asset_key(asset["id"])))
    return out


def _posted_strings(values: dict[str, str], rows: list[dict[str, str]]) -> dict[str, str]:
    """The same fields as _strings, from the post (new asset rows have no stored counterpart)."""
    out = edits.field_strings(ENTERPRISE_COLUMNS, values)
    for row in rows:
        if row.get("id"):
            out.update(edits.field_strings(ASSET_COLUMNS, row, _asset_key(row["id"])))
    return out


def _stored_id(row: dict[str, str], stored: set[str]) -> str | None:
    return row["id"] if row.get("id") in stored else None


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    enterprise_id: int,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The edit form; `context` holds values, assets, errors, version, base and notice."""
    context.setdefault("errors", {})
    filled = form_context(session, principal, enterprise_id=enterprise_id, **context)
    return render(request, "enterprise_form.html", filled, status_code=status)


@router.get("/enterprises/{enterprise_id}/edit", response_class=HTMLResponse)
def edit_enterprise_form(
    enterprise_id: ObjectId,
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    industries: IndustriesDep,
) -> HTMLResponse:
    """The enterprise form filled with the stored profile and assets, and their version."""
    require_writer(principal)
    values, assets, version = _stored_values(session, enterprise_id, principal, industries)
    base = edits.fingerprint(_strings(values, assets))
    return _page(
        request,
        session,
        principal,
        enterprise_id,
        values=values,
        assets=assets,
        version=version,
        base=base,
    )


@router.post("/enterprises/{enterprise_id}/edit", response_model=None)
def update_enterprise(
    enterprise_id: ObjectId,
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    industries: IndustriesDep,
    form: PostedForm,
) -> Response:
    """Save what the officer changed, in one transaction, unless somebody saved in between."""
    require_writer(principal)
    stored_values, stored_assets, current = _stored_values(
        session, enterprise_id, principal, industries
    )
    base = edits.read_fingerprint(form_text(form, edits.BASE_FIELD))
    loaded = edits.read_version(form_text(form, edits.VERSION_FIELD))
    if base is None or loaded is None:
        fresh = edits.fingerprint(_strings(stored_values, stored_assets))
        return _page(
            request,
            session,
            principal,
            enterprise_id,
            409,
            values=stored_values,
            assets=stored_assets,
            version=current,
            base=fresh,
            notice=edits.FORM_EXPIRED,
        )
    values, rows = form_values(form, ENTERPRISE_COLUMNS), asset_rows(form)
    stored_ids = {str(a["id"]) for a in stored_assets}
    comparison = edits.compare(
        base, _posted_strings(values, rows), _strings(stored_values, stored_assets)
    )
    if loaded != current:
        return _conflict(request, session, principal, enterprise_id, form, loaded, industries)
    plan, errors = _plan(comparison.changed, values, rows, stored_ids)
    as_posted = {"values": values, "assets": rows, "version": loaded}
    as_posted["base"] = form_text(form, edits.BASE_FIELD)
    if errors:
        return _page(request, session, principal, enterprise_id, 422, errors=errors, **as_posted)
    if plan.empty:
        return redirect(f"/ui/enterprises/{enterprise_id}", edits.NO_CHANGE)
    try:
        plan.apply(session, enterprise_id, principal, industries, frozenset({loaded}))
        session.commit()
    except PreconditionFailed:
        session.rollback()
        return _conflict(request, session, principal, enterprise_id, form, loaded, industries)
    except DomainError as error:
        session.rollback()
        errors = service_error("enterprise", error)
        return _page(request, session, principal, enterprise_id, 422, errors=errors, **as_posted)
    return redirect(f"/ui/enterprises/{enterprise_id}", SAVED)


class _Plan:
    """The writes one save makes: the changed profile fields, asset changes, new and removed."""

    def __init__(self) -> None:
        self.profile: EnterpriseUpdate | None = None
        self.changed_assets: list[tuple[int, AssetUpdate]] = []
        self.new_assets: list[AssetCreate] = []
        self.removed: list[int] = []

    @property
    def empty(self) -> bool:
        return not (self.profile or self.changed_assets or self.new_assets or self.removed)

    def apply(
        self,
        session: Session,
        enterprise_id: int,
        principal: Principal,
        industries: IndustryTable,
        loaded: frozenset[int],
    ) -> None:
        """Every write in the caller's transaction; the first one checks the loaded version."""
        expected: list[frozenset[int] | None] = [loaded]

        def once() -> frozenset[int] | None:
            first, expected[0] = expected[0], None
            return first

        common: dict[str, Any] = {
            "session": session,
            "enterprise_id": enterprise_id,
            "principal": principal,
        }
        if self.profile is not None:
            service.update_enterprise(
                **common, data=self.profile, industries=industries, expected=once()
            )
        for asset_id, change in self.changed_assets:
            service.update_asset(**common, asset_id=asset_id, data=change, expected=once())
        for asset in self.new_assets:
            service.add_asset(**common, data=asset, expected=once())
        for asset_id in self.removed:
            service.archive_asset(**common, asset_id=asset_id, expected=once())


def _asset_values(row: dict[str, str]) -> dict[str, str]:
    return {**row, "idle": "是" if row.get("idle") else "否"}


def _plan(
    changed: frozenset[str],
    values: dict[str, str],
    rows: list[dict[str, str]],
    stored_ids: set[str],
) -> tuple[_Plan, dict[str, str]]:
    """The writes for the changed fields only, validated; errors keyed by form field."""
    plan, errors = _Plan(), {}
    columns = [c for c in ENTERPRISE_COLUMNS if c.field in changed]
    if columns:
        payload = build_payload(columns, values, clear_blanks=True)
        plan.profile, errors = validate(EnterpriseUpdate, "enterprise", payload)
    for row in rows:
        asset_id = _stored_id(row, stored_ids)
        prefix = f"assets-{row['index']}-"
        if row.get("remove"):
            if asset_id is not None:
                plan.removed.append(int(asset_id))
            continue
        if asset_id is None:
            payload = build_payload(ASSET_COLUMNS, _asset_values(row))
            asset, problems = validate(AssetCreate, "asset", payload)
            if asset is not None:
                plan.new_assets.append(asset)
        else:
            fields = [c for c in ASSET_COLUMNS if _asset_key(asset_id, c.field) in changed]
            if not fields:
                continue
            payload = build_payload(fields, _asset_values(row), clear_blanks=True)
            change, problems = validate(AssetUpdate, "asset", payload)
            if change is not None:
                plan.changed_assets.append((int(asset_id), change))
        errors.update({prefix + key: message for key, message in problems.items()})
    return plan, errors


def _conflict(
    request: Request,
    session: Session,
    principal: Principal,
    enterprise_id: int,
    form: FormData,
    loaded: int,
    industries: IndustryTable,
) -> HTMLResponse:
    """Nothing saved: the record as stored now, the officer's changes over it, both values
    at each field that both changed."""
    stored_values, stored_assets, current = _stored_values(
        session, enterprise_id, principal, industries
    )
    base = edits.read_fingerprint(form_text(form, edits.BASE_FIELD)) or {}
    values, rows = form_values(form, ENTERPRISE_COLUMNS), asset_rows(form)
    theirs = _strings(stored_values, stored_assets)
    comparison = edits.compare(base, _posted_strings(values, rows), theirs)
    merged = dict(stored_values)
    merged.update(
        {c.field: values[c.field] for c in ENTERPRISE_COLUMNS if c.field in comparison.changed}
    )
    errors = {
        c.field: edits.both_values(
            c, field_label("enterprise", tuple(c.field.split("."))), comparison.conflicts[c.field]
        )
        for c in ENTERPRISE_COLUMNS
        if c.field in comparison.conflicts
    }
    assets = _merged_assets(stored_assets, rows, comparison, errors)
    notice = edits.changed_meanwhile("企业", loaded, current, len(errors))
    return _page(
        request,
        session,
        principal,
        enterprise_id,
        409,
        values=merged,
        assets=assets,
        errors=errors,
        version=current,
        base=edits.fingerprint(theirs),
        notice=notice,
    )


def _merged_assets(
    stored: list[dict[str, Any]],
    rows: list[dict[str, str]],
    comparison: edits.Comparison,
    errors: dict[str, str],
) -> list[dict[str, Any]]:
    """Stored assets with the officer's changes over them, then the officer's new rows."""
    posted = {row["id"]: row for row in rows if row.get("id")}
    merged: list[dict[str, Any]] = []
    for asset in stored:
        row = dict(asset)
        mine = posted.get(str(asset["id"]), {})
        for column in ASSET_COLUMNS:
            key = _asset_key(asset["id"], column.field)
            if key in comparison.changed:
                row[column.field] = mine.get(column.field, "")
            if key in comparison.conflicts:
                label = f"资产{len(merged) + 1}·{column.label}"
                errors[f"assets-{len(merged)}-{column.field}"] = edits.both_values(
                    column, label, comparison.conflicts[key]
                )
        row["remove"] = mine.get("remove")
        row["index"] = str(len(merged))
        merged.append(row)
    stored_ids = {str(a["id"]) for a in stored}
    for asset_id in posted:
        gone = asset_id not in stored_ids
        if gone and any(k.startswith(_asset_key(asset_id)) for k in comparison.changed):
            errors[f"asset-gone-{asset_id}"] = ASSET_GONE.format(id=asset_id)
    for row in rows:
        if not row.get("id"):
            merged.append({**row, "index": str(len(merged))})
    return merged
