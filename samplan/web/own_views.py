"""The person's own pages: his or her plans in plain words, and for a representative what the
person allows; and what the person decides (issue 11): ask for a SIP, give, narrow and revoke
consent, choose which next of kin may see the plan, approve a version, ask for the plan to
end, take a meeting into the calendar. A guardian does these for a child.

Forms parse; the access helpers (samplan/authz/access/own.py) reach the plan and audit the
read; the services (samplan/consent/services.py, samplan/directory/services.py,
samplan/plans/services/own.py) decide and write. Bad input is shown next to its field,
answered 400 and audited by field name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import request_actor
from samplan.authz.policy import Action
from samplan.consent import services as consent_services
from samplan.consent.coverage import active_consent
from samplan.consent.models import ConsentDecision, InformationKind
from samplan.core.forms import apply_errors
from samplan.directory import services as directory_services
from samplan.directory.models import Organisation
from samplan.notify.ics import meeting_calendar
from samplan.plans.models import Plan
from samplan.plans.services import own as own_services
from samplan.web.documents import document_links
from samplan.web.plans.page import EVENT_LABELS

_actor = request_actor


@login_required
def my_plans(request: HttpRequest) -> HttpResponse:
    accessed = access.access_own_plans(actor=_actor(request))  # audited: one event per plan
    return render(request, "web/my_plans.html", {"plans": [a.plan for a in accessed]})


@login_required
def my_plan(request: HttpRequest, pk: int) -> HttpResponse:
    page = access.access_own_plan_page(actor=_actor(request), plan_id=pk)  # audited, or 404
    plan = page.plan
    return render(
        request,
        "web/my_plan.html",
        {
            "page": page,
            "plan": plan,
            "version": page.version,
            "content": page.version.content if page.version else None,
            "meetings": page.meetings,
            "representative": page.representative,
            "excluded_kinds": [
                label
                for value, label in InformationKind.choices
                if page.consent is not None and value not in page.consent.information_kinds
            ],
            "events": [
                {"event": e, "label": EVENT_LABELS.get(e.kind, e.kind)} for e in page.events
            ],
            "documents": document_links(
                access.own_document_options(plan=plan), url_name="my_plan_document", pk=plan.pk
            ),
        },
    )


@login_required
def my_meeting_calendar(request: HttpRequest, pk: int, meeting_id: int) -> HttpResponse:
    """An upcoming meeting as a calendar file (.ics) for the person's own calendar."""
    plan, meeting = access.access_own_meeting_calendar(
        actor=_actor(request), plan_id=pk, meeting_id=meeting_id
    )
    person = plan.person
    organiser = meeting.organiser
    ics = meeting_calendar(
        uid=meeting.uid,
        sequence=meeting.sequence,
        start=meeting.starts_at,
        end=meeting.ends_at,
        summary=_("SIP-möte"),
        location=meeting.location,
        description=meeting.agenda,
        organizer_email=organiser.email or settings.DEFAULT_FROM_EMAIL,
        organizer_name=organiser.display_name,
        attendees=[(person.email, person.full_name)] if person.email else [],
        method="REQUEST",
        video_url=meeting.safe_video_url,
    )
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sip-mote-{meeting.pk}.ics"'
    return response


# The decision pages -----------------------------------------------------------------------------


