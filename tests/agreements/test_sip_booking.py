"""Booking a meeting on a fixed SIP time, and a summons (kallelse) to the principals versus an
invitation (inbjudan) to others: in the invitation rows, the mail and the calendar object."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from samplan.agreements.selectors import sip_slot_get, sip_slots_for_units
from samplan.notify.models import OutboundMail
from samplan.plans import services
from samplan.plans.links import make_token
from samplan.plans.models import Invitation, InvitationKind, Meeting, MeetingMode
from tests.agreements.conftest import actor, ove_plan, unit

pytestmark = pytest.mark.django_db

PSYCHIATRY, ADDICTION = "Öppenpsykiatri Sjöstad", "Beroendevård Sjöstad"


def test_the_slots_are_the_next_tuesdays_kept_by_every_invited_unit() -> None:
    now = timezone.make_aware(datetime(2026, 12, 1, 10, 0))  # a Tuesday, during the time
    slots = sip_slots_for_units(units=[unit(PSYCHIATRY), unit(ADDICTION)], now=now)
    assert [timezone.localtime(s.starts_at).strftime("%Y-%m-%d %H:%M") for s in slots] == [
        "2026-12-08 09:00",
        "2026-12-15 09:00",
        "2026-12-22 09:00",
        "2026-12-29 09:00",
    ]
    assert all(timezone.localtime(s.ends_at).hour == 12 for s in slots)
    # Thursdays in Strandvik are kept by psychiatry too, but not by addiction care.
    assert len(sip_slots_for_units(units=[unit(PSYCHIATRY)], now=now)) == 8
    # A unit that keeps no SIP time: no slot suits every invited unit.
    assert sip_slots_for_units(units=[unit(PSYCHIATRY), unit("Vårdcentral Ekbacka")]) == []
    assert sip_slots_for_units(units=[]) == []


def schedule(**kw: object) -> Meeting:
    slot = sip_slots_for_units(units=[unit(PSYCHIATRY), unit(ADDICTION)])[0]
    args: dict[str, object] = {
        "actor": actor("karin.holm"),
        "plan": ove_plan(),
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "mode": MeetingMode.DIGITAL,
        "video_url": "https://video.example/sip",
        "units": [unit(PSYCHIATRY), unit(ADDICTION)],
        "externals": [
            services.ExternalInvitee(
                name="Fia Skolsköterska", email="fia@skola.example", organisation="Skolan"
            )
        ],
        "sip_time": slot.sip_time,
    }
    args.update(kw)
    return services.meeting_schedule(**args)  # type: ignore[arg-type]


def test_a_meeting_booked_on_a_sip_time_summons_the_principals_and_invites_the_others(
    django_capture_on_commit_callbacks: object,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        meeting = schedule()
    assert meeting.sip_time is not None
    kinds = {
        i.invitee_name: i.kind for i in meeting.invitations.select_related("unit__organisation")
    }
    assert kinds[f"{PSYCHIATRY}, Region Sjöland"] == InvitationKind.SUMMONS
    assert kinds[f"{ADDICTION}, Region Sjöland"] == InvitationKind.SUMMONS
    assert kinds["Fia Skolsköterska (Skolan)"] == InvitationKind.INVITATION
    mails = {
        m.recipients[0]: m
        for m in OutboundMail.objects.filter(
            topic="invitation", related_id__in=[str(i.pk) for i in meeting.invitations.all()]
        )
    }
    summons = mails["psykiatri@region.example"]
    assert summons.subject.startswith("Kallelse till SIP-möte")
    assert "Du är kallad" in summons.body
    assert "mandat" in summons.body
    assert "fast SIP-tid" in summons.body
    assert "SUMMARY:SIP-möte (kallelse)" in summons.ics
    invitation = mails["fia@skola.example"]
    assert invitation.subject.startswith("Inbjudan till SIP-möte")
    assert "Du är inbjuden" in invitation.body
    assert "SUMMARY:SIP-möte (inbjudan)" in invitation.ics


def test_a_time_that_is_not_the_sip_times_or_a_unit_that_does_not_keep_it_is_refused() -> None:
    before = Meeting.objects.count()
    slot = sip_slots_for_units(units=[unit(PSYCHIATRY), unit(ADDICTION)])[0]
    with pytest.raises(ValidationError) as exc:
        schedule(starts_at=slot.starts_at + timedelta(hours=1))
    assert "sip_slot" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        schedule(units=[unit(PSYCHIATRY), unit("Vårdcentral Ekbacka")])
    assert "passar inte" in " ".join(exc.value.message_dict["sip_slot"])
    assert Meeting.objects.count() == before


def test_a_slot_key_from_a_form_is_found_only_while_it_suits_the_units() -> None:
    units = [unit(PSYCHIATRY), unit(ADDICTION)]
    slot = sip_slots_for_units(units=units)[0]
    assert sip_slot_get(key=slot.key, units=units) == slot
    assert sip_slot_get(key=slot.key, units=[*units, unit("Vårdcentral Ekbacka")]) is None
    assert sip_slot_get(key="0:2020-01-01", units=units) is None


def test_existing_invitations_are_migrated_by_who_the_invitee_is() -> None:
    migration = importlib.import_module(
        "samplan.plans.migrations.0008_invitation_kind_from_invitee"
    )
    Invitation.objects.update(kind=InvitationKind.INVITATION)
    migration.forwards(apps, None)
    assert not Invitation.objects.filter(
        unit__organisation__kind__in=["municipality", "region"], kind=InvitationKind.INVITATION
    ).exists()
    assert not Invitation.objects.filter(unit__isnull=True, kind=InvitationKind.SUMMONS).exists()
    assert Invitation.objects.filter(kind=InvitationKind.SUMMONS).exists()


def test_the_pages_of_an_invitation_say_whether_it_is_a_summons_or_an_invitation(
    client: Client, login: Callable[[str], Client]
) -> None:
    meeting = schedule()
    external = meeting.invitations.get(unit__isnull=True)
    url = reverse("invitation_answer_external", args=[external.pk, make_token(external)])
    page = client.get(url).content.decode()
    assert "<h1>Inbjudan till SIP-möte</h1>" in page
    assert "Du är inbjuden" in page
    summoned = meeting.invitations.get(unit__name=ADDICTION)
    staff = login("eva.strom").get(reverse("invitation_answer", args=[summoned.pk]))
    assert "Svara på kallelse till SIP-möte" in staff.content.decode()
