"""The API's engine half: the approval-header flow for protected writes (`base.ProtectedViewSet`)
and the approval requests and access policies resources. The framework (authentication, errors,
paging, throttling, idempotency, the router) is plumbing, in `utilities.api`.

Each domain adds its resources in its own api.py (registered on `utilities.api.routes.router`),
found at start-up like the operations modules.
"""

from . import resources  # noqa: F401,E402  (registers the engine's resources on the router)
