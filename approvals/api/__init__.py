"""The API's engine half: authentication, errors, paging, throttling, idempotency, the approval
header flow for protected writes, and the approval requests and access policies resources.

Each domain adds its resources in its own api.py (registered on `routes.router`), found at
start-up like the operations modules.
"""
