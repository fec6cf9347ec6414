"""Enterprise pages: the list, the form with assets, and the case page (diagnosis + partners)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.auth import Principal
from api.deps import IndustriesDep, RuntimeDep, SessionDep
from api.errors import ROLE_FORBIDDEN, DomainError, Forbidden
from api.pages.cases import case_sections
from api.pages.charts import component_bars
from api.pages.common import (
    CasePagePrincipal,
    PagePrincipal,
    PageRoute,
    PostedForm,
    form_text,
    redirect,
    render,
    safe_next,
)
from api.pages.forms import (
    asset_payloads,
    enterprise_payload,
    service_error,
    validate,
    validate_line,
)
from api.params import ObjectId, SearchText
from api.presenters import diagnosis_out, match_item
from api.services import dashboard, diagnoses, matching, reviews
from api.services import enterprises as service
from api.services.mapping import enterprise_public
from api.services.plan_board import local_today
from api.services.spreadsheets import COMPONENT_LABELS
from matcher.home_region import filled_region
from matcher.vocab import CATEGORIES, DEFAULT_CITY, DEFAULT_PROVINCE, REVIEW_STATUSES
from models.enums import CategoryFilter, OperatingStatusFilter
from models.results import OverrideIn, ReviewIn
from models.schemas import EnterpriseCreate

router = APIRouter(prefix="/ui", route_class=PageRoute)

PAGE_SIZE = 20
CREATED = "已创建企业“{name}”"
REVIEWED = "已将“{partner}”标记为“{status}”"
OVERRIDDEN = "已改判为“{category}”"
BLANK_ASSET_ROWS = 2


@router.get("/enterprises", response_class=HTMLResponse)
def enterprise_list(
    request: Request,
    session: SessionDep,
    principal: CasePagePrincipal,
    industries: IndustriesDep,
    county: SearchText = None,
    category: CategoryFilter | None = None,
    status: OperatingStatusFilter | None = None,
    q: SearchText = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Enterprises the caller may see, filtered by county, category, status and text."""
    common: dict[str, Any] = {
        "session": session,
        "principal": principal,
        "industries": industries,
        "county": county or None,
        "operating_status": status or None,
        "q": q or None,
    }
    if category:
        rows, _ = service.list_enterprises(**common, offset=0, limit=100_000)
        primaries = dashboard.effective_primaries(session, [r.id or 0 for r in rows])
        rows = [r for r in rows if primaries.get(r.id or 0) == category]
        total, rows = len(rows), rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    else:
        rows, total = service.list_enterprises(
            **common, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        primaries = dashboard.effective_primaries(session, [r.id or 0 for r in rows])
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "primaries": primaries,
        "industries": industries,
        "filters": {
            "county": county or "",
            "category": category or "",
            "status": status or "",
            "q": q or "",
        },
        "counties": sorted(
            set(dashboard.visible_counties(session, principal)) | set(principal.counties)
        ),
    }
    return render(request, "enterprise_list.html", context)


def form_context(
    session: Session,
    principal: Principal,
    *,
    values: dict[str, Any],
    assets: list[dict[str, Any]],
    errors: dict[str, str],
    enterprise_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """What the enterprise form shows: values, asset rows (plus blank ones), errors;
    `extra` carries the edit form's version, fingerprint and conflict notice."""
    blank = len(assets)
    rows = assets + [{"index": str(blank + i)} for i in range(BLANK_ASSET_ROWS)]
    next_index = max([int(r["index"]) for r in rows], default=-1) + 1
    return {
        "values": values,
        "assets": rows,
        "next_index": next_index,
        "errors": errors,
        "enterprise_id": enterprise_id,
        "counties": sorted(
            set(dashboard.visible_counties(session, principal)) | set(principal.counties)
        ),
        **extra,
    }


def require_writer(principal: Principal) -> None:
    if not principal.can_write_enterprises:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))


@router.get("/enterprises/new", response_class=HTMLResponse)
def new_enterprise_form(
    request: Request, session: SessionDep, principal: PagePrincipal
) -> HTMLResponse:
    """An empty enterprise form."""
    require_writer(principal)
    county = principal.counties[0] if len(principal.counties) == 1 else ""
    province, city = filled_region("", "", county, None, (DEFAULT_PROVINCE, DEFAULT_CITY))
    values = {
        "province": province,
        "city": city,
        "county": county,
        "operating_status": "normal",
    }
    context = form_context(session, principal, values=values, assets=[], errors={})
    return render(request, "enterprise_form.html", context)


