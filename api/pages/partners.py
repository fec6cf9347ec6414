"""Partner pages: the list, one partner, and the form (admins only, as in the API)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.deps import IndustriesDep, SessionDep
from api.errors import ROLE_FORBIDDEN, DomainError, Forbidden, PreconditionFailed
from api.pages import edits
from api.pages.common import PagePrincipal, PageRoute, PostedForm, form_text, redirect, render
from api.pages.forms import form_values, partner_payload, service_error, validate
from api.params import ObjectId, SearchText
from api.services import partners as service
from api.services.mapping import partner_public
from api.services.spreadsheets import PARTNER_COLUMNS, build_payload
from models.enums import PartnerKindFilter
from models.schemas import PartnerCreate, PartnerPublic, PartnerUpdate

router = APIRouter(prefix="/ui/partners", route_class=PageRoute)

PAGE_SIZE = 20
LIST_FIELDS = ("industries", "preferred_regions", "excluded_industries")


def _require_admin(principal: Principal) -> None:
    if not principal.can_write_partners:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))


@router.get("", response_class=HTMLResponse)
def partner_list(
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    industries: IndustriesDep,
    kind: PartnerKindFilter | None = None,
    q: SearchText = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Partners with filters (kind, text) and pagination."""
    rows, total = service.list_partners(
        session=session,
        industries=industries,
        kind=kind or None,
        q=q or None,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    context = {
        "rows": [partner_public(r, industries) for r in rows],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "filters": {"kind": kind or "", "q": q or ""},
    }
    return render(request, "partner_list.html", context)


def _values(public: Any) -> dict[str, Any]:
    values = public.model_dump()
    for name in LIST_FIELDS:
        values[name] = "、".join(values[name])
    for name in ("ticket_min", "ticket_max", "credit_code"):
        values[name] = "" if values[name] is None else values[name]
    values["active"] = "是" if public.active else "否"
    values["treatment_types"] = "、".join(public.treatment_types)
    values["asset_interests"] = "、".join(public.asset_interests)
    return values


@router.get("/new", response_class=HTMLResponse)
def new_partner_form(request: Request, principal: PagePrincipal) -> HTMLResponse:
    """An empty partner form."""
    _require_admin(principal)
    values = {"kind": "other", "active": "是"}
    return render(
        request, "partner_form.html", {"values": values, "errors": {}, "partner_id": None}
    )


@router.post("/new", response_model=None)
def create_partner(
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    industries: IndustriesDep,
    form: PostedForm,
) -> Response:
    """Create a partner, or show the form again with each error at its field."""
    _require_admin(principal)
    values, payload = partner_payload(form, clear_blanks=False)
    data, errors = validate(PartnerCreate, "partner", payload)
    if data is not None:
        try:
            [row] = service.create_partners(
                session=session, items=[data], industries=industries, principal=principal
            )
            session.commit()
            return redirect(f"/ui/partners/{row.id}", f"已创建合作主体“{row.name}”")
        except DomainError as error:
            session.rollback()
            errors = service_error("partner", error)
    context = {"values": values, "errors": errors, "partner_id": None}
    return render(request, "partner_form.html", context, status_code=422)


@router.get("/{partner_id}", response_class=HTMLResponse)
def partner_page(
    partner_id: ObjectId,
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    industries: IndustriesDep,
) -> HTMLResponse:
    """One partner's profile."""
    row = service.get_partner(session=session, partner_id=partner_id)
    return render(request, "partner.html", {"p": partner_public(row, industries)})


def _edit_state(public: PartnerPublic) -> dict[str, Any]:
    """The edit form's values as stored, its version and the fingerprint of its fields."""
    values = _values(public)
    base = edits.fingerprint(edits.field_strings(PARTNER_COLUMNS, values))
    return {"values": values, "version": public.version, "base": base}


@router.get("/{partner_id}/edit", response_class=HTMLResponse)
def edit_partner_form(
    partner_id: ObjectId,
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    industries: IndustriesDep,
) -> HTMLResponse:
    """The partner form filled with the stored profile."""
    _require_admin(principal)
    public = partner_public(service.get_partner(session=session, partner_id=partner_id), industries)
    context = {**_edit_state(public), "errors": {}, "partner_id": partner_id}
    return render(request, "partner_form.html", context)


@router.post("/{partner_id}/edit", response_model=None)
def update_partner(
    partner_id: ObjectId,
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    industries: IndustriesDep,
    form: PostedForm,
) -> Response:
    """Save the fields the officer changed, unless somebody saved the partner in between."""
    _require_admin(principal)
    stored = partner_public(service.get_partner(session=session, partner_id=partner_id), industries)
    base = edits.read_fingerprint(form_text(form, edits.BASE_FIELD))
    loaded = edits.read_version(form_text(form, edits.VERSION_FIELD))
    if base is None or loaded is None:
        context = {**_edit_state(stored), "errors": {}, "partner_id": partner_id}
        return render(request, "partner_form.html", {**context, "notice": edits.FORM_EXPIRED}, 409)
    values = form_values(form, PARTNER_COLUMNS)
    theirs = edits.field_strings(PARTNER_COLUMNS, _values(stored))
    comparison = edits.compare(base, edits.field_strings(PARTNER_COLUMNS, values), theirs)
    if loaded != stored.version:
        return _conflict(request, partner_id, stored, values, comparison, loaded)
    columns = [c for c in PARTNER_COLUMNS if c.field in comparison.changed]
    if not columns:
        return redirect(f"/ui/partners/{partner_id}", edits.NO_CHANGE)
    payload = build_payload(columns, values, clear_blanks=True)
    data, errors = validate(PartnerUpdate, "partner", payload)
    if data is not None:
        try:
            service.update_partner(
                session=session,
                partner_id=partner_id,
                data=data,
                industries=industries,
                principal=principal,
                expected=frozenset({loaded}),
            )
            session.commit()
            return redirect(f"/ui/partners/{partner_id}", "已保存")
        except PreconditionFailed:
            session.rollback()
            fresh = partner_public(
                service.get_partner(session=session, partner_id=partner_id), industries
            )
            theirs = edits.field_strings(PARTNER_COLUMNS, _values(fresh))
            comparison = edits.compare(base, edits.field_strings(PARTNER_COLUMNS, values), theirs)
            return _conflict(request, partner_id, fresh, values, comparison, loaded)
        except DomainError as error:
            session.rollback()
            errors = service_error("partner", error)
    context = {
        "values": values,
        "errors": errors,
        "partner_id": partner_id,
        "version": loaded,
        "base": form_text(form, edits.BASE_FIELD),
    }
    return render(request, "partner_form.html", context, status_code=422)


def _conflict(
    request: Request,
    partner_id: int,
    stored: PartnerPublic,
    values: dict[str, str],
    comparison: edits.Comparison,
    loaded: int,
) -> HTMLResponse:
    """Nothing saved: the stored partner with the officer's changes over it, both values at
    each field that both changed."""
    state = _edit_state(stored)
    merged = {**state["values"], **{k: values[k] for k in comparison.changed if k in values}}
    errors = {
        c.field: edits.both_values(c, c.label, comparison.conflicts[c.field])
        for c in PARTNER_COLUMNS
        if c.field in comparison.conflicts
    }
    notice = edits.changed_meanwhile("合作主体", loaded, stored.version, len(errors))
    context = {
        **state,
        "values": merged,
        "errors": errors,
        "partner_id": partner_id,
        "notice": notice,
    }
    return render(request, "partner_form.html", context, status_code=409)
