"""The person sees his or her own plans; a representative what the person allows."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from samplan.audit.models import AuditEvent
from samplan.directory.models import Representative
from samplan.plans.models import Plan

pytestmark = pytest.mark.django_db


def test_person_sees_own_established_plan_in_plain_words(login: Callable[[str], Client]) -> None:
    client = login("ove.demosson")
    plan = Plan.objects.get(person__given_name="Ove")
    listing = client.get(reverse("my_plans")).content.decode()
    assert "Ove Demosson" in listing
    page = client.get(reverse("my_plan", args=[plan.pk])).content.decode()
    assert "Din samordnare är Karin Holm" in page
    assert "Jag vill slippa bli skickad runt." in page
    assert AuditEvent.objects.filter(
        action="plan.read_own", person=plan.person, ground="the person"
    ).exists()


def test_person_cannot_see_someone_elses_plan(login: Callable[[str], Client]) -> None:
    client = login("ove.demosson")
    other = Plan.objects.get(person__given_name="Greta")
    assert client.get(reverse("my_plan", args=[other.pk])).status_code == 404
    assert client.get(reverse("plan_detail", args=[other.pk])).status_code == 404


def test_representative_sees_what_the_person_allows(login: Callable[[str], Client]) -> None:
    client = login("bengt.demosson")
    plan = Plan.objects.get(person__given_name="Greta")
    assert client.get(reverse("my_plan", args=[plan.pk])).status_code == 200
    Representative.objects.filter(name="Bengt Demosson").update(may_see_plan=False)
    assert client.get(reverse("my_plan", args=[plan.pk])).status_code == 404
    assert "Greta" not in client.get(reverse("my_plans")).content.decode()


def test_staff_have_no_own_plans(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    plan = Plan.objects.get(person__given_name="Ove")
    assert client.get(reverse("my_plan", args=[plan.pk])).status_code == 404
