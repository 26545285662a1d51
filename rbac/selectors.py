"""Reads with rules: what a user may do, and on which objects.

`access_for(user)` is resolved once per user object (so once per HTTP request), and kept in the
cache between requests (rbac.access_cache); `scope_filter` turns it into one SQL condition for
a whole list.
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from .access_cache import access_cached, access_store
from .catalogue import Perm, catalogue
from .models import DirectoryRole, Role, RoleAssignment, SecurityGroup, User


@dataclass(frozen=True)
class Scope:
    all_devices: bool
    group_ids: frozenset[int]  # auth group ids of the scope groups
    tag_ids: frozenset[int]

    @property
    def unrestricted(self) -> bool:
        return self.all_devices and not self.tag_ids


@dataclass
class Access:
    unrestricted: bool = False
    grants: dict[str, list[Scope]] = field(default_factory=dict)
    # The user's auth groups: the request lists match object grants against them (approvals
    # selectors), and membership changes bump the cache's generation like the rest.
    group_ids: frozenset[int] = frozenset()

    def has(self, code: str) -> bool:
        return self.unrestricted or code in self.grants

    def scopes(self, code: str) -> list[Scope]:
        return self.grants.get(code, [])

    def is_unscoped(self, code: str) -> bool:
        return self.unrestricted or any(s.unrestricted for s in self.scopes(code))


_CACHE_ATTR = "_maa_access"


def access_for(user) -> Access:
    if not user or not user.is_authenticated or not user.is_active:
        return Access()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    generation, access = access_cached(user.pk)
    if access is None:
        access = _resolve(user)
        access_store(user.pk, generation, access)
    setattr(user, _CACHE_ATTR, access)
    return access


def _resolve(user) -> Access:
    """Read the user's groups, role assignments and the scopes they grant each permission in."""
    group_ids = frozenset(user.groups.values_list("pk", flat=True))
    if user.directory_role:
        return Access(unrestricted=True, group_ids=group_ids)
    access = Access(group_ids=group_ids)
    assignments = (
        RoleAssignment.objects.filter(pk__in=_assignment_ids_of(user))
        .select_related("role")
        .prefetch_related("role__permissions", "scope_groups", "scope_tags")
    )
    for assignment in assignments:
        scope = Scope(
            all_devices=assignment.scope_all_devices,
            group_ids=frozenset(g.auth_group_id for g in assignment.scope_groups.all()),
            tag_ids=frozenset(t.pk for t in assignment.scope_tags.all()),
        )
        for permission in assignment.role.permissions.all():
            access.grants.setdefault(permission.code, []).append(scope)
    return access


def _assignment_ids_of(user):
    return RoleAssignment.members.through.objects.filter(
        securitygroup__auth_group__user=user
    ).values("roleassignment_id")


def user_has_perm(user, code: str, obj=None) -> bool:
    """May this user do `code`, on `obj` when given (objects in scope only)?"""
    if not catalogue.knows(code):
        raise ValueError(f"Unknown permission {code!r}")
    access = access_for(user)
    if not access.has(code):
        return False
    if obj is None or access.is_unscoped(code):
        return True
    model = type(obj)
    return model._default_manager.filter(scope_filter(user, code, model), pk=obj.pk).exists()


def scope_filter(user, code: str, model) -> Q:
    """One SQL condition selecting the rows of `model` the user may `code`.

    The model is scoped like an Intune device: a `primary_user` and `scope_tags`. Subqueries,
    not joins, so the list needs no DISTINCT and stays fast on large tables.
    """
    access = access_for(user)
    if access.is_unscoped(code):
        return Q()
    condition = Q(pk__in=[])
    tag_links = model.scope_tags.through
    for scope in access.scopes(code):
        part = Q()
        if not scope.all_devices:
            part &= Q(
                primary_user_id__in=User.groups.through.objects.filter(
                    group_id__in=scope.group_ids
                ).values("user_id")
            )
        if scope.tag_ids:
            part &= Q(
                Exists(
                    tag_links.objects.filter(
                        **{f"{model._meta.model_name}_id": OuterRef("pk")},
                        scopetag_id__in=scope.tag_ids,
                    )
                )
            )
        condition |= part
    return condition


# Global and Intune Administrators hold every permission.
ADMIN_ROLES = [DirectoryRole.GLOBAL_ADMINISTRATOR, DirectoryRole.INTUNE_ADMINISTRATOR]
# From a membership row to the permissions its group's role assignments grant.
_GRANTED_CODE = "group__security_group__role_assignments__role__permissions__code"


def users_with_permission(code: str) -> QuerySet:
    """Active users holding `code` through a role assignment or a directory role."""
    # From the membership table up, not from User: one join fewer for PostgreSQL to plan.
    through_roles = User.groups.through.objects.filter(**{_GRANTED_CODE: code}).values("user_id")
    return User.objects.filter(is_active=True).filter(
        Q(directory_role__in=ADMIN_ROLES) | Q(pk__in=through_roles)
    )


def permission_holders(codes) -> dict[str, set[int]]:
    """`users_with_permission` for several codes at once, as user ids: two queries, whatever
    the number of codes (the Access policies page checks every policy's approvers)."""
    admins = set(
        User.objects.filter(is_active=True, directory_role__in=ADMIN_ROLES).values_list(
            "pk", flat=True
        )
    )
    holders = {code: set(admins) for code in codes}
    granted = User.groups.through.objects.filter(
        user__is_active=True, **{f"{_GRANTED_CODE}__in": list(holders)}
    ).values_list("user_id", _GRANTED_CODE)
    for user_id, code in granted:
        holders[code].add(user_id)
    return holders


def group_list() -> QuerySet:
    return SecurityGroup.objects.select_related("auth_group").prefetch_related("role_assignments")


def role_list() -> QuerySet:
    return Role.objects.prefetch_related("permissions")


def assignment_list() -> QuerySet:
    return RoleAssignment.objects.select_related("role").prefetch_related(
        "members", "scope_groups", "scope_tags"
    )


def audit_may_read(user) -> bool:
    """settings.AUDIT_MAY_READ: the audit log's readers hold Audit data: Read."""
    return user_has_perm(user, Perm.AUDIT_READ)


def audit_readers() -> QuerySet:
    """settings.AUDIT_READERS: who gets each signed checkpoint of the audit chain."""
    return users_with_permission(Perm.AUDIT_READ)
