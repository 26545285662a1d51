"""The Content-Security-Policy is sent and enforced: an injected inline script does not run."""

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_page_sends_a_policy_without_inline_script_or_framing(client):
    client.force_login(f.global_admin())
    for path in ("/login/", "/devices/", "/admin/", "/tenant/audit/"):
        policy = client.get(path, follow=True).headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'", path
        assert directives["style-src"] == "'self'", path
        assert directives["frame-ancestors"] == "'none'", path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_report_uri_comes_from_the_setting(client, settings):
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "DIRECTIVES": {
            **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
            "report-uri": "https://csp.example/report",
        },
    }
    policy = client.get("/login/").headers["Content-Security-Policy"]
    assert "report-uri https://csp.example/report" in policy


@pytest.mark.csp_violation_expected
def test_the_browser_refuses_an_injected_inline_script(person, csp_violations):
    person.open("/login/")
    ran = person.page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.injected = true";
            document.body.appendChild(s);
            return window.injected === true;
        }"""
    )
    assert ran is False
    person.page.wait_for_timeout(200)
    assert any("script-src" in text for text in csp_violations), csp_violations
