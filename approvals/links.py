"""Signed approver links: bound to one request, one approver and the request's version."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import Resolver404, resolve, reverse

_SALT = "maa-portal.decision-link"
_CHANNEL_SALT = "maa-portal.channel-link"


def decision_token(request, approver) -> str:
    return signing.dumps({"r": request.pk, "u": approver.pk, "v": request.version}, salt=_SALT)


def decision_url(request, approver) -> str:
    path = reverse("approvals:decision_link", args=[decision_token(request, approver)])
    return f"{settings.PORTAL_BASE_URL}{path}"


class LinkInvalid(Exception):
    """The link was altered or is not one of ours."""


class LinkExpired(Exception):
    """Authentic but too old; carries the request id so the page can show its status."""

    def __init__(self, request_id: int | None):
        super().__init__(request_id)
        self.request_id = request_id


@dataclass(frozen=True)
class LinkClaim:
    request_id: int
    approver_id: int
    version: int


def decision_token_read(token: str) -> LinkClaim:
    max_age = settings.MAA_NEEDS_APPROVAL_TTL.total_seconds()
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        data = signing.loads(token, salt=_SALT)
        raise LinkExpired(data.get("r") if isinstance(data, dict) else None) from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    try:
        return LinkClaim(int(data["r"]), int(data["u"]), int(data["v"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid from exc


def channel_url(request, webhook_id: int) -> str:
    """The link a chat post's button opens: signed, bound to the request and the channel, not
    to a person (a channel is read by many). Whoever opens it signs in and sees the request
    only if it is theirs to see; deciding still asks for their second factor."""
    token = signing.dumps({"r": request.pk, "c": webhook_id}, salt=_CHANNEL_SALT)
    return f"{settings.PORTAL_BASE_URL}{reverse('approvals:channel_link', args=[token])}"


def channel_token_read(token: str) -> tuple[int, int]:
    """(request id, webhook id); LinkInvalid or LinkExpired (the request's whole life)."""
    max_age = (settings.MAA_NEEDS_APPROVAL_TTL + settings.MAA_APPROVED_TTL).total_seconds()
    try:
        data = signing.loads(token, salt=_CHANNEL_SALT, max_age=max_age)
        return int(data["r"]), int(data["c"])
    except signing.SignatureExpired as exc:
        raise LinkExpired(None) from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid from exc


def link_request_id(path: str) -> int | None:
    """The request an approver link points at; None for any other path.

    The signature is checked (a forged link names nothing), not the age: an expired link still
    says which request it was for.
    """
    try:
        match = resolve(urlsplit(path or "").path)
    except Resolver404:
        return None
    if match.view_name != "approvals:decision_link":
        return None
    try:
        return int(signing.loads(match.kwargs["token"], salt=_SALT)["r"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def link_sign_in_hint(path: str) -> str:
    """What the sign-in page says to an approver arriving from an email link."""
    request_id = link_request_id(path)
    if request_id is None:
        return ""
    return (
        f"Sign in to review approval request #{request_id}, from the link in your email. "
        "Nothing is decided until you press Approve or Reject."
    )
