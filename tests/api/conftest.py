"""API clients: an application with OAuth client credentials, and helpers to call as it."""

import base64
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from approvals.models import ApprovalRequest
from rbac.applications import application_create
from tests import factories as f
from tests.conftest import build_tenant


@dataclass
class Client:
    principal: object
    client_id: str
    secret: str


def new_application(name: str, groups) -> Client:
    principal, application, secret = application_create(
        actor=None, name=name, group_ids=[g.pk for g in groups]
    )
    return Client(principal, application.client_id, secret)


def token_for(client: Client) -> str:
    response = APIClient().post(
        "/oauth2/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=_basic(client),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def _basic(client: Client) -> str:
    raw = f"{client.client_id}:{client.secret}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def justification(text: str) -> dict:
    """The header a Graph client sends with a protected write: the justification, Base64."""
    return {"HTTP_X_MSFT_APPROVAL_JUSTIFICATION": base64.b64encode(text.encode()).decode()}


def approval(req) -> dict:
    """The header that completes an approved request: its code."""
    return {"HTTP_X_MSFT_APPROVAL_CODE": str(req.approval_code)}


def filed(response) -> ApprovalRequest:
    """The request a 412 filed, by the code in its header (and in its message)."""
    assert response.status_code == 412, response.content
    code = response["x-msft-approval-code"]
    error = response.json()["error"]
    assert error["code"] == "BadRequest" and "Approval Required" in error["message"]
    assert code in error["message"]
    return ApprovalRequest.objects.get(approval_code=code)


def as_app(client: Client) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(client)}")
    return api


@pytest.fixture
def api_tenant(db):
    """The article's tenant plus "Patch bot", an application in a Help Desk Operator group."""
    tenant = build_tenant()
    bots = f.group("Automation", [])
    f.assign(f.builtin("Help Desk Operator"), [bots], name="Automation")
    tenant.bot = new_application("Patch bot", [bots])
    tenant.bots = bots
    return tenant
