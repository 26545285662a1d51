"""The base of every resource with protected writes (each domain's api.py uses it)."""

from utilities.api.base import ApiViewSet

from .protected import APPROVAL_CODE, JUSTIFICATION, protected_write


class ProtectedViewSet(ApiViewSet):
    """A resource whose writes go through the approval-header flow (`self.protected`)."""

    call_headers = (JUSTIFICATION, APPROVAL_CODE)

    def protected(self, operation_code: str, payload: dict):
        return protected_write(self.request, operation_code=operation_code, payload=payload)
