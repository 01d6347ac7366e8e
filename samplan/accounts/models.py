from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from samplan.core.validators import no_control_characters
from samplan.directory.identity import validate_hsa_id


class User(AbstractUser):
    """An account: staff, an organisation administrator, or a person with a plan."""

    hsa_id = models.CharField(
        _("HSA-id"),
        max_length=40,
        blank=True,
        default="",
        validators=[validate_hsa_id],
        help_text=_("Frivilligt. Personens id i HSA-katalogen."),
    )
    phone = models.CharField(_("telefon"), max_length=40, blank=True, default="")

    def clean(self) -> None:
        super().clean()
        for name in ("username", "first_name", "last_name"):
            no_control_characters(getattr(self, name))

    class Meta:
        verbose_name = _("användare")
        verbose_name_plural = _("användare")
        constraints = [
            models.UniqueConstraint(
                fields=["hsa_id"],
                condition=~models.Q(hsa_id=""),
                name="user_hsa_id_unique",
            )
        ]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class UserSession(models.Model):
    """Which sessions belong to which user, so that they can be ended together."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_links")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of user {self.user_id}"


class ApiToken(models.Model):
    """A bearer token for the HTTP API. Only a hash is stored; the token acts with exactly its
    user's rights, and can expire and be revoked."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("namn"), max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.prefix}… of user {self.user_id}"
