"""The provisions each plan type rests on, as dated reference data (issue 13).

Laws are renumbered: the social services act (socialtjänstlagen, SoL 2001:453) was replaced on
1 July 2025 by SoL 2025:400, which carried the SIP provision over under a new number. A plan
shows the provisions in force on its date (the day it was established, or else the day it was
initiated), so that a plan established in 2024 keeps citing the act it was made under.
Change the table here, never the templates: pages and documents read `legal_basis_for`.

Sources: the old SoL's provision, SFS 2009:981 (2 kap. 7 § SoL, in force 1 January 2010);
HSL 2017:30 16 kap. 4 § and LSS 10 § as cited by Socialstyrelsen's Kunskapsguiden (seed 001)
and SKR (seed 003); SoL 2025:400 replacing the old act on 1 July 2025 (DESIGN.md, "National
references"). The new act's chapter and section for the SIP provision were not at hand in those
sources, so the new provision is cited by name and by what it replaced rather than by a
guessed number; fill in `section` below when it has been checked against SFS 2025:400.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from samplan.plans.models import PlanType

SOL_REPLACED = date(2025, 7, 1)


@dataclass(frozen=True)
class Provision:
    """One provision a plan type rests on, in force from `valid_from` to `valid_to`
    (inclusive; None: still in force)."""

    act: str  # the act's short name and SFS number, e.g. "SoL (2001:453)"
    section: str  # chapter and section, e.g. "2 kap. 7 §"; empty when cited by name
    title: Promise  # what the provision is about, in words
    valid_from: date | None = None
    valid_to: date | None = None

    def in_force_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def citation(self) -> str:
        if self.section:
            return f"{self.section} {self.act}"
        return f"{self.act}, {self.title}"


_SOL_OLD = Provision(
    act="socialtjänstlagen (2001:453)",
    section="2 kap. 7 §",
    title=_("samordnad individuell plan"),
    valid_to=date(2025, 6, 30),
)
_SOL_NEW = Provision(
    act="socialtjänstlagen (2025:400)",
    section="",
    title=_("bestämmelsen om samordnad individuell plan (tidigare 2 kap. 7 § SoL)"),
    valid_from=SOL_REPLACED,
)
_HSL = Provision(
    act="hälso- och sjukvårdslagen (2017:30)",
    section="16 kap. 4 §",
    title=_("samordnad individuell plan"),
)
_LSS = Provision(
    act="lagen (1993:387) om stöd och service till vissa funktionshindrade",
    section="10 §",
    title=_("individuell plan"),
)

LEGAL_BASIS: dict[str, tuple[Provision, ...]] = {
    PlanType.SIP: (_SOL_OLD, _SOL_NEW, _HSL),
    PlanType.LSS_IP: (_LSS,),
    # A habilitation or rehabilitation plan completed with a SIP rests on the SIP provisions.
    PlanType.HABILITATION: (_SOL_OLD, _SOL_NEW, _HSL),
    PlanType.REHABILITATION: (_SOL_OLD, _SOL_NEW, _HSL),
}


def legal_basis_for(plan_type: str, on: date) -> tuple[Provision, ...]:
    """The provisions of this plan type in force on the day; empty for an unknown type."""
    return tuple(p for p in LEGAL_BASIS.get(plan_type, ()) if p.in_force_on(on))


def legal_basis_line(plan_type: str, on: date) -> str:
    """The provisions as one line for pages and documents: "2 kap. 7 § socialtjänstlagen
    (2001:453); 16 kap. 4 § hälso- och sjukvårdslagen (2017:30)"."""
    return "; ".join(p.citation for p in legal_basis_for(plan_type, on))


def plan_legal_date(
    *, initiated_on: date, established_on: date | None = None, today: date | None = None
) -> date:
    """The day whose law a plan cites: the day its version was established, or, for a plan
    not yet established, today (the law it is being drawn up under). `initiated_on` is the
    fallback when no today is given."""
    if established_on is not None:
        return established_on
    return today or initiated_on
