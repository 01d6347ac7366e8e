"""Log review and the log extract. Views parse the request and call selectors and services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from samplan.audit import extract as extracts
from samplan.audit import reviews, selectors
from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import request_actor
from samplan.authz.policy import Action
from samplan.core.forms import apply_errors
from samplan.core.validators import MAX_ID
from samplan.directory.models import Person
from samplan.web.audit.forms import (
    ExtractPeriodForm,
    PersonLookupForm,
    ReviewFilterForm,
    ReviewRecordForm,
)

_actor = request_actor


def _int_param(request: HttpRequest, name: str) -> int | None:
    """A paging id; anything that cannot be an id (not ASCII digits, beyond 64 bits) is none."""
    value = request.GET.get(name, "")
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        return None
    return int(value)


@login_required
@never_cache
def audit_review(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    organisations = selectors.reviewer_organisations(actor=actor)
    filter_form = ReviewFilterForm(
        request.GET or None,
        organisations=organisations,
        units=selectors.review_units(organisations=organisations),
    )
    filters = filter_form.filters()
    lookup_form = PersonLookupForm()
    lookup_results: list[Person] | None = None
    record_form = ReviewRecordForm(
        initial={"period_from": filters.period_from, "period_to": filters.period_to},
        organisations=organisations,
    )
    status = 400 if filter_form.is_bound and filter_form.errors else 200

    if request.method == "POST":
        if request.POST.get("op") == "lookup":
            lookup_form = PersonLookupForm(request.POST)
            if lookup_form.is_valid():
                lookup_results = access.access_review_person_lookup(
                    actor=actor, query=lookup_form.cleaned_data["q"]
                )
            else:
                status = 400
        else:
            record_form = ReviewRecordForm(request.POST, organisations=organisations)
            if record_form.is_valid():
                data = record_form.cleaned_data
                try:
                    reviews.audit_review_record(
                        actor=actor,
                        organisation=data["organisation"],
                        period_from=data["period_from"],
                        period_to=data["period_to"],
                        filters=filters.as_json(),
                        conclusion=data["conclusion"],
                    )
                except ValidationError as exc:
                    apply_errors(record_form, exc)
                else:
                    messages.success(request, _("Granskningen är registrerad."))
                    return redirect(request.get_full_path())
            status = 400

    page = access.access_review_page(
        actor=actor,
        filters=filters,
        before=_int_param(request, "before"),
        after=_int_param(request, "after"),
    )
    selected_person = next(
        (r.event.person for r in page.rows if r.event.person_id == filters.person_id), None
    )
    if filters.person_id and selected_person is None:
        selected_person = Person.objects.filter(pk=filters.person_id).first()
    return render(
        request,
        "audit/review.html",
        {
            "organisations": organisations,
            "filter_form": filter_form,
            "lookup_form": lookup_form,
            "lookup_results": lookup_results,
            "record_form": record_form,
            "page": page,
            "query": _query_without(request, "before", "after"),
            "query_without_person": _query_without(request, "before", "after", "person"),
            "selected_person": selected_person,
            "reviews": selectors.reviews_for(organisations=organisations),
            "threshold": selectors.MANY_PERSONS_PER_DAY,
        },
        status=status,
    )


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_GET
def audit_extract(request: HttpRequest, person_id: int, fmt: str) -> HttpResponse:
    actor = _actor(request)
    if fmt not in extracts.FORMATS:
        raise Http404("not found")
    person = Person.objects.filter(pk=person_id).first() if person_id <= MAX_ID else None
    if person is None:
        raise authz.refuse(actor, Action.AUDIT_EXTRACT_OWN)
    period = ExtractPeriodForm(request.GET or None)
    if period.is_bound and not period.is_valid():
        if authz.can(actor, Action.AUDIT_EXTRACT_OWN, person):
            # The person's own page again, with the message next to the field.
            return render(
                request, "audit/my_log.html", {"person": person, "period_form": period}, status=400
            )
        return HttpResponse(
            " ".join(str(e) for errors in period.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data: dict[str, Any] = period.cleaned_data if period.is_bound else {}
    extract = access.access_audit_extract(
        actor=actor,
        person=person,
        fmt=fmt,
        period_from=data.get("period_from"),
        period_to=data.get("period_to"),
    )
    if fmt == "csv":
        response = HttpResponse(
            extracts.render_csv(extract), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(extracts.render_pdf(extract), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{extracts.filename(extract, fmt)}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@never_cache
def my_log(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    person = Person.objects.filter(user=request.user).first()  # type: ignore[misc]
    if person is None:
        raise authz.refuse(actor, Action.AUDIT_EXTRACT_OWN)
    authz.require(actor, Action.AUDIT_EXTRACT_OWN, person)
    return render(
        request, "audit/my_log.html", {"person": person, "period_form": ExtractPeriodForm()}
    )