@router.post("/enterprises/new", response_model=None)
def create_enterprise(
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    industries: IndustriesDep,
    form: PostedForm,
) -> Response:
    """Create the enterprise with its assets, or show the form again with the errors."""
    require_writer(principal)
    values, rows, payload = enterprise_payload(form, clear_blanks=False)
    payload["assets"] = asset_payloads(rows)
    data, errors = validate(EnterpriseCreate, "enterprise", payload, [r["index"] for r in rows])
    if data is not None:
        try:
            row = service.create_enterprise(
                session=session, data=data, industries=industries, principal=principal
            )
            session.commit()
            return redirect(f"/ui/enterprises/{row.id}", CREATED.format(name=row.name))
        except DomainError as error:
            session.rollback()
            errors = service_error("enterprise", error)
    context = form_context(session, principal, values=values, assets=rows, errors=errors)
    return render(request, "enterprise_form.html", context, status_code=422)


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise_page(
    enterprise_id: ObjectId,
    request: Request,
    session: SessionDep,
    principal: CasePagePrincipal,
    industries: IndustriesDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    rejected: bool = False,
    job: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    """The case: profile, diagnosis with reasons, and the ranked partners with their reasons."""
    row = service.get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    run, views = (
        (None, [])  # a department sees the case, not the partners (api/services/case_scope.py)
        if principal.is_department
        else matching.get_matches(
            session=session,
            enterprise_id=enterprise_id,
            runtime=runtime,
            principal=principal,
            limit=limit,
            include_rejected=rejected,
        )
    )
    items = [match_item(v) for v in views]
    scale, bars = component_bars((i.components for i in items), COMPONENT_LABELS)
    top_score = max((abs(i.score) for i in items), default=0) or 1
    diagnosis = diagnoses.find_latest_diagnosis(session, enterprise_id)
    public = enterprise_public(
        row, service.list_assets(session=session, enterprise_id=enterprise_id), industries
    )
    context = {
        "e": public,
        "diagnosis": diagnosis_out(diagnosis) if diagnosis else None,
        "matches": list(zip(items, bars, strict=True)),
        "scale": scale,
        "top_score": top_score,
        "run": run,
        "allowed_next": reviews.allowed_next,
        "limit": limit,
        "show_rejected": rejected,
        "job_id": job,
        **case_sections(
            session=session, enterprise_id=enterprise_id, principal=principal, today=local_today()
        ),
    }
    return render(request, "enterprise.html", context)


@router.post("/enterprises/{enterprise_id}/diagnose")
def diagnose(
    enterprise_id: ObjectId, session: SessionDep, principal: PagePrincipal, runtime: RuntimeDep
) -> RedirectResponse:
    """Run the diagnosis again on the profile as it is now."""
    diagnoses.run_diagnosis(
        session=session, enterprise_id=enterprise_id, runtime=runtime, principal=principal
    )
    session.commit()
    return redirect(f"/ui/enterprises/{enterprise_id}#diagnosis", "已重新诊断")


@router.post("/enterprises/{enterprise_id}/override")
def override(
    enterprise_id: ObjectId,
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    form: PostedForm,
) -> RedirectResponse:
    """Set the primary category by hand, with a reason."""
    target = f"/ui/enterprises/{enterprise_id}#diagnosis"
    payload = {"primary": form_text(form, "primary"), "reason": form_text(form, "reason").strip()}
    data, problems = validate_line(OverrideIn, "enterprise", payload)
    if problems:
        return redirect(target, problems, "error")
    diagnoses.override_diagnosis(
        session=session,
        enterprise_id=enterprise_id,
        primary=data.primary,
        reason=data.reason,
        principal=principal,
    )
    session.commit()
    return redirect(target, OVERRIDDEN.format(category=CATEGORIES[data.primary]))


@router.post("/matches/{match_id}/review")
def review(
    match_id: ObjectId,
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    form: PostedForm,
) -> RedirectResponse:
    """Record the officer's decision on a match, with a note."""
    match = reviews.get_match(session=session, match_id=match_id, principal=principal)
    back = safe_next(form_text(form, "back"), f"/ui/enterprises/{match.enterprise_id}")
    payload = {"status": form_text(form, "status"), "note": form_text(form, "note").strip()}
    data, problems = validate_line(ReviewIn, "review", payload)
    if problems:
        return redirect(back, problems, "error")
    status = data.status
    try:
        _, engagement = reviews.review_match(
            session=session, match_id=match_id, status=status, note=data.note, principal=principal
        )
    except DomainError as error:
        if error.status_code == 403:
            raise
        prefix = "说明：" if getattr(error, "loc", ("",))[-1] == "note" else ""
        return redirect(back, prefix + error.message, "error")
    session.commit()
    partner = matching.match_view(session=session, match=match, engagement=engagement).partner
    return redirect(back, REVIEWED.format(partner=partner.name, status=REVIEW_STATUSES[status]))
