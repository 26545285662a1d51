"""/scim/v2/: SCIM 2.0 provisioning of people and groups (RFC 7643, 7644), for Entra ID's
provisioning service and any other SCIM client.

The protocol is scim2-server's (django-scim2 was the other choice; its filter parser pins a
version of sly that the OData filter library of the Graph API cannot use). This module adapts
Django's request and response to it and authenticates the bearer token.
"""

import json
from functools import cache
from http import HTTPStatus

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from scim2_models import (
    AuthenticationScheme,
    External,
    Reference,
    ScimProvider,
    UnauthorizedException,
)
from scim2_server.applications.wsgi import WSGIApplication
from scim2_server.requests import ScimRequest
from scim2_server.service import ScimService
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

from ..models import ScimToken
from ..models.scim import token_digest
from .storage import DirectoryStorage

MAX_RESULTS = 200


def _provider() -> ScimProvider:
    config = load_default_service_provider_config()
    config.bulk.supported = False
    config.bulk.max_operations = config.bulk.max_payload_size = None
    config.change_password.supported = False
    config.sort.supported = False
    config.etag.supported = True
    config.filter.max_results = MAX_RESULTS
    config.authentication_schemes = [
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="Bearer token",
            description="A token a Global or Intune Administrator creates in the portal.",
            spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
            primary=True,
        )
    ]
    return ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )


class PortalScim(WSGIApplication):
    """scim2-server's application, served through Django's view below rather than as WSGI."""

    def __init__(self):
        provider = _provider()
        super().__init__(DirectoryStorage(provider), provider, ScimService(provider))

    def check_auth(self, request: ScimRequest) -> None:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise UnauthorizedException(detail="A bearer token is required.")
        found = ScimToken.objects.filter(
            digest=token_digest(token.strip()), revoked_at__isnull=True
        ).update(last_used_at=timezone.now())
        if not found:
            raise UnauthorizedException(detail="This token is not valid, or was revoked.")


@cache
def application() -> PortalScim:
    return PortalScim()


@csrf_exempt
def scim(request, path: str = ""):
    app = application()
    request_in = ScimRequest(
        method=request.method,
        base_url=request.build_absolute_uri("/scim/v2").rstrip("/"),
        path=f"/{path}".removesuffix(".scim"),
        query=request.GET.dict(),
        headers=dict(request.headers),
        body=request.body,
    )
    answer = app.serve(request_in)
    body = b"" if answer.body is None else json.dumps(answer.body).encode()
    response = HttpResponse(body, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    if answer.status == HTTPStatus.NO_CONTENT:
        del response["Content-Type"]
    return response
