"""Forms for the plan pages. They parse input; the services decide and write.

Fields that a service checks (a reason, a decision, an answer) are optional here, so that the
service's own message, which says what to do, appears next to the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samplan.accounts.models import User
from samplan.consent.models import ConsentDecision, ConsentMethod, InformationKind
from samplan.directory.models import PRINCIPAL_KINDS, Organisation, Person, Representative, Unit
from samplan.plans.models import (
    Attainment,
    ClosureReason,
    DeviationKind,
    DeviationStatus,
    Goal,
    InitiatedBy,
    InitiativeReason,
    InterventionStatus,
    Invitation,
    InvitationAnswer,
    Meeting,
    MeetingMode,
    NeedGroup,
    NeedKind,
    Plan,
    PlanType,
)
from samplan.plans.services import ExternalInvitee

MAX_EXTERNALS = 3


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def datetime_input() -> forms.DateTimeInput:
    # A browser's datetime-local value has no zone: the form reads it in the current time zone
    # (Europe/Stockholm), which is what the user means.
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def text_area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}, {obj.organisation.name}"


class UnitMultipleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}, {obj.organisation.name}"


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class InvitationMultipleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.invitee_name)


def set_queryset(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


def units_of(organisations: Any) -> QuerySet[Unit]:
    return (
        Unit.objects.filter(organisation__in=organisations, is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )


def participating_units(plan: Plan) -> QuerySet[Unit]:
    return (
        Unit.objects.filter(participations__plan=plan, participations__left_at__isnull=True)
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )


class ItemForm(forms.Form):
    """A form on the plan page: field ids carry a prefix so that several fit on one page."""

    id_prefix = "item"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class RevisionForm(ItemForm):
    """Carries the plan's revision when the form was opened, so a stale form is refused."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)


# Initiative and consent ----------------------------------------------------------------------


class PlanInitiateForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        label=_("Skäl till initiativet"),
        choices=InitiativeReason.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    need_groups = forms.MultipleChoiceField(
        label=_("Målgrupp där behov av SIP ska förmodas"),
        choices=NeedGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Frivilligt."),
    )
    initiated_by = forms.ChoiceField(
        label=_("Vem tog initiativet?"),
        choices=InitiatedBy.choices,
        initial=InitiatedBy.STAFF,
        widget=forms.RadioSelect,
    )
    on_behalf_of = forms.ModelChoiceField(
        label=_("Närstående eller företrädare"),
        queryset=Representative.objects.none(),
        required=False,
        empty_label="–",
        help_text=_("När en närstående eller företrädare tog initiativet."),
    )
    initiated_on = forms.DateField(label=_("Initiativdatum"), required=False, widget=date_input())
    note = forms.CharField(
        label=_("Beskrivning av behovet av samordning"), required=False, widget=text_area(4)
    )
    plan_type = forms.ChoiceField(
        label=_("Typ av plan"), choices=PlanType.choices, initial=PlanType.SIP
    )
    lss_decision_date = forms.DateField(
        label=_("Datum för LSS-beslut"),
        required=False,
        widget=date_input(),
        help_text=_("För individuell plan enligt LSS."),
    )
    existing_plan_reference = forms.CharField(
        label=_("Befintlig plan som kompletteras"),
        max_length=200,
        required=False,
        help_text=_("För habiliterings- eller rehabiliteringsplan som kompletteras med SIP."),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "on_behalf_of", person.representatives.all())
        self.fields["initiated_on"].initial = timezone.localdate()


class ConsentForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Personens beslut"),
        choices=ConsentDecision.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    method = forms.ChoiceField(
        label=_("Hur lämnades beslutet?"),
        choices=ConsentMethod.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisationer som samtycket gäller"),
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    information_kinds = forms.MultipleChoiceField(
        label=_("Uppgifter som samtycket gäller"),
        choices=InformationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    given_at = forms.DateTimeField(
        label=_("När lämnades beslutet?"),
        required=False,
        widget=datetime_input(),
        help_text=_("Lämna tomt för just nu."),
    )
    representative = forms.ModelChoiceField(
        label=_("Lämnat av"),
        queryset=Representative.objects.none(),
        required=False,
        empty_label=_("Personen själv"),
        help_text=_("Vårdnadshavare eller förvaltare som har rätt att företräda personen."),
    )
    note = forms.CharField(label=_("Kommentar"), required=False, widget=text_area())

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "representative", person.representatives.filter(may_act_for_person=True))


class NoteForm(forms.Form):
    """A confirmation with an optional comment (revoke consent, cancel a meeting, revise)."""

    note = forms.CharField(label=_("Kommentar"), required=False, widget=text_area())

    def __init__(self, *args: Any, label: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["note"].label = label


# Meetings and invitations --------------------------------------------------------------------


class MeetingForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Börjar"), widget=datetime_input())
    ends_at = forms.DateTimeField(label=_("Slutar"), widget=datetime_input())
    mode = forms.ChoiceField(
        label=_("Form"), choices=MeetingMode.choices, widget=forms.RadioSelect, required=False
    )
    location = forms.CharField(
        label=_("Plats"), max_length=200, required=False, help_text=_("För fysiskt möte.")
    )
    video_url = forms.URLField(
        label=_("Länk till videomötet"),
        required=False,
        assume_scheme="https",
        help_text=_("För digitalt möte."),
    )
    agenda = forms.CharField(label=_("Syfte och dagordning"), required=False, widget=text_area())

    def __init__(self, *args: Any, meeting: Meeting | None = None, **kwargs: Any) -> None:
        if meeting is not None:
            kwargs.setdefault(
                "initial",
                {
                    "starts_at": timezone.localtime(meeting.starts_at),
                    "ends_at": timezone.localtime(meeting.ends_at),
                    "mode": meeting.mode,
                    "location": meeting.location,
                    "video_url": meeting.video_url,
                    "agenda": meeting.agenda,
                },
            )
        super().__init__(*args, **kwargs)


class ExternalInviteesMixin(forms.Form):
    """Up to three invitees without an account: name, e-mail and organisation each."""

    def add_external_fields(self, count: int) -> None:
        for i in range(1, count + 1):
            self.fields[f"ext{i}_name"] = forms.CharField(
                label=_("Extern deltagare %(n)s: namn") % {"n": i}, max_length=200, required=False
            )
            self.fields[f"ext{i}_email"] = forms.EmailField(
                label=_("Extern deltagare %(n)s: e-post") % {"n": i}, required=False
            )
            self.fields[f"ext{i}_organisation"] = forms.CharField(
                label=_("Extern deltagare %(n)s: organisation") % {"n": i},
                max_length=200,
                required=False,
                help_text=_("T.ex. skola, Försäkringskassan, Arbetsförmedlingen."),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(1, MAX_EXTERNALS + 1):
            name = str(data.get(f"ext{i}_name") or "").strip()
            email = str(data.get(f"ext{i}_email") or "").strip()
            org = str(data.get(f"ext{i}_organisation") or "").strip()
            if f"ext{i}_email" in self.errors:
                continue
            if (email or org) and not name:
                self.add_error(f"ext{i}_name", _("Ange namnet på den som bjuds in."))
            if (name or org) and not email:
                self.add_error(f"ext{i}_email", _("Ange en e-postadress för kallelsen."))
        return data

    def externals(self) -> list[ExternalInvitee]:
        data = self.cleaned_data
        return [
            ExternalInvitee(
                name=data[f"ext{i}_name"],
                email=data[f"ext{i}_email"],
                organisation=data[f"ext{i}_organisation"],
            )
            for i in range(1, MAX_EXTERNALS + 1)
            if data.get(f"ext{i}_name")
        ]


class MeetingScheduleForm(ExternalInviteesMixin, MeetingForm):
    units = UnitMultipleChoice(
        label=_("Enheter som kallas"),
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Enheter hos de organisationer som personens samtycke omfattar."),
    )

    def __init__(self, *args: Any, covered: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "units", units_of(covered))
        self.add_external_fields(MAX_EXTERNALS)


class InvitationAddForm(ExternalInviteesMixin, forms.Form):
    unit = UnitChoice(
        label=_("Enhet"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label="–",
        help_text=_("Enheter hos de organisationer som personens samtycke omfattar."),
    )

    def __init__(self, *args: Any, covered: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "unit", units_of(covered))
        self.add_external_fields(1)


class MeetingHeldForm(forms.Form):
    attended = InvitationMultipleChoice(
        label=_("Vilka deltog?"),
        queryset=Invitation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    held_at = forms.DateTimeField(
        label=_("När hölls mötet?"),
        required=False,
        widget=datetime_input(),
        help_text=_("Lämna tomt för just nu."),
    )
    minutes = forms.CharField(label=_("Anteckningar"), required=False, widget=text_area(6))

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "attended", meeting.invitations.select_related("unit__organisation"))


class InvitationAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Svar"),
        choices=[
            (InvitationAnswer.ACCEPTED, _("Vi kommer")),
            (InvitationAnswer.DECLINED, _("Vi kan inte komma")),
            (InvitationAnswer.REPRESENTED, _("Vi företräds av någon annan")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    decline_reason = forms.CharField(
        label=_("Skäl till att ni inte kan komma"), required=False, widget=text_area(2)
    )
    represented_by = forms.CharField(
        label=_("Vem företräder er?"),
        max_length=200,
        required=False,
        help_text=_("Namn och roll."),
    )


# The draft -----------------------------------------------------------------------------------


class PlanDetailsForm(RevisionForm):
    id_prefix = "details"

    title = forms.CharField(label=_("Rubrik"), max_length=200, required=False)
    lead_organisation = forms.ModelChoiceField(
        label=_("Huvudansvarig huvudman"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="–",
    )
    coordinator = UserChoice(
        label=_("Samordnare"),
        queryset=User.objects.none(),
        required=False,
        empty_label="–",
        help_text=_("Personal i en deltagande enhet hos kommunen eller regionen."),
    )
    coordinator_unit = UnitChoice(
        label=_("Samordnarens enhet"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label="–",
        help_text=_("Lämna tomt så väljs samordnarens deltagande enhet."),
    )
    coordinator_phone = forms.CharField(
        label=_("Samordnarens telefon"), max_length=40, required=False
    )
    coordinator_email = forms.EmailField(label=_("Samordnarens e-post"), required=False)
    time_plan = forms.CharField(
        label=_("Tidsplan för samordningen"), required=False, widget=text_area(4)
    )
    evaluation_plan = forms.CharField(
        label=_("Vad som följs upp och utvärderas, och när"), required=False, widget=text_area(4)
    )
    existing_plan_reference = forms.CharField(
        label=_("Befintlig plan som kompletteras"), max_length=200, required=False
    )
    lss_decision_date = forms.DateField(
        label=_("Datum för LSS-beslut"), required=False, widget=date_input()
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "revision": plan.revision,
                "title": plan.title,
                "lead_organisation": plan.lead_organisation_id,
                "coordinator": plan.coordinator_id,
                "coordinator_unit": plan.coordinator_unit_id,
                "coordinator_phone": plan.coordinator_phone,
                "coordinator_email": plan.coordinator_email,
                "time_plan": plan.time_plan,
                "evaluation_plan": plan.evaluation_plan,
                "existing_plan_reference": plan.existing_plan_reference,
                "lss_decision_date": plan.lss_decision_date,
            },
        )
        super().__init__(*args, **kwargs)
        units = participating_units(plan)
        set_queryset(
            self,
            "lead_organisation",
            Organisation.objects.filter(is_active=True, kind__in=PRINCIPAL_KINDS).order_by("name"),
        )
        set_queryset(
            self,
            "coordinator",
            User.objects.filter(
                is_active=True, memberships__is_active=True, memberships__unit__in=units
            )
            .distinct()
            .order_by("first_name", "last_name"),
        )
        set_queryset(self, "coordinator_unit", units)
        if plan.plan_type != PlanType.LSS_IP and not plan.lss_decision_date:
            del self.fields["lss_decision_date"]
        if plan.plan_type not in (PlanType.HABILITATION, PlanType.REHABILITATION) and not (
            plan.existing_plan_reference
        ):
            del self.fields["existing_plan_reference"]

    def service_fields(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "revision"}
        # Blank contact details for a coordinator: the service fills in the coordinator's own.
        if data.get("coordinator") is not None:
            for name in ("coordinator_phone", "coordinator_email"):
                if not data.get(name):
                    data.pop(name, None)
        return data


class NeedForm(RevisionForm):
    id_prefix = "need"

    kind = forms.ChoiceField(label=_("Typ"), choices=NeedKind.choices, initial=NeedKind.NEED)
    description = forms.CharField(label=_("Beskrivning"), widget=text_area())
    icf_code = forms.CharField(
        label=_("ICF-kod"),
        max_length=20,
        required=False,
        help_text=_("Frivilligt, t.ex. d450."),
    )


class GoalForm(RevisionForm):
    id_prefix = "goal"

    person_words = forms.CharField(
        label=_("Målet med personens egna ord"), required=False, widget=text_area(2)
    )
    shared_goal = forms.CharField(label=_("Gemensamt mål"), widget=text_area(2))
    target_date = forms.DateField(label=_("Ska vara nått"), required=False, widget=date_input())


class InterventionForm(RevisionForm):
    id_prefix = "intervention"

    description = forms.CharField(label=_("Insats"), required=False, widget=text_area(2))
    responsible_organisation = forms.ModelChoiceField(
        label=_("Ansvarig organisation"),
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="–",
    )
    responsible_unit = UnitChoice(
        label=_("Ansvarig enhet"),
        queryset=Unit.objects.filter(is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "name"),
        required=False,
        empty_label="–",
    )
    responsible_staff = UserChoice(
        label=_("Ansvarig personal"), queryset=User.objects.none(), required=False, empty_label="–"
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=InterventionStatus.choices,
        initial=InterventionStatus.PLANNED,
        widget=forms.RadioSelect,
        required=False,
    )
    start_date = forms.DateField(label=_("Start"), required=False, widget=date_input())
    end_date = forms.DateField(label=_("Slut"), required=False, widget=date_input())
    goal = forms.ModelChoiceField(
        label=_("Mål som insatsen ska leda till"),
        queryset=Goal.objects.none(),
        required=False,
        empty_label="–",
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "goal", plan.goals.all())
        set_queryset(
            self,
            "responsible_staff",
            User.objects.filter(
                is_active=True,
                memberships__is_active=True,
                memberships__unit__participations__plan=plan,
            )
            .distinct()
            .order_by("first_name", "last_name"),
        )

    def service_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "revision"}


# Follow-ups, deviations and closure -----------------------------------------------------------


class FollowUpScheduleForm(forms.Form):
    due_date = forms.DateField(label=_("Datum"), widget=date_input())
    what = forms.CharField(label=_("Vad som följs upp"), max_length=300, required=False)


class FollowUpRecordForm(forms.Form):
    result = forms.CharField(label=_("Resultat"), required=False, widget=text_area(4))
    attainment = forms.ChoiceField(
        label=_("Måluppfyllelse, sammantaget"),
        choices=Attainment.choices,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args: Any, goals: list[Goal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goal_fields: list[tuple[str, Goal]] = []
        for goal in goals:
            name = f"goal_{goal.pk}"
            self.fields[name] = forms.ChoiceField(
                label=_("Mål: %(goal)s") % {"goal": goal.shared_goal},
                choices=[("", "–"), *Attainment.choices],
                required=False,
            )
            self.goal_fields.append((name, goal))

    def goal_attainments(self) -> dict[int, str]:
        return {
            goal.pk: self.cleaned_data[name]
            for name, goal in self.goal_fields
            if self.cleaned_data.get(name)
        }


class DeviationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Typ av avvikelse"), choices=DeviationKind.choices)
    description = forms.CharField(label=_("Beskrivning"), widget=text_area(4))
    addressed_to = forms.ModelChoiceField(
        label=_("Till organisation"), queryset=Organisation.objects.none(), empty_label="–"
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(
            self,
            "addressed_to",
            Organisation.objects.filter(units__participations__plan=plan)
            .distinct()
            .order_by("name"),
        )


class DeviationStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=DeviationStatus.choices, widget=forms.RadioSelect
    )
    resolution = forms.CharField(
        label=_("Åtgärd"),
        required=False,
        widget=text_area(3),
        help_text=_("Hur avvikelsen har hanterats."),
    )


class PlanCloseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Skäl för avslut"),
        choices=[c for c in ClosureReason.choices if c[0] != ClosureReason.CONSENT_REFUSED],
        widget=forms.RadioSelect,
        required=False,
    )
    note = forms.CharField(label=_("Kommentar"), required=False, widget=text_area())
