"""Mail backends for tests: one that always fails, like an SMTP server that is down."""

from __future__ import annotations

from collections.abc import Sequence
from smtplib import SMTPServerDisconnected
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend

calls: list[int] = []


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        calls.append(len(email_messages))
        # The text quotes an address, as real SMTP errors do; it must not be stored.
        raise SMTPServerDisconnected("Connection unexpectedly closed: sara.lind@example.org")