class _Ids(forms.TypedMultipleChoiceField):
    """Ids from checkboxes: any whole number passes here; the service says whether it is one
    the person may choose, next to the field."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isascii() and str(value).isdigit()


class ConsentOwnForm(forms.Form):
    organisations = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Vilka får ta del av planen"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("Organisationerna som deltar i din plan."),
    )
    excluded_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Det här får samtycket inte omfatta"),
        choices=InformationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("Kryssa i det som de andra inte ska få veta genom planen."),
    )
    note = forms.CharField(
        label=gettext_lazy("Något du vill tillägga (frivilligt)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisations"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        # Every organisation passes the form; the service refuses one outside the plan.
        field.queryset = Organisation.objects.all()
        field.widget.choices = [(o.pk, o.name) for o in organisations]


class RevokeOwnForm(forms.Form):
    consent = forms.IntegerField(
        label=gettext_lazy("Samtycket du tar tillbaka"), widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=gettext_lazy("Varför (frivilligt)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent"].widget.choices = choices


class RepresentativesOwnForm(forms.Form):
    may_see_plan = _Ids(
        label=gettext_lazy("Får se planen"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    may_see_meetings = _Ids(
        label=gettext_lazy("Får se möten och kallelser"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("may_see_plan", "may_see_meetings"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices


class ApproveOwnForm(forms.Form):
    version = forms.IntegerField(
        label=gettext_lazy("Versionen du godkänner"), widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].widget.choices = choices


class NoteOwnForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Varför (frivilligt)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
    )


class SipRequestForm(forms.Form):
    person = forms.IntegerField(label=gettext_lazy("Vem gäller det"), widget=forms.RadioSelect)
    unit = forms.IntegerField(
        label=gettext_lazy("Vilken verksamhet vill du fråga"),
        widget=forms.Select,
        help_text=gettext_lazy("Kommunens eller regionens verksamheter, ordnade efter huvudman."),
    )
    note = forms.CharField(
        label=gettext_lazy("Vad du behöver hjälp med (frivilligt)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
    )

    def __init__(
        self,
        *args: Any,
        persons: list[tuple[int, str]],
        units: list[tuple[str, list[tuple[int, str]]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].widget.choices = persons
        self.fields["unit"].widget.choices = [("", _("Välj verksamhet")), *units]
        if len(persons) == 1 and not self.is_bound:
            self.initial["person"] = persons[0][0]


def _decision_page(
    request: HttpRequest,
    pk: int,
    *,
    action: Action,
    make_form: Callable[[Plan], forms.Form],
    call: Callable[[Plan, dict[str, Any]], object],
    title: str,
    done: str,
    submit: str,
    intro: str = "",
) -> HttpResponse:
    """GET shows the decision's form; POST hands it to the service and goes back to the plan.
    Bad input comes back next to its field (400), changes nothing, and is audited."""
    actor = _actor(request)
    sent = request.method == "POST"
    plan = access.access_own_decision(actor=actor, plan_id=pk, action=action, shown=not sent)
    form = make_form(plan)
    if sent:
        if form.is_valid():
            try:
                call(plan, form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect("my_plan", pk=plan.pk)
        access.audit_invalid(actor=actor, action=action, fields=list(form.errors), obj=plan)
    return render(
        request,
        "web/my_form.html",
        {
            "plan": plan,
            "form": form,
            "title": title,
            "intro": intro,
            "submit": submit,
            "back": plan.pk,
        },
        status=400 if form.errors else 200,
    )


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@login_required
def my_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Give or narrow the consent: to which organisations, and what it must not cover."""

    def make_form(plan: Plan) -> forms.Form:
        page_orgs = consent_services.own_consent_organisations(plan)
        current = active_consent(plan)
        initial: dict[str, Any] = {}
        if current is not None:
            initial = {
                "organisations": [o.pk for o in current.organisations.all()],
                "excluded_kinds": [
                    k for k in InformationKind.values if k not in current.information_kinds
                ],
            }
        return ConsentOwnForm(_data(request), organisations=page_orgs, initial=initial)

    return _decision_page(
        request,
        pk,
        action=Action.OWN_CONSENT_DECIDE,
        make_form=make_form,
        call=lambda plan, d: consent_services.consent_decide_own(
            actor=_actor(request),
            plan=plan,
            organisations=d["organisations"],
            excluded_kinds=d["excluded_kinds"],
            note=d["note"],
        ),
        title=_("Ditt samtycke"),
        intro=_(
            "Du bestämmer vilka som får ta del av din plan och vad de inte får veta. Det du "
            "ändrar gäller direkt. Du kan ta tillbaka samtycket när du vill."
        ),
        done=_("Ditt samtycke är sparat. Det gäller från och med nu."),
        submit=_("Spara mitt samtycke"),
    )


@login_required
def my_consent_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    def make_form(plan: Plan) -> forms.Form:
        # The newest consent given, active or not: a form sent again after the revocation
        # shows its message next to the same choice.
        latest = (
            plan.consents.filter(decision=ConsentDecision.GIVEN)
            .prefetch_related("organisations")
            .order_by("-recorded_at", "-pk")
            .first()
        )
        choices = []
        if latest is not None:
            names = ", ".join(o.name for o in latest.organisations.all())
            choices = [
                (
                    latest.pk,
                    _("Samtycket från %(date)s till %(names)s")
                    % {"date": latest.given_at.date().isoformat(), "names": names},
                )
            ]
        return RevokeOwnForm(_data(request), choices=choices)

    return _decision_page(
        request,
        pk,
        action=Action.OWN_CONSENT_DECIDE,
        make_form=make_form,
        call=lambda plan, d: consent_services.consent_revoke_own(
            actor=_actor(request), plan=plan, consent_id=d["consent"], note=d["note"]
        ),
        title=_("Ta tillbaka ditt samtycke"),
        intro=_(
            "När du tar tillbaka samtycket får de andra organisationerna genast inte längre se "
            "planen. Planen blir vilande och möten som inte har hållits ställs in."
        ),
        done=_("Du har tagit tillbaka ditt samtycke. Planen är vilande."),
        submit=_("Ta tillbaka samtycket"),
    )


@login_required
def my_representatives(request: HttpRequest, pk: int) -> HttpResponse:
    def make_form(plan: Plan) -> forms.Form:
        reps = list(plan.person.representatives.order_by("kind", "name"))
        choices = [(r.pk, f"{r.name} ({r.get_kind_display()})") for r in reps]
        initial = {
            "may_see_plan": [r.pk for r in reps if r.may_see_plan],
            "may_see_meetings": [r.pk for r in reps if r.may_see_meetings],
        }
        return RepresentativesOwnForm(_data(request), choices=choices, initial=initial)

    return _decision_page(
        request,
        pk,
        action=Action.OWN_REPRESENTATIVES_CHOOSE,
        make_form=make_form,
        call=lambda plan, d: directory_services.representatives_choose_own(
            actor=_actor(request),
            plan=plan,
            may_see_plan=d["may_see_plan"],
            may_see_meetings=d["may_see_meetings"],
        ),
        title=_("Vilka närstående får se planen"),
        intro=_("Den som inte är vald ser inget av planen."),
        done=_("Ditt val är sparat."),
        submit=_("Spara"),
    )


