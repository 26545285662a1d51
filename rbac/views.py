from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from audit.chain import audit_record
from audit.models import AuditEvent

from .forms import PreferencesForm
from .models import DirectoryRole, Permission, ScimToken, User
from .services import RbacError, scim_token_create, scim_token_revoke
from .sessions import session_left
from .stepup import factor_enrolled


@login_required
def profile(request):
    form = PreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            User.objects.filter(pk=request.user.pk).update(muted_notifications=form.muted())
            audit_record(
                actor=request.user,
                action="user.preferences",
                target=request.user,
                data={"muted": form.muted()},
            )
        messages.success(request, "Notification preferences saved.")
        return redirect("rbac:profile")
    return render(
        request,
        "rbac/profile.html",
        {
            "form": form,
            "permissions": Permission.objects.all(),
            "factors": Authenticator.objects.filter(user=request.user).order_by("type"),
            "stepup_minutes": settings.STEPUP_SECONDS // 60,
            # Break-glass runs the approvers judged not justified (approvals.reviews).
            "not_justified": AuditEvent.objects.filter(
                target_type=User._meta.label_lower,
                target_id=str(request.user.pk),
                action="break_glass.not_justified",
            ).order_by("-id")[:20],
        },
    )


def session_status(request):
    """How long this session has left: the idle and absolute limits (rbac.sessions), for a page
    that warns before it ends. It reads only the session, so it is also the bench's yardstick of
    a signed-in page that does nothing (bench/run.py)."""
    if not request.user.is_authenticated:
        return JsonResponse({"signedIn": False}, status=401)
    return JsonResponse(session_left(request))


@login_required
def stepup(request):
    """Where a decision without a fresh second factor sends the person: their enrolled factor
    (allauth's page), or else a new multi-factor sign-in at the identity provider."""

    def safe(url: str) -> str:
        return url if url_has_allowed_host_and_scheme(url, {request.get_host()}) else ""

    if factor_enrolled(request.user):
        next_url = safe(request.GET.get("next", "")) or reverse("home")
        # The factor the person uses: the authenticator app's code page (where recovery codes
        # and passkeys are offered too), or straight to the passkey when that is all they have.
        kinds = set(Authenticator.objects.filter(user=request.user).values_list("type", flat=True))
        page = "mfa_reauthenticate" if "totp" in kinds else "mfa_reauthenticate_webauthn"
        return redirect(f"{reverse(page)}?{urlencode({'next': next_url})}")
    # The provider's sign-in starts a new session: back to the page, not the kept POST.
    back = safe(request.GET.get("back", "")) or reverse("home")
    query = urlencode({"process": "login", "next": back, "stepup": "1"})
    return redirect(f"{reverse('openid_connect_login', args=['idp'])}?{query}")


@login_required
def scim_tokens(request):
    """Provisioning: the SCIM endpoint's address and its bearer tokens (Global and Intune
    Administrators). A new token's secret is shown on this one answer only."""
    if request.user.directory_role not in (
        DirectoryRole.GLOBAL_ADMINISTRATOR,
        DirectoryRole.INTUNE_ADMINISTRATOR,
    ):
        raise PermissionDenied("Only a Global or Intune Administrator manages provisioning.")
    secret, name = "", request.POST.get("name", "")
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                scim_token_revoke(actor=request.user, token_id=int(request.POST["revoke"]))
                messages.success(request, "The token was revoked; SCIM calls with it now fail.")
                return redirect("rbac:scim_tokens")
            _, secret = scim_token_create(actor=request.user, name=name)
            name = ""
        except (RbacError, ValueError, ScimToken.DoesNotExist) as exc:
            messages.error(request, str(exc) or "That token does not exist.")
    return render(
        request,
        "rbac/scim_tokens.html",
        {
            "tokens": ScimToken.objects.select_related("created_by"),
            "secret": secret,
            "name": name,
            "endpoint": request.build_absolute_uri("/scim/v2/"),
        },
        status=400 if request.method == "POST" and not secret else 200,
    )
