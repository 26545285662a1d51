"""Every write to the directory and to RBAC.

These functions apply a change directly. Pages never call the role and assignment writers
themselves: they go through approvals.services.operation_start, which decides whether a change
needs approval first and checks the safety rails; the approval executors then call these.
"""

from contextlib import contextmanager

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.chain import audit_record

from .catalogue import catalogue
from .models import (
    DirectoryRole,
    Permission,
    Role,
    RoleAssignment,
    ScimToken,
    ScopeTag,
    SecurityGroup,
    User,
)
from .models.groups import GROUP_NAME_MAX
from .models.scim import token_digest


class RbacError(Exception):
    """A change the directory refuses, with a message for people."""


def catalogue_sync() -> None:
    """Keep the permission rows and the built-in roles equal to rbac.catalogue."""
    with transaction.atomic():
        specs = catalogue.permission_specs()
        for spec in specs:
            Permission.objects.update_or_create(
                code=spec.code, defaults={"category": spec.category, "name": spec.name}
            )
        Permission.objects.exclude(code__in=[s.code for s in specs]).delete()
        by_code = {p.code: p for p in Permission.objects.all()}
        for builtin in catalogue.builtin_roles():
            role, _ = Role.objects.update_or_create(
                name=builtin.name,
                defaults={"description": builtin.description, "is_builtin": True},
            )
            role.permissions.set([by_code[code] for code in builtin.permissions])


def _ensure_name_free(model, name: str, *, label: str, exclude_pk: int | None = None) -> None:
    """Names identify groups, roles and assignments to people: two alike would be ambiguous."""
    if model.objects.filter(name=name).exclude(pk=exclude_pk).exists():
        raise RbacError(f"A {label} named {name!r} already exists.")


@contextmanager
def _name_race(name: str, *, label: str):
    """A creation that lost a race to the same name answers like a sequential duplicate."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise RbacError(f"A {label} named {name!r} already exists.") from exc


def _check_group_name(name: str) -> None:
    if len(name) > GROUP_NAME_MAX:
        raise RbacError(
            f"A group name has at most {GROUP_NAME_MAX} characters (this one has {len(name)})."
        )


def _member_names(group: SecurityGroup) -> list[str]:
    return sorted(group.members.values_list("username", flat=True))


def group_create(
    *, actor, name: str, description: str = "", group_type: str = "security", members=()
) -> SecurityGroup:
    _check_group_name(name)
    with transaction.atomic():
        _ensure_name_free(SecurityGroup, name, label="group")
        with _name_race(name, label="group"):
            auth_group = Group.objects.create(name=f"sg:{name}")
            group = SecurityGroup.objects.create(
                name=name, description=description, group_type=group_type, auth_group=auth_group
            )
        auth_group.user_set.set(members)
        audit_record(
            actor=actor,
            action="group.create",
            target=group,
            data={"members": _member_names(group), "type": group_type},
        )
    return group


def group_update(
    *, actor, group: SecurityGroup, name: str, description: str, group_type: str, members
) -> SecurityGroup:
    _check_group_name(name)
    with transaction.atomic():
        group = SecurityGroup.objects.select_for_update().get(pk=group.pk)
        if group.provisioned:
            raise RbacError(
                f"{group.name} comes from your identity provider (SCIM): change its name and "
                "members there; the portal does not edit it."
            )
        _ensure_name_free(SecurityGroup, name, label="group", exclude_pk=group.pk)
        before = set(_member_names(group))
        group.name, group.description, group.group_type = name, description, group_type
        with _name_race(name, label="group"):
            group.save()
            group.auth_group.name = f"sg:{name}"
            group.auth_group.save(update_fields=["name"])
        group.auth_group.user_set.set(members)
        after = set(_member_names(group))
        audit_record(actor=actor, action="group.update", target=group)
        for username in sorted(after - before):
            audit_record(actor=actor, action="group.member_add", target=group, note=username)
        for username in sorted(before - after):
            audit_record(actor=actor, action="group.member_remove", target=group, note=username)
    return group


def role_state(role: Role) -> dict:
    """The comparable content of a role: what an approver sees and what completion re-checks."""
    return {
        "name": role.name,
        "description": role.description,
        "permissions": sorted(role.permissions.values_list("code", flat=True)),
    }


def _ensure_editable(role: Role) -> None:
    if role.is_builtin:
        raise RbacError(
            f"{role.name} is a built-in role and cannot be changed. Duplicate it to make a "
            "custom role."
        )


def _permissions(codes) -> list[Permission]:
    found = list(Permission.objects.filter(code__in=codes))
    missing = set(codes) - {p.code for p in found}
    if missing:
        raise RbacError(f"Unknown permissions: {', '.join(sorted(missing))}.")
    return found


def role_create(
    *, actor, name: str, description: str, permissions, duplicated_from_id: int | None = None
) -> Role:
    with transaction.atomic():
        _ensure_name_free(Role, name, label="role")
        role = Role.objects.create(
            name=name, description=description, duplicated_from_id=duplicated_from_id
        )
        role.permissions.set(_permissions(permissions))
        audit_record(actor=actor, action="role.create", target=role, data=role_state(role))
    return role


def role_update(*, actor, role_id: int, name: str, description: str, permissions) -> Role:
    with transaction.atomic():
        role = Role.objects.select_for_update().get(pk=role_id)
        _ensure_editable(role)
        _ensure_name_free(Role, name, label="role", exclude_pk=role.pk)
        before = role_state(role)
        role.name, role.description = name, description
        role.save()
        role.permissions.set(_permissions(permissions))
        audit_record(
            actor=actor,
            action="role.update",
            target=role,
            data={"before": before, "after": role_state(role)},
        )
    return role


def role_delete(*, actor, role_id: int) -> None:
    with transaction.atomic():
        role = Role.objects.select_for_update().get(pk=role_id)
        _ensure_editable(role)
        if role.assignments.exists():
            raise RbacError(
                f"{role.name} is still assigned ({role.assignments.count()} assignments). "
                "Remove its assignments first."
            )
        audit_record(actor=actor, action="role.delete", target=role, data=role_state(role))
        role.delete()


def assignment_state(assignment: RoleAssignment) -> dict:
    return {
        "name": assignment.name,
        "description": assignment.description,
        "role": assignment.role_id,
        "members": sorted(assignment.members.values_list("pk", flat=True)),
        "scope_all_devices": assignment.scope_all_devices,
        "scope_groups": sorted(assignment.scope_groups.values_list("pk", flat=True)),
        "scope_tags": sorted(assignment.scope_tags.values_list("pk", flat=True)),
    }


def _assignment_apply(assignment: RoleAssignment, state: dict) -> None:
    if not state["members"]:
        raise RbacError("A role assignment needs at least one member group.")
    assignment.name = state["name"]
    assignment.description = state.get("description", "")
    assignment.role = Role.objects.get(pk=state["role"])
    assignment.scope_all_devices = state["scope_all_devices"]
    assignment.save()
    assignment.members.set(SecurityGroup.objects.filter(pk__in=state["members"]))
    assignment.scope_groups.set(SecurityGroup.objects.filter(pk__in=state["scope_groups"]))
    assignment.scope_tags.set(ScopeTag.objects.filter(pk__in=state["scope_tags"]))


def assignment_create(*, actor, state: dict) -> RoleAssignment:
    with transaction.atomic():
        _ensure_name_free(RoleAssignment, state["name"], label="role assignment")
        assignment = RoleAssignment()
        _assignment_apply(assignment, state)
        audit_record(
            actor=actor,
            action="assignment.create",
            target=assignment,
            data=assignment_state(assignment),
        )
    return assignment


def assignment_update(*, actor, assignment_id: int, state: dict) -> RoleAssignment:
    with transaction.atomic():
        assignment = RoleAssignment.objects.select_for_update().get(pk=assignment_id)
        _ensure_name_free(
            RoleAssignment, state["name"], label="role assignment", exclude_pk=assignment_id
        )
        before = assignment_state(assignment)
        _assignment_apply(assignment, state)
        audit_record(
            actor=actor,
            action="assignment.update",
            target=assignment,
            data={"before": before, "after": assignment_state(assignment)},
        )
    return assignment


def assignment_delete(*, actor, assignment_id: int) -> None:
    with transaction.atomic():
        assignment = RoleAssignment.objects.select_for_update().get(pk=assignment_id)
        audit_record(
            actor=actor,
            action="assignment.delete",
            target=assignment,
            data=assignment_state(assignment),
        )
        assignment.delete()


def user_set_active(*, actor, user_id: int, active: bool) -> User:
    """Deactivate (or reactivate) a user; the portal deactivates instead of deleting."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.is_active != active:
            user.is_active = active
            user.save(update_fields=["is_active"])
            audit_record(
                actor=actor, action="user.activate" if active else "user.deactivate", target=user
            )
    return user


