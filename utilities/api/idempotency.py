"""Idempotency-Key: a repeated POST with the same key returns the first answer.

Keys belong to the client (the principal), are kept 24 hours, and are claimed before the call
runs, so two concurrent repeats never both run it: the second answers 409 "in progress".
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response

from ..digests import call_digest, digest
from ..models import IdempotencyRecord
from .errors import ApiError

HEADER = "Idempotency-Key"
KEPT = timedelta(hours=24)


def _key(request) -> str:
    if request.method != "POST" or not request.user.is_authenticated:
        return ""
    return request.headers.get(HEADER, "").strip()[:255]


def _fingerprint(request, headers) -> str:
    values = {name: request.headers.get(name, "") for name in headers}
    return digest({"call": call_digest(request), "headers": values})


def idempotency_claim(request, *, headers=()) -> Response | None:
    """The stored answer for a repeat; None when this call is the first (the key is claimed).

    `headers`: those that change what the call does; they belong to its fingerprint."""
    key = _key(request)
    if not key:
        return None
    IdempotencyRecord.objects.filter(
        principal=request.user, key=key, created_at__lt=timezone.now() - KEPT
    ).delete()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                principal=request.user,
                key=key,
                method=request.method,
                path=request.path,
                fingerprint=_fingerprint(request, headers),
            )
        return None
    except IntegrityError:
        record = IdempotencyRecord.objects.get(principal=request.user, key=key)
    if record.fingerprint != _fingerprint(request, headers):
        raise ApiError(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "IdempotencyKeyReused",
            f"The {HEADER} was already used for another call ({record.method} {record.path}).",
        )
    if record.status_code is None:
        raise ApiError(
            status.HTTP_409_CONFLICT,
            "IdempotentRequestInProgress",
            f"A call with this {HEADER} is still running; repeat it shortly.",
        )
    replay = Response(record.body, status=record.status_code, headers=record.headers)
    replay["Idempotent-Replayed"] = "true"
    return replay


def idempotency_purge() -> int:
    """Forget the answers older than the time keys are kept (a periodic task)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEPT).delete()
    return deleted


def idempotency_store(request, response) -> None:
    """Keep the first answer; a server error frees the key so the client can retry."""
    key = _key(request)
    if not key or response.get("Idempotent-Replayed"):
        return
    records = IdempotencyRecord.objects.filter(principal=request.user, key=key, status_code=None)
    if response.status_code >= 500:
        records.delete()
    else:
        own = {name: value for name, value in response.items() if name.lower().startswith("x-")}
        records.update(status_code=response.status_code, body=response.data, headers=own)
