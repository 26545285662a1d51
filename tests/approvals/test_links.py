from urllib.parse import urlparse

from django.core import signing
from django.urls import reverse

from approvals.links import decision_url
from approvals.models import RequestStatus
from approvals.services import request_approve, request_cancel
from audit.models import AuditEvent
from tests import factories as f
from tests.conftest import request_wipe


def _path(request, approver) -> str:
    return urlparse(decision_url(request, approver)).path


def test_opening_a_link_shows_the_decision_page_and_changes_nothing(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    client.force_login(tenant.approver)
    response = client.get(_path(request, tenant.approver))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Approve" in body and "csrfmiddlewaretoken" in body
    request.refresh_from_db()
    assert request.status == RequestStatus.NEEDS_APPROVAL
    assert AuditEvent.objects.filter(action="link.open", request_id=request.pk).exists()


def test_logged_out_the_link_goes_through_login_and_back(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    path = _path(request, tenant.approver)
    response = client.get(path)
    assert response.status_code == 302
    login_url = response.url
    assert login_url.startswith(reverse("login"))
    response = client.post(login_url, {"username": "approver", "password": "pw", "next": path})
    assert response.url == path
    response = client.get(path)
    assert response.status_code == 200 and "Approve" in response.content.decode()
    client.post(
        reverse("approvals:request_action", args=[request.pk, "approve"]), {"note": "From mail"}
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


def test_a_tampered_link_is_refused_and_audited(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    path = _path(request, tenant.approver)
    client.force_login(tenant.approver)
    token = path.rstrip("/").split("/")[-1]
    forged = signing.dumps({"r": request.pk, "u": tenant.approver.pk, "v": 1}, salt="other")
    for bad in (token[:-3] + "abc", forged):
        response = client.get(reverse("approvals:decision_link", args=[bad]))
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert AuditEvent.objects.filter(action="link.refused").count() == 2


def test_an_expired_link_says_so_and_shows_the_status(
    client, tenant, wipe_policy, monkeypatch, settings
):
    import time

    request = request_wipe(tenant)
    path = _path(request, tenant.approver)
    client.force_login(tenant.approver)
    later = time.time() + settings.MAA_NEEDS_APPROVAL_TTL.total_seconds() + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.get(path)
    body = response.content.decode()
    assert response.status_code == 400
    assert "expired" in body and "Needs approval" in body
    request.refresh_from_db()
    assert request.status == RequestStatus.NEEDS_APPROVAL


def test_a_link_opened_by_someone_else_is_refused(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    client.force_login(tenant.approver2)
    response = client.get(_path(request, tenant.approver))
    assert response.status_code == 403
    assert "sent to another approver" in response.content.decode()
    assert AuditEvent.objects.filter(action="link.refused", actor=tenant.approver2).exists()


def test_a_link_to_a_decided_or_cancelled_request_has_nothing_to_decide(
    client, tenant, wipe_policy
):
    request = request_wipe(tenant)
    path = _path(request, tenant.approver2)
    request_approve(request_id=request.pk, approver=tenant.approver)
    client.force_login(tenant.approver2)
    response = client.get(path)
    assert response.status_code == 409
    assert "Approved" in response.content.decode()
    other = request_wipe(tenant, device=f.device())
    path = _path(other, tenant.approver)
    request_cancel(request_id=other.pk, actor=tenant.hazel)
    client.force_login(tenant.approver)
    assert "nothing left to decide" in client.get(path).content.decode()


def test_the_demo_mailbox_exists_only_with_debug(client, settings, tmp_path, tenant):
    settings.EMAIL_FILE_PATH = tmp_path
    settings.DEBUG = False
    client.force_login(tenant.approver)
    assert client.get(reverse("approvals:sent_mail")).status_code == 404
    settings.DEBUG = True
    (tmp_path / "1.log").write_text(
        "Subject: [MAA Portal] Request #1 needs approval\n"
        f"To: {tenant.approver.email}\n\nReview: x\n"
    )
    body = client.get(reverse("approvals:sent_mail")).content.decode()
    assert "Request #1 needs approval" in body


def test_the_demo_mailbox_shows_each_user_only_their_own_mail(client, settings, tmp_path, tenant):
    settings.EMAIL_FILE_PATH = tmp_path
    settings.DEBUG = True
    separator = "\n" + "-" * 79 + "\n"
    mails = [
        f"Subject: For the approver\nTo: {tenant.approver.email}\n\nLink: secret-approver-link\n",
        f"Subject: For Hazel\nTo: {tenant.hazel.email}\n\nNaïve café ✓\n",
    ]
    (tmp_path / "1.log").write_bytes(separator.join(mails).encode("utf-8"))
    anonymous = client.get(reverse("approvals:sent_mail"))
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    client.force_login(tenant.hazel)
    body = client.get(reverse("approvals:sent_mail")).content.decode()
    assert "For Hazel" in body and "secret-approver-link" not in body


def test_the_demo_mailbox_shows_utf8_as_written(client, settings, tmp_path, tenant):
    from django.core.mail import send_mail

    settings.EMAIL_FILE_PATH = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.DEBUG = True
    send_mail("Café ✓", "naïve café ✓ — done", None, [tenant.hazel.email])
    client.force_login(tenant.hazel)
    body = client.get(reverse("approvals:sent_mail")).content.decode()
    assert "naïve café ✓ — done" in body and "Café ✓" in body
