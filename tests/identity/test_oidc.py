"""Sign-in at the organisation's OpenID provider (rbac.identity), against a real one: npm's
oidc-provider. People are matched by subject; the groups claim sets provisioned groups; every
refusal has a page and an audit event."""

import re
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from approvals.models import Decision
from audit.models import AuditEvent
from rbac.models import User
from tests import factories as f
from tests.conftest import activate_policy, build_tenant, request_wipe

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = {
    "name": "Alice Approver",
    "preferred_username": "alice@contoso.example",
    "email": "alice@contoso.example",
    "groups": ["g-approvers"],
    "tid": "contoso-tenant",
}


def start(session: requests.Session, portal: str, *, next_url: str = "/", **extra):
    """The sign-in page's provider button: to the provider's sign-in page."""
    session.get(f"{portal}/login/")
    return session.post(
        f"{portal}/accounts/oidc/idp/login/",
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "process": "login",
            "next": next_url,
            **extra,
        },
    )


def provider_sign_in(session, idp, page, login: str, *, mfa: bool = False):
    """The person types their login at the provider (and, with mfa, their second factor)."""
    uid = re.search(r"/interaction/([^/\"]+)/login", page.text).group(1)
    return session.post(
        f"{idp.url}/interaction/{uid}/login", data={"login": login, "mfa": "1" if mfa else ""}
    )


def sign_in(portal, idp, login: str, *, mfa: bool = False, session=None):
    session = session or requests.Session()
    answer = provider_sign_in(session, idp, start(session, portal), login, mfa=mfa)
    return session, answer


def refused(answer, reason: str) -> AuditEvent:
    assert answer.status_code == 403 and "Sign-in refused" in answer.text
    assert reason in answer.text
    return AuditEvent.objects.filter(action="signin.refused").latest("pk")


def test_the_login_page_offers_the_provider(live_server, oidc):
    page = requests.get(f"{live_server.url}/login/").text
    assert "Sign in with Contoso" in page and 'name="password"' in page


def test_a_person_is_matched_by_subject_and_their_groups_follow_the_claim(
    live_server, oidc, settings
):
    settings.OIDC_CREATE_USERS = True
    approvers = f.group("Approvers (Entra)")
    approvers.external_id = "g-approvers"
    approvers.save()
    old = f.group("Former team (Entra)")
    old.external_id = "g-former"
    old.save()
    local = f.group("Made in the portal")
    oidc.people({"alice-oid": ALICE})

    session, answer = sign_in(live_server.url, oidc, "alice-oid")
    assert answer.status_code == 200 and answer.url.rstrip("/").endswith("/admin-tasks")
    alice = User.objects.get(socialaccount__uid="alice-oid")
    assert alice.username == "alice@contoso.example" and alice.display_name == "Alice Approver"
    assert set(alice.groups.values_list("name", flat=True)) == {approvers.auth_group.name}
    assert AuditEvent.objects.filter(action="signin.provider", actor=alice).exists()

    # Her email, name and groups change at the provider: still the same person.
    alice.groups.add(old.auth_group, local.auth_group)
    oidc.people(
        {"alice-oid": {**ALICE, "email": "alice.new@contoso.example", "groups": ["g-former"]}}
    )
    sign_in(live_server.url, oidc, "alice-oid")
    assert User.objects.filter(is_application=False, socialaccount__isnull=False).count() == 1
    assert SocialAccount.objects.get().user_id == alice.pk
    groups = set(User.objects.get(pk=alice.pk).groups.values_list("name", flat=True))
    assert groups == {old.auth_group.name, local.auth_group.name}


def test_someone_with_the_same_email_is_not_taken_for_an_existing_account(
    live_server, oidc, settings
):
    settings.OIDC_CREATE_USERS = False
    f.user("alice")  # alice@example.test, a local account
    oidc.people({"mallory": {**ALICE, "email": "alice@example.test", "name": "Alice"}})
    _, answer = sign_in(live_server.url, oidc, "mallory")
    event = refused(answer, "no account in this portal")
    assert event.data["subject"] == "mallory"
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize("mode", ["aud", "iss", "exp"])
def test_a_token_for_another_audience_issuer_or_an_expired_one_is_refused(
    live_server, oidc, settings, mode
):
    settings.OIDC_CREATE_USERS = True
    oidc.people({"alice-oid": ALICE})
    oidc.tamper(mode)
    session, answer = sign_in(live_server.url, oidc, "alice-oid")
    event = refused(answer, "could not be verified")
    assert "Invalid id_token" in event.data["detail"]
    assert not User.objects.filter(socialaccount__uid="alice-oid").exists()
    assert "sessionid" not in session.cookies or not _signed_in(session, live_server.url)


def _signed_in(session, portal) -> bool:
    return "/login/" not in session.get(f"{portal}/tenant/profile/").url


def test_a_wrong_nonce_is_refused(live_server, oidc, settings):
    settings.OIDC_CREATE_USERS = True
    oidc.people({"alice-oid": ALICE})
    oidc.tamper("nonce")
    _, answer = sign_in(live_server.url, oidc, "alice-oid")
    refused(answer, "did not match its request")
    assert not User.objects.filter(socialaccount__uid="alice-oid").exists()


def test_a_wrong_state_is_refused(live_server, oidc, settings):
    settings.OIDC_CREATE_USERS = True
    oidc.people({"alice-oid": ALICE})
    session = requests.Session()
    page = start(session, live_server.url)
    uid = re.search(r"/interaction/([^/\"]+)/login", page.text).group(1)
    answer = session.post(
        f"{oidc.url}/interaction/{uid}/login", data={"login": "alice-oid"}, allow_redirects=False
    )
    # Follow the provider's redirects, but not the last one back to the portal.
    while "/accounts/oidc/idp/login/callback/" not in answer.headers["Location"]:
        answer = session.get(urljoin(oidc.url, answer.headers["Location"]), allow_redirects=False)
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    forged = f"{live_server.url}/accounts/oidc/idp/login/callback/?code={code}&state=forged"
    event = refused(session.get(forged), "could not be verified")
    assert event.data["error"]
    assert not _signed_in(session, live_server.url)


