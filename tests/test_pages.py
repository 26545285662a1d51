"""Every page's access rules: anonymous, signed in without the permission, with it."""

import re

import pytest
from django.urls import reverse

from tests import factories as f
from tests.conftest import request_wipe


@pytest.fixture
def pages(tenant, wipe_policy):
    request = request_wipe(tenant)
    role = f.approver_role()
    assignment = role.assignments.first()
    return {
        # url: permission-holder who gets 200 (a user without it gets 403)
        reverse("devices:list"): "hazel",
        reverse("devices:detail", args=[tenant.device.pk]): "hazel",
        reverse("devices:action", args=[tenant.device.pk, "wipe"]): "hazel",
        reverse("tenant_admin:groups"): "hazel",
        reverse("tenant_admin:group_detail", args=[tenant.approvers.pk]): "hazel",
        reverse("tenant_admin:group_create"): "policyadmin",
        reverse("tenant_admin:group_edit", args=[tenant.approvers.pk]): "policyadmin",
        reverse("tenant_admin:roles"): "approver",
        reverse("tenant_admin:role_detail", args=[role.pk]): "approver",
        reverse("tenant_admin:role_create"): "policyadmin",
        reverse("tenant_admin:role_edit", args=[role.pk]): "policyadmin",
        reverse("tenant_admin:role_duplicate", args=[role.pk]): "policyadmin",
        reverse("tenant_admin:role_delete", args=[role.pk]): "policyadmin",
        reverse("tenant_admin:assignments"): "approver",
        reverse("tenant_admin:assignment_detail", args=[assignment.pk]): "approver",
        reverse("tenant_admin:assignment_create"): "policyadmin",
        reverse("tenant_admin:assignment_edit", args=[assignment.pk]): "policyadmin",
        reverse("tenant_admin:assignment_delete", args=[assignment.pk]): "policyadmin",
        reverse("approvals:policies"): "policyadmin",
        reverse("approvals:policy_create"): "policyadmin",
        reverse("approvals:policy_detail", args=[wipe_policy.pk]): "policyadmin",
        reverse("approvals:policy_edit", args=[wipe_policy.pk]): "policyadmin",
        reverse("approvals:policy_delete", args=[wipe_policy.pk]): "policyadmin",
        reverse("approvals:request_detail", args=[request.pk]): "approver",
        reverse("audit:index"): "policyadmin",
        reverse("audit:export", args=["csv"]): "policyadmin",
    }


OPEN_TO_ALL = ["approvals:admin_tasks", "approvals:received", "approvals:mine", "rbac:profile"]


def test_anonymous_visitors_are_sent_to_the_login_page(client, pages):
    for url in [*pages, *(reverse(name) for name in OPEN_TO_ALL)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_users_without_the_permission_get_403(client, pages):
    outsider = f.user("outsider")
    client.force_login(outsider)
    for url in pages:
        assert client.get(url).status_code in (403, 404), url


def test_users_with_the_permission_see_each_page(client, pages, tenant):
    from rbac.models import User

    for url, username in pages.items():
        client.force_login(User.objects.get(username=username))
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = b"".join(response).decode()
        # What django-filter labels a filter it cannot name.
        assert "[invalid name]" not in body, url
        # Django points a field with help text at the text's id: the page must print it there.
        ids = set(re.findall(r' id="([^"]+)"', body))
        described = {
            i for refs in re.findall(r'aria-describedby="([^"]+)"', body) for i in refs.split()
        }
        assert described <= ids, (url, described - ids)


def test_pages_open_to_every_signed_in_user(client, tenant):
    client.force_login(tenant.hazel)
    for name in OPEN_TO_ALL:
        assert client.get(reverse(name)).status_code == 200, name


def test_navigation_shows_only_permitted_sections(client, db):
    app_manager = f.user("appmanager")
    f.assign(f.builtin("Application Manager"), [f.group("App managers", [app_manager])])
    client.force_login(app_manager)
    body = client.get(reverse("approvals:admin_tasks")).content.decode()
    assert reverse("devices:list") in body
    assert reverse("audit:index") not in body
    assert reverse("tenant_admin:roles") not in body


def test_a_stranger_acting_on_a_request_learns_nothing(client, tenant, wipe_policy):
    """Complete, Cancel and Retry skip the view's read of the request (the service refuses
    anyone but the requestor); a refusal must still answer 404 to someone who cannot see it,
    like a request that does not exist, and store no message that would name its status."""
    from approvals.models import ApprovalRequest

    request = request_wipe(tenant)
    client.force_login(f.user("stranger"))
    for pk in (request.pk, request.pk + 1000):
        for action in ("approve", "reject", "complete", "cancel", "retry"):
            url = reverse("approvals:request_action", args=[pk, action])
            assert client.post(url, {"note": "x"}).status_code == 404, (pk, action)
    assert "messages" not in client.cookies
    assert ApprovalRequest.objects.get(pk=request.pk).status == "needs_approval"

    # Someone who sees the request but is not its requestor is refused, not hidden from.
    client.force_login(tenant.approver)
    url = reverse("approvals:request_action", args=[request.pk, "cancel"])
    assert client.post(url).status_code == 403
    # The requestor sees why: the request is not approved yet.
    client.force_login(tenant.hazel)
    url = reverse("approvals:request_action", args=[request.pk, "complete"])
    response = client.post(url)
    assert response.status_code == 409
    assert "only an approved request can be completed" in response.content.decode()


def test_a_get_never_changes_a_request(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    client.force_login(tenant.approver)
    for action in ("approve", "reject", "complete", "cancel", "retry"):
        url = reverse("approvals:request_action", args=[request.pk, action])
        assert client.get(url).status_code == 405
    request.refresh_from_db()
    assert request.status == "needs_approval"
