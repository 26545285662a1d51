from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.exceptions import AuthenticationFailed


class ApplicationAuthentication(OAuth2Authentication):
    """A client-credentials token acts as its application's service principal.

    The principal is a User (is_application) in security groups, so role assignments apply to
    it exactly as to people. django-oauth-toolkit leaves a client-credentials token without a
    user; the application's user is the principal.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            if request.headers.get("Authorization", "").startswith("Bearer "):
                raise AuthenticationFailed("The access token is invalid, expired or revoked.")
            return None
        user, token = result
        principal = user or token.application.user
        if principal is None or not principal.is_active:
            raise AuthenticationFailed("This application is disabled.")
        return principal, token
