"""Teams and Slack: the request events a channel should hear of, posted to its incoming webhook.

Delivery is the emails' (approvals.delivery): the worker that writes an event's notices writes
its ChatPost rows in the same transaction (notifications.notices_write); a task posts each at
most once; a lease and the sweeper publish again a task that was lost; a post that keeps failing
is kept as failed, audited and shown on the request page.

Decisions are never taken in the chat: the card's button opens the request in the portal, where
approving asks for a fresh second factor (chat approvals would bypass it, as Teleport warns).
The button is a signed link bound to the request and the channel, not to one approver (a channel
is read by many): whoever opens it signs in and sees the request only if it is theirs to see.

Webhook URLs are secrets (anyone holding one posts to the channel): sealed with a key derived
from SECRET_KEY, shown only as a hint, never written to the audit log, a task's arguments or an
error message.
"""

import base64
import hashlib
import logging
from urllib.parse import urlsplit

import requests
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction

from audit.chain import audit_record

from .delivery import chat_posts_wake
from .links import channel_url
from .models import ChatKind, ChatPost, ChatWebhook, NoticeStatus

log = logging.getLogger(__name__)

# The events posted, with the card's headline.
CHAT_EVENTS = {
    "submitted": "New request needs approval",
    "approval_recorded": "Approval recorded; more are needed",
    "stage_opened": "Next approval stage opened",
    "approved": "Request approved",
    "rejected": "Request rejected",
    "break_glass": "Break-glass: run at once, without approval",
}
TIMEOUT_SECONDS = 10


class ChatError(Exception):
    """A webhook that cannot be used, with a message for people."""


class ChatTransient(Exception):
    """The channel did not take the post now (network, 429, 5xx): the task tries again."""


def _fernet() -> Fernet:
    key = hashlib.sha256(b"maa-portal chat webhook:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(url: str) -> str:
    return _fernet().encrypt(url.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise ChatError(
            "The webhook URL cannot be read (SECRET_KEY changed since it was saved): add the "
            "webhook again."
        ) from None


def url_hint(url: str) -> str:
    """Enough to tell webhooks apart, not enough to post: the host and the last characters."""
    return f"https://{urlsplit(url).hostname}/…{url[-4:]}"


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ChatError(
            "A webhook URL must be an https:// address (the channel's incoming webhook or "
            "Workflows URL); it carries a secret, which plain http would expose."
        )
    if len(url) > 2000:
        raise ChatError("The webhook URL is longer than 2,000 characters.")
    return url


def webhook_create(*, actor, name: str, kind: str, url: str, policy=None) -> ChatWebhook:
    name = (name or "").strip()
    if not name:
        raise ChatError("Name the webhook (e.g. the channel's name).")
    if kind not in ChatKind.values:
        raise ChatError("Choose Teams or Slack.")
    url = check_url(url)
    with transaction.atomic():
        webhook = ChatWebhook.objects.create(
            name=name[:128],
            kind=kind,
            policy=policy,
            url_sealed=seal(url),
            url_hint=url_hint(url),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="chat.webhook_create",
            target=webhook,
            data={"kind": kind, "hint": webhook.url_hint, "policy": policy and policy.pk},
        )
    return webhook


def webhook_delete(*, actor, webhook_id: int) -> None:
    with transaction.atomic():
        webhook = ChatWebhook.objects.select_for_update().filter(pk=webhook_id).first()
        if webhook is None:
            return  # deleted by someone else meanwhile: the same outcome
        audit_record(actor=actor, action="chat.webhook_delete", target=webhook)
        webhook.delete()


def chat_posts_write(events, lease_until) -> list[int]:
    """The chat posts of these (request, event) pairs, in the caller's transaction (the worker's
    notices_write); queued after its commit. Returns their ids."""
    events = [(request, event) for request, event in events if event in CHAT_EVENTS]
    if not events:
        return []
    hooks = list(ChatWebhook.objects.all())
    posts = ChatPost.objects.bulk_create(
        ChatPost(request=request, webhook=hook, event=event, lease_until=lease_until)
        for request, event in events
        for hook in hooks
        if hook.policy_id is None or hook.policy_id == request.policy_id
    )
    ids = [post.pk for post in posts]
    chat_posts_wake(ids)
    return ids


def _facts(request) -> list[tuple[str, str]]:
    return [
        ("Operation", request.title),
        ("Target", request.target_label),
        ("Requestor", str(request.requestor)),
        ("Justification", request.justification),
        ("Status", request.get_status_display()),
    ]


def card(request, event: str, kind: str, webhook_id: int) -> dict:
    """The post's body: a Slack Block Kit message or a Teams Adaptive Card, with a button that
    opens the request (a signed channel link, approvals.links.channel_url)."""
    headline = f"{CHAT_EVENTS[event]}: request #{request.pk}"
    if event == "stage_opened":
        headline += f" (stage {request.stage} of {request.stage_count})"

    link = channel_url(request, webhook_id)
    facts = _facts(request)
    if kind == ChatKind.SLACK:
        return {
            "text": f"{headline}: {request.title} of {request.target_label}",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
                {
                    "type": "section",
                    "fields": [
                        {"type": "mrkdwn", "text": f"*{label}*\n{value[:1900]}"}
                        for label, value in facts
                    ],
                },
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Open in MAA Portal"},
                            "url": link,
                        }
                    ],
                },
            ],
        }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": headline,
                            "weight": "Bolder",
                            "size": "Medium",
                            "wrap": True,
                        },
                        {
                            "type": "FactSet",
                            "facts": [{"title": label, "value": value} for label, value in facts],
                        },
                    ],
                    "actions": [
                        {"type": "Action.OpenUrl", "title": "Open in MAA Portal", "url": link}
                    ],
                },
            }
        ],
    }


