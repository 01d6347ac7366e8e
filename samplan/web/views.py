"""Registry pages. Views parse the request and call selectors and services; no rules here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from samplan.accounts.models import User
from samplan.audit.actions import AuditAction
from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import ACTING_UNIT_SESSION_KEY, Actor, request_actor
from samplan.authz.policy import Action
from samplan.directory import selectors, services
from samplan.directory.models import Membership, Representative, Unit
from samplan.plans import selectors as plan_selectors
from samplan.web.context import prime_frame
from samplan.web.forms import (
    OrganisationForm,
    PersonForm,
    PersonLookupForm,
    PersonSearchForm,
    ProtectedIdentityForm,
    RepresentativeForm,
    StaffCreateForm,
    UnitForm,
    apply_errors,
)

_actor = request_actor


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    prime_frame(request)  # the roles the policy asks below come with the header's query
    context: dict[str, Any] = {
        "managed": authz.manageable_organisations(actor),
        "can_search_persons": authz.can(actor, Action.PERSON_SEARCH),
        "has_own_plans": authz.own_plans(actor).exists(),
    }
    if actor.is_staff_member:
        # What needs doing today, on the first page: staff should not have to look for it.
        # Audited: one event per person it names.
        context["today"] = access.access_today(actor=actor)
    return render(request, "web/home.html", context)


@require_POST
def session_extend(request: HttpRequest) -> HttpResponse:
    """Keeps an idle session alive: the warning's "Förläng" button. Any request moves the
    session's end forward (at most once a minute, samplan.accounts.session_activity); this one
    saves the session now and does nothing else."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not request.user.is_authenticated:
        if wants_json:
            return JsonResponse({"authenticated": False}, status=401)
        return redirect_to_login(request.get_full_path())
    request.session.modified = True
    if wants_json:
        return JsonResponse(
            {"authenticated": True, "idle_seconds": request.session.get_expiry_age()}
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target or "/")


