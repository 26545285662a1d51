"""What happens when the identity provider changes the directory: a person deprovisioned, a
group's members changed. RBAC owns people and groups; apps above it (the approval engine)
register what they must do about it, as sign-in hints are registered, so RBAC knows none of them.
"""

from collections.abc import Callable

from django.db import transaction
from oauth2_provider.models import AccessToken, RefreshToken

from audit.chain import audit_record

from .models import User

# Each takes (user, reason), inside the deprovisioning transaction.
_on_deprovision: list[Callable] = []
# Each takes (reason,), after the commit of a directory change.
_on_change: list[Callable] = []


def on_deprovision(callback: Callable) -> Callable:
    _on_deprovision.append(callback)
    return callback


def on_directory_change(callback: Callable) -> Callable:
    _on_change.append(callback)
    return callback


def directory_changed(reason: str) -> None:
    """Run the registered checks once the change is committed (the engine's approver counts)."""
    for callback in _on_change:
        transaction.on_commit(lambda callback=callback: callback(reason))


def user_deprovision(*, user_id: int, reason: str, actor=None) -> User:
    """A person the identity provider turned off: inactive at once, which ends every session (an
    inactive user is never loaded), every API token deleted, and what the apps above registered
    (their open requests cancelled) done in the same transaction."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        was_active = user.is_active
        user.is_active = False
        user.save(update_fields=["is_active"])
        tokens = AccessToken.objects.filter(user=user).count()
        RefreshToken.objects.filter(user=user).delete()
        AccessToken.objects.filter(user=user).delete()
        audit_record(
            actor=actor,
            action="user.deprovision",
            target=user,
            note=reason,
            data={"was_active": was_active, "tokens_revoked": tokens},
        )
        for callback in _on_deprovision:
            callback(user, reason)
        directory_changed(reason)
    return user
