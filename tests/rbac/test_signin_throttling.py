"""Sign-in throttling (django-axes): per account and per address, audited, mailed, unlocked by
an administrator on the record, and saying nothing about which accounts exist."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from audit.models import AuditEvent
from tests import factories as f

LIMIT = 5
ADDRESS_LIMIT = 8


@pytest.fixture(autouse=True)
def _limit(settings):
    # A cache of the test's own: the lock memory starts empty (clearing Redis would empty the
    # broker's queues too).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the lockout mail, sent in-process here


def sign_in(username: str, password: str, ip: str = "198.51.100.7", client=None):
    client = client or Client(REMOTE_ADDR=ip)
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def hazel(db):
    user = f.user("hazel")
    user.set_password("right-password")
    user.save()
    return user


def test_an_account_locks_after_the_limit_even_with_the_right_password(
    hazel, django_capture_on_commit_callbacks
):
    for _ in range(LIMIT - 1):
        assert sign_in("hazel", "wrong").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_in("hazel", "wrong").status_code == 429
    # From another address too: the account itself is locked.
    response = sign_in("hazel", "right-password", ip="203.0.113.9")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins" in page and 'value="hazel"' in page
    # One event for the lock, however many attempts hit it.
    event = AuditEvent.objects.get(action="signin.lockout")
    assert event.target_label == "hazel" and event.data["ip"] == "198.51.100.7"
    assert event.data["locked"] == "account"
    [message] = mail.outbox
    assert message.to == [hazel.email] and "198.51.100.7" in message.body


def test_an_address_locks_after_failures_across_accounts(hazel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(ADDRESS_LIMIT - 1):
            assert sign_in(f"guess{n}", "guess").status_code == 200
        assert sign_in("guess-last", "guess").status_code == 429
        assert sign_in("hazel", "right-password").status_code == 429
    [event] = AuditEvent.objects.filter(action="signin.lockout")
    assert (event.data["locked"], event.target_label) == ("address", "198.51.100.7")
    # An address lock mails nobody: no account was guessed at past the limit.
    assert mail.outbox == []
    # Hazel from her own address is not locked.
    assert sign_in("hazel", "right-password", ip="192.0.2.44").status_code == 302


def test_one_persons_typos_lock_their_account_not_their_colleagues(hazel):
    colleague = f.user("colleague")
    colleague.set_password("theirs-2026")
    colleague.save()
    for _ in range(LIMIT):
        sign_in("hazel", "wrong")
    assert sign_in("hazel", "right-password").status_code == 429
    # Same office address: the colleague (or the administrator who would unlock) gets in.
    assert sign_in("colleague", "theirs-2026").status_code == 302
    # And their sign-in clears only their own failures: Hazel stays locked.
    assert sign_in("hazel", "right-password").status_code == 429


def test_the_locked_page_is_the_same_for_an_account_that_does_not_exist(
    hazel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(LIMIT):
            sign_in("hazel", "wrong", ip="192.0.2.1")
            sign_in("nobody-here", "wrong", ip="192.0.2.2")
    real = sign_in("hazel", "wrong", ip="192.0.2.1")
    ghost = sign_in("nobody-here", "wrong", ip="192.0.2.2")
    assert real.status_code == ghost.status_code == 429
    words = "Too many failed sign-ins for this account or from this address."
    assert words in real.content.decode() and words in ghost.content.decode()
    # Only the real account is told by mail.
    assert [m.to for m in mail.outbox] == [[hazel.email]]


def test_an_administrator_unlocks_on_the_record(hazel):
    for _ in range(LIMIT):
        sign_in("hazel", "wrong")
    assert sign_in("hazel", "right-password").status_code == 429
    admin = f.global_admin()
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/rbac/user/",
        {"action": "unlock_sign_in", "_selected_action": [hazel.pk]},
        follow=True,
    )
    assert "sign-in unlocked" in response.content.decode()
    event = AuditEvent.objects.get(action="signin.unlock")
    assert event.actor == admin and event.target_label == "hazel"
    assert event.data["attempts_cleared"] >= 1
    assert sign_in("hazel", "right-password", ip="203.0.113.9").status_code == 302


def test_a_successful_sign_in_clears_the_count(hazel):
    for _ in range(LIMIT - 1):
        sign_in("hazel", "wrong")
    assert sign_in("hazel", "right-password").status_code == 302
    for _ in range(LIMIT - 1):
        sign_in("hazel", "wrong")
    assert sign_in("hazel", "right-password").status_code == 302