def _finish(post: ChatPost, status: str, detail: str = "") -> ChatPost:
    post.finish(status, detail)
    if status == NoticeStatus.FAILED:
        audit_record(
            actor="worker",
            action="chat.failed",
            target=post.request,
            note=f"Post to {post.webhook} ({post.webhook.url_hint}) failed: {detail}",
            request_id=post.request_id,
        )
    return post


def post_deliver(*, post_id: int) -> ChatPost | None:
    """Post once. A network error, 429 or 5xx raises ChatTransient for the task to retry; any
    other refusal is final. Errors name the webhook's hint, never its URL."""
    with transaction.atomic():
        post = (
            ChatPost.objects.select_for_update(of=("self",))
            .select_related("webhook", "request__requestor", "request__policy")
            .filter(pk=post_id)
            .first()
        )
        if post is None or post.status != NoticeStatus.PENDING:
            return post
        hook = post.webhook
        try:
            url = unseal(hook.url_sealed)
        except ChatError as exc:
            return _finish(post, NoticeStatus.FAILED, str(exc))
        try:
            response = requests.post(
                url,
                json=card(post.request, post.event, hook.kind, hook.pk),
                timeout=TIMEOUT_SECONDS,
                verify=settings.CHAT_WEBHOOK_CA_BUNDLE or True,
            )
        except requests.RequestException as exc:
            # The exception's text holds the URL: only its kind is kept.
            raise ChatTransient(f"{type(exc).__name__} posting to {hook.url_hint}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise ChatTransient(f"{hook.url_hint} answered {response.status_code}")
        if response.status_code >= 300:
            return _finish(
                post,
                NoticeStatus.FAILED,
                f"{hook.url_hint} refused the post: {response.status_code} {response.text[:200]}",
            )
        return _finish(post, NoticeStatus.SENT)


def post_lease(*, post_id: int, seconds: float = 0) -> None:
    ChatPost.lease_extend([post_id], lease=settings.MAA_NOTICE_LEASE, seconds=seconds)


def post_failed(*, post_id: int, error: str) -> ChatPost | None:
    """The channel kept failing through every retry."""
    with transaction.atomic():
        post = (
            ChatPost.objects.select_for_update(of=("self",))
            .select_related("webhook")
            .filter(pk=post_id)
            .first()
        )
        if post is None or post.status != NoticeStatus.PENDING:
            return post
        return _finish(post, NoticeStatus.FAILED, error)


def chat_posts_recover(*, now, batch: int = 100) -> int:
    """Publish again the pending posts whose lease ran out (their task was lost)."""
    with transaction.atomic():
        ids = ChatPost.lease_renew_expired(now=now, lease=settings.MAA_NOTICE_LEASE, batch=batch)
        chat_posts_wake(ids)
    return len(ids)
