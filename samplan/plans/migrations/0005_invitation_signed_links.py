# External invitees' signed links (issue 11): the link is signed (samplan/plans/links.py) and
# carries the invitation's nonce; the stored hash of the old secret goes. Links mailed before
# are refused with a plain message (docs/security.md, "External invitees' links").

import secrets

import django.db.models.deletion
from django.db import migrations, models


def give_external_invitations_a_nonce(apps, schema_editor):
    invitation = apps.get_model("plans", "Invitation")
    for row in invitation.objects.filter(unit__isnull=True, link_nonce=""):
        row.link_nonce = secrets.token_urlsafe(12)
        row.save(update_fields=["link_nonce"])


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0003_person_lookup_protected_identity_change"),
        ("plans", "0004_own_view"),
    ]

    operations = [
        migrations.RemoveField(model_name="invitation", name="link_salt"),
        migrations.RemoveField(model_name="invitation", name="token_hash"),
        migrations.AddField(
            model_name="invitation",
            name="invitee_organisation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="directory.organisation",
                verbose_name="organisation i registret",
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="link_answered_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="invitation",
            name="link_nonce",
            field=models.CharField(blank=True, default="", editable=False, max_length=24),
        ),
        migrations.AddField(
            model_name="invitation",
            name="link_revoked_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(give_external_invitations_a_nonce, migrations.RunPython.noop),
    ]
