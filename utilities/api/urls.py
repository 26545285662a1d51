from django.urls import include, path, re_path
from django.utils.module_loading import autodiscover_modules
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from oauth2_provider import urls as oauth2_urls
from oauth2_provider.views import TokenView

from . import schema  # noqa: F401  (it registers itself with drf-spectacular)
from .errors import not_found
from .routes import router, v1_router

# Each app's api module (approvals' own included) registers its resources on the router, as
# operations modules register their operations.
autodiscover_modules("api")

urlpatterns = [
    # Graph's base URLs: a Graph client pointed at the portal builds these paths itself.
    path("beta/", include(router.urls)),
    path("v1.0/", include(v1_router().urls)),
    path("api/openapi.json", SpectacularJSONAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/docs/try/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs-try",
    ),
    # OAuth 2.0: token (client credentials), revoke and introspect; and the token endpoint where
    # Entra's v2 endpoint is, so that Microsoft's credential classes find it from a tenant.
    path("oauth2/", include((oauth2_urls.base_urlpatterns, "oauth2_provider"))),
    path("<str:tenant>/oauth2/v2.0/token", TokenView.as_view(), name="entra-token"),
    re_path(r"^(api|beta|v1\.0)/", not_found),
]
