"""API applications (service principals): created by an admin, authenticated by OAuth 2.0
client credentials (django-oauth-toolkit), and given permissions through security groups.

Each application is a User with is_application set (no password) and one OAuth application
whose secret is stored hashed and shown once, when it is created or reset.
"""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application

from audit.chain import audit_record

from .models import SecurityGroup, User

NAME_MAX = 128


class ApplicationError(Exception):
    """A change to an API application the portal refuses, with a message for people."""


def application_of(principal: User) -> Application:
    return Application.objects.get(user=principal)


def _groups(principal: User, group_ids) -> list[SecurityGroup]:
    groups = list(SecurityGroup.objects.filter(pk__in=list(group_ids)).select_related("auth_group"))
    if len(groups) != len(set(group_ids)):
        raise ApplicationError("One of the chosen groups no longer exists.")
    return groups


def application_create(*, actor, name: str, group_ids=()) -> tuple[User, Application, str]:
    """Returns the principal, its OAuth application and the secret, which is not kept."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ApplicationError(f"Give the application a name of at most {NAME_MAX} characters.")
    if User.objects.filter(is_application=True, display_name__iexact=name).exists():
        raise ApplicationError(f"An application named {name!r} already exists.")
    with transaction.atomic():
        principal = User(
            username=f"app-{slugify(name)[:100]}-{secrets.token_hex(3)}",
            display_name=name,
            is_application=True,
        )
        principal.set_unusable_password()
        principal.save()
        groups = _groups(principal, group_ids)
        principal.groups.set([g.auth_group for g in groups])
        secret = generate_client_secret()
        application = Application.objects.create(
            name=name,
            user=principal,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            hash_client_secret=True,
        )
        audit_record(
            actor=actor,
            action="application.create",
            target=principal,
            data={"client_id": application.client_id, "groups": sorted(g.name for g in groups)},
        )
    return principal, application, secret


def application_groups_set(*, actor, principal_id: int, group_ids) -> User:
    with transaction.atomic():
        principal = User.objects.select_for_update().get(pk=principal_id, is_application=True)
        groups = _groups(principal, group_ids)
        principal.groups.set([g.auth_group for g in groups])
        audit_record(
            actor=actor,
            action="application.groups",
            target=principal,
            data={"groups": sorted(g.name for g in groups)},
        )
    return principal


def application_secret_reset(*, actor, principal_id: int) -> str:
    """A new secret (shown once); the old one stops working and its tokens are revoked."""
    with transaction.atomic():
        principal = User.objects.select_for_update().get(pk=principal_id, is_application=True)
        application = application_of(principal)
        secret = generate_client_secret()
        application.client_secret = secret
        application.save()
        revoked = _revoke_tokens(application)
        audit_record(
            actor=actor,
            action="application.secret_reset",
            target=principal,
            data={"client_id": application.client_id, "tokens_revoked": revoked},
        )
    return secret


def _revoke_tokens(application: Application) -> int:
    tokens = AccessToken.objects.filter(application=application, expires__gt=timezone.now())
    count = 0
    for token in tokens:
        token.revoke()
        count += 1
    return count


def application_tokens_revoke(*, actor, principal_id: int) -> int:
    with transaction.atomic():
        principal = User.objects.get(pk=principal_id, is_application=True)
        revoked = _revoke_tokens(application_of(principal))
        audit_record(
            actor=actor,
            action="application.tokens_revoked",
            target=principal,
            data={"tokens_revoked": revoked},
        )
    return revoked


def application_set_enabled(*, actor, principal_id: int, enabled: bool) -> User:
    """A disabled application's tokens are revoked; any token it still gets is refused at use."""
    with transaction.atomic():
        principal = User.objects.select_for_update().get(pk=principal_id, is_application=True)
        principal.is_active = enabled
        principal.save(update_fields=["is_active"])
        revoked = 0 if enabled else _revoke_tokens(application_of(principal))
        audit_record(
            actor=actor,
            action="application.enable" if enabled else "application.disable",
            target=principal,
            data={"tokens_revoked": revoked},
        )
    return principal
