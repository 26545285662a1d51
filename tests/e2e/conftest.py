"""Browser stories: Debian's Chromium driven by Playwright against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

# The page's own timeout (15 s, `person`) for assertions too: the default 5 s was once too short
# for a passkey enrolment on the 2 shared cores while other tests ran (a clean-clone CI run).
expect.set_options(timeout=15_000)

# Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test body
# are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pw"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = (
            f"Chromium is not installed at {CHROMIUM} (apt-get install chromium); "
            "the browser stories need it."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
        ],
    }


@pytest.fixture(autouse=True)
def csp_violations(request):
    """Every browser story fails on a Content-Security-Policy violation the page logs."""
    if "page" not in request.fixturenames:
        yield []
        return
    page = request.getfixturevalue("page")
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield seen
    if not request.node.get_closest_marker("csp_violation_expected"):
        assert not seen, f"Content-Security-Policy violations: {seen}"


@pytest.fixture(autouse=True)
def _stepup_on(settings):
    """The browser stories decide as a person does: with a fresh second factor (rbac.stepup).
    A code stays good one period either side, so two sign-ins in one period need no wait."""
    settings.STEPUP_REQUIRED = True
    settings.MFA_TOTP_TOLERANCE = 1


@pytest.fixture
def shot(page, request):
    """Save a screenshot of the current page as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str):
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def portal(live_server, settings):
    settings.PORTAL_BASE_URL = live_server.url
    return live_server.url


@pytest.fixture
def worker(portal):
    from tests.worker import celery_worker

    with celery_worker(beat=True, env_extra={"PORTAL_BASE_URL": portal}) as running:
        yield running


class Browser:
    """A person at the portal: signs in, clicks by visible labels."""

    def __init__(self, page, base_url: str):
        self.page, self.base = page, base_url
        self.codes_used: dict[str, set[int]] = {}
        self.signed_in_as = ""

    def sign_in(self, username: str, *, step_up: bool = True):
        """Password sign-in, then (as the stories decide within minutes) the second factor: the
        person's authenticator app, enrolled once, typed on the step-up page."""
        page = self.page
        page.context.clear_cookies()
        page.goto(f"{self.base}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        if step_up:
            self.step_up(username)
        self.signed_in_as = username

    def step_up(self, username: str):
        from allauth.mfa.models import Authenticator

        from rbac.models import User
        from tests.identity import totp

        user = User.objects.get(username=username)
        if not Authenticator.objects.filter(user=user, type="totp").exists():
            totp.enrol(user)
        page = self.page
        landing = page.url
        page.goto(f"{self.base}/stepup/?next=/")
        page.locator("input[name=code]").fill(self._fresh_code(username))
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url(lambda url: "/accounts/2fa/" not in url)
        page.goto(landing)

    def _fresh_code(self, username: str) -> str:
        """A code not used yet: allauth refuses a replayed one."""
        import time

        from tests.identity import totp

        used = self.codes_used.setdefault(username, set())
        while True:
            now = int(time.time()) // totp.PERIOD
            for offset in (0, 1):
                if now + offset not in used:
                    used.add(now + offset)
                    return totp.code(offset=offset)
            time.sleep(1)

    def open(self, path: str):
        self.page.goto(f"{self.base}{path}")

    def open_as(self, username: str, path: str):
        """Open a page as this person, signing in only if someone else is signed in: a sign-in
        types a fresh code, and a third one in a 30-second period waits for the next period
        (nine pages checked with a sign-in each took a minute)."""
        if self.signed_in_as != username:
            self.sign_in(username)
        self.open(path)


@pytest.fixture
def person(page, portal):
    page.set_default_timeout(15000)
    return Browser(page, portal)
