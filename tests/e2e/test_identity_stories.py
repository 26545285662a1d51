"""Identity in Chromium: a passkey enrolled and used for step-up through the browser's virtual
authenticator (WebAuthn over the DevTools protocol), and sign-in at the OpenID provider."""

import re

import pytest
from playwright.sync_api import expect

from approvals.models import Decision
from audit.models import AuditEvent
from rbac.models import User
from tests.conftest import activate_policy, build_tenant, request_wipe
from tests.identity.provider import idp, oidc  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def passkeys(page, settings):
    """The browser's own virtual authenticator: a platform passkey that verifies the user."""
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # http://localhost, the live server
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    return cdp, authenticator


def test_a_passkey_is_enrolled_on_the_profile_and_steps_up_an_approval(person, passkeys, shot):
    cdp, authenticator = passkeys
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request = request_wipe(tenant, justification="Stolen laptop")
    page = person.page
    person.sign_in("approver", step_up=False)

    # Deciding without any factor sends the approver to enrol one.
    person.open(f"/tenant/maa/requests/{request.pk}/")
    page.get_by_label("Approver notes").fill("Called the user")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("you need a second factor")).to_be_visible()
    person.open("/tenant/profile/")
    page.get_by_role("link", name=re.compile("Manage authenticator app, passkeys")).click()
    page.get_by_role("link", name=re.compile("Add")).last.click()
    page.get_by_label("Name").fill("Laptop passkey")
    # allauth's WebAuthn script binds the button when the page has loaded; a click before that
    # did nothing (twice in clean-clone runs), so the story waits for it as a person would.
    page.wait_for_load_state("load")
    page.locator("#mfa_webauthn_add").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    shot("recovery-codes")
    assert (
        len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"])
        == 1
    )
    assert AuditEvent.objects.filter(action="mfa.enrol", actor=tenant.approver).exists()

    # Signed in again, the approval asks for the passkey, which the authenticator gives; the
    # note typed survives the detour.
    person.sign_in("approver", step_up=False)
    person.open(f"/tenant/maa/requests/{request.pk}/")
    page.get_by_label("Approver notes").fill("Called the user")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state("load")
    page.locator("#mfa_webauthn_reauthenticate").click()
    expect(page.locator("#request-status")).to_have_text("Approved")
    decision = Decision.objects.get(request=request)
    assert decision.approver == tenant.approver and decision.note == "Called the user"
    verified = AuditEvent.objects.get(action="stepup.verified", actor=tenant.approver)
    assert verified.data["factor"] == "webauthn"


def test_chromium_signs_in_at_the_identity_provider(person, oidc, settings, shot):  # noqa: F811
    settings.OIDC_CREATE_USERS = True
    oidc.people(
        {
            "carol-oid": {
                "name": "Carol Admin",
                "preferred_username": "carol@contoso.example",
                "tid": "contoso-tenant",
                "groups": [],
            }
        }
    )
    page = person.page
    person.open("/login/")
    page.get_by_role("button", name="Sign in with Contoso").click()
    # allauth asks to confirm the provider; then the provider's own page.
    if page.get_by_role("button", name="Continue").count():
        page.get_by_role("button", name="Continue").click()
    page.get_by_label("Login").fill("carol-oid")
    page.get_by_label("Also verify with my second factor").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Carol Admin")).to_be_visible()
    shot("signed-in-through-the-provider")
    carol = User.objects.get(socialaccount__uid="carol-oid")
    assert AuditEvent.objects.get(action="signin.provider", actor=carol).data["mfa"] is True
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(rf"^{oidc.url}/session/end"))
