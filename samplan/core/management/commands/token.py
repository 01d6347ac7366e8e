"""`samplan token create USERNAME`: a new API token (printed once); `list` and `revoke`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samplan.accounts.models import ApiToken, User
from samplan.accounts.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Manage API tokens: create USERNAME [--days N], list USERNAME, revoke PREFIX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["create", "list", "revoke"])
        parser.add_argument("subject", help="a username, or a token prefix for revoke")
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        operation, subject = options["operation"], options["subject"]
        if operation == "revoke":
            tokens = ApiToken.objects.filter(prefix=subject, revoked_at__isnull=True)
            if not tokens.exists():
                raise CommandError(f"Ingen aktiv token med prefixet {subject}. / No such token.")
            for token in tokens:
                api_token_revoke(token=token)
            self.stdout.write(f"Revoked {subject}")
            return
        user = User.objects.filter(username=subject, is_active=True).first()
        if user is None:
            raise CommandError(f"Ingen aktiv användare {subject}. / No active user {subject}.")
        if operation == "list":
            for token in user.api_tokens.order_by("-created_at"):
                state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
                self.stdout.write(f"{token.prefix}  {state}  {token.name}")
            return
        _token, clear = api_token_create(user=user, days=options["days"], name=options["name"])
        self.stdout.write(clear)
