from django.db import migrations, models


def forget_the_stored_facts(apps, schema_editor):
    """Declines are stored as columns now (facts.Declines), not as a counter, and weeks are
    stored: until `samplan statistics rebuild`, the page reads live."""
    apps.get_model("statistics", "RefreshCursor").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("statistics", "0002_stored_facts_by_span"),
    ]

    operations = [
        migrations.RunPython(forget_the_stored_facts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="storedfacts",
            name="span",
            field=models.CharField(
                choices=[
                    ("d", "day"),
                    ("w", "week"),
                    ("m", "month"),
                    ("q", "quarter"),
                    ("y", "year"),
                ],
                max_length=1,
            ),
        ),
    ]
