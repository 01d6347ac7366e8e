"""Forms for meetings and invitations (and for an invitee's answer)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samplan.agreements.models import Weekday
from samplan.agreements.selectors import SipSlot
from samplan.directory.models import Organisation, Unit
from samplan.plans.models import Invitation, InvitationAnswer, Meeting, MeetingMode
from samplan.plans.services import ExternalInvitee
from samplan.web.plans.forms._common import (
    InvitationMultipleChoice,
    UnitChoice,
    UnitMultipleChoice,
    datetime_input,
    set_queryset,
    text_area,
    units_of,
)

MAX_EXTERNALS = 3


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
    """Calling a meeting: the units (a summons to the principals' units, an invitation to
    others), a fixed SIP time that suits every one of them or a time of one's own, and up to
    three external invitees (invited)."""

    units = UnitMultipleChoice(
        label=_("Enheter som kallas"),
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Enheter hos de organisationer som personens samtycke omfattar. Kommunens och "
            "regionens enheter får en kallelse och ska delta; andra får en inbjudan."
        ),
    )
    sip_slot = forms.ChoiceField(
        label=_("Fast SIP-tid"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Tider som alla valda enheter håller fria för SIP-möten. Välj en, eller ange en "
            "egen tid nedan."
        ),
    )
    field_order = ["units", "sip_slot", "starts_at", "ends_at"]

    def __init__(
        self,
        *args: Any,
        covered: Iterable[Organisation],
        slots: Sequence[SipSlot] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "units", units_of(covered))
        self.add_external_fields(MAX_EXTERNALS)
        self.slots = {slot.key: slot for slot in slots}
        field = self.fields["sip_slot"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", _("Ingen fast SIP-tid: jag anger tiden själv")),
            *((slot.key, slot_label(slot)) for slot in slots),
        ]
        # With a fixed SIP time chosen, the time comes from it.
        self.fields["starts_at"].required = False
        self.fields["ends_at"].required = False
        self.order_fields(self.field_order)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("sip_slot"):
            for name in ("starts_at", "ends_at"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Ange tiden, eller välj en fast SIP-tid."))
        return data

    def chosen_slot(self) -> SipSlot | None:
        return self.slots.get(self.cleaned_data.get("sip_slot") or "")


def slot_label(slot: SipSlot) -> str:
    start = timezone.localtime(slot.starts_at)
    return _("%(weekday)s %(date)s kl. %(start)s–%(end)s (%(organisation)s)") % {
        "weekday": Weekday(start.weekday()).label,
        "date": f"{start:%Y-%m-%d}",
        "start": f"{start:%H:%M}",
        "end": f"{timezone.localtime(slot.ends_at):%H:%M}",
        "organisation": slot.sip_time.organisation.name,
    }


class InvitationAddForm(ExternalInviteesMixin, forms.Form):
    unit = UnitChoice(
        label=_("Enhet"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label="–",
        help_text=_("Enheter hos de organisationer som personens samtycke omfattar."),
    )

    def __init__(self, *args: Any, covered: Iterable[Organisation], **kwargs: Any) -> None:
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
