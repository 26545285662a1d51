from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_catalogue(sender, **kwargs):
    from .services import catalogue_sync

    catalogue_sync()


def _watch_access_inputs() -> None:
    """Whatever changes what access is made of invalidates every cached access."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from .access_cache import access_cache_invalidate, user_saved
    from .models import Role, RoleAssignment, ScopeTag, SecurityGroup, User

    for model in (Role, RoleAssignment, SecurityGroup, ScopeTag):
        post_save.connect(access_cache_invalidate, sender=model, weak=False)
        post_delete.connect(access_cache_invalidate, sender=model, weak=False)
    for through in (
        User.groups.through,
        Role.permissions.through,
        RoleAssignment.members.through,
        RoleAssignment.scope_groups.through,
        RoleAssignment.scope_tags.through,
    ):
        m2m_changed.connect(access_cache_invalidate, sender=through, weak=False)
    post_save.connect(user_saved, sender=User, weak=False)
    post_delete.connect(access_cache_invalidate, sender=User, weak=False)


def _directory_admin(user) -> bool:
    return user.directory_role in ("global_admin", "intune_admin")


class RbacConfig(AppConfig):
    name = "rbac"
    verbose_name = "Roles and groups"
    url_prefix = "tenant/"

    def ready(self):
        from allauth.account import signals as account_signals
        from allauth.mfa import signals as mfa_signals
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from utilities.navigation import ADMIN, NavItem, nav_register

        from . import stepup
        from .identity import signed_in
        from .sessions import session_start
        from .signin import lockout_record

        nav_register(
            NavItem("Provisioning (SCIM)", "rbac:scim_tokens", ADMIN, 80, visible=_directory_admin)
        )
        post_migrate.connect(_sync_catalogue, sender=self)
        _watch_access_inputs()
        user_locked_out.connect(lockout_record, weak=False)
        user_logged_in.connect(session_start, weak=False)
        account_signals.user_logged_in.connect(signed_in, weak=False)
        mfa_signals.authenticator_used.connect(stepup.stepup_verified, weak=False)
        mfa_signals.authentication_failed.connect(stepup.factor_refused, weak=False)
        for signal, action in (
            (mfa_signals.authenticator_added, "mfa.enrol"),
            (mfa_signals.authenticator_removed, "mfa.remove"),
            (mfa_signals.authenticator_reset, "mfa.reset"),
        ):
            signal.connect(stepup.factor_changed(action), weak=False)
