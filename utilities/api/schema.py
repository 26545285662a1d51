"""OpenAPI extensions (drf-spectacular finds them when this module is imported)."""

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme


class ApplicationAuthenticationScheme(DjangoOAuthToolkitScheme):
    target_class = "utilities.api.authentication.ApplicationAuthentication"


def beta_only(endpoints):
    """The schema documents /beta/; /v1.0/ serves the same views (those Graph has there)."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith("/v1.0/")]
