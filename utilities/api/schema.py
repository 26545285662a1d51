"""OpenAPI extensions (drf-spectacular finds them when this module is imported)."""

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme


class ApplicationAuthenticationScheme(DjangoOAuthToolkitScheme):
    target_class = "utilities.api.authentication.ApplicationAuthentication"
