from django.db import migrations


def forget_the_stored_facts(apps, schema_editor):
    """Declines are stored as columns now (facts.Declines), not as a counter: until
    `samplan statistics rebuild`, the page reads live."""
    apps.get_model("statistics", "RefreshCursor").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("statistics", "0002_stored_facts_by_span"),
    ]

    operations = [
        migrations.RunPython(forget_the_stored_facts, migrations.RunPython.noop),
    ]
