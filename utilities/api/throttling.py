from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """Per client: an API application by its client id, a signed-in person by their user."""

    scope = "client"

    def get_cache_key(self, request, view):
        token = request.auth
        application = getattr(token, "application", None)
        if application is not None:
            ident = f"app:{application.client_id}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
