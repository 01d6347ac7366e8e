"""`samplan remind`: remind invitees who have not answered (run from cron, e.g. hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from samplan.plans.services import invitations_remind_due


class Command(BaseCommand):
    help = "Send reminders for unanswered SIP meeting invitations."

    def handle(self, *args: Any, **options: Any) -> None:
        count = invitations_remind_due()
        self.stdout.write(f"{count} reminder(s) queued.")
