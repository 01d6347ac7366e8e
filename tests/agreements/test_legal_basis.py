"""Each plan type's legal basis is dated reference data: the provision in force on the day."""

from __future__ import annotations

from datetime import date

from samplan.plans.legal_basis import legal_basis_for, legal_basis_line
from samplan.plans.models import PlanType


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
