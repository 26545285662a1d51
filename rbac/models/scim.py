import hashlib
import secrets

from django.conf import settings
from django.db import models


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ScimToken(models.Model):
    """A bearer token the identity provider's SCIM client presents (Entra: "Secret Token").

    Only its SHA-256 is stored: the token is shown once, when a Global or Intune Administrator
    creates it. A long random token needs no slow hash; a digest lookup finds it in one query.
    """

    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_secret() -> str:
        return f"maa-scim-{secrets.token_urlsafe(32)}"