@login_required
def my_version_approve(request: HttpRequest, pk: int) -> HttpResponse:
    def make_form(plan: Plan) -> forms.Form:
        newest = plan.versions.order_by("-number").first()
        choices = []
        if newest is not None and newest.approved_at is None:
            choices = [
                (
                    newest.pk,
                    _("Version %(n)s, upprättad %(date)s")
                    % {"n": newest.number, "date": newest.established_at.date().isoformat()},
                )
            ]
        return ApproveOwnForm(_data(request), choices=choices)

    return _decision_page(
        request,
        pk,
        action=Action.OWN_VERSION_APPROVE,
        make_form=make_form,
        call=lambda plan, d: own_services.version_approve_own(
            actor=_actor(request), plan=plan, version_id=d["version"]
        ),
        title=_("Godkänn planen"),
        intro=_(
            "Läs planen först. Godkänner du den, syns det på planen att du har godkänt just "
            "den här versionen."
        ),
        done=_("Du har godkänt planen."),
        submit=_("Jag godkänner planen"),
    )


@login_required
def my_plan_end(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_page(
        request,
        pk,
        action=Action.OWN_PLAN_END_REQUEST,
        make_form=lambda plan: NoteOwnForm(_data(request)),
        call=lambda plan, d: own_services.plan_request_end_own(
            actor=_actor(request), plan=plan, note=d["note"]
        ),
        title=_("Be om att planen avslutas"),
        intro=_(
            "Du kan avsluta din SIP när du vill. Din samordnare får ditt besked och avslutar "
            "planen."
        ),
        done=_("Din samordnare har fått beskedet att du vill avsluta planen."),
        submit=_("Skicka"),
    )


@login_required
def my_sip_request(request: HttpRequest) -> HttpResponse:
    """Ask a unit of the municipality or the region for a SIP, for oneself or for someone
    one represents."""
    actor = _actor(request)
    persons = access.access_own_request_persons(actor=actor)  # represented persons audited
    units = own_services.sip_request_units()
    grouped: dict[str, list[tuple[int, str]]] = {}
    for unit in units:
        grouped.setdefault(unit.organisation.name, []).append((unit.pk, unit.name))
    form = SipRequestForm(
        _data(request),
        persons=[(p.pk, p.full_name) for p in persons],
        units=list(grouped.items()),
    )
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            person = next((p for p in persons if p.pk == d["person"]), None)
            try:
                if person is None:
                    raise ValidationError({"person": [_("Välj vem begäran gäller.")]})
                own_services.sip_request_own(
                    actor=actor, person=person, unit_id=d["unit"], note=d["note"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Din begäran är skickad. Verksamheten hör av sig till dig."),
                )
                return redirect("my_plans")
        access.audit_invalid(actor=actor, action=Action.OWN_SIP_REQUEST, fields=list(form.errors))
    return render(
        request,
        "web/my_form.html",
        {
            "form": form,
            "title": _("Be om en samordnad individuell plan (SIP)"),
            "intro": _(
                "Behöver du stöd från både kommunen och regionen kan du be om en SIP. Välj "
                "vilken verksamhet du vill fråga. Ingen plan görs utan ditt samtycke."
            ),
            "submit": _("Skicka begäran"),
            "back": None,
        },
        status=400 if form.errors else 200,
    )


# The coordinator's setting ------------------------------------------------------------------------


class ChildViewForm(forms.Form):
    on = forms.BooleanField(label=gettext_lazy("Barnet får se planen själv"), required=False)


@login_required
def plan_child_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The coordinator lets a child see the plan with his or her own login (or stops it)."""
    actor = _actor(request)
    plan = access.access_plan(actor=actor, plan_id=pk, purpose="edit").plan
    authz.require(actor, Action.PLAN_EDIT, plan)  # the coordinator and the lead organisation
    form = ChildViewForm(_data(request), initial={"on": plan.child_own_view})
    if request.method == "POST" and form.is_valid():
        own_services.plan_set_child_own_view(actor=actor, plan=plan, on=form.cleaned_data["on"])
        messages.success(request, _("Inställningen är sparad."))
        return redirect(plan)
    if request.method != "POST":
        access.audit_plan_read(actor=actor, plan=plan)
    return render(
        request,
        "web/my_form.html",
        {
            "form": form,
            "title": _("Barnets egen vy"),
            "intro": _(
                "Ett barn under 18 år ser planen med egen inloggning bara om du tillåter det, "
                "efter barnets ålder och mognad. Vårdnadshavarna ser planen och företräder "
                "barnet."
            ),
            "submit": _("Spara"),
            "back_url": plan.get_absolute_url(),
        },
    )
