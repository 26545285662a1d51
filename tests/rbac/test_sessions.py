"""Sessions end when they should: idle, too old, the password changed, the account deactivated,
or every access lost. Each end the portal decides is audited."""

import time

import pytest
from django.test import Client

from audit.models import AuditEvent
from rbac.services import user_set_active
from rbac.sessions import SEEN, STARTED
from tests import factories as f

PAGE = "/devices/"


@pytest.fixture
def hazel(tenant):
    return tenant.hazel


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(PAGE).status_code == 200
    return client


def _age(client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = time.time() - seconds
    session.save()


def _ended(client) -> str:
    response = client.get(f"{PAGE}?q=a&ownership=personal")
    # Sent to sign in, back to the same page and query afterwards.
    assert response.status_code == 302
    assert response.url == "/login/?next=/devices/%3Fq%3Da%26ownership%3Dpersonal"
    assert client.get(PAGE).status_code == 302  # really signed out, not once redirected
    return AuditEvent.objects.filter(action="session.end").latest("id").note


def test_an_idle_session_ends(hazel, settings):
    client = signed_in(hazel)
    _age(client, SEEN, settings.SESSION_IDLE_SECONDS - 30)
    assert client.get(PAGE).status_code == 200  # not idle long enough yet
    _age(client, SEEN, settings.SESSION_IDLE_SECONDS + 1)
    assert "without activity" in _ended(client)


def test_activity_keeps_a_session_alive_but_not_past_its_lifetime(hazel, settings):
    client = signed_in(hazel)
    _age(client, SEEN, 120)
    assert client.get(PAGE).status_code == 200
    assert time.time() - client.session[SEEN] < 5  # the request counted as activity
    _age(client, STARTED, settings.SESSION_MAX_SECONDS + 1)
    assert "maximum length" in _ended(client)


def test_losing_every_access_ends_the_session(tenant, hazel):
    client = signed_in(hazel)
    for group in hazel.groups.all():
        group.user_set.remove(hazel)
    assert "no longer has any role" in _ended(client)


def test_a_role_given_after_sign_in_counts_when_it_is_lost(tenant):
    newcomer = f.user("newcomer")
    client = Client()
    client.force_login(newcomer)
    assert client.get(PAGE).status_code == 403  # no role: refused, but signed in
    newcomer.groups.add(tenant.hazel.groups.first())
    assert client.get(PAGE).status_code == 200
    newcomer.groups.clear()
    assert "no longer has any role" in _ended(client)


def test_a_password_change_and_a_deactivation_end_every_session(tenant, hazel):
    first, second = signed_in(hazel), signed_in(hazel)
    hazel.set_password("a-new-password-2026")
    hazel.save()
    assert first.get(PAGE).status_code == 302 and second.get(PAGE).status_code == 302
    approver = tenant.approver
    client = signed_in(approver)
    user_set_active(actor=f.global_admin(), user_id=approver.pk, active=False)
    assert client.get(PAGE).status_code == 302


def test_a_session_tells_how_long_it_has_left_without_counting_as_activity(hazel, settings):
    client = signed_in(hazel)
    _age(client, SEEN, 600)
    _age(client, STARTED, 3600)
    status = client.get("/session/").json()
    assert status["signedIn"] is True
    assert abs(status["idleSecondsLeft"] - (settings.SESSION_IDLE_SECONDS - 600)) <= 2
    assert abs(status["maxSecondsLeft"] - (settings.SESSION_MAX_SECONDS - 3600)) <= 2
    # Polling it does not keep an idle session alive; a page does.
    assert time.time() - client.session[SEEN] >= 599
    client.get(PAGE)
    assert time.time() - client.session[SEEN] < 5


def test_a_signed_out_browser_is_told_so_not_redirected():
    response = Client().get("/session/")
    assert response.status_code == 401
    assert response.json() == {"signedIn": False}
