"""Consent (samtycke): who gave it, how, to which organisations and which information."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from samplan.directory.models import (
    Organisation,
    OrganisationKind,
    Representative,
    Unit,
    UnitKind,
)


class ConsentDecision(models.TextChoices):
    GIVEN = "given", _("Samtycker")
    REFUSED = "refused", _("Samtycker inte")


class ConsentMethod(models.TextChoices):
    ORAL = "oral", _("Muntligt")
    WRITTEN = "written", _("Skriftligt")
    DIGITAL = "digital", _("Digitalt")


class InformationKind(models.TextChoices):
    PLAN = "plan", _("Planens innehåll")
    HEALTH = "health", _("Uppgifter från hälso- och sjukvården")
    SOCIAL = "social", _("Uppgifter från socialtjänsten")
    SCHOOL = "school", _("Uppgifter från skolan")
    INSURANCE = "insurance", _("Uppgifter från Försäkringskassan")
    CONTACT = "contact", _("Kontaktuppgifter")


_HEALTH_UNITS = frozenset(
    {UnitKind.PSYCHIATRY, UnitKind.PRIMARY_CARE, UnitKind.HABILITATION, UnitKind.SOMATIC}
)
_SOCIAL_UNITS = frozenset(
    {
        UnitKind.SOCIAL_PSYCHIATRY,
        UnitKind.LSS,
        UnitKind.HOME_CARE,
        UnitKind.NEEDS_ASSESSMENT,
        UnitKind.CHILD_YOUTH,
        UnitKind.ELDERLY_CARE,
    }
)
_BY_ORGANISATION: dict[str, str] = {
    OrganisationKind.REGION: InformationKind.HEALTH,
    OrganisationKind.MUNICIPALITY: InformationKind.SOCIAL,
    OrganisationKind.SCHOOL: InformationKind.SCHOOL,
    OrganisationKind.STATE_AGENCY: InformationKind.INSURANCE,
}


def information_kind_of(*, organisation_kind: str, unit_kind: str | None) -> str:
    """The kind of information an item responsible to (or written by) this organisation and
    unit is, for what a consent covers: the one classification (docs/security.md, "Partial
    consent"). The unit's line of work decides; addiction care is health care in a region and
    social services in a municipality; without a telling unit, the organisation's kind does;
    what is none of these (employment services, a private provider's "other") is the plan's
    shared content."""
    if unit_kind in _HEALTH_UNITS:
        return InformationKind.HEALTH
    if unit_kind in _SOCIAL_UNITS:
        return InformationKind.SOCIAL
    if unit_kind == UnitKind.ADDICTION:
        if organisation_kind == OrganisationKind.MUNICIPALITY:
            return InformationKind.SOCIAL
        return InformationKind.HEALTH
    if unit_kind == UnitKind.SCHOOL:
        return InformationKind.SCHOOL
    if unit_kind == UnitKind.SOCIAL_INSURANCE:
        return InformationKind.INSURANCE
    if unit_kind == UnitKind.EMPLOYMENT:
        return InformationKind.PLAN
    return _BY_ORGANISATION.get(organisation_kind, InformationKind.PLAN)


class ConsentQuerySet(models.QuerySet["Consent"]):
    def current(self) -> ConsentQuerySet:
        """The records a new decision supersedes: neither revoked nor superseded, whatever
        their decision (a refusal too)."""
        return self.filter(revoked_at__isnull=True, superseded_at__isnull=True)

    def active(self) -> ConsentQuerySet:
        """The one definition of an active consent: given, neither revoked nor superseded.
        `Consent.is_active` says the same of one loaded record."""
        return self.current().filter(decision=ConsentDecision.GIVEN)


class Consent(models.Model):
    """One recorded consent decision for a plan. A later record supersedes an earlier one;
    a revocation is recorded on the record it revokes. Nothing here is ever deleted."""

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="consents")
    decision = models.CharField(_("beslut"), max_length=10, choices=ConsentDecision.choices)
    given_by_representative = models.ForeignKey(
        Representative,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lämnat av företrädare"),
        help_text=_("Tomt när personen själv lämnar samtycket."),
    )
    method = models.CharField(_("hur"), max_length=10, choices=ConsentMethod.choices)
    organisations = models.ManyToManyField(
        Organisation, related_name="+", blank=True, verbose_name=_("organisationer")
    )
    information_kinds = models.JSONField(_("uppgifter"), default=list, blank=True)
    given_at = models.DateTimeField(_("när"))
    note = models.TextField(_("kommentar"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_note = models.TextField(blank=True)
    # Set when a later consent record replaces this one (not a revocation).
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["plan", "revoked_at"])]

    def __str__(self) -> str:
        return f"consent {self.pk} ({self.decision})"

    @property
    def is_active(self) -> bool:
        """`Consent.objects.active()` for one loaded record (no query)."""
        return (
            self.decision == ConsentDecision.GIVEN
            and self.revoked_at is None
            and self.superseded_at is None
        )
