"""A workload plugs in from its own folder: tests/printers declares its workload, permissions,
built-in role grants, sidebar entry, pages and protected operation, and the engine, the
catalogue, RBAC and the sidebar take it up with no edit anywhere else."""

import subprocess
from pathlib import Path

from approvals.models import RequestStatus
from approvals.operations import registry
from approvals.services import (
    operation_start,
    request_approve,
    request_complete,
    request_execute,
)
from rbac.catalogue import catalogue
from rbac.models import Permission
from rbac.selectors import user_has_perm
from tests import factories as f
from tests.conftest import activate_policy
from tests.printers.models import Printer
from tests.printers.workload import PrinterPerm

ROOT = Path(__file__).resolve().parent.parent


def test_nothing_outside_its_folder_names_the_workload():
    """No code or template outside tests/printers (the docs may describe it)."""
    tracked = subprocess.run(
        ["git", "grep", "--untracked", "-il", "printer", "--", ".", ":!tests/printers", ":!*.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert sorted(tracked) == ["tests/settings.py", "tests/test_workload_plugin.py"]


def test_its_permissions_reach_the_catalogue_and_the_builtin_roles(db):
    assert {PrinterPerm.READ, PrinterPerm.DELETE} <= catalogue.codes()
    assert set(Permission.objects.filter(category="Printers").values_list("code", flat=True)) == {
        "printers.read",
        "printers.delete",
    }
    help_desk = set(f.builtin("Help Desk Operator").permissions.values_list("code", flat=True))
    assert {"printers.read", "printers.delete"} <= help_desk
    assert "printers.delete" not in set(
        f.builtin("Read Only Operator").permissions.values_list("code", flat=True)
    )


def test_an_access_policy_can_protect_it_in_the_wizards_order():
    types = [value for value, _label in registry.policy_types()]
    assert types.index("scripts") < types.index("printers") < types.index("tenant_configuration")


def test_its_sidebar_entry_and_page_follow_the_permission(tenant, client):
    client.force_login(tenant.hazel)  # Help Desk Operator: Printers Read
    page = client.get("/printers/")
    assert page.status_code == 200
    assert b'<a href="/printers/">Printers</a>' in page.content
    client.force_login(f.user("nobody"))
    assert client.get("/printers/").status_code == 403
    assert b'href="/printers/"' not in client.get("/tenant/maa/mine/").content


def test_its_operation_runs_through_the_approval_flow(tenant):
    printer = Printer.objects.create(name="PRN-MILAN-2F")
    policy = activate_policy(tenant, "printers")
    request = operation_start(
        actor=tenant.hazel,
        operation_code="printer.delete",
        payload={"printer_id": printer.pk},
        justification="Decommissioned with the second floor",
    ).request
    assert request.policy == policy and request.status == RequestStatus.NEEDS_APPROVAL
    assert Printer.objects.filter(pk=printer.pk).exists()
    # The approver's role, cloned from Read Only Operator, holds Printers Read as granted above.
    assert user_has_perm(tenant.approver, PrinterPerm.READ)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.hazel)
    request_execute(request_id=request.pk)
    assert not Printer.objects.filter(pk=printer.pk).exists()
