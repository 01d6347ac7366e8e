from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Fel användarnamn eller lösenord. "
            "Efter flera misslyckade försök spärras kontot en stund."
        ),
        "inactive": _("Kontot är avstängt. Kontakta din organisations administratör."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No autofocus: the skip link stays the first Tab stop, and a screen reader starts
        # reading the page from the top rather than in the middle of the form.
        self.fields["username"].widget.attrs.pop("autofocus", None)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"
