"""The API framework every app's resources stand on (Django REST Framework): authentication of
client-credentials tokens, the error body, paging, throttling, Idempotency-Key, the router."""
