from allauth.account import views as account_views
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import include, path, reverse
from django.views.generic import RedirectView

from rbac.scim.views import scim
from rbac.signin import SignInView, logout
from rbac.views import session_status, stepup

from . import health


def admin_login(request, extra_context=None):
    """The Django admin signs in on the portal's own page: one way in, throttled and audited,
    which offers a password only while PASSWORD_SIGNIN is on. Someone signed in without staff
    access is told so, not sent to sign in again."""
    if request.user.is_authenticated:
        raise PermissionDenied("Your account has no access to the Django admin.")
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


admin.site.login = admin_login
handler500 = "maa_portal.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="approvals:admin_tasks"), name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", logout, name="logout"),
    path("stepup/", stepup, name="stepup"),
    path("session/", session_status, name="session_status"),
    # django-allauth, in part: the second factors (accounts/2fa/) and the identity provider's
    # sign-in (accounts/oidc/idp/login/). Its own password, signup, reset and email pages are
    # not routed: the names it reverses lead to the portal's pages.
    path(
        "accounts/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="account_login",
    ),
    path("accounts/logout/", logout, name="account_logout"),
    path("accounts/inactive/", account_views.account_inactive, name="account_inactive"),
    path(
        "accounts/reauthenticate/",
        RedirectView.as_view(pattern_name="stepup", query_string=True),
        name="account_reauthenticate",
    ),
    path("accounts/2fa/", include("allauth.mfa.urls")),
    path("accounts/3rdparty/", include("allauth.socialaccount.urls")),
    path("accounts/", include("allauth.socialaccount.providers.openid_connect.urls")),
    # Every app that has pages names where they live (AppConfig.url_prefix), so a new workload
    # adds its pages from its own folder; the longer prefix first, "devices/scripts/" before
    # "devices/".
    *(
        path(app.url_prefix, include(f"{app.name}.urls"))
        for app in sorted(
            (app for app in apps.get_app_configs() if getattr(app, "url_prefix", None)),
            key=lambda app: -len(app.url_prefix),
        )
    ),
    path("admin/", admin.site.urls),
    path("scim/v2/", scim),
    path("scim/v2/<path:path>", scim),
    path("", include("utilities.api.urls")),
    path("health/live/", health.live, name="health_live"),
    path("health/ready/", health.ready, name="health_ready"),
    path("health/workers/", health.workers, name="health_workers"),
]
