"""Signed approver links: bound to one request, one approver and the request's version."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

_SALT = "maa-portal.decision-link"


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
