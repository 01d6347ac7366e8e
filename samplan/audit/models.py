"""Audit events: who did what to whose data, when, through which unit, on what ground."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    OK = "ok", _("Utfört")
    DENIED = "denied", _("Nekat")
    INVALID = "invalid", _("Ogiltig indata")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("tid"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("användare"),
    )
    actor_unit = models.ForeignKey(
        "directory.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    person = models.ForeignKey(
        "directory.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    action = models.CharField(_("händelse"), max_length=60, db_index=True)
    outcome = models.CharField(_("utfall"), max_length=10, choices=Outcome.choices)
    object_type = models.CharField(max_length=60, blank=True, default="")
    object_id = models.CharField(max_length=40, blank=True, default="")
    ground = models.CharField(_("grund"), max_length=200, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    # Hash chain: each row's hash covers its content and the previous row's hash, so an
    # edited, deleted or reordered row breaks the chain (`samplan audit verify`).
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False, unique=True)

    class Meta:
        verbose_name = _("logghändelse")
        verbose_name_plural = _("logghändelser")
        ordering = ["pk"]
        indexes = [models.Index(fields=["person", "at"]), models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.outcome}"


class AuditChainHead(models.Model):
    """One row: the newest hash. Writers lock it, so the chain has one order."""

    last_hash = models.CharField(max_length=64)
    last_event_id = models.BigIntegerField(null=True)

    def __str__(self) -> str:
        return f"audit chain at {self.last_event_id}"


class AuditReview(models.Model):
    """A recorded log review (systematic log review, HSLF-FS 2016:40 4 kap. 9 §): who looked at
    which organisation's log, for which period and with which filters, and what was found."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("granskare"),
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    period_from = models.DateField(_("från och med"))
    period_to = models.DateField(_("till och med"))
    filters = models.JSONField(_("urval"), default=dict, blank=True)
    conclusion = models.TextField(_("slutsats"))
    flagged_count = models.PositiveIntegerField(_("markerade händelser"), default=0)
    created_at = models.DateTimeField(_("registrerad"), auto_now_add=True)

    class Meta:
        verbose_name = _("logggranskning")
        verbose_name_plural = _("logggranskningar")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"review {self.pk} of organisation {self.organisation_id}"
