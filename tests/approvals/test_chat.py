"""Teams and Slack notifications, posted to a local HTTPS receiver that checks the payload
shape each documents; delivered by the emails' queue."""

import logging

import pytest
from django.urls import reverse

from approvals.chat import ChatError, ChatTransient, post_deliver, webhook_create
from approvals.models import AccessPolicy, ChatPost, ChatWebhook, NoticeBatch, NoticeStatus
from approvals.notifications import notices_recover
from approvals.services import request_approve, request_reject
from audit.models import AuditEvent
from tests import factories as f
from tests.chat_receiver import Receiver
from tests.conftest import activate_policy, build_tenant, request_wipe, write_notices
from tests.worker import celery_worker, wait_until


@pytest.fixture
def receiver(settings):
    with Receiver() as running:
        settings.CHAT_WEBHOOK_CA_BUNDLE = str(running.cert)
        yield running


def _deliver_all():
    for post_id in ChatPost.objects.filter(status="pending").values_list("pk", flat=True):
        post_deliver(post_id=post_id)


def test_each_event_is_posted_once_to_teams_and_slack_in_their_documented_shape(
    tenant, wipe_policy, receiver
):
    write_notices()  # the policy's own requests, posted before the channels existed
    webhook_create(actor=tenant.policy_admin, name="#sec", kind="slack", url=receiver.url("slack"))
    webhook_create(
        actor=tenant.policy_admin, name="SecOps", kind="teams", url=receiver.url("teams")
    )
    request = request_wipe(tenant, justification="Lost on the train")
    request_approve(request_id=request.pk, approver=tenant.approver)
    write_notices()
    _deliver_all()
    _deliver_all()  # a redelivery posts nothing again
    assert receiver.problems == []
    assert sorted(path.split("/")[1] for path, _ in receiver.posts) == [
        "slack",
        "slack",
        "teams",
        "teams",
    ]
    slack = [body for path, body in receiver.posts if path.startswith("/slack")]
    assert "New request needs approval" in slack[0]["text"]
    fields = " ".join(f["text"] for f in slack[0]["blocks"][1]["fields"])
    assert "Lost on the train" in fields and "Hazel" in fields
    button = slack[0]["blocks"][2]["elements"][0]["url"]
    assert "/maa/channel-link/" in button
    teams = [body for path, body in receiver.posts if path.startswith("/teams")]
    assert "Request approved" in teams[1]["attachments"][0]["content"]["body"][0]["text"]
    assert set(ChatPost.objects.values_list("status", flat=True)) == {NoticeStatus.SENT}


def test_a_policys_webhook_hears_only_its_requests(tenant, wipe_policy, receiver):
    webhook_create(
        actor=tenant.policy_admin,
        name="#wipes",
        kind="slack",
        url=receiver.url("slack"),
        policy=wipe_policy,
    )
    request = request_wipe(tenant)
    request_reject(request_id=request.pk, approver=tenant.approver, note="Use retire")
    write_notices()
    assert list(ChatPost.objects.values_list("event", flat=True)) == ["submitted", "rejected"]
    other = AccessPolicy.objects.create(name="Other", policy_type="scripts")
    ChatWebhook.objects.update(policy=other)
    request_wipe(tenant, device=f.device())
    write_notices()
    assert ChatPost.objects.count() == 2


