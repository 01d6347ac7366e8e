"""FHIR Subscriptions (R4 rest-hook) and the log of their deliveries.

A subscription belongs to a user acting through one unit: it is notified of exactly the plans
that unit may see (`authz.policy.visible_plans`), asked again when each notification is sent.
Plan changes are read from `plans.PlanEvent`, written in the same transaction as the change,
so that nothing is announced that was rolled back (the outbox; `Cursor` marks how far it has
been read)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from samplan.directory.models import Unit
from samplan.plans.models import Plan, PlanEvent


class SubscriptionStatus(models.TextChoices):
    # FHIR R4 Subscription.status
    REQUESTED = "requested", "requested"
    ACTIVE = "active", "active"
    ERROR = "error", "error"
    OFF = "off", "off"


class Subscription(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    # The criteria as the subscriber wrote them (echoed back), and what they were parsed to.
    criteria = models.CharField(max_length=500)
    patient = models.PositiveBigIntegerField(null=True, blank=True)  # a Person's id
    updated_from = models.DateTimeField(null=True, blank=True)  # plan.updated_at >= this
    updated_before = models.DateTimeField(null=True, blank=True)  # plan.updated_at < this
    reason = models.CharField(max_length=500, blank=True)
    endpoint = models.CharField(max_length=500)
    # "" (an empty notification, R4) or application/fhir+json (an id-only Bundle)
    payload = models.CharField(max_length=100, blank=True)
    headers = models.JSONField(default=list, blank=True)  # "Name: value" strings
    # The FHIR base the subscription was made at: notifications' fullUrls start with it.
    base_url = models.CharField(max_length=500)
    status = models.CharField(
        max_length=12, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    error = models.CharField(max_length=200, blank=True)  # why it is in error, no secrets
    # Notified of plan events with a larger id than this (the last one when it was created).
    from_event = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    error_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["status"], name="subscription_status")]

    def __str__(self) -> str:
        return f"Subscription {self.pk} ({self.status})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    DELIVERED = "delivered", "delivered"
    # Not sent: when it was due, the subscriber could no longer see the plan (a revoked
    # consent, a unit that left the plan) or the subscription had ended.
    WITHHELD = "withheld", "withheld"
    # Not sent: the subscription failed for too long and was set to error.
    ABANDONED = "abandoned", "abandoned"


class Delivery(models.Model):
    """One notification of one plan event to one subscription, with its attempts."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(PlanEvent, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # created, established, revised, paused, closed
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=40, blank=True)  # an error class, no details
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="delivery_once")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"Delivery {self.pk} of {self.kind} to subscription {self.subscription_id}"


class Cursor(models.Model):
    """How far the plan events have been read: every event with an id up to `position` has
    been turned into deliveries (see fanout.py on events committed out of id order)."""

    name = models.CharField(max_length=40, unique=True)
    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.position}"
