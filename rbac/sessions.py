"""How long a signed-in session lives: an idle timeout, an absolute lifetime, and no session
left to a person who lost every access.

A password change and a deactivation already end every session: Django checks the session's
password hash on each request, and an inactive user is never loaded. What Django does not do is
written here. The activity time is written at most once a minute, so a page view does not cost a
session write.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils import timezone

from audit.chain import audit_record

from .selectors import access_for

STARTED, SEEN, HAD_ACCESS = "maa_started", "maa_seen", "maa_had_access"
SEEN_RESOLUTION = 60  # seconds


def _now() -> float:
    return timezone.now().timestamp()


def _has_access(user) -> bool:
    access = access_for(user)
    return access.unrestricted or bool(access.grants)


def session_start(sender, request, user, **kwargs) -> None:
    """user_logged_in: the session's start, and whether its person had any access then."""
    now = _now()
    request.session[STARTED] = request.session[SEEN] = now
    request.session[HAD_ACCESS] = _has_access(user)


def _ending(request, now: float) -> str:
    """Why this session ends now, or ""."""
    session = request.session
    if now - session.get(STARTED, now) > settings.SESSION_MAX_SECONDS:
        return "Your session reached its maximum length."
    if now - session.get(SEEN, now) > settings.SESSION_IDLE_SECONDS:
        return "Your session ended after a time without activity."
    has_access = _has_access(request.user)
    if session.get(HAD_ACCESS) and not has_access:
        return "Your account no longer has any role in the portal."
    if has_access and not session.get(HAD_ACCESS):
        session[HAD_ACCESS] = True  # given a role since signing in: losing it ends the session
    return ""


@functools.cache
def _status_path() -> str:
    return reverse("session_status")  # once per process: the middleware runs on every page


def session_left(request) -> dict:
    """Seconds until this session ends by idleness and by its maximum length."""
    now, session = _now(), request.session
    return {
        "signedIn": True,
        "idleSecondsLeft": max(
            0, round(session.get(SEEN, now) + settings.SESSION_IDLE_SECONDS - now)
        ),
        "maxSecondsLeft": max(
            0, round(session.get(STARTED, now) + settings.SESSION_MAX_SECONDS - now)
        ),
    }


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_application:
            now = _now()
            if STARTED not in request.session:  # signed in before these limits existed
                session_start(None, request, user)
            reason = _ending(request, now)
            if reason:
                audit_record(actor=user, action="session.end", target=user, note=reason)
                logout(request)
                messages.info(request, f"{reason} Sign in again.")
                return redirect_to_login(request.get_full_path())
            # Asking how long the session has left is not activity: a page that polls it
            # must not keep an idle session alive.
            polled = request.path == _status_path()
            if not polled and now - request.session[SEEN] > SEEN_RESOLUTION:
                request.session[SEEN] = now
        return self.get_response(request)
