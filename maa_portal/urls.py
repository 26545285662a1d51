from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from rbac.signin import SignInView

from . import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="approvals:admin_tasks"), name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("devices/scripts/", include("device_scripts.urls")),
    path("devices/", include("device_policies.urls")),
    path("apps/", include("mobile_apps.urls")),
    path("devices/", include("devices.urls")),
    path("tenant/", include("tenant_admin.urls")),
    path("tenant/", include("rbac.urls")),
    path("tenant/", include("approvals.urls")),
    path("tenant/", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("", include("utilities.api.urls")),
    path("health/live/", health.live, name="health_live"),
    path("health/ready/", health.ready, name="health_ready"),
    path("health/workers/", health.workers, name="health_workers"),
]
