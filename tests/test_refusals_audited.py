"""Every refusal writes a `denied` audit event for the actor (issue 10): the registry's
membership check. The API's and FHIR's are in tests/api and tests/fhir."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent, Outcome
from samplan.authz.access import ensure_refusal_audited
from samplan.authz.actor import Actor
from samplan.authz.policy import Denied
from samplan.directory import services
from samplan.directory.models import Organisation

pytestmark = pytest.mark.django_db


def denied_count(user: User) -> int:
    return AuditEvent.objects.filter(
        actor=user, outcome=Outcome.DENIED, action="organisation.manage"
    ).count()


def test_disabling_staff_of_another_organisation_is_refused_and_audited(
    demo_user: Callable[[str], User],
) -> None:
    admin = demo_user("admin.ekbacka")
    sara = demo_user("sara.lind")  # works for the region, not for Ekbacka
    ekbacka = Organisation.objects.get(name="Ekbacka kommun")
    before = denied_count(admin)
    with pytest.raises(Denied) as refused:
        services.staff_set_active(
            actor=Actor.for_user(admin), organisation=ekbacka, user=sara, active=False
        )
    # The service's transaction rolled its row back; where the refusal ends up, it is kept.
    ensure_refusal_audited(refused.value)
    assert denied_count(admin) == before + 1
    sara.refresh_from_db()
    assert sara.is_active


def test_the_staff_page_refuses_another_organisations_account_with_an_audit_row(
    login: Callable[[str], Client], demo_user: Callable[[str], User]
) -> None:
    admin = demo_user("admin.ekbacka")
    sara = demo_user("sara.lind")
    ekbacka = Organisation.objects.get(name="Ekbacka kommun")
    before = denied_count(admin)
    response = login("admin.ekbacka").post(
        reverse("staff_set_active", args=[ekbacka.pk, sara.pk]), {"active": "0"}
    )
    assert response.status_code == 404
    assert denied_count(admin) == before + 1
    sara.refresh_from_db()
    assert sara.is_active


def test_own_staff_can_still_be_disabled(demo_user: Callable[[str], User]) -> None:
    admin = demo_user("admin.ekbacka")
    karin = demo_user("karin.holm")
    ekbacka = Organisation.objects.get(name="Ekbacka kommun")
    services.staff_set_active(
        actor=Actor.for_user(admin), organisation=ekbacka, user=karin, active=False
    )
    karin.refresh_from_db()
    assert not karin.is_active
