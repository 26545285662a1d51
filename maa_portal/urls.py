from django.apps import apps
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
    path("", include("utilities.api.urls")),
    path("health/live/", health.live, name="health_live"),
    path("health/ready/", health.ready, name="health_ready"),
    path("health/workers/", health.workers, name="health_workers"),
]
