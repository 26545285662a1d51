from django.urls import include, path, re_path
from django.utils.module_loading import autodiscover_modules
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from oauth2_provider import urls as oauth2_urls

from . import resources, schema  # noqa: F401  (they register themselves)
from .errors import not_found
from .routes import router

# Each domain's api.py registers its resources on the router, as operations.py does.
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