def signin_unlock(*, actor, username: str) -> int:
    """An administrator lets a locked account sign in again: its failed attempts are forgotten
    (django-axes), and the unlock is audited. Returns how many attempts were cleared."""
    cleared = axes_reset(username=username)
    cache.delete(f"signin-lock:account:{username}")
    audit_record(
        actor=actor,
        action="signin.unlock",
        target=User.objects.filter(username=username).first(),
        target_label=username,
        data={"attempts_cleared": cleared},
    )
    return cleared


def lockout_mail_send(*, user_id: int, ip_address: str) -> None:
    """Tell a person their account was locked after failed sign-ins (not by whom: the address
    is what the portal saw)."""
    user = User.objects.get(pk=user_id)
    send_mail(
        "MAA Portal: your account is locked after failed sign-ins",
        f"Hello {user},\n\nThere were too many failed sign-ins to your MAA Portal account "
        f"({user.username}) from {ip_address or 'an unknown address'}. Sign-in is locked for "
        f"{settings.AXES_COOLOFF_TIME}. If this was not you, tell your administrator.\n",
        None,
        [user.email],
    )


def _ensure_directory_admin(actor) -> None:
    if actor.directory_role not in (
        DirectoryRole.GLOBAL_ADMINISTRATOR,
        DirectoryRole.INTUNE_ADMINISTRATOR,
    ):
        raise RbacError("Only a Global or Intune Administrator manages provisioning tokens.")


def scim_token_create(*, actor, name: str) -> tuple[ScimToken, str]:
    """A SCIM bearer token; returns it with its secret, which is shown once and never stored."""
    _ensure_directory_admin(actor)
    name = name.strip()
    if not name or len(name) > 100:
        raise RbacError("Give the token a name of at most 100 characters.")
    secret = ScimToken.new_secret()
    with transaction.atomic():
        token = ScimToken.objects.create(name=name, digest=token_digest(secret), created_by=actor)
        audit_record(actor=actor, action="scim_token.create", target=token)
    return token, secret


def scim_token_revoke(*, actor, token_id: int) -> ScimToken:
    _ensure_directory_admin(actor)
    with transaction.atomic():
        token = ScimToken.objects.select_for_update().get(pk=token_id)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="scim_token.revoke", target=token)
    return token
