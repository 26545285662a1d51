"""Step-up: a second factor used within the last STEPUP_SECONDS before every decision.

Approve, reject, Complete and every access-policy change are wrapped in `fresh_factor_required`.
The factors are django-allauth's (allauth.mfa): TOTP, WebAuthn passkeys and recovery codes,
enrolled on the profile page; a sign-in at the identity provider whose ID token shows
multi-factor counts as well (rbac.identity). allauth records each use in the session; this
module only reads those records, asks for a factor when none is fresh, and audits both.

A stale POST is kept (allauth's suspend_request) and replayed once the factor is given, so the
approver's note is not lost; a hand-made POST without a fresh factor runs nothing.
"""

import time
from functools import wraps

from allauth.account.internal.flows.login import (
    get_authentication_records,
    record_authentication,
)
from allauth.account.internal.flows.reauthentication import suspend_request
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from audit.chain import audit_record

# Recovery codes are for getting back in, not a factor one can enrol alone.
FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def factor_enrolled(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES).exists()


def second_factors(user) -> list[tuple[int, str, str]]:
    """(id, kind, added on) of each factor the person enrolled, recovery codes included."""
    return [
        (a.pk, a.get_type_display(), a.created_at.date().isoformat())
        for a in Authenticator.objects.filter(user_id=user.pk).order_by("pk")
    ]


def second_factors_reset(*, user, actor) -> int:
    """Remove every factor of a person (the approved "Reset second factors" operation)."""
    removed, _ = Authenticator.objects.filter(user_id=user.pk).delete()
    audit_record(actor=actor, action="mfa.reset", target=user, data={"removed": removed})
    return removed


def provider_signed_in(user) -> bool:
    """The person has an identity-provider account, where a fresh multi-factor sign-in counts."""
    return user.socialaccount_set.exists()


def factor_used_at(request) -> float | None:
    """When this session last saw a second factor (allauth's records), as a Unix time."""
    times = [
        record.get("factor_at", record["at"])
        for record in get_authentication_records(request, request.user)
        if record.get("method") == "mfa"
    ]
    return max(times, default=None)


def factor_fresh(request) -> bool:
    used = factor_used_at(request)
    return used is not None and time.time() - used < settings.STEPUP_SECONDS


def stepup_refusal(request, what: str) -> str:
    """For the API: why a person's call (their portal session) may not `what` now, or "".
    Applications never step up: they cannot decide, and a person approves what they file."""
    user = request.user
    if (
        not settings.STEPUP_REQUIRED
        or getattr(user, "is_application", False)
        or factor_fresh(request)
    ):
        return ""
    _refused(request, "No fresh second factor (API).", what)
    minutes = settings.STEPUP_SECONDS // 60
    return (
        f"To {what}, confirm it is you with your second factor in the portal (within the last "
        f"{minutes} minutes), then repeat this call."
    )


def _refused(request, reason: str, what: str) -> None:
    audit_record(
        actor=request.user,
        action="stepup.refused",
        target=request.user,
        note=reason,
        data={"path": request.path, "what": what},
    )


def stepup_response(request, what: str):
    """None when the person gave a fresh second factor (or step-up is off); else the response
    that asks for one: the step-up page, which replays this POST afterwards, or the page to
    enrol a factor. Each refusal is audited."""
    if not settings.STEPUP_REQUIRED or factor_fresh(request):
        return None
    if not factor_enrolled(request.user) and not provider_signed_in(request.user):
        _refused(request, "No second factor is enrolled.", what)
        messages.error(
            request,
            f"To {what}, you need a second factor. Add an authenticator app or a "
            "passkey, then try again.",
        )
        return redirect(reverse("mfa_index"))
    used = factor_used_at(request)
    _refused(
        request,
        "The second factor is stale." if used else "No second factor in this session.",
        what,
    )
    messages.info(request, f"To {what}, confirm it is you with your second factor.")
    response = suspend_request(request, reverse("stepup"))
    # A step-up at the identity provider signs in anew, and the kept POST is lost with
    # the old session: the person comes back to the page they decided on.
    back = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}):
        response["Location"] += f"&{urlencode({'back': back})}"
    return response


def fresh_factor_required(what):
    """A view decorator: a POST runs only with a fresh second factor. `what` names the decision
    in the audit log and on the page: a phrase, or a function of the view's keyword arguments
    giving one, or None where that call needs no step-up."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            decision = what(kwargs) if callable(what) else what
            if decision is not None and request.method == "POST":
                response = stepup_response(request, decision)
                if response is not None:
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def stepup_verified(sender, request, user, authenticator, reauthenticated=False, **kwargs):
    """allauth's authenticator_used: each step-up is an audit event."""
    audit_record(
        actor=user,
        action="stepup.verified" if reauthenticated else "mfa.used",
        target=user,
        data={"factor": authenticator.type},
    )


def factor_changed(action: str):
    def record(sender, request, user, authenticator=None, **kwargs):
        audit_record(
            actor=user,
            action=action,
            target=user,
            data={"factor": getattr(authenticator, "type", "")},
        )
        if action == "mfa.enrol" and authenticator is not None:
            # Enrolling proved the new factor (a code it gave, a key it signed with): it counts
            # as used now, so the recovery codes that follow can be shown.
            record_authentication(
                request, user, "mfa", type=authenticator.type, reauthenticated=True
            )

    return record


def factor_refused(sender, request, user, authenticator=None, **kwargs):
    """allauth's authentication_failed: a wrong or replayed code is an audit event."""
    _refused(request, "A wrong second-factor code.", getattr(authenticator, "type", "step-up"))
