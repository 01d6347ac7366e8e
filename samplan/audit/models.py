"""Audit events: who did what to whose data, when, through which unit, on what ground."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType


class CurrentTransactionId(models.Expression):
    """The inserting transaction's id on PostgreSQL (the audit sealer's horizon); NULL
    elsewhere."""

    output_field = models.BigIntegerField()
    allowed_default = True

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        return "NULL", ()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        return "(pg_current_xact_id()::text::bigint)", ()


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
    # The event's own content hash (samplan/audit/chain.py, `event_hash`): an edit that leaves
    # it stale is named by `samplan audit verify`. Not chained: writers do not wait for each
    # other. The sealer (samplan/audit/seal.py) signs batches of (id, hash) in Merkle trees.
    hash = models.CharField(max_length=64, editable=False)
    # PostgreSQL: the inserting transaction's id (set by the database), which tells the sealer
    # when the event's transaction has ended. NULL on SQLite, where commits come in id order.
    xid = models.BigIntegerField(null=True, editable=False, db_default=CurrentTransactionId())

    class Meta:
        verbose_name = _("logghändelse")
        verbose_name_plural = _("logghändelser")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["person", "at"]),
            models.Index(fields=["actor", "at"]),
            models.Index(
                fields=["xid"], name="audit_event_xid", condition=models.Q(xid__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.outcome}"


class AuditSeal(models.Model):
    """A signed statement over one batch of audit events, linked to the seal before it.

    `root` is the RFC 6962 Merkle tree hash over the batch's leaves (each event's id and
    content hash, in id order); `digest` a hash of the same content hashes sorted, which tells
    events put in another order from edited ones. `ids` names the events sealed, as ranges
    ("1-250,252-300"): on PostgreSQL an event that commits late is sealed by a later seal,
    below ids sealed before it. `snapshot` is PostgreSQL's transaction snapshot the batch was
    taken under (the events whose transactions it sees as ended and the seal before did not);
    empty on SQLite, where a batch is every event after the previous seal's last id.
    Append-only like the events (migration 0004)."""

    number = models.PositiveBigIntegerField(unique=True)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    count = models.PositiveIntegerField()
    ids = models.TextField()
    snapshot = models.TextField(blank=True, default="")
    root = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    public_key = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"audit seal {self.number} ({self.first_id}-{self.last_id})"


class AuditRetention(models.Model):
    """A signed record of events removed at the end of the retention period (`samplan audit
    retain`, samplan/audit/retention.py), so that `verify` tells them from deleted ones.

    `before` is the first moment kept (00:00 Stockholm time on the first of a month); `ids`
    names the events removed, as ranges, and `count` how many. The seals that held only removed
    events are removed with them: always the oldest, numbers up to `seals_through`, and
    `seal_hash` is the hash of seal `seals_through`, which the oldest seal kept links to, so
    the chain of seals starts again after the record. A seal kept that also held removed
    events keeps its Merkle root checkable through `carried`: the removed events' leaves
    ("seal:id:hash" per line). Records are chained to each other (`prev_hash`) and signed with
    the audit seal key. Append-only like the seals (migration 0006)."""

    number = models.PositiveBigIntegerField(unique=True)
    before = models.DateTimeField()
    count = models.PositiveBigIntegerField()
    ids = models.TextField()
    partitions = models.TextField(blank=True, default="")
    seals_through = models.PositiveBigIntegerField()
    seal_hash = models.CharField(max_length=64)
    carried = models.TextField(blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    made_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    public_key = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"audit retention {self.number} (before {self.before:%Y-%m})"


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
