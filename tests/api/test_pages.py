"""Tenant administration > API applications, the policy's Exclusions, and the API docs."""

import base64

from django.urls import reverse
from rest_framework.test import APIClient

from approvals.models import ApprovalRequest
from rbac.models import User
from tests import factories as f
from tests.conftest import activate_policy


def _token_status(client_id: str, secret: str) -> int:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return (
        APIClient()
        .post(
            "/oauth2/token/",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )
        .status_code
    )


def test_an_admin_creates_an_application_and_sees_its_secret_once(client, tenant):
    client.force_login(tenant.policy_admin)  # Intune Administrator
    response = client.post(
        reverse("tenant_admin:application_create"),
        {"name": "Patch bot", "groups": [tenant.helpdesk.pk]},
    )
    assert response.status_code == 200 and "will not be shown again" in response.content.decode()
    client_id, secret = response.context["application"].client_id, response.context["secret"]
    assert response["Cache-Control"].startswith("max-age=0")
    principal = User.objects.get(is_application=True)
    assert principal.display_name == "Patch bot" and not principal.has_usable_password()
    assert list(principal.groups.all()) == [tenant.helpdesk.auth_group]
    detail = client.get(reverse("tenant_admin:application_detail", args=[principal.pk]))
    assert client_id in detail.content.decode() and secret not in detail.content.decode()
    assert _token_status(client_id, secret) == 200
    # A reset secret replaces the old one.
    reset = client.post(reverse("tenant_admin:application_action", args=[principal.pk, "reset"]))
    new_secret = reset.context["secret"]
    assert _token_status(client_id, secret) == 401
    assert _token_status(client_id, new_secret) == 200


def test_a_duplicate_name_is_refused_and_keeps_the_input(client, tenant):
    client.force_login(tenant.policy_admin)
    url = reverse("tenant_admin:application_create")
    client.post(url, {"name": "Patch bot"})
    response = client.post(url, {"name": "Patch bot", "groups": [tenant.helpdesk.pk]})
    body = response.content.decode()
    assert "already exists" in body and 'value="Patch bot"' in body
    assert User.objects.filter(is_application=True).count() == 1


def test_only_directory_admins_manage_applications(client, tenant):
    client.force_login(tenant.hazel)
    assert client.get(reverse("tenant_admin:applications")).status_code == 403
    assert client.get(reverse("tenant_admin:application_create")).status_code == 403
    client.logout()
    assert client.get(reverse("tenant_admin:applications")).status_code == 302


def test_the_policy_form_offers_exclusions_and_files_them_for_approval(client, tenant):
    from rbac.applications import application_create

    policy = activate_policy(tenant, "device.wipe")
    bot, _app, _secret = application_create(actor=None, name="Patch bot")
    client.force_login(tenant.policy_admin)
    url = reverse("approvals:policy_edit", args=[policy.pk])
    assert "Exclusions (API applications)" in client.get(url).content.decode()
    client.post(
        url,
        {
            "name": policy.name,
            "policy_type": policy.policy_type,
            "approver_groups": [tenant.approvers.pk],
            "approvals_required": 1,
            "excluded_applications": [bot.pk],
            "justification": "Patch bot cannot change yet",
        },
    )
    request = ApprovalRequest.objects.filter(operation_type="policy.edit").latest("pk")
    assert request.payload["state"]["excluded_applications"] == [bot.pk]
    assert not policy.excluded_applications.exists()


def test_the_schema_and_the_docs_page_are_served(client, tenant):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/beta/deviceManagement/managedDevices/{id}/wipe" in paths
    assert "/beta/deviceManagement/operationApprovalRequests/{id}/approve" in paths
    assert client.get("/api/docs/").status_code == 200


def test_the_session_user_sees_the_browsable_api(client, tenant):
    client.force_login(f.global_admin())
    response = client.get("/beta/deviceManagement/managedDevices", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and "DESKTOP-HAZEL-01" in response.content.decode()
