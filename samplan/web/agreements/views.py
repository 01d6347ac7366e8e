"""The agreements register (list, detail, create, edit, contacts) and each organisation's SIP
leads and fixed SIP times. The register holds no personal data; what an actor sees of it, and
may change, is the policy's (section "Agreements"); refusals are 404s, audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from samplan.accounts.models import User
from samplan.agreements import selectors, services
from samplan.agreements.models import Agreement, AgreementContact, SipLead, SipTime
from samplan.authz import policy as authz
from samplan.authz.actor import Actor, request_actor
from samplan.authz.policy import Action
from samplan.core.forms import apply_errors
from samplan.directory.models import Organisation, OrganisationRoleKind, Unit
from samplan.plans.models import NeedGroup
from samplan.web.agreements.forms import (
    AgreementForm,
    ContactForm,
    SipLeadForm,
    SipTimeEndForm,
    SipTimeForm,
)


def _st(form: forms.BaseForm) -> int:
    return 400 if form.is_bound and form.errors else 200


def _agreement(actor: Actor, pk: int, action: Action = Action.AGREEMENT_VIEW) -> Agreement:
    """The agreement through the policy: missing and not visible are the same audited 404."""
    agreement = selectors.agreement_detail(actor=actor, agreement_id=pk)
    if agreement is None:
        raise authz.refuse(actor, action, Agreement.objects.filter(pk=pk).first())
    if action != Action.AGREEMENT_VIEW:
        authz.require(actor, action, agreement)
    return agreement


def _organisation(actor: Actor, pk: int, action: Action | None = None) -> Organisation:
    organisation = authz.visible_organisations(actor).filter(pk=pk).first()
    if organisation is None:
        raise authz.refuse(actor, action or Action.ORGANISATION_VIEW)
    if action is not None:
        authz.require(actor, action, organisation)
    return organisation


def _form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    title: str,
    back: str,
    call: Callable[[], Any],
    done: str,
    then: Callable[[Any], str],
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            result = call()
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(then(result))
    return render(
        request,
        "web/form.html",
        {"form": form, "title": title, "back": back},
        status=_st(form),
    )


def _target_group_labels(codes: list[str]) -> list[str]:
    return [str(NeedGroup(c).label) for c in codes if c in NeedGroup.values]


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    today = timezone.localdate()
    agreements = [
        {
            "agreement": a,
            "valid": a.is_valid_on(today),
            "target_groups": _target_group_labels(a.target_groups),
        }
        for a in selectors.agreements_visible(actor=actor)
    ]
    administered = actor.organisations_with_role(OrganisationRoleKind.ADMIN)
    principals = Organisation.objects.filter(
        Q(kind__in=["municipality", "region"]) | Q(pk__in=administered), is_active=True
    ).order_by("name")
    return render(
        request,
        "agreements/agreement_list.html",
        {
            "agreements": agreements,
            "can_create": actor.is_superuser or bool(administered),
            "organisations": principals,
        },
    )


@login_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    agreement = _agreement(actor, pk)
    return render(
        request,
        "agreements/agreement_detail.html",
        {
            "agreement": agreement,
            "valid": agreement.is_valid_on(timezone.localdate()),
            "target_groups": _target_group_labels(agreement.target_groups),
            "can_edit": authz.agreement_editable(actor, agreement),
            "open_disputes": agreement.disputes.filter(resolved_at__isnull=True).count(),
        },
    )


@login_required
def agreement_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not (actor.is_superuser or actor.organisations_with_role(OrganisationRoleKind.ADMIN)):
        raise authz.refuse(actor, Action.AGREEMENT_EDIT)
    form = AgreementForm(request.POST or None)
    return _form_page(
        request,
        form,
        title=_("Ny överenskommelse"),
        back=reverse("agreement_list"),
        call=lambda: services.agreement_create(actor=actor, fields=form.fields_value()),
        done=_("Överenskommelsen är registrerad."),
        then=lambda a: a.get_absolute_url(),
    )


@login_required
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    agreement = _agreement(actor, pk, Action.AGREEMENT_EDIT)
    form = AgreementForm(request.POST or None, initial=AgreementForm.initial_for(agreement))
    return _form_page(
        request,
        form,
        title=_("Ändra överenskommelsen"),
        back=agreement.get_absolute_url(),
        call=lambda: services.agreement_update(
            actor=actor, agreement=agreement, fields=form.fields_value()
        ),
        done=_("Överenskommelsen är ändrad."),
        then=lambda a: a.get_absolute_url(),
    )


@login_required
def agreement_contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    agreement = _agreement(actor, pk, Action.AGREEMENT_EDIT)
    form = ContactForm(request.POST or None, parties=agreement.parties.order_by("name"))
    return _form_page(
        request,
        form,
        title=_("Ny kontaktperson"),
        back=agreement.get_absolute_url(),
        call=lambda: services.agreement_contact_add(
            actor=actor,
            agreement=agreement,
            organisation=form.cleaned_data["organisation"],
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
        ),
        done=_("Kontaktpersonen är tillagd."),
        then=lambda c: agreement.get_absolute_url(),
    )


@login_required
@require_POST
def agreement_contact_remove(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    actor = request_actor(request)
    agreement = _agreement(actor, pk, Action.AGREEMENT_EDIT)
    contact = AgreementContact.objects.filter(agreement=agreement, pk=contact_pk).first()
    if contact is None:
        raise authz.refuse(actor, Action.AGREEMENT_EDIT, agreement)
    services.agreement_contact_remove(actor=actor, contact=contact)
    messages.success(request, _("Kontaktpersonen är borttagen."))
    return redirect(agreement.get_absolute_url())


# SIP leads and fixed SIP times ------------------------------------------------------------------


def _sip_url(organisation: Organisation) -> str:
    return reverse("sip_settings", args=[organisation.pk])


@login_required
def sip_settings(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    organisation = _organisation(actor, pk)
    today = timezone.localdate()
    times = [
        {"time": t, "valid": t.is_valid_on(today), "ended": t.valid_to is not None}
        for t in selectors.sip_times_of(organisation=organisation)
    ]
    return render(
        request,
        "agreements/sip_settings.html",
        {
            "organisation": organisation,
            "leads": selectors.sip_leads_of(organisation=organisation),
            "times": times,
            "can_manage": authz.can(actor, Action.SIP_SETTINGS_MANAGE, organisation),
        },
    )


@login_required
def sip_lead_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    organisation = _organisation(actor, pk, Action.SIP_SETTINGS_MANAGE)
    staff = (
        User.objects.filter(
            memberships__unit__organisation=organisation,
            memberships__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name")
    )
    form = SipLeadForm(request.POST or None, staff=staff)
    return _form_page(
        request,
        form,
        title=_("Ny SIP-ansvarig"),
        back=_sip_url(organisation),
        call=lambda: services.sip_lead_add(
            actor=actor, organisation=organisation, user=form.cleaned_data["user"]
        ),
        done=_("SIP-ansvarig är tillagd."),
        then=lambda _lead: _sip_url(organisation),
    )


@login_required
@require_POST
def sip_lead_remove(request: HttpRequest, pk: int, lead_pk: int) -> HttpResponse:
    actor = request_actor(request)
    organisation = _organisation(actor, pk, Action.SIP_SETTINGS_MANAGE)
    lead = SipLead.objects.filter(organisation=organisation, pk=lead_pk).first()
    if lead is None:
        raise authz.refuse(actor, Action.SIP_SETTINGS_MANAGE, organisation)
    services.sip_lead_remove(actor=actor, lead=lead)
    messages.success(request, _("SIP-ansvarig är borttagen."))
    return redirect(_sip_url(organisation))


def _keepable_units(organisation: Organisation) -> Any:
    partners = services.partner_ids(organisation, timezone.localdate())
    return (
        Unit.objects.filter(organisation__in=partners, is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )


@login_required
def sip_time_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    organisation = _organisation(actor, pk, Action.SIP_SETTINGS_MANAGE)
    form = SipTimeForm(request.POST or None, units=_keepable_units(organisation))

    def call() -> SipTime:
        d = form.cleaned_data
        if d["weekday"] in (None, ""):
            raise ValidationError({"weekday": [_("Välj en veckodag.")]})
        return services.sip_time_add(
            actor=actor,
            organisation=organisation,
            weekday=d["weekday"],
            start=d["start"],
            end=d["end"],
            units=d["units"],
            valid_from=d["valid_from"],
            valid_to=d["valid_to"],
        )

    return _form_page(
        request,
        form,
        title=_("Ny fast SIP-tid"),
        back=_sip_url(organisation),
        call=call,
        done=_("Den fasta SIP-tiden är publicerad."),
        then=lambda _t: _sip_url(organisation),
    )


@login_required
def sip_time_end(request: HttpRequest, pk: int, time_pk: int) -> HttpResponse:
    actor = request_actor(request)
    organisation = _organisation(actor, pk, Action.SIP_SETTINGS_MANAGE)
    sip_time = SipTime.objects.filter(organisation=organisation, pk=time_pk).first()
    if sip_time is None:
        raise authz.refuse(actor, Action.SIP_SETTINGS_MANAGE, organisation)
    form = SipTimeEndForm(request.POST or None, initial={"valid_to": timezone.localdate()})
    return _form_page(
        request,
        form,
        title=_("Avsluta den fasta SIP-tiden %(time)s") % {"time": sip_time},
        back=_sip_url(organisation),
        call=lambda: services.sip_time_end(
            actor=actor, sip_time=sip_time, valid_to=form.cleaned_data["valid_to"]
        ),
        done=_("Den fasta SIP-tiden är avslutad."),
        then=lambda _t: _sip_url(organisation),
    )
