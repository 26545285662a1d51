"""Sign-in: identity's page. Apps above RBAC explain where a sign-in leads (an approver's email
link says which request it is for) by registering a hint, without RBAC knowing them.

Guessing is throttled by django-axes (settings AXES_*): failures are counted per account and
per address, each with its own limit (`SignInAttempts`); past it, that account or that address
is locked for the cool-off time. The locked page says the same for every username, existing or
not, so it tells nobody which accounts exist.
"""

from collections.abc import Callable

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.core.cache import cache
from django.db.models import Sum
from django.shortcuts import redirect, render

from audit.chain import audit_record

from .models import User

# Each takes the address the person signs in to reach and returns a sentence, or "".
_hints: list[Callable[[str], str]] = []


def sign_in_hint_register(hint: Callable[[str], str]) -> Callable[[str], str]:
    _hints.append(hint)
    return hint


def sign_in_hint(next_url: str) -> str:
    return next((text for hint in _hints if (text := hint(next_url))), "")


class SignInView(LoginView):
    """The sign-in page: the identity provider's button when one is configured, and the password
    form while PASSWORD_SIGNIN is on."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if not settings.PASSWORD_SIGNIN:
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sign_in_hint"] = sign_in_hint(self.get_redirect_url())
        return {**context, **ways_in()}


def ways_in() -> dict:
    """What the sign-in page offers: the provider's button, the password form, or both."""
    return {
        "password_signin": settings.PASSWORD_SIGNIN,
        "provider_name": settings.OIDC_NAME if settings.OIDC_ISSUER else "",
    }


class SignOutView(LogoutView):
    """Sign-out; a session the identity provider opened is ended at the provider as well."""

    def post(self, request, *args, **kwargs):
        from allauth.account.internal.flows.login import get_authentication_records

        from .identity import provider_sign_out_url

        at_provider = request.user.is_authenticated and any(
            record.get("method") == "socialaccount"
            for record in get_authentication_records(request, request.user)
        )
        response = super().post(request, *args, **kwargs)
        if at_provider and (end_session := provider_sign_out_url(request)):
            return redirect(end_session)
        return response


logout = SignOutView.as_view()


def client_ip(request) -> str:
    """The address failures are counted for: behind the TLS proxy, the one it appended."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.SECURE_PROXY_SSL_HEADER and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def locked_out(request, original_response, credentials):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, the username kept, the same words for
    every account, 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "form": AuthenticationForm(
            request, initial={"username": (credentials or {}).get("username")}
        ),
        **ways_in(),
        "next": request.POST.get("next", ""),
        "locked": "Too many failed sign-ins for this account or from this address. Try again "
        f"in {minutes} minutes, or ask an administrator to unlock the account.",
    }
    return render(request, "registration/login.html", context, status=429)


def lockout_record(sender, request, username, ip_address, **kwargs) -> None:
    """axes' user_locked_out, sent for the failure that locks and for every attempt while
    locked: one audit event per lock (the cache remembers it for the cool-off time). When the
    account itself is over the limit, its owner is mailed (by a worker: a slow mail server does
    not hold the sign-in page); an address lock mails nobody."""
    from .tasks import lockout_mail

    account_failures = AccessAttempt.objects.filter(username=username).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    kind = "account" if (account_failures or 0) >= settings.AXES_FAILURE_LIMIT else "address"
    key = f"signin-lock:{kind}:{username if kind == 'account' else ip_address}"
    if not cache.add(key, True, timeout=int(settings.AXES_COOLOFF_TIME.total_seconds())):
        return
    user = User.objects.filter(username=username, is_application=False).first()
    audit_record(
        actor=None,
        action="signin.lockout",
        target=user if kind == "account" else None,
        target_label=username if kind == "account" else ip_address or "",
        note=f"Too many failed sign-ins: {kind} locked for {settings.AXES_COOLOFF_TIME}.",
        data={"locked": kind, "username": username, "ip": ip_address},
    )
    if kind == "account" and user is not None and user.email:
        lockout_mail.delay_on_commit(user.pk, ip_address or "")


def _failures(attempts) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class SignInAttempts(AxesDatabaseHandler):
    """axes' database handler with a limit per address of its own: many people sign in from one
    office address, and one person's typos must not lock the others (or the administrator who
    would unlock them) out. axes compares one count with AXES_FAILURE_LIMIT, so the address's
    count is scaled to it."""

    def get_failures(self, request, credentials=None) -> int:
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        by_account = _failures(recent.filter(username=username)) if username else 0
        by_address = _failures(recent.filter(ip_address=request.axes_ip_address))
        scaled = by_address * settings.AXES_FAILURE_LIMIT // settings.SIGNIN_ADDRESS_FAILURE_LIMIT
        return max(by_account, scaled)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A sign-in forgets only its own account's failures. axes also clears the address's,
        so anyone with an account could wipe a guesser's count on someone else's."""
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(username=username).delete()
        return deleted
