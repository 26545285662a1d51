"""The test suite's OpenID provider: npm's oidc-provider on the machine's Node.js (idp/server.mjs),
installed from the committed package-lock.json the first time it is needed."""

import fcntl
import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from maa_portal.settings import oidc_apps, provider_origin
from tests.worker import _free_port, wait_until

IDP_DIR = Path(__file__).resolve().parent / "idp"
CLIENT_ID, CLIENT_SECRET = "maa-portal", "test-only-client-secret"


def _installed() -> None:
    if not shutil.which("node"):
        message = "Node.js is not installed (apt-get install nodejs npm); the OIDC tests need it."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Under pytest-xdist two processes may need it at once: one installs, the other waits.
    with open(IDP_DIR / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (IDP_DIR / "node_modules" / "oidc-provider").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=IDP_DIR, check=True
            )


class IdentityProvider:
    def __init__(self, portal_url: str):
        _installed()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            ["node", "server.mjs"],
            cwd=IDP_DIR,
            env={
                **os.environ,
                "PORT": str(self.port),
                "CLIENT_ID": CLIENT_ID,
                "CLIENT_SECRET": CLIENT_SECRET,
                "REDIRECT_URI": f"{portal_url}/accounts/oidc/idp/login/callback/",
                "POST_LOGOUT_REDIRECT_URI": f"{portal_url}/login/",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline()
        assert line.startswith("listening"), f"the identity provider did not start: {line!r}"
        wait_until(self._answers, timeout=10, what="the identity provider")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/.well-known/openid-configuration"):
                return True
        except OSError:
            return False

    def _post(self, path: str, data: dict) -> None:
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request).read()

    def people(self, people: dict) -> None:
        """Who can sign in: login -> ID token claims (name, groups, tid, ...)."""
        self._post("/__test/users", people)

    def tamper(self, mode: str) -> None:
        """The next ID tokens come back with one claim wrong (aud, iss, exp, nonce), re-signed."""
        self._post("/__test/tamper", {"mode": mode})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def idp(live_server):
    provider = IdentityProvider(live_server.url)
    yield provider
    provider.stop()


@pytest.fixture
def oidc(idp, settings, live_server):
    """The portal configured for the test provider, as the README's environment variables do."""
    settings.PORTAL_BASE_URL = live_server.url
    settings.OIDC_ISSUER = idp.url
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.OIDC_NAME = "Contoso"
    settings.OIDC_TENANT_ID = "contoso-tenant"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
            "APPS": oidc_apps(
                issuer=idp.url,
                client_id=CLIENT_ID,
                secret=CLIENT_SECRET,
                name="Contoso",
                uid_claim="sub",
            ),
        }
    }
    csp = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = {
        **csp,
        "DIRECTIVES": {
            **csp["DIRECTIVES"],
            "form-action": ["'self'", *provider_origin(idp.url)],
        },
    }
    idp.tamper("")
    return idp