@pytest.mark.parametrize(
    "url", ["http://hooks.slack.com/services/T/B/X", "hooks.slack.com/services", "ftp://x/y", ""]
)
def test_a_webhook_url_that_is_not_https_is_refused_and_the_page_keeps_the_rest(
    client, tenant, url
):
    with pytest.raises(ChatError, match="must be an https://"):
        webhook_create(actor=tenant.policy_admin, name="#sec", kind="slack", url=url)
    client.force_login(tenant.policy_admin)
    response = client.post(
        reverse("approvals:chat_webhooks"), {"name": "#security", "kind": "slack", "url": url}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert ("must be an https://" in body) or ("This field is required" in body)
    assert 'value="#security"' in body
    assert not ChatWebhook.objects.exists()


def test_the_url_is_a_secret_sealed_never_shown_logged_or_audited(
    client, tenant, wipe_policy, receiver, caplog
):
    url = receiver.url("slack", secret="T0001/B0001/TopSecretToken")
    write_notices()
    client.force_login(tenant.policy_admin)
    client.post(reverse("approvals:chat_webhooks"), {"name": "#sec", "kind": "slack", "url": url})
    webhook = ChatWebhook.objects.get()
    assert "TopSecretToken" not in webhook.url_sealed
    page = client.get(reverse("approvals:chat_webhooks")).content.decode()
    assert "TopSecretToken" not in page and webhook.url_hint in page
    assert webhook.url_hint.endswith("oken")
    receiver.server.shutdown()  # the channel is down: the error must not carry the URL
    receiver.server.server_close()
    caplog.set_level(logging.DEBUG)
    request_wipe(tenant)
    write_notices()
    post = ChatPost.objects.get()
    with pytest.raises(ChatTransient) as failed:
        post_deliver(post_id=post.pk)
    assert "TopSecretToken" not in str(failed.value)
    assert "TopSecretToken" not in caplog.text
    for event in AuditEvent.objects.filter(action__startswith="chat."):
        assert "TopSecretToken" not in f"{event.note} {event.data}"


def test_a_refused_post_is_kept_failed_audited_and_shown_on_the_request(
    client, tenant, wipe_policy, receiver
):
    write_notices()
    webhook_create(actor=tenant.policy_admin, name="#sec", kind="slack", url=receiver.url("slack"))
    receiver.answers = [400]
    request = request_wipe(tenant)
    write_notices()
    _deliver_all()
    post = ChatPost.objects.get()
    assert post.status == NoticeStatus.FAILED and "refused the post: 400" in post.detail
    assert AuditEvent.objects.filter(action="chat.failed", request_id=request.pk).exists()
    client.force_login(tenant.hazel)
    page = client.get(reverse("approvals:request_detail", args=[request.pk])).content.decode()
    assert 'id="failed-chat-posts"' in page and "#sec" in page


@pytest.mark.django_db(transaction=True)
def test_a_worker_retries_a_busy_channel_and_posts_once(receiver):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    receiver.answers = [503]
    webhook_create(actor=tenant.policy_admin, name="#sec", kind="teams", url=receiver.url("teams"))
    with celery_worker(env_extra={"CHAT_WEBHOOK_CA_BUNDLE": str(receiver.cert)}):
        request = request_wipe(tenant)
        wait_until(
            lambda: ChatPost.objects.filter(request=request, status=NoticeStatus.SENT).exists(),
            timeout=60,
            what="the chat post sent after a retry",
        )
    assert [path.split("/")[1] for path, _ in receiver.posts] == ["teams", "teams"]
    assert receiver.problems == []
    assert notices_recover() == 0


def test_each_approval_is_posted_even_when_more_are_needed(tenant, receiver):
    activate_policy(tenant, "device.wipe", approvals_required=2)
    write_notices()
    webhook_create(actor=tenant.policy_admin, name="#sec", kind="slack", url=receiver.url("slack"))
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_approve(request_id=request.pk, approver=tenant.approver2)
    write_notices()
    events = list(ChatPost.objects.filter(request=request).values_list("event", flat=True))
    assert events == ["submitted", "approval_recorded", "approved"]
    _deliver_all()
    assert "Approval recorded; more are needed" in receiver.posts[1][1]["text"]
    assert receiver.problems == []


def test_without_a_webhook_an_approval_that_decides_nothing_queues_nothing(tenant):
    activate_policy(tenant, "device.wipe", approvals_required=2)
    request = request_wipe(tenant)
    write_notices()
    request_approve(request_id=request.pk, approver=tenant.approver)
    # No email goes out for it, and no chat hears: no batch for a worker to write.
    assert not NoticeBatch.objects.exists()


def test_the_cards_button_is_a_signed_link_that_opens_the_request_only_for_who_may_see_it(
    client, tenant, wipe_policy, receiver
):
    write_notices()
    webhook_create(actor=tenant.policy_admin, name="#sec", kind="teams", url=receiver.url("teams"))
    request = request_wipe(tenant, justification="Lost on the train")
    write_notices()
    _deliver_all()
    content = receiver.posts[0][1]["attachments"][0]["content"]
    path = content["actions"][0]["url"].split("127.0.0.1:8000", 1)[-1]
    path = path[path.index("/tenant/") :]
    client.force_login(tenant.approver)
    page = client.get(path)
    assert page.status_code == 200 and 'id="decision-form"' in page.content.decode()
    opened = AuditEvent.objects.get(action="link.open", request_id=request.pk)
    assert opened.data == {"channel": ChatWebhook.objects.get().pk}
    client.force_login(f.user("stranger"))
    assert client.get(path).status_code == 404
    client.force_login(tenant.approver)
    assert client.get(path[:-3] + "xx/").status_code == 400
