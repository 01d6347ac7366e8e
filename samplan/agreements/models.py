"""Agreements between principals (överenskommelser), responsibility disputes recorded on plans,
SIP leads and fixed SIP times (issue 13).

The statistics count disputes (`ResponsibilityDispute`, open while `resolved_at` is empty) and
attendance at booked SIP times (`plans.Meeting.sip_time`); the names here are a contract.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samplan.core.validators import no_control_characters
from samplan.directory.models import Organisation, Unit


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("måndag")
    TUESDAY = 1, _("tisdag")
    WEDNESDAY = 2, _("onsdag")
    THURSDAY = 3, _("torsdag")
    FRIDAY = 4, _("fredag")
    SATURDAY = 5, _("lördag")
    SUNDAY = 6, _("söndag")


class AgreementQuerySet(models.QuerySet["Agreement"]):
    def valid_on(self, day: date) -> AgreementQuerySet:
        return self.filter(valid_from__lte=day).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day)
        )


class Agreement(models.Model):
    """A local or regional agreement between principals on who is responsible for what."""

    title = models.CharField(_("rubrik"), max_length=200, validators=[no_control_characters])
    parties = models.ManyToManyField(
        Organisation, related_name="agreements", verbose_name=_("parter")
    )
    scope = models.TextField(_("omfattning"), blank=True)
    # plans.NeedGroup codes; empty means every target group.
    target_groups = models.JSONField(_("målgrupper"), default=list, blank=True)
    escalation = models.TextField(
        _("eskalering"),
        blank=True,
        help_text=_("Vem som lyfter en oenighet till vem."),
    )
    valid_from = models.DateField(_("gäller från"))
    valid_to = models.DateField(_("gäller till och med"), null=True, blank=True)
    document_url = models.URLField(_("länk till dokumentet"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("överenskommelse")
        verbose_name_plural = _("överenskommelser")
        ordering = ["-valid_from", "title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="agreement_valid_order",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("agreement_detail", args=[self.pk])

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class AgreementContact(models.Model):
    """A named contact of a party to an agreement: gets the mail when a dispute is recorded."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="contacts")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    name = models.CharField(_("namn"), max_length=200, validators=[no_control_characters])
    email = models.EmailField(_("e-post"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["organisation__name", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class ResponsibilityDispute(models.Model):
    """Units that disagree about who is responsible for what, on one plan. Open until resolved;
    its duration is resolved_at - recorded_at (or until now)."""

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="disputes")
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="disputes",
        verbose_name=_("överenskommelse"),
    )
    units = models.ManyToManyField(Unit, related_name="disputes", verbose_name=_("enheter"))
    subject = models.TextField(_("vad oenigheten gäller"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.TextField(_("hur oenigheten löstes"), blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"dispute {self.pk} on plan {self.plan_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def duration(self, now: datetime | None = None) -> timedelta:
        end = self.resolved_at or now or timezone.now()
        return end - self.recorded_at


class SipLead(models.Model):
    """A principal's SIP lead (SIP-ansvarig): the person with mandate to see that the
    organisation comes to SIP meetings."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sip_leads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sip_leads",
        verbose_name=_("användare"),
    )

    class Meta:
        ordering = ["organisation__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="sip_lead_unique")
        ]

    def __str__(self) -> str:
        return f"SIP lead {self.user_id} of {self.organisation_id}"


class SipTimeQuerySet(models.QuerySet["SipTime"]):
    def valid_on(self, day: date) -> SipTimeQuerySet:
        return self.filter(valid_from__lte=day).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day)
        )


class SipTime(models.Model):
    """A recurring weekly time an organisation keeps free for SIP meetings, for some units."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sip_times"
    )
    weekday = models.PositiveSmallIntegerField(_("veckodag"), choices=Weekday.choices)
    start = models.TimeField(_("börjar"))
    end = models.TimeField(_("slutar"))
    units = models.ManyToManyField(Unit, related_name="sip_times", verbose_name=_("enheter"))
    valid_from = models.DateField(_("gäller från"))
    valid_to = models.DateField(_("gäller till och med"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SipTimeQuerySet.as_manager()

    class Meta:
        verbose_name = _("fast SIP-tid")
        verbose_name_plural = _("fasta SIP-tider")
        ordering = ["organisation__name", "weekday", "start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="sip_time_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="sip_time_valid_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
