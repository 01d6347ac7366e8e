"""Existing invitations: a unit of a principal (municipality, region) got a summons (kallelse),
everyone else (an external invitee, a unit of a school or state agency) an invitation
(inbjudan)."""

from typing import Any

from django.db import migrations

PRINCIPAL_KINDS = ("municipality", "region")


def forwards(apps: Any, schema_editor: Any) -> None:
    Invitation = apps.get_model("plans", "Invitation")
    Invitation.objects.filter(
        unit__isnull=False, unit__organisation__kind__in=PRINCIPAL_KINDS
    ).update(kind="summons")
    Invitation.objects.exclude(
        unit__isnull=False, unit__organisation__kind__in=PRINCIPAL_KINDS
    ).update(kind="invitation")


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0007_invitation_kind_meeting_sip_time"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
