"""Sign-in at the organisation's OpenID provider, through django-allauth.

django-allauth was chosen over mozilla-django-oidc because it checks the ID token's issuer,
audience and expiry (mozilla-django-oidc checks the signature and nonce only), uses PKCE and a
one-time state, and brings the second factors (allauth.mfa, rbac.stepup) in the same package.
What it leaves to the site is done here:

- a nonce in every authorisation request, checked against the ID token (allauth sends none);
- people are matched by the provider's stable subject (the social account's uid, from
  OIDC_UID_CLAIM) and never by email; a new person gets an account only if OIDC_CREATE_USERS;
- the tenant (Entra's "tid") and a disabled account are refused, each refusal with a page and an
  audit event;
- the groups claim sets membership of the groups that came from the provider;
- an ID token whose "amr"/"acr" shows multi-factor counts as a fresh second factor (rbac.stepup).
"""

import secrets
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import record_authentication
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from audit.chain import audit_record

from .models import SecurityGroup, User

NONCE_SESSION_KEY = "oidc_nonce"
# Asked for a step-up: the provider signs the person in again, whatever session it has.
REAUTH_PARAMS = {"prompt": "login", "max_age": "0"}


class PasswordBackend(ModelBackend):
    """Django's password check, while PASSWORD_SIGNIN is on; off, no password signs anyone in,
    whichever page it is typed on."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.PASSWORD_SIGNIN:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class ProviderBackend(ModelBackend):
    """The backend of a session the identity provider opened: it checks no password (sign-in
    happened at the provider), and resolves the session's user as Django's backend does."""

    def authenticate(self, request, **credentials):
        return None


class PortalProvider(OpenIDConnectProvider):
    """allauth's OpenID Connect provider with a nonce, and a fresh sign-in when asked."""

    def get_auth_params_from_request(self, request, action):
        params = super().get_auth_params_from_request(request, action)
        nonce = secrets.token_urlsafe(24)
        request.session[NONCE_SESSION_KEY] = nonce
        params["nonce"] = nonce
        if request.GET.get("stepup"):
            params.update(REAUTH_PARAMS)
        return params