def test_a_disabled_user_and_another_tenant_are_refused(live_server, oidc, settings):
    settings.OIDC_CREATE_USERS = True
    oidc.people({"alice-oid": ALICE, "eve-oid": {**ALICE, "tid": "fabrikam-tenant"}})
    sign_in(live_server.url, oidc, "alice-oid")
    User.objects.filter(socialaccount__uid="alice-oid").update(is_active=False)
    _, answer = sign_in(live_server.url, oidc, "alice-oid")
    assert refused(answer, "Your account is disabled.").target_id
    _, answer = sign_in(live_server.url, oidc, "eve-oid")
    assert refused(answer, "another organisation").data["tenant"] == "fabrikam-tenant"


def test_sign_out_ends_the_session_at_the_provider_too(live_server, oidc, settings):
    settings.OIDC_CREATE_USERS = True
    oidc.people({"alice-oid": ALICE})
    session, _ = sign_in(live_server.url, oidc, "alice-oid")
    answer = session.post(
        f"{live_server.url}/logout/",
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        allow_redirects=False,
    )
    end = urlparse(answer.headers["Location"])
    assert f"{end.scheme}://{end.netloc}" == oidc.url and end.path == "/session/end"
    assert parse_qs(end.query)["post_logout_redirect_uri"] == [f"{live_server.url}/login/"]
    assert not _signed_in(session, live_server.url)
    # The provider asks to confirm, as oidc-provider does, then comes back to the sign-in page.
    confirm = session.get(answer.headers["Location"])
    assert confirm.status_code == 200 and "logout" in confirm.text.lower()


def test_with_password_sign_in_off_no_password_gets_in(live_server, oidc, settings):
    settings.PASSWORD_SIGNIN = False
    f.user("hazel")
    session = requests.Session()
    page = session.get(f"{live_server.url}/login/").text
    assert "Sign in with Contoso" in page and 'name="password"' not in page
    session.post(
        f"{live_server.url}/login/",
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "username": "hazel",
            "password": "pw",
        },
    )
    assert not _signed_in(session, live_server.url)
    admin = session.get(f"{live_server.url}/admin/")
    assert urlparse(admin.url).path == "/login/" and 'name="password"' not in admin.text
    assert session.get(f"{live_server.url}/accounts/password/reset/").status_code == 404


def _approve(session, portal, request_id, note="Checked"):
    return session.post(
        f"{portal}/tenant/maa/requests/{request_id}/approve/",
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"], "note": note},
        headers={"Referer": f"{portal}/tenant/maa/requests/{request_id}/"},
        allow_redirects=False,
    )


def test_a_multi_factor_sign_in_at_the_provider_is_the_fresh_factor(live_server, oidc, settings):
    settings.OIDC_CREATE_USERS = True
    settings.STEPUP_REQUIRED = True
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    tenant.approvers.external_id = "g-approvers"
    tenant.approvers.save()
    request = request_wipe(tenant)
    oidc.people({"alice-oid": ALICE})

    # Signed in with a password only at the provider: the approval waits for a step-up there.
    session, _ = sign_in(live_server.url, oidc, "alice-oid")
    stale = _approve(session, live_server.url, request.pk)
    assert stale.status_code == 302 and stale.headers["Location"].startswith("/stepup/")
    assert not Decision.objects.filter(request=request).exists()
    to_provider = session.get(urljoin(live_server.url, stale.headers["Location"]))
    assert "/accounts/oidc/idp/login/" in to_provider.url and "stepup=1" in to_provider.url
    at_provider = session.post(
        to_provider.url, data={"csrfmiddlewaretoken": session.cookies["csrftoken"]}
    )
    authorize = next(r for r in at_provider.history if "/auth?" in r.headers.get("Location", ""))
    params = parse_qs(urlparse(authorize.headers["Location"]).query)
    assert params["prompt"] == ["login"] and params["max_age"] == ["0"]
    # The provider asks again (prompt=login); this time with the second factor.
    back = provider_sign_in(session, oidc, at_provider, "alice-oid", mfa=True)
    assert back.status_code == 200 and back.url.endswith(f"/tenant/maa/requests/{request.pk}/")
    approved = _approve(session, live_server.url, request.pk)
    assert approved.status_code == 302, approved.headers.get("Location")
    assert approved.headers["Location"] == f"/tenant/maa/requests/{request.pk}/"
    decision = Decision.objects.get(request=request)
    assert decision.approver.socialaccount_set.get().uid == "alice-oid"
    assert AuditEvent.objects.filter(action="signin.provider", data__mfa=True).exists()


def test_a_person_provisioned_by_scim_signs_in_as_themselves(live_server, oidc, settings):
    settings.OIDC_CREATE_USERS = False
    provisioned = f.user("alice@contoso.example")
    provisioned.external_id = "alice-oid"  # Entra's object id, which SCIM sends as externalId
    provisioned.save()
    oidc.people({"alice-oid": ALICE})
    session, answer = sign_in(live_server.url, oidc, "alice-oid")
    assert answer.status_code == 200 and _signed_in(session, live_server.url)
    assert SocialAccount.objects.get(uid="alice-oid").user_id == provisioned.pk
    assert User.objects.filter(is_application=False).count() == 1
    assert AuditEvent.objects.filter(action="signin.linked", target_id=str(provisioned.pk))
