from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from samplan.accounts.models import User
from samplan.accounts.services import LOGIN_AT_SESSION_KEY, session_link


@receiver(user_logged_in)
def remember_session(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if request is not None:
        request.session[LOGIN_AT_SESSION_KEY] = time.time()
        if request.session.session_key:
            session_link(user=user, session_key=request.session.session_key)
