"""Findings of the penetration test (issue 9): input at the edges of what the code expects,
refused in the domain with a clear 4xx, never a 500, and never rendered or stored unsafely.
Each test fails without its fix."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.models import AuditEvent
from samplan.authz.actor import Actor
from samplan.consent import services as consent_services
from samplan.consent.models import ConsentDecision, ConsentMethod, InformationKind
from samplan.core import validators
from samplan.directory.models import Organisation, Person, Unit
from samplan.notify.models import OutboundMail
from samplan.plans import services
from samplan.plans.models import (
    InitiativeReason,
    Invitation,
    InvitationAnswer,
    Meeting,
    MeetingMode,
    Plan,
    PlanState,
)
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

HTTPS_ONLY = "Länken måste börja med https://."
BAD_LINKS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)//https://video.example",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "http://evil.example/sip",
]


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


def org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def ove() -> Person:
    return Person.objects.get(given_name="Ove", family_name="Demosson")


def api_as(username: str) -> ApiClient:
    _token, clear = api_token_create(user=User.objects.get(username=username))
    return ApiClient(clear)


def hrefs(html: str) -> list[str]:
    return re.findall(r"""href\s*=\s*["']?([^"'\s>]*)""", html, flags=re.IGNORECASE)


@pytest.fixture
def consented() -> Plan:
    """A new plan for Ove by Karin, with consent to the municipality and the region."""
    karin = actor("karin.holm")
    plan = services.plan_initiate(
        actor=karin, person=ove(), reasons=[InitiativeReason.BOUNCED_AROUND]
    )
    consent_services.consent_record(
        actor=karin,
        plan=plan,
        decision=ConsentDecision.GIVEN,
        method=ConsentMethod.ORAL,
        organisations=[org("Ekbacka kommun"), org("Region Sjöland")],
        information_kinds=[InformationKind.PLAN, InformationKind.HEALTH],
    )
    plan.refresh_from_db()
    return plan


def schedule(plan: Plan) -> Meeting:
    start = timezone.now() + timedelta(days=3)
    return services.meeting_schedule(
        actor=actor("karin.holm"),
        plan=plan,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        mode=MeetingMode.DIGITAL,
        video_url="https://video.example/sip",
        units=[unit("Öppenpsykiatri Sjöstad")],
        externals=[services.ExternalInvitee("Kim Rektor", "kim@skola.example", "Skolan")],
    )


@pytest.fixture
def meeting(consented: Plan) -> Meeting:
    return schedule(consented)


def _link_secret(body: str) -> str:
    """The path of the external invitee's link in a mail: /invitation/<id>/<token>/."""
    match = re.search(r"/invitation/\d+/[^/\s]+/", body)
    assert match, body
    return match.group(0)


@pytest.fixture
def sent(
    consented: Plan,
    mailoutbox: list[django_mail.EmailMessage],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> tuple[Meeting, Invitation, str]:
    """A meeting with an external invitee, its invitation mailed; the link from the mail."""
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(consented)
    invitation = meeting.invitations.get(unit__isnull=True)
    mails = [m for m in mailoutbox if m.to == ["kim@skola.example"]]
    assert len(mails) == 1
    return meeting, invitation, _link_secret(str(mails[0].body))


def meeting_body(video_url: str, *, days: int = 4) -> dict[str, Any]:
    start = timezone.localtime() + timedelta(days=days)
    return {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "mode": "digital",
        "video_url": video_url,
    }


def meeting_form(video_url: str) -> dict[str, str]:
    start = timezone.localtime() + timedelta(days=4)
    return {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "mode": "digital",
        "location": "",
        "video_url": video_url,
        "agenda": "",
    }


# 1. Video links: https only, checked in the domain; never rendered as a link otherwise ------


@pytest.mark.parametrize("link", BAD_LINKS)
def test_rest_meeting_update_refuses_a_non_https_video_link(meeting: Meeting, link: str) -> None:
    before = Meeting.objects.values().get(pk=meeting.pk)
    response = api_as("karin.holm").put(f"meetings/{meeting.pk}", meeting_body(link))
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["video_url"] == [HTTPS_ONLY]
    assert Meeting.objects.values().get(pk=meeting.pk) == before


@pytest.mark.parametrize("link", BAD_LINKS)
def test_rest_meeting_schedule_refuses_a_non_https_video_link(consented: Plan, link: str) -> None:
    body = {**meeting_body(link), "units": [unit("Öppenpsykiatri Sjöstad").pk]}
    count = Meeting.objects.count()
    response = api_as("karin.holm").post(f"plans/{consented.pk}/meetings", body)
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["video_url"] == [HTTPS_ONLY]
    assert Meeting.objects.count() == count


def test_rest_meeting_update_keeps_a_https_video_link(meeting: Meeting) -> None:
    link = "https://video.example/room/42?pwd=abc"
    response = api_as("karin.holm").put(f"meetings/{meeting.pk}", meeting_body(link))
    assert response.status_code == 200, response.content
    meeting.refresh_from_db()
    assert meeting.video_url == link


@pytest.mark.parametrize("link", BAD_LINKS)
def test_web_meeting_forms_refuse_a_non_https_video_link(
    login: Callable[[str], Client], meeting: Meeting, link: str
) -> None:
    plan = meeting.plan
    client = login("karin.holm")
    before = Meeting.objects.values().get(pk=meeting.pk)
    response = client.post(reverse("meeting_edit", args=[plan.pk, meeting.pk]), meeting_form(link))
    assert response.status_code == 400
    assert response.context["form"].errors["video_url"]
    assert Meeting.objects.values().get(pk=meeting.pk) == before

    count = Meeting.objects.count()
    data = {**meeting_form(link), "units": [unit("Öppenpsykiatri Sjöstad").pk]}
    response = client.post(reverse("meeting_schedule", args=[plan.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["video_url"]
    assert Meeting.objects.count() == count


def test_web_form_shows_the_domain_message_for_plain_http(
    login: Callable[[str], Client], meeting: Meeting
) -> None:
    response = login("karin.holm").post(
        reverse("meeting_edit", args=[meeting.plan.pk, meeting.pk]),
        meeting_form("http://evil.example/sip"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["video_url"] == [HTTPS_ONLY]


@pytest.mark.parametrize("link", BAD_LINKS)
def test_services_refuse_a_non_https_video_link_at_the_field(meeting: Meeting, link: str) -> None:
    start = timezone.now() + timedelta(days=5)
    with pytest.raises(ValidationError) as refused:
        services.meeting_update(
            actor=actor("karin.holm"),
            meeting=meeting,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            mode=MeetingMode.DIGITAL,
            video_url=link,
        )
    assert refused.value.message_dict == {"video_url": [HTTPS_ONLY]}
    with pytest.raises(ValidationError) as refused:
        services.meeting_schedule(
            actor=actor("karin.holm"),
            plan=meeting.plan,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            mode=MeetingMode.PHYSICAL,
            location="Rum 3",
            video_url=link,
            units=[unit("Öppenpsykiatri Sjöstad")],
        )
    assert refused.value.message_dict == {"video_url": [HTTPS_ONLY]}


def test_plain_http_is_accepted_only_to_this_machine_and_only_with_debug() -> None:
    validators.validate_web_link("https://video.example/sip")
    validators.validate_web_link("")
    for link in ("http://127.0.0.1:8080/room", "http://localhost/room", "http://[::1]/room"):
        with pytest.raises(ValidationError):
            validators.validate_web_link(link)
        with override_settings(DEBUG=True):
            validators.validate_web_link(link)
    with override_settings(DEBUG=True), pytest.raises(ValidationError):
        validators.validate_web_link("http://evil.example/sip")
    with override_settings(DEBUG=True), pytest.raises(ValidationError):
        validators.validate_web_link("javascript:alert(1)")


@pytest.mark.parametrize("link", BAD_LINKS)
def test_a_bad_link_already_in_the_database_is_never_a_link(
    login: Callable[[str], Client],
    client: Client,
    sent: tuple[Meeting, Invitation, str],
    link: str,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    meeting, _external, secret = sent
    Meeting.objects.filter(pk=meeting.pk).update(video_url=link)
    plan = meeting.plan
    staff = login("karin.holm")
    html = staff.get(plan.get_absolute_url()).content.decode()
    assert not [h for h in hrefs(html) if h.lower().startswith(("javascript:", "data:", "http:"))]

    client.logout()
    response = client.get(secret)
    assert response.status_code == 200
    assert not [h for h in hrefs(response.content.decode()) if not h.startswith(("/", "#"))]

    omar = login("omar.haddad")
    invitation = meeting.invitations.get(unit__isnull=False)
    html = omar.get(reverse("invitation_answer", args=[invitation.pk])).content.decode()
    assert not [h for h in hrefs(html) if h.lower().startswith(("javascript:", "data:", "http:"))]

    # The calendar object and the mail of an update carry no such link either.
    OutboundMail.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(actor=actor("karin.holm"), meeting=meeting)
    mails = list(OutboundMail.objects.all())
    assert mails
    for mail in mails:
        assert link.lower() not in (mail.ics + mail.body).lower()
        assert "CONFERENCE" not in mail.ics
        assert "\nURL" not in mail.ics.replace("\r\n", "\n")


# 2. Dates and ids out of range in the log review and the log extract ------------------------


OUT_OF_RANGE_DATES = ["0001-01-01", "9999-12-31"]
HUGE_ID = "99999999999999999999999"


@pytest.mark.parametrize("day", OUT_OF_RANGE_DATES)
@pytest.mark.parametrize("field", ["period_from", "period_to"])
def test_log_review_filter_out_of_range_date_is_a_400_at_the_field(
    login: Callable[[str], Client], day: str, field: str
) -> None:
    response = login("granskare.ekbacka").get(reverse("audit_review"), {field: day})
    assert response.status_code == 400
    assert response.context["filter_form"].errors[field]


def test_log_review_filter_out_of_range_person_id_is_a_400_at_the_field(
    login: Callable[[str], Client],
) -> None:
    response = login("granskare.ekbacka").get(reverse("audit_review"), {"person": HUGE_ID})
    assert response.status_code == 400
    assert response.context["filter_form"].errors["person"]


@pytest.mark.parametrize("name", ["before", "after"])
def test_log_review_paging_out_of_range_is_not_a_server_error(
    login: Callable[[str], Client], name: str
) -> None:
    response = login("granskare.ekbacka").get(reverse("audit_review"), {name: HUGE_ID})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("day", OUT_OF_RANGE_DATES)
@pytest.mark.parametrize("field", ["period_from", "period_to"])
def test_log_review_record_out_of_range_date_is_a_400_at_the_field(
    login: Callable[[str], Client], day: str, field: str
) -> None:
    data = {
        "organisation": org("Ekbacka kommun").pk,
        "period_from": "2026-01-01",
        "period_to": "2026-01-31",
        "conclusion": "Åtkomsten var befogad.",
        field: day,
    }
    response = login("granskare.ekbacka").post(reverse("audit_review"), data)
    assert response.status_code == 400
    assert response.context["record_form"].errors[field]


@pytest.mark.parametrize("day", OUT_OF_RANGE_DATES)
@pytest.mark.parametrize("field", ["period_from", "period_to"])
@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_own_log_extract_out_of_range_date_is_a_400_at_the_field(
    login: Callable[[str], Client], day: str, field: str, fmt: str
) -> None:
    person = Person.objects.get(user__username="ove.demosson")
    response = login("ove.demosson").get(
        reverse("audit_extract", args=[person.pk, fmt]), {field: day}
    )
    assert response.status_code == 400
    # The own extract's page again, with the message next to the field.
    assert response.context["period_form"].errors[field]
    html = response.content.decode()
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize("day", OUT_OF_RANGE_DATES)
def test_reviewers_log_extract_out_of_range_date_is_a_400(
    login: Callable[[str], Client], day: str
) -> None:
    person = Person.objects.get(user__username="ove.demosson")
    response = login("granskare.ekbacka").get(
        reverse("audit_extract", args=[person.pk, "csv"]), {"period_to": day}
    )
    assert response.status_code == 400
    assert "Demosson" not in response.content.decode()


def test_log_extract_out_of_range_person_id_is_not_found(login: Callable[[str], Client]) -> None:
    response = login("ove.demosson").get(f"/audit/extract/{HUGE_ID}.csv")
    assert response.status_code == 404


# 3. The coordinator unit must take part in the plan ------------------------------------------


@pytest.fixture
def revising_ove() -> Plan:
    """Ove's established plan, under revision: its draft may be changed."""
    plan = Plan.objects.get(person=ove(), state=PlanState.ESTABLISHED)
    services.plan_revise(actor=actor("karin.holm"), plan=plan, reason="Ny samordnare")
    plan.refresh_from_db()
    return plan


def plan_row(plan: Plan) -> dict[str, Any]:
    row: dict[str, Any] = dict(Plan.objects.values().get(pk=plan.pk))
    row.pop("updated_at")
    return row


@pytest.mark.parametrize(
    "unit_name",
    ["Lokalt försäkringscenter Sjöstad", "Beroendevård Sjöstad", "Socialpsykiatri Strandvik"],
)
def test_rest_refuses_a_coordinator_unit_that_does_not_take_part(
    revising_ove: Plan, unit_name: str
) -> None:
    before = plan_row(revising_ove)
    response = api_as("karin.holm").patch(
        f"plans/{revising_ove.pk}", {"coordinator": None, "coordinator_unit": unit(unit_name).pk}
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["coordinator_unit"] == [
        "Samordnarens enhet måste vara en enhet som deltar i planen."
    ]
    assert plan_row(revising_ove) == before


def test_service_refuses_a_coordinator_unit_that_does_not_take_part(revising_ove: Plan) -> None:
    before = plan_row(revising_ove)
    with pytest.raises(ValidationError) as refused:
        services.plan_update_details(
            actor=actor("karin.holm"),
            plan=revising_ove,
            coordinator=None,
            coordinator_unit=unit("Beroendevård Sjöstad"),
        )
    assert "coordinator_unit" in refused.value.message_dict
    assert plan_row(revising_ove) == before


def test_service_refuses_a_coordinator_unit_that_has_left_the_plan(revising_ove: Plan) -> None:
    psykiatri = unit("Öppenpsykiatri Sjöstad")
    revising_ove.participants.filter(unit=psykiatri).update(left_at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        services.plan_update_details(
            actor=actor("karin.holm"),
            plan=revising_ove,
            coordinator=User.objects.get(username="omar.haddad"),
            coordinator_unit=psykiatri,
        )
    assert refused.value.message_dict.keys() & {"coordinator", "coordinator_unit"}


def test_service_refuses_a_coordinator_whose_account_is_disabled(revising_ove: Plan) -> None:
    omar = User.objects.get(username="omar.haddad")
    User.objects.filter(pk=omar.pk).update(is_active=False)
    omar.refresh_from_db()
    before = plan_row(revising_ove)
    with pytest.raises(ValidationError) as refused:
        services.plan_update_details(
            actor=actor("karin.holm"),
            plan=revising_ove,
            coordinator=omar,
            coordinator_unit=unit("Öppenpsykiatri Sjöstad"),
        )
    assert "coordinator" in refused.value.message_dict
    assert plan_row(revising_ove) == before


def test_a_coordinator_from_a_participating_unit_is_accepted(revising_ove: Plan) -> None:
    response = api_as("karin.holm").patch(
        f"plans/{revising_ove.pk}",
        {
            "coordinator": User.objects.get(username="omar.haddad").pk,
            "coordinator_unit": unit("Öppenpsykiatri Sjöstad").pk,
        },
    )
    assert response.status_code == 200, response.content
    revising_ove.refresh_from_db()
    assert revising_ove.coordinator_unit == unit("Öppenpsykiatri Sjöstad")
    # A participating unit without a named coordinator (yet) is accepted too.
    response = api_as("karin.holm").patch(
        f"plans/{revising_ove.pk}",
        {"coordinator": None, "coordinator_unit": unit("Socialpsykiatri Ekbacka").pk},
    )
    assert response.status_code == 200, response.content


# 4. External invitees' links: signed, nothing secret stored, nothing personal carried ----------
# (the link's refusals, expiry, reuse and revocation: tests/links/)


def test_no_link_secret_in_the_database(sent: tuple[Meeting, Invitation, str]) -> None:
    _meeting, invitation, link = sent
    token = link.rstrip("/").rsplit("/", 1)[1]
    row = Invitation.objects.values().get(pk=invitation.pk)
    assert not [v for v in row.values() if isinstance(v, str) and token in v]
    assert token.split(":")[-1] not in str(row)  # nor the signature


def test_the_link_in_the_mail_works(client: Client, sent: tuple[Meeting, Invitation, str]) -> None:
    _meeting, invitation, link = sent
    assert client.get(link).status_code == 200
    response = client.post(link, {"answer": "accepted"})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.ACCEPTED


def test_a_wrong_link_is_refused(client: Client, sent: tuple[Meeting, Invitation, str]) -> None:
    _meeting, invitation, link = sent
    token = link.rstrip("/").rsplit("/", 1)[1]
    for wrong in (
        f"/invitation/{invitation.pk}/{'0' * 64}/",
        f"/invitation/{'0' * 64}/",
        f"/invitation/{invitation.pk}/{token[:-1]}/",
        f"/invitation/{invitation.pk}/{token}0/",
        f"/invitation/{invitation.pk + 1}/{token}/",
    ):
        response = client.get(wrong)
        assert response.status_code == 404, wrong
        assert "Kim Rektor" not in response.content.decode()
        assert client.post(wrong, {"answer": "accepted"}).status_code == 404
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.PENDING


def test_reminders_and_updates_carry_a_link_that_works(
    client: Client,
    sent: tuple[Meeting, Invitation, str],
    mailoutbox: list[django_mail.EmailMessage],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    meeting, invitation, first = sent
    mailoutbox.clear()
    later = timezone.now() + services.REMINDER_AFTER + timedelta(minutes=1)
    Invitation.objects.filter(pk=invitation.pk).update(created_at=later - timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitations_remind_due(now=later) >= 1
    reminder = next(m for m in mailoutbox if m.to == ["kim@skola.example"])
    start = timezone.now() + timedelta(days=6)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(
            actor=actor("karin.holm"),
            meeting=meeting,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            mode=MeetingMode.DIGITAL,
            video_url="https://video.example/sip",
        )
    update = [m for m in mailoutbox if m.to == ["kim@skola.example"]][-1]
    # Each mail signs the link anew (its lifetime counts from that mail); every one works,
    # the first mail's too.
    for link in (first, _link_secret(str(reminder.body)), _link_secret(str(update.body))):
        assert client.get(link).status_code == 200


# 5. X-Request-ID: a well-formed id is kept, anything else replaced ---------------------------


@pytest.mark.parametrize(
    "header",
    [
        "abcdefgh\n",
        "abcdefgh\nforged audit line",
        "a" * 500,
        "Ove Demosson 19450101-1234",
        "abc\r\ndefgh",
        "abcdefgh\x00",
        "åäöåäöåäö",
    ],
)
def test_a_malformed_request_id_never_reaches_the_audit_log(
    login: Callable[[str], Client], header: str
) -> None:
    plan = Plan.objects.get(person=ove(), state=PlanState.ESTABLISHED)
    client = login("karin.holm")
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.get(plan.get_absolute_url(), headers={"X-Request-ID": header})
    assert response.status_code == 200
    ids = set(AuditEvent.objects.filter(pk__gt=last).values_list("request_id", flat=True))
    assert ids
    assert header not in ids
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), ids
    assert response["X-Request-ID"] in ids


def test_a_well_formed_request_id_is_kept(login: Callable[[str], Client]) -> None:
    plan = Plan.objects.get(person=ove(), state=PlanState.ESTABLISHED)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    login("karin.holm").get(plan.get_absolute_url(), headers={"X-Request-ID": "lb-1234.abcd_EF"})
    ids = set(AuditEvent.objects.filter(pk__gt=last).values_list("request_id", flat=True))
    assert ids == {"lb-1234.abcd_EF"}
