"""`samplan sendmail`: send queued mail that is due. Run it from a cron job or systemd timer."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from samplan.notify.services import mail_send_due


class Command(BaseCommand):
    help = "Send queued mail whose next attempt is due (retries after failures)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = mail_send_due()
        if options["verbosity"] >= 1:
            self.stdout.write(f"{sent} sent")
