# The person's own view (issue 11): a child's own view per plan, and the person's approval of
# an established version.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0003_person_lookup_protected_identity_change"),
        ("plans", "0003_invitation_token_hash"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="child_own_view",
            field=models.BooleanField(
                default=False,
                help_text="Om barnet, efter ålder och mognad, får se planen med egen inloggning.",
                verbose_name="barnet ser planen själv",
            ),
        ),
        migrations.AddField(
            model_name="planversion",
            name="approved_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="godkänd"),
        ),
        migrations.AddField(
            model_name="planversion",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="godkänd av",
            ),
        ),
        migrations.AddField(
            model_name="planversion",
            name="approved_by_representative",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="directory.representative",
                verbose_name="godkänd av företrädare",
            ),
        ),
        migrations.AddField(
            model_name="planversion",
            name="person_participation",
            field=models.CharField(
                blank=True,
                choices=[
                    ("approved", "Personen har godkänt versionen."),
                    (
                        "approved_by_representative",
                        "Personens företrädare har godkänt versionen för personen.",
                    ),
                ],
                default="",
                max_length=30,
                verbose_name="hur personen deltog",
            ),
        ),
    ]
