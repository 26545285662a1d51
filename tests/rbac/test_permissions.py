"""Permission resolution through groups, roles, scopes and directory roles."""

import pytest

from devices.models import Device
from devices.selectors import devices_visible_to
from devices.workload import DevicePerm
from rbac.catalogue import Perm, catalogue
from rbac.models import Role
from rbac.selectors import access_for, user_has_perm, users_with_permission
from rbac.services import RbacError, role_delete, role_update
from tests import factories as f


@pytest.fixture
def cities(db):
    milan, london = f.tag("Milan"), f.tag("London")
    giulia, emma = f.user("giulia"), f.user("emma")
    milan_people = f.group("Milan employees", [giulia])
    return {
        "milan": milan,
        "london": london,
        "milan_people": milan_people,
        "milan_device": f.device("MILAN-1", primary_user=giulia, tags=[milan]),
        "london_device": f.device("LONDON-1", primary_user=emma, tags=[london]),
    }


def test_a_user_without_assignments_can_do_nothing(db):
    nobody = f.user()
    assert not any(user_has_perm(nobody, code) for code in catalogue.codes())


def test_permissions_are_the_union_over_two_groups(db):
    person = f.user()
    f.assign(f.builtin("Application Manager"), [f.group("Apps", [person])])
    f.assign(f.builtin("Intune Role Administrator"), [f.group("Roles", [person])])
    assert user_has_perm(person, "mobile_apps.assign")
    assert user_has_perm(person, Perm.ROLES_ASSIGN)
    assert not user_has_perm(person, DevicePerm.WIPE)


@pytest.mark.parametrize("role", ["global_admin", "intune_admin"])
def test_directory_roles_grant_every_permission(db, role):
    admin = f.user(directory_role=role)
    assert all(user_has_perm(admin, code) for code in catalogue.codes())


def test_a_scoped_help_desk_operator_sees_only_devices_in_scope(cities):
    operator = f.user("marco")
    f.assign(
        f.builtin("Help Desk Operator"),
        [f.group("Help Desk Milan", [operator])],
        scope_groups=[cities["milan_people"]],
    )
    visible = set(devices_visible_to(operator))
    assert visible == {cities["milan_device"]}
    assert user_has_perm(operator, DevicePerm.WIPE, cities["milan_device"])
    assert not user_has_perm(operator, DevicePerm.WIPE, cities["london_device"])


def test_scope_tags_limit_an_assignment_to_tagged_devices(cities):
    operator = f.user()
    f.assign(
        f.builtin("Help Desk Operator"),
        [f.group("London desk", [operator])],
        tags=[cities["london"]],
    )
    assert set(devices_visible_to(operator)) == {cities["london_device"]}


def test_a_second_unscoped_assignment_widens_the_scope(cities):
    operator = f.user()
    desk = f.group("Desk", [operator])
    f.assign(f.builtin("Help Desk Operator"), [desk], scope_groups=[cities["milan_people"]])
    f.assign(f.builtin("Read Only Operator"), [f.group("Readers", [operator])])
    assert set(devices_visible_to(operator)) == set(Device.objects.all())
    # Reading everything does not extend the scoped wipe permission.
    assert not user_has_perm(operator, DevicePerm.WIPE, cities["london_device"])


def test_access_is_computed_once_per_user_object(db, django_assert_num_queries):
    person = f.user()
    f.assign(f.builtin("Read Only Operator"), [f.group("Readers", [person])])
    access_for(person)
    with django_assert_num_queries(0):
        for code in catalogue.codes():
            user_has_perm(person, code)


def test_users_with_permission_counts_directory_roles_and_assignments(db):
    admin, reader, nobody = f.global_admin(), f.user(), f.user()
    f.assign(f.builtin("Read Only Operator"), [f.group("Readers", [reader])])
    holders = set(users_with_permission(DevicePerm.READ))
    assert {admin, reader} <= holders
    assert nobody not in holders


def test_builtin_roles_cannot_be_edited_or_deleted(db):
    builtin = f.builtin("Help Desk Operator")
    with pytest.raises(RbacError, match="built-in"):
        role_update(actor=None, role_id=builtin.pk, name="Mine", description="", permissions=[])
    with pytest.raises(RbacError, match="built-in"):
        role_delete(actor=None, role_id=builtin.pk)


def test_builtin_roles_match_intune_and_hold_no_maa_permission(db):
    assert set(Role.objects.filter(is_builtin=True).values_list("name", flat=True)) == {
        r.name for r in catalogue.builtin_roles()
    }
    for role in Role.objects.filter(is_builtin=True):
        codes = set(role.permissions.values_list("code", flat=True))
        assert codes <= catalogue.codes()
        assert not any(code.startswith("maa.") for code in codes), role.name
    assert DevicePerm.WIPE in f.builtin("Help Desk Operator").permissions.values_list(
        "code", flat=True
    )
    read_only = set(f.builtin("Read Only Operator").permissions.values_list("code", flat=True))
    assert all(code.endswith(".read") for code in read_only)


def test_a_role_still_assigned_cannot_be_deleted(db):
    custom = f.role("Custom", [DevicePerm.READ])
    f.assign(custom, [f.group()])
    with pytest.raises(RbacError, match="still assigned"):
        role_delete(actor=None, role_id=custom.pk)


def test_cached_access_follows_every_kind_of_rbac_change(tenant, django_assert_num_queries):
    from rbac.models import User
    from rbac.selectors import user_has_perm

    def hazel():  # a fresh object, as each HTTP request loads one
        return User.objects.get(pk=tenant.hazel.pk)

    assert user_has_perm(hazel(), DevicePerm.WIPE)
    user = hazel()
    with django_assert_num_queries(0):  # resolved once, then read from the cache
        assert user_has_perm(user, DevicePerm.WIPE)
    tenant.helpdesk.auth_group.user_set.remove(tenant.hazel)
    assert not user_has_perm(hazel(), DevicePerm.WIPE)
    tenant.helpdesk.auth_group.user_set.add(tenant.hazel)
    assert user_has_perm(hazel(), DevicePerm.WIPE)
    role = f.role("Wiper", [DevicePerm.WIPE])
    f.assign(role, [f.group("Wipers", [tenant.approver])])
    assert user_has_perm(User.objects.get(pk=tenant.approver.pk), DevicePerm.WIPE)
    role.permissions.clear()
    assert not user_has_perm(User.objects.get(pk=tenant.approver.pk), DevicePerm.WIPE)