@login_required
@require_POST
def acting_unit_set(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    raw = request.POST.get("unit", "")
    unit_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
    if authz.allowed(actor, Action.ACTING_UNIT_SET, unit_id):
        request.session[ACTING_UNIT_SESSION_KEY] = unit_id
        messages.success(request, _("Du arbetar nu för en annan enhet."))
    else:
        messages.error(request, _("Du är inte med i den enheten."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target or "/")


# Organisations ----------------------------------------------------------------------------


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    return render(
        request,
        "web/organisation_list.html",
        {
            "organisations": selectors.organisation_list(actor=actor),
            "managed_ids": set(authz.manageable_organisations(actor).values_list("pk", flat=True)),
            "can_create": authz.can(actor, Action.ORGANISATION_CREATE),
        },
    )


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    org = selectors.organisation_get(actor=actor, pk=pk)
    can_manage = authz.can(actor, Action.ORGANISATION_MANAGE, org)
    return render(
        request,
        "web/organisation_detail.html",
        {
            "organisation": org,
            "units": selectors.unit_list(organisation=org),
            "staff": selectors.staff_list(organisation=org) if can_manage else None,
            "can_manage": can_manage,
        },
    )


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    authz.require(actor, Action.ORGANISATION_CREATE)
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organisation_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Organisationen är skapad."))
            return redirect(org)
    return render(request, "web/form.html", _form_ctx(form, _("Ny organisation")), status=_st(form))


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    org = selectors.organisation_get_for_manage(actor=actor, pk=pk)
    form = OrganisationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.organisation_update(actor=actor, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect(org)
    org.refresh_from_db()
    ctx = _form_ctx(form, _("Ändra %(name)s") % {"name": org.name}, back=org.get_absolute_url())
    return render(request, "web/form.html", ctx, status=_st(form))


@login_required
def unit_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    org = selectors.organisation_get_for_manage(actor=actor, pk=pk)
    form = UnitForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_create(actor=actor, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Enheten är skapad."))
            return redirect(org)
    ctx = _form_ctx(
        form, _("Ny enhet i %(name)s") % {"name": org.name}, back=org.get_absolute_url()
    )
    return render(request, "web/form.html", ctx, status=_st(form))


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    unit = get_object_or_404(
        Unit.objects.select_related("organisation"),
        pk=pk,
        organisation__in=authz.manageable_organisations(actor),
    )
    form = UnitForm(request.POST or None, instance=unit, organisation=unit.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(actor=actor, unit=unit, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect(unit.organisation)
    ctx = _form_ctx(form, _("Ändra enhet"), back=unit.organisation.get_absolute_url())
    return render(request, "web/form.html", ctx, status=_st(form))


@login_required
def staff_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    org = selectors.organisation_get_for_manage(actor=actor, pk=pk)
    form = StaffCreateForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Kontot är skapat."))
            return redirect(org)
    ctx = _form_ctx(
        form, _("Ny personal i %(name)s") % {"name": org.name}, back=org.get_absolute_url()
    )
    return render(request, "web/form.html", ctx, status=_st(form))


@login_required
@require_POST
def staff_set_active(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    actor = _actor(request)
    org = selectors.organisation_get_for_manage(actor=actor, pk=pk)
    membership = (
        Membership.objects.select_related("user")
        .filter(user_id=user_id, unit__organisation=org)
        .first()
    )
    if membership is None:  # not staff of this organisation: refused like a missing account
        raise authz.refuse(actor, Action.ORGANISATION_MANAGE, org)
    user: User = membership.user
    active = request.POST.get("active") == "1"
    try:
        services.staff_set_active(actor=actor, organisation=org, user=user, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Kontot är aktiverat.") if active else _("Kontot är avstängt."))
    return redirect(org)


# Persons ------------------------------------------------------------------------------------


@login_required
def person_search(request: HttpRequest) -> HttpResponse:
    """Search among the persons the acting unit already has a relation with."""
    actor = _actor(request)
    prime_frame(request)  # the roles the policy asks below come with the header's query
    authz.require(actor, Action.PERSON_SEARCH)
    # POST, so that identity numbers never appear in URLs, browser history or access logs.
    form = PersonSearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid() and form.cleaned_data["q"]:
        results = access.access_person_search(actor=actor, query=form.cleaned_data["q"])
    return render(request, "web/person_search.html", {"form": form, "results": results})


@login_required
def person_lookup(request: HttpRequest) -> HttpResponse:
    """Find one new person by complete number (or name and birth date), with a reason."""
    actor = _actor(request)
    authz.require(actor, Action.PERSON_LOOKUP)
    form = PersonLookupForm(request.POST or None)
    result: selectors.PersonBrief | None = None
    searched = False
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                found = services.person_lookup(
                    actor=actor,
                    query=services.LookupQuery(
                        identifier=data["identifier"],
                        given_name=data["given_name"],
                        family_name=data["family_name"],
                        birth_date=data["birth_date"],
                    ),
                    reason=data["reason"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                searched = True
                result = selectors.PersonBrief.of(found) if found else None
        if form.errors:
            access.audit_invalid(
                actor=actor, action=AuditAction.PERSON_LOOKUP, fields=list(form.errors)
            )
    return render(
        request,
        "web/person_lookup.html",
        {"form": form, "result": result, "searched": searched},
        status=_st(form),
    )


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    authz.require(actor, Action.PERSON_CREATE)
    may_protect = services.may_protect_at_registration(actor)
    form = PersonForm(request.POST or None, may_protect=may_protect)
    if request.method == "POST":
        if form.is_valid():
            try:
                person = services.person_create(actor=actor, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Personen är registrerad."))
                return redirect(person)
        access.audit_invalid(
            actor=actor, action=AuditAction.PERSON_CREATE, fields=list(form.errors)
        )
    return render(
        request, "web/form.html", _form_ctx(form, _("Registrera person")), status=_st(form)
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    reached = access.access_person_page(actor=actor, person_id=pk)
    person = reached.person
    if person is None:
        # Looked up, no relation yet: what is needed to go on, nothing more.
        return render(
            request,
            "web/person_brief.html",
            {"brief": reached.brief, "can_initiate": authz.can(actor, Action.PLAN_INITIATE)},
        )
    return render(
        request,
        "web/person_detail.html",
        {
            "person": person,
            "show_contact": authz.can(actor, Action.PERSON_VIEW_CONTACT, person),
            "can_edit": authz.can(actor, Action.PERSON_EDIT, person),
            "can_protect": authz.can(actor, Action.PERSON_PROTECT, person),
            "protection_history": selectors.protected_identity_history(person=person),
            "representatives": person.representatives.all(),
            "plans": plan_selectors.plans_for_person(actor=actor, person_id=person.pk),
            "can_initiate": authz.can(actor, Action.PLAN_INITIATE),
        },
    )


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    person = access.access_person(actor=actor, person_id=pk)
    authz.require(actor, Action.PERSON_EDIT, person)
    show_contact = authz.can(actor, Action.PERSON_VIEW_CONTACT, person)
    form = PersonForm(request.POST or None, instance=person, show_contact=show_contact)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.person_update(actor=actor, person=person, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Ändringarna är sparade."))
                return redirect(person)
        access.audit_invalid(
            actor=actor, action=AuditAction.PERSON_UPDATE, obj=person, fields=list(form.errors)
        )
        person.refresh_from_db()
    ctx = _form_ctx(
        form,
        _("Ändra uppgifter om %(name)s") % {"name": person.full_name},
        back=person.get_absolute_url(),
    )
    return render(request, "web/form.html", ctx, status=_st(form))


@login_required
def person_protect(request: HttpRequest, pk: int) -> HttpResponse:
    """Set or remove protected identity: a registrar, with a reason."""
    actor = _actor(request)
    person = access.access_person(actor=actor, person_id=pk)
    authz.require(actor, Action.PERSON_PROTECT, person)
    form = ProtectedIdentityForm(
        request.POST or None, initial={"protected": not person.protected_identity}
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.person_set_protected_identity(
                    actor=actor,
                    person=person,
                    protected=form.cleaned_data["protected"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Ändringen är registrerad."))
                return redirect(person)
        access.audit_invalid(
            actor=actor,
            action=AuditAction.PERSON_PROTECTED_IDENTITY,
            obj=person,
            fields=list(form.errors),
        )
        person.refresh_from_db()
    ctx = _form_ctx(
        form,
        _("Skyddade personuppgifter för %(name)s") % {"name": person.full_name},
        back=person.get_absolute_url(),
    )
    return render(request, "web/form.html", ctx, status=_st(form))


def _representative_for(actor: Actor, pk: int) -> Representative:
    rep = (
        Representative.objects.select_related("person")
        .filter(pk=pk, person__in=authz.visible_persons(actor))
        .first()
    )
    if rep is None:
        raise authz.refuse(actor, Action.REPRESENTATIVE_MANAGE)
    authz.require(actor, Action.REPRESENTATIVE_MANAGE, rep)
    return rep


@login_required
def representative_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    person = access.access_person(actor=actor, person_id=pk)
    authz.require(actor, Action.REPRESENTATIVE_MANAGE, person)
    form = RepresentativeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.representative_add(actor=actor, person=person, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Företrädaren är tillagd."))
                return redirect(person)
        access.audit_invalid(
            actor=actor, action=AuditAction.REPRESENTATIVE_ADD, obj=person, fields=list(form.errors)
        )
    ctx = _form_ctx(
        form,
        _("Ny företrädare för %(name)s") % {"name": person.full_name},
        back=person.get_absolute_url(),
    )
    return render(request, "web/form.html", ctx, status=_st(form))


@login_required
def representative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    rep = _representative_for(actor, pk)
    form = RepresentativeForm(request.POST or None, instance=rep)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.representative_update(actor=actor, representative=rep, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Ändringarna är sparade."))
                return redirect(rep.person)
        access.audit_invalid(
            actor=actor, action=AuditAction.REPRESENTATIVE_UPDATE, obj=rep, fields=list(form.errors)
        )
    ctx = _form_ctx(form, _("Ändra företrädare"), back=rep.person.get_absolute_url())
    return render(request, "web/form.html", ctx, status=_st(form))


@login_required
@require_POST
def representative_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    rep = _representative_for(actor, pk)
    person = rep.person
    if services.representative_remove(actor=actor, representative=rep) == "removed":
        messages.success(request, _("Företrädaren är borttagen."))
    else:
        messages.success(
            request,
            _(
                "Företrädaren har företrätt personen och finns kvar i historiken. "
                "Uppdraget är avslutat från i dag."
            ),
        )
    return redirect(person)


def _form_ctx(form: Any, title: str, back: str = "/") -> dict[str, Any]:
    return {"form": form, "title": title, "back": back}


def _st(form: Any) -> int:
    """Forms with errors answer 400, so that clients and tests see the refusal."""
    return 400 if form.is_bound and form.errors else 200
