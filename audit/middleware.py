from .chain import client_ip_var


class AuditContextMiddleware:
    """Makes the client address available to audit_record for the length of a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip_var.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            client_ip_var.reset(token)
