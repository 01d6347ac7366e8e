"""Each plan type's legal basis is dated reference data: the provision in force on the day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from samplan.authz.policy import ALL_INFORMATION_KINDS
from samplan.documents.content import document_content
from samplan.documents.outline import plan_outline
from samplan.plans.legal_basis import legal_basis_for, legal_basis_line
from samplan.plans.models import Plan, PlanType, PlanVersion


def test_a_sip_before_1_july_2025_cites_the_old_social_services_act() -> None:
    line = legal_basis_line(PlanType.SIP, date(2025, 6, 30))
    assert "2 kap. 7 § socialtjänstlagen (2001:453)" in line
    assert "16 kap. 4 § hälso- och sjukvårdslagen (2017:30)" in line
    assert "2025:400" not in line


def test_a_sip_from_1_july_2025_cites_the_new_act_and_hsl() -> None:
    line = legal_basis_line(PlanType.SIP, date(2025, 7, 1))
    assert "socialtjänstlagen (2025:400)" in line
    assert "2001:453" not in line
    assert "16 kap. 4 § hälso- och sjukvårdslagen (2017:30)" in line
    assert len(legal_basis_for(PlanType.SIP, date(2030, 1, 1))) == 2


def test_an_individual_plan_under_lss_cites_lss_10() -> None:
    assert legal_basis_line(PlanType.LSS_IP, date(2026, 1, 1)) == (
        "10 § lagen (1993:387) om stöd och service till vissa funktionshindrade"
    )
    assert legal_basis_line("XX", date(2026, 1, 1)) == ""


@pytest.mark.django_db
def test_the_plans_documents_carry_the_provisions_in_force_when_it_was_established() -> None:
    plan = Plan.objects.get(person__given_name="Ove", person__family_name="Demosson")
    content = document_content(plan=plan, kinds=ALL_INFORMATION_KINDS)
    assert content.legal_basis == legal_basis_line(PlanType.SIP, timezone.localdate())
    lines = [(line.label, line.value) for s in plan_outline(content) for line in s.lines]
    assert ("Lagrum", content.legal_basis) in lines
    # A version established before 1 July 2025 keeps citing the act it was made under.
    version = plan.versions.get()
    PlanVersion.objects.filter(pk=version.pk).update(
        established_at=datetime(2025, 3, 1, 12, tzinfo=UTC)
    )
    old = document_content(plan=plan, kinds=ALL_INFORMATION_KINDS)
    assert "2 kap. 7 § socialtjänstlagen (2001:453)" in old.legal_basis
