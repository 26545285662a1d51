from django.urls import include, path, re_path
from django.utils.module_loading import autodiscover_modules
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from oauth2_provider import urls as oauth2_urls

from . import schema  # noqa: F401  (it registers itself with drf-spectacular)
from .errors import not_found
from .routes import router

# Each app's api module (approvals' own included) registers its resources on the router, as
# operations modules register their operations.
autodiscover_modules("api")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/openapi.json", SpectacularJSONAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/v1/docs/try/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs-try",
    ),
    # OAuth 2.0: token (client credentials), revoke and introspect.
    path("oauth2/", include((oauth2_urls.base_urlpatterns, "oauth2_provider"))),
    re_path(r"^api/", not_found),
]