def provider_sign_out_url(request) -> str:
    """The provider's end-session address (RP-initiated logout), where it has one, returning
    to the portal's sign-in page; "" otherwise."""
    from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter

    try:
        config = OpenIDConnectOAuth2Adapter(request, "idp").openid_config
    except Exception:  # the provider is unreachable: the portal's own sign-out still happened
        return ""
    endpoint = config.get("end_session_endpoint", "")
    if not endpoint:
        return ""
    query = urlencode(
        {
            "client_id": settings.OIDC_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def refuse(request, *, reason: str, user=None, data: dict | None = None, status: int = 403):
    """A sign-in the portal refuses: an audit event and a page that says why."""
    audit_record(
        actor=None,
        action="signin.refused",
        target=user,
        target_label="" if user else (data or {}).get("subject", ""),
        note=reason,
        data=data or {},
    )
    return render(request, "registration/signin_refused.html", {"reason": reason}, status=status)


def claims_show_mfa(claims: dict) -> bool:
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    return bool(set(amr) & set(settings.OIDC_MFA_AMR)) or (
        bool(settings.OIDC_MFA_ACR) and claims.get("acr") in settings.OIDC_MFA_ACR
    )


class ProviderAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return settings.OIDC_CREATE_USERS

    def pre_social_login(self, request, sociallogin) -> None:
        claims = sociallogin.account.extra_data.get("id_token") or {}
        subject = sociallogin.account.uid
        data = {"subject": subject, "issuer": claims.get("iss", "")}
        expected = request.session.pop(NONCE_SESSION_KEY, None)
        if not expected or claims.get("nonce") != expected:
            raise ImmediateHttpResponse(
                refuse(request, reason="The sign-in answer did not match its request.", data=data)
            )
        if settings.OIDC_TENANT_ID and claims.get("tid") != settings.OIDC_TENANT_ID:
            raise ImmediateHttpResponse(
                refuse(
                    request,
                    reason="Your account belongs to another organisation than this portal's.",
                    data={**data, "tenant": claims.get("tid", "")},
                )
            )
        user = sociallogin.user if sociallogin.is_existing else None
        if user is None:
            user = self._provisioned(request, sociallogin)
        if user is None and not settings.OIDC_CREATE_USERS:
            raise ImmediateHttpResponse(
                refuse(
                    request,
                    reason="You have no account in this portal yet. Ask an administrator to "
                    "provision you.",
                    data=data,
                )
            )
        if user is not None and not user.is_active:
            raise ImmediateHttpResponse(
                refuse(request, reason="Your account is disabled.", user=user, data=data)
            )
        request._provider_claims = claims

    def _provisioned(self, request, sociallogin):
        """A person SCIM provisioned, signing in for the first time: the same stable id (Entra's
        object id, mapped to externalId and carried in the uid claim) links the two."""
        user = User.objects.filter(
            external_id=sociallogin.account.uid, is_application=False
        ).first()
        if user is not None and user.is_active:
            sociallogin.user = user
            sociallogin.save(request, connect=True)
            audit_record(
                actor=None,
                action="signin.linked",
                target=user,
                data={"subject": sociallogin.account.uid},
            )
        return user

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        """allauth's refusal (a wrong state, issuer, audience or signature; an expired token;
        the provider's own error) is audited and shown on the portal's refusal page."""
        raise ImmediateHttpResponse(
            refuse(
                request,
                reason="The sign-in at your organisation could not be verified. Try again.",
                data={"error": str(error or ""), "detail": str(exception or "")[:200]},
            )
        )

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        claims = sociallogin.account.extra_data.get("id_token") or {}
        user.username = (
            claims.get("preferred_username") or claims.get("upn") or sociallogin.account.uid
        )[:150]
        user.display_name = (claims.get("name") or "")[:150]
        return user


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def login(self, request, user) -> None:
        user.backend = "rbac.identity.ProviderBackend"
        super().login(request, user)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Adding or removing a second factor asks for a fresh one once any is enrolled:
        otherwise whoever holds a session cookie could add their own authenticator and pass
        every step-up with it. The first enrolment cannot ask for a factor there is not."""
        from allauth.core import context

        from .stepup import factor_enrolled

        request = context.request
        return bool(request and request.user.is_authenticated and factor_enrolled(request.user))


def groups_sync(*, user: User, claims: dict) -> None:
    """Membership of the groups that came from the provider follows the groups claim (their
    object ids); groups made in the portal are left alone."""
    if settings.OIDC_GROUPS_CLAIM not in claims:
        return
    wanted = {str(value) for value in claims.get(settings.OIDC_GROUPS_CLAIM) or []}
    provided = SecurityGroup.objects.exclude(external_id="").select_related("auth_group")
    with transaction.atomic():
        for group in provided:
            member = group.auth_group.user_set.filter(pk=user.pk).exists()
            if (group.external_id in wanted) != member:
                if member:
                    group.auth_group.user_set.remove(user)
                else:
                    group.auth_group.user_set.add(user)
                audit_record(
                    actor=None,
                    action="group.member_add" if not member else "group.member_remove",
                    target=group,
                    note=f"{user} (groups claim at sign-in)",
                    data={"user": user.pk, "source": "oidc"},
                )


def signed_in(sender, request, user, sociallogin=None, **kwargs) -> None:
    """allauth's user_logged_in: groups from the claim, the sign-in audited, and a provider
    sign-in with multi-factor recorded as a second factor for step-up."""
    if sociallogin is None:
        return
    claims = getattr(request, "_provider_claims", None) or {}
    groups_sync(user=user, claims=claims)
    mfa = claims_show_mfa(claims)
    audit_record(
        actor=user,
        action="signin.provider",
        target=user,
        data={"subject": sociallogin.account.uid, "mfa": mfa, "amr": claims.get("amr", [])},
    )
    auth_time = float(claims.get("auth_time") or claims.get("iat") or 0)
    if mfa and time.time() - auth_time < settings.STEPUP_SECONDS:
        record_authentication(
            request, user, "mfa", type="oidc", provider="idp", factor_at=auth_time
        )
