# The test OpenID provider and the portal configured for it (tests/identity/provider.py).
from tests.identity.provider import idp, oidc  # noqa: F401
