from dataclasses import dataclass

import pytest

from approvals.services import (
    operation_start,
    request_approve,
    request_complete,
    request_execute,
)
from tests import factories as f


def pytest_collection_modifyitems(items):
    """The long tests first: pytest-xdist (scripts/test) then runs them beside the short ones
    instead of leaving one of them to run alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@dataclass
class Tenant:
    """The article's tenant: a policy admin, two approvers, Hazel at the help desk, a device."""

    policy_admin: object
    approver: object
    approver2: object
    approvers: object
    hazel: object
    helpdesk: object
    device: object


@pytest.fixture(autouse=True)
def _checkpoints_in_tmp(settings, tmp_path):
    """Each test writes audit checkpoints to a file of its own, never to var/."""
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit-checkpoints.jsonl")


@pytest.fixture(autouse=True)
def _no_drainer_left():
    """A drainer slot held by an earlier test's purged task would keep a Complete from waking
    a drainer for up to half a minute."""
    from django.core.cache import cache

    from approvals.delivery import drainer_keys

    cache.delete_many(drainer_keys())


@pytest.fixture
def tenant(db) -> Tenant:
    return build_tenant()


def build_tenant() -> Tenant:
    policy_admin = f.intune_admin("policyadmin")
    approver, approver2, hazel = f.user("approver"), f.user("approver2"), f.user("hazel")
    approvers = f.group("Intune MAA Approvers", [approver, approver2])
    f.assign(f.approver_role(), [approvers], name="MAA approvers")
    helpdesk = f.group("Help Desk", [hazel])
    f.assign(f.builtin("Help Desk Operator"), [helpdesk], name="Help desk")
    return Tenant(
        policy_admin=policy_admin,
        approver=approver,
        approver2=approver2,
        approvers=approvers,
        hazel=hazel,
        helpdesk=helpdesk,
        device=f.device("DESKTOP-HAZEL-01"),
    )


def policy_state(policy_type: str, groups, approvals_required: int = 1, name: str = "") -> dict:
    return {
        "name": name or f"Protect {policy_type}",
        "description": "",
        "policy_type": policy_type,
        "approver_groups": [g.pk for g in groups],
        "approvals_required": approvals_required,
    }


def submit_policy(actor, state: dict, justification: str = "Protect a dangerous operation"):
    """File the request that creates an access policy; returns the request."""
    return operation_start(
        actor=actor,
        operation_code="policy.create",
        payload={"state": state},
        justification=justification,
    ).request


def activate_policy(tenant: Tenant, policy_type: str, *, approvals_required: int = 1):
    """Create a policy the way the article does: request, approval, Complete, execution."""
    return activate_state(tenant, policy_state(policy_type, [tenant.approvers], approvals_required))


def activate_state(tenant: Tenant, state: dict):
    """activate_policy for a policy state of one's own (stages, windows, break-glass)."""
    from approvals.models import AccessPolicy

    request = submit_policy(tenant.policy_admin, state)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.policy_admin)
    request_execute(request_id=request.pk)
    policy = AccessPolicy.objects.get(pk=request.payload["object_id"])
    if not policy.is_active:
        # A live worker (a browser story's) claimed the execution first and is running it:
        # the policy is active once it commits.
        from tests.worker import wait_until

        wait_until(
            lambda: AccessPolicy.objects.get(pk=policy.pk).is_active,
            timeout=30,
            what="the policy activated by the worker",
        )
        policy = AccessPolicy.objects.get(pk=policy.pk)
    return policy


@pytest.fixture
def wipe_policy(tenant):
    return activate_policy(tenant, "device.wipe")


def request_wipe(tenant: Tenant, device=None, justification: str = "Reassigning the PC"):
    return operation_start(
        actor=tenant.hazel,
        operation_code="device.wipe",
        payload={"device_id": (device or tenant.device).pk},
        justification=justification,
    ).request


def write_notices():
    """What a worker does with the events' notice batches: write their notices. Each batch is
    written once, so calling this again writes nothing new."""
    from approvals.models import NoticeBatch
    from approvals.notifications import notices_write

    for batch_id in NoticeBatch.objects.values_list("pk", flat=True):
        notices_write(batch_id=batch_id)
