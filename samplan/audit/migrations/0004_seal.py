"""Audit events without the global chain: each event keeps its own content hash and, on
PostgreSQL, its transaction id; signed seals (`AuditSeal`, append-only like the events) take
the place of the chain head (samplan/audit/seal.py)."""

import hashlib
import json
from datetime import UTC

from django.db import migrations, models

import samplan.audit.models

EVENT_TRIGGERS_SQLITE = [
    (
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
    ),
    (
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
    ),
]
SEAL_TRIGGERS_SQLITE = [
    (
        "CREATE TRIGGER audit_seal_no_update BEFORE UPDATE ON audit_auditseal "
        "BEGIN SELECT RAISE(ABORT, 'audit seals are append-only'); END;"
    ),
    (
        "CREATE TRIGGER audit_seal_no_delete BEFORE DELETE ON audit_auditseal "
        "BEGIN SELECT RAISE(ABORT, 'audit seals are append-only'); END;"
    ),
]
SEAL_TRIGGERS_POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_seal_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit seals are append-only'; END; $$ LANGUAGE plpgsql;""",
    (
        "CREATE TRIGGER audit_seal_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditseal "
        "FOR EACH ROW EXECUTE FUNCTION audit_seal_append_only();"
    ),
    (
        "CREATE TRIGGER audit_seal_no_truncate BEFORE TRUNCATE ON audit_auditseal "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_seal_append_only();"
    ),
]
SEAL_TRIGGERS_REVERSE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_seal_no_update;",
        "DROP TRIGGER IF EXISTS audit_seal_no_delete;",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_seal_no_update_delete ON audit_auditseal;",
        "DROP TRIGGER IF EXISTS audit_seal_no_truncate ON audit_auditseal;",
        "DROP FUNCTION IF EXISTS audit_seal_append_only();",
    ],
}

# The content hash as samplan/audit/chain.py computes it when this migration was written.
FIELDS = (
    ("actor", "actor_id"),
    ("unit", "actor_unit_id"),
    ("organisation", "actor_organisation_id"),
    ("person", "person_id"),
    ("action", "action"),
    ("outcome", "outcome"),
    ("object_type", "object_type"),
    ("object_id", "object_id"),
    ("ground", "ground"),
    ("request_id", "request_id"),
    ("detail", "detail"),
)


def _content_hash(event):
    content = {name: getattr(event, attribute) for name, attribute in FIELDS}
    content["at"] = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _run(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def lift_event_triggers(apps, schema_editor):
    """The database owner lifts the append-only rule for this migration only."""
    if schema_editor.connection.vendor == "sqlite":
        _run(
            schema_editor,
            [
                "DROP TRIGGER IF EXISTS audit_event_no_update;",
                "DROP TRIGGER IF EXISTS audit_event_no_delete;",
            ],
        )
    else:
        _run(schema_editor, ["ALTER TABLE audit_auditevent DISABLE TRIGGER USER;"])


def rehash_and_restore(apps, schema_editor):
    """Events written under the chain hashed their predecessor too: their hash becomes the
    content hash alone, then the append-only triggers return, and the seals get theirs."""
    event_model = apps.get_model("audit", "AuditEvent")
    batch = []
    for event in event_model.objects.order_by("pk").iterator(chunk_size=2000):
        event.hash = _content_hash(event)
        batch.append(event)
        if len(batch) == 2000:
            event_model.objects.bulk_update(batch, ["hash"])
            batch = []
    if batch:
        event_model.objects.bulk_update(batch, ["hash"])
    if schema_editor.connection.vendor == "sqlite":
        _run(schema_editor, EVENT_TRIGGERS_SQLITE + SEAL_TRIGGERS_SQLITE)
    else:
        _run(
            schema_editor,
            ["ALTER TABLE audit_auditevent ENABLE TRIGGER USER;", *SEAL_TRIGGERS_POSTGRES],
        )


def drop_seal_triggers(apps, schema_editor):
    _run(schema_editor, SEAL_TRIGGERS_REVERSE[schema_editor.connection.vendor])


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_auditreview")]

    operations = [
        migrations.RunPython(lift_event_triggers, migrations.RunPython.noop),
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveBigIntegerField(unique=True)),
                ("first_id", models.BigIntegerField()),
                ("last_id", models.BigIntegerField()),
                ("count", models.PositiveIntegerField()),
                ("ids", models.TextField()),
                ("snapshot", models.TextField(blank=True, default="")),
                ("root", models.CharField(max_length=64)),
                ("digest", models.CharField(max_length=64)),
                ("prev_hash", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField()),
                ("key_id", models.CharField(max_length=16)),
                ("public_key", models.CharField(max_length=64)),
                ("signature", models.CharField(max_length=128)),
            ],
            options={"ordering": ["number"]},
        ),
        migrations.DeleteModel(name="AuditChainHead"),
        migrations.RemoveField(model_name="auditevent", name="prev_hash"),
        migrations.AddField(
            model_name="auditevent",
            name="xid",
            field=models.BigIntegerField(
                db_default=samplan.audit.models.CurrentTransactionId(), editable=False, null=True
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("xid__isnull", False)), fields=["xid"], name="audit_event_xid"
            ),
        ),
        migrations.RunPython(rehash_and_restore, drop_seal_triggers),
    ]
