"""Retention records (`AuditRetention`, samplan/audit/retention.py): append-only like the
seals."""

from django.db import migrations, models

TRIGGERS = {
    "sqlite": [
        (
            "CREATE TRIGGER audit_retention_no_update BEFORE UPDATE ON audit_auditretention "
            "BEGIN SELECT RAISE(ABORT, 'audit retention records are append-only'); END;"
        ),
        (
            "CREATE TRIGGER audit_retention_no_delete BEFORE DELETE ON audit_auditretention "
            "BEGIN SELECT RAISE(ABORT, 'audit retention records are append-only'); END;"
        ),
    ],
    "postgresql": [
        (
            "CREATE TRIGGER audit_retention_no_update_delete BEFORE UPDATE OR DELETE "
            "ON audit_auditretention FOR EACH ROW EXECUTE FUNCTION audit_seal_append_only();"
        ),
        (
            "CREATE TRIGGER audit_retention_no_truncate BEFORE TRUNCATE ON audit_auditretention "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_seal_append_only();"
        ),
    ],
}
TRIGGERS_REVERSE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_retention_no_update;",
        "DROP TRIGGER IF EXISTS audit_retention_no_delete;",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_retention_no_update_delete ON audit_auditretention;",
        "DROP TRIGGER IF EXISTS audit_retention_no_truncate ON audit_auditretention;",
    ],
}


def _run(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def add_triggers(apps, schema_editor):
    _run(schema_editor, TRIGGERS[schema_editor.connection.vendor])


def drop_triggers(apps, schema_editor):
    _run(schema_editor, TRIGGERS_REVERSE[schema_editor.connection.vendor])


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_partition_by_month")]

    operations = [
        migrations.CreateModel(
            name="AuditRetention",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveBigIntegerField(unique=True)),
                ("before", models.DateTimeField()),
                ("count", models.PositiveBigIntegerField()),
                ("ids", models.TextField()),
                ("partitions", models.TextField(blank=True, default="")),
                ("seals_through", models.PositiveBigIntegerField()),
                ("seal_hash", models.CharField(max_length=64)),
                ("carried", models.TextField(blank=True, default="")),
                ("prev_hash", models.CharField(max_length=64)),
                ("made_at", models.DateTimeField()),
                ("key_id", models.CharField(max_length=16)),
                ("public_key", models.CharField(max_length=64)),
                ("signature", models.CharField(max_length=128)),
            ],
            options={"ordering": ["number"]},
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
