"""`samplan generate` at a tiny scale: a consistent world, the same for the same seed, that the
policy opens as it should; bad input and a non-empty database change nothing; an interrupted
load leaves nothing behind."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.models import AuditEvent
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.consent.models import Consent
from samplan.demo import generate as gen
from samplan.demo.generate_audit import AuditWriter
from samplan.demo.generate_load import GenerateError
from samplan.directory.identity import parse_person_number
from samplan.directory.models import Person
from samplan.plans.models import Participant, Plan, PlanState, PlanVersion

UNTIL = date(2026, 11, 30)
TINY = gen.SCALES["tiny"]


def _counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "directory", "plans", "consent", "audit"}
    }


def _sample() -> dict[str, Any]:
    return {
        "persons": list(Person.objects.order_by("pk").values_list("identifier", "given_name")[:20]),
        "plans": list(
            Plan.objects.order_by("pk").values_list(
                "person_id", "state", "initiated_on", "coordinator_id"
            )[:40]
        ),
        "audit": list(AuditEvent.objects.order_by("pk").values_list("at", "action", "hash")[:50]),
        "last_audit": list(
            AuditEvent.objects.order_by("-pk").values_list("at", "action", "hash")[:5]
        ),
    }


@pytest.fixture
def world(db: None) -> dict[str, int]:
    """A tiny generated world in place of the demo world (rolled back after the test)."""
    return gen.generate(factor=TINY, seed=7, mode="reset", until=UNTIL)


def test_same_seed_same_world(world: dict[str, int]) -> None:
    counts, sample = _counts(), _sample()
    again = gen.generate(factor=TINY, seed=7, mode="reset", until=UNTIL)
    assert again == world
    assert _counts() == counts
    assert _sample() == sample
    other = gen.generate(factor=TINY, seed=8, mode="reset", until=UNTIL)
    assert _sample()["persons"] != sample["persons"]
    assert other["plans_plan"] == world["plans_plan"]


def test_a_consistent_world(world: dict[str, int]) -> None:
    counts = gen.Counts.for_factor(TINY)
    assert Person.objects.count() == counts.persons
    assert Plan.objects.count() == counts.plans
    # Versions and audit events near their targets, plans in every state of the lifecycle.
    assert abs(PlanVersion.objects.count() - counts.versions) <= counts.versions * 0.2
    assert abs(AuditEvent.objects.count() - counts.audit_events) <= counts.audit_events * 0.05
    states = set(Plan.objects.values_list("state", flat=True))
    assert {PlanState.CLOSED, PlanState.ESTABLISHED} <= states
    assert len(states) >= 5
    # Identity numbers valid in form.
    for identifier in Person.objects.values_list("identifier", flat=True)[:200]:
        parse_person_number(identifier, today=UNTIL)
    # Every audit action is one the audit log knows; each event's hash is its content hash.
    from samplan.audit.actions import AuditAction
    from samplan.audit.chain import event_hash

    known = {a.value for a in AuditAction}
    assert set(AuditEvent.objects.values_list("action", flat=True).distinct()) <= known
    for event in AuditEvent.objects.order_by("?")[:50]:
        assert event.hash == event_hash(event)
    # Consent follows participation: a given, current consent covers each participant's
    # organisation; a refused one covers none.
    for consent in Consent.objects.active().prefetch_related("organisations")[:50]:
        covered = {o.pk for o in consent.organisations.all()}
        units = Participant.objects.filter(plan=consent.plan_id)
        assert {p.unit.organisation_id for p in units} == covered
    assert not Plan.objects.filter(state=PlanState.ESTABLISHED, versions__isnull=True).exists()


def test_the_policy_opens_plans_to_participants_with_consent(world: dict[str, int]) -> None:
    plan = (
        Plan.objects.filter(state=PlanState.ESTABLISHED, coordinator__isnull=False)
        .order_by("pk")
        .first()
    )
    assert plan is not None
    assert plan.coordinator is not None
    coordinator = Actor.for_user(plan.coordinator, unit_id=plan.coordinator_unit_id)
    assert policy.visible_plans(coordinator).filter(pk=plan.pk).exists()
    # A unit of another organisation in the plan sees it through the consent.
    other = (
        Participant.objects.filter(plan=plan)
        .exclude(unit__organisation=plan.initiating_unit.organisation)
        .first()
    )
    assert other is not None
    staff = User.objects.filter(memberships__unit=other.unit).first()
    assert staff is not None
    partner = Actor.for_user(staff, unit_id=other.unit_id)
    assert policy.visible_plans(partner).filter(pk=plan.pk).exists()
    # A unit outside the plan does not.
    outsider_user = (
        User.objects.filter(memberships__isnull=False)
        .exclude(memberships__unit__participations__plan=plan)
        .first()
    )
    assert outsider_user is not None
    assert not policy.visible_plans(Actor.for_user(outsider_user)).filter(pk=plan.pk).exists()
    # The coordinator reads the plan through FHIR (authorised, consent-checked, audited).
    _token, clear = api_token_create(user=plan.coordinator)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {clear}", HTTP_HOST="localhost")
    before = AuditEvent.objects.count()
    assert client.get(f"/fhir/CarePlan/{plan.pk}").status_code == 200
    assert AuditEvent.objects.count() == before + 1


def test_a_paused_plan_is_closed_to_partners(world: dict[str, int]) -> None:
    plan = Plan.objects.filter(state=PlanState.PAUSED).order_by("pk").first()
    assert plan is not None, "the tiny world at this seed holds paused plans (deterministic)"
    assert not Consent.objects.active().filter(plan=plan).exists()
    other = Participant.objects.filter(plan=plan).exclude(unit=plan.initiating_unit).first()
    assert other is not None
    staff = User.objects.filter(memberships__unit=other.unit).first()
    assert staff is not None
    actor = Actor.for_user(staff, unit_id=other.unit_id)
    assert not policy.visible_plans(actor).filter(pk=plan.pk).exists()


def test_append_adds_a_second_world(world: dict[str, int]) -> None:
    persons, plans = Person.objects.count(), Plan.objects.count()
    gen.generate(factor=TINY, seed=7, mode="append", until=UNTIL)
    assert Person.objects.count() == 2 * persons
    assert Plan.objects.count() == 2 * plans


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale", "village"], "unknown scale"),
        (["--scale", "town", "--seed", "-3"], "must not be negative"),
        (["--scale", "tiny", "--until", "2026-13-01"], "invalid date"),
        (["--scale", "tiny"], "already holds data"),  # the demo world is there
    ],
)
def test_bad_input_changes_nothing(args: list[str], message: str) -> None:
    before = _counts()
    with pytest.raises(CommandError, match=message):
        call_command("generate", *args, verbosity=0)
    assert _counts() == before


@pytest.mark.django_db
def test_an_interrupted_load_leaves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _counts()

    def fail(*_args: Any, **_kwargs: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(AuditWriter, "run", fail)
    with pytest.raises(KeyboardInterrupt):
        gen.generate(factor=TINY, seed=7, mode="append", until=UNTIL)
    assert _counts() == before
    with pytest.raises(KeyboardInterrupt):
        gen.generate(factor=TINY, seed=7, mode="reset", until=UNTIL)
    assert _counts() == before


def test_factor_bounds() -> None:
    with pytest.raises(GenerateError):
        gen.Counts.for_factor(0)
    with pytest.raises(GenerateError):
        gen.check_arguments(scale=None, factor=-1.0, seed=1)
    assert gen.check_arguments(scale="town", factor=None, seed=0) == 0.01


@pytest.mark.django_db
def test_the_command_reports_rows(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("generate", "--scale", "tiny", "--reset", "--until", "2026-11-30", "--seed", "3")
    out = capsys.readouterr().out
    assert "plans_plan" in out
    assert "audit_auditevent" in out


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the audit table is partitioned on PostgreSQL"
)
def test_the_indexes_dropped_for_the_load_are_every_partitions_again(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The large tables' secondary indexes are dropped for the load and made again at its
    end; on the audit table, partitioned by month, every partition has them again and the
    parent's are valid (an index made "ON ONLY" the parent left the 20 million events of a
    region without any, and the sealer read them all every few seconds)."""
    from samplan.demo import generate_load

    monkeypatch.setattr(generate_load, "_REBUILD_ABOVE", 1)  # a tiny world rebuilds too
    gen.generate(factor=TINY, seed=7, mode="reset", until=UNTIL)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'audit_auditevent'::regclass"
        )
        parent = dict(cursor.fetchall())
        cursor.execute(
            "SELECT t.relname, count(*) FROM pg_inherits h "
            "JOIN pg_class t ON t.oid = h.inhrelid "
            "JOIN pg_index i ON i.indrelid = t.oid "
            "WHERE h.inhparent = 'audit_auditevent'::regclass GROUP BY t.relname"
        )
        per_partition = dict(cursor.fetchall())
    assert "audit_event_xid" in parent
    assert all(parent.values()), parent
    assert per_partition
    assert set(per_partition.values()) == {len(parent)}, per_partition
