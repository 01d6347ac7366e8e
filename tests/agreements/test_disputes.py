"""Responsibility disputes: recorded on a plan by staff who may edit it, matched to the
agreement that covers the units, told to its contacts without personal data, resolved."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from samplan.agreements import services
from samplan.agreements.models import Agreement, ResponsibilityDispute
from samplan.agreements.selectors import covering_agreement
from samplan.audit.extract import action_phrase
from samplan.audit.models import AuditEvent
from samplan.authz import access
from samplan.authz.actor import Actor
from samplan.authz.policy import Denied
from samplan.notify.models import OutboundMail
from samplan.plans.models import PlanEvent
from tests.agreements.conftest import actor, org, ove_plan, unit

pytestmark = pytest.mark.django_db

SOCIAL = "Socialpsykiatri Ekbacka"
PSYCHIATRY = "Öppenpsykiatri Sjöstad"


def record(**kw: object) -> ResponsibilityDispute:
    args: dict[str, object] = {
        "actor": actor("karin.holm"),
        "plan": ove_plan(),
        "units": [unit(SOCIAL), unit(PSYCHIATRY)],
        "subject": "Vem ger stödet i boendet?",
    }
    args.update(kw)
    return services.dispute_record(**args)  # type: ignore[arg-type]


def test_the_demo_world_has_one_open_dispute_covered_by_ekbackas_agreement() -> None:
    dispute = ResponsibilityDispute.objects.get()
    assert dispute.plan == ove_plan()
    assert dispute.is_open
    assert dispute.agreement is not None
    assert set(dispute.agreement.parties.all()) == {org("ekbacka"), org("region")}


def test_recording_finds_the_agreement_and_mails_its_contacts_without_personal_data(
    django_capture_on_commit_callbacks: object, mailoutbox: list[object]
) -> None:
    plan = ove_plan()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        dispute = record()
    assert dispute.agreement is not None
    assert "Ekbacka" in dispute.agreement.title
    assert {u.name for u in dispute.units.all()} == {SOCIAL, PSYCHIATRY}
    assert dispute.recorded_by.username == "karin.holm"
    mails = OutboundMail.objects.filter(topic="dispute", related_id=str(dispute.pk))
    assert sorted(r for m in mails for r in m.recipients) == [
        "samverkan@ekbacka.example",
        "samverkan@region.example",
    ]
    for mail in mails:
        text = mail.subject + mail.body
        assert plan.get_absolute_url() in mail.body
        assert "Ove" not in text
        assert "Demosson" not in text
        assert plan.person.identifier not in text
        assert "boendet" not in text  # the subject may describe the person: not mailed
    assert PlanEvent.objects.filter(plan=plan, kind="dispute_recorded").exists()
    event = AuditEvent.objects.get(action="dispute.record", object_id=str(dispute.pk))
    assert event.person == plan.person


@pytest.mark.parametrize(
    ("units", "subject", "field", "message"),
    [
        ([SOCIAL, "Beroendevård Sjöstad"], "x", "units", "deltar inte i planen"),
        ([SOCIAL], "x", "units", "minst två enheter"),
        ([SOCIAL, PSYCHIATRY], "  ", "subject", "Beskriv vad oenigheten gäller"),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_recorded(
    units: list[str], subject: str, field: str, message: str
) -> None:
    before = ResponsibilityDispute.objects.count()
    with pytest.raises(ValidationError) as exc:
        record(units=[unit(u) for u in units], subject=subject)
    assert message in " ".join(exc.value.message_dict[field])
    assert ResponsibilityDispute.objects.count() == before


def test_staff_who_may_not_edit_the_plan_cannot_record_and_the_refusal_is_audited() -> None:
    before = ResponsibilityDispute.objects.count()
    with pytest.raises(Denied):
        record(actor=actor("omar.haddad"))  # takes part, but neither coordinator nor lead
    with pytest.raises(Denied) as refused:
        record(actor=actor("johan.dahl"))  # another municipality
    assert ResponsibilityDispute.objects.count() == before
    # The service's transaction took the refusal's row with it; the interfaces write it again.
    access.ensure_refusal_audited(refused.value)
    assert AuditEvent.objects.filter(
        action="dispute.record", outcome="denied", actor__username="johan.dahl"
    ).exists()


def test_resolving_records_who_when_and_how_and_the_duration_stops() -> None:
    dispute = record()
    ResponsibilityDispute.objects.filter(pk=dispute.pk).update(
        recorded_at=timezone.now() - timedelta(days=9)
    )
    dispute.refresh_from_db()
    assert dispute.duration().days == 9
    # Staff of a unit the dispute names may resolve it, though not the plan's editor.
    services.dispute_resolve(
        actor=actor("omar.haddad"), dispute=dispute, resolution="Psykiatrin tar huvudansvaret."
    )
    dispute.refresh_from_db()
    assert dispute.resolved_by is not None
    assert dispute.resolved_by.username == "omar.haddad"
    assert dispute.resolution == "Psykiatrin tar huvudansvaret."
    assert dispute.duration(timezone.now() + timedelta(days=30)).days == 9
    assert AuditEvent.objects.filter(action="dispute.resolve", object_id=str(dispute.pk)).exists()
    with pytest.raises(ValidationError, match="redan löst"):
        services.dispute_resolve(actor=actor("karin.holm"), dispute=dispute, resolution="igen")


def test_a_resolution_needs_words_and_an_outsider_may_not_resolve() -> None:
    dispute = record()
    with pytest.raises(ValidationError) as exc:
        services.dispute_resolve(actor=actor("karin.holm"), dispute=dispute, resolution=" ")
    assert "resolution" in exc.value.message_dict
    with pytest.raises(Denied):
        services.dispute_resolve(actor=actor("johan.dahl"), dispute=dispute, resolution="Nej")
    dispute.refresh_from_db()
    assert dispute.is_open


def test_covering_agreement_needs_every_party_a_valid_date_and_a_matching_target_group() -> None:
    ekbacka, region, strandvik = org("ekbacka"), org("region"), org("strandvik")
    both = {ekbacka.pk, region.pk}
    today = date(2026, 6, 1)
    found = covering_agreement(
        organisation_ids=both, on=today, need_groups=["psychiatric_addiction"]
    )
    assert found is not None
    assert ekbacka in found.parties.all()
    # No need group on the plan: any agreement between the parties covers it.
    assert covering_agreement(organisation_ids=both, on=today) == found
    # A target group the agreement does not name: not covered.
    assert (
        covering_agreement(organisation_ids=both, on=today, need_groups=["dementia_somatic"])
        is None
    )
    # Before the agreement began, and between organisations it does not bind together.
    assert covering_agreement(organisation_ids=both, on=date(2023, 12, 31)) is None
    assert covering_agreement(organisation_ids={ekbacka.pk, strandvik.pk}, on=today) is None
    # An agreement for every target group, newer: the one naming the group still comes first.
    general = Agreement.objects.create(title="Allmän", valid_from=date(2025, 1, 1))
    general.parties.set([ekbacka, region])
    assert (
        covering_agreement(organisation_ids=both, on=today, need_groups=["psychiatric_addiction"])
        == found
    )
    assert (
        covering_agreement(organisation_ids=both, on=today, need_groups=["dementia_somatic"])
        == general
    )


def test_a_dispute_no_agreement_covers_is_recorded_without_mail(
    django_capture_on_commit_callbacks: object,
) -> None:
    Agreement.objects.update(valid_to=date(2024, 12, 31))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        dispute = record()
    assert dispute.agreement is None
    assert not OutboundMail.objects.filter(topic="dispute", related_id=str(dispute.pk)).exists()


def test_the_system_actor_records_nothing_without_a_unit() -> None:
    with pytest.raises(AssertionError):
        record(actor=Actor.system())


def test_the_persons_log_extract_words_a_dispute_in_plain_swedish() -> None:
    assert action_phrase("dispute.record") == "Registrerade en oenighet om ansvar i planen"
    assert action_phrase("dispute.resolve") == "Registrerade hur en oenighet om ansvar löstes"
