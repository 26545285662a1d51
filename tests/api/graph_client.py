"""A Graph SDK client for the portal: the small token provider the README shows.

azure-identity's ClientSecretCredential cannot be pointed at the portal: MSAL insists on an
https authority and reads its OpenID discovery document first. Kiota (under every msgraph SDK)
takes any AccessTokenProvider, so a client passes this one: client credentials posted to the
portal's Entra-shaped token endpoint, the token kept until shortly before it expires.
"""

import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import httpx
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph_beta import GraphRequestAdapter, GraphServiceClient
from msgraph_core import APIVersion, GraphClientFactory


@dataclass
class ClientCredentials(AccessTokenProvider):
    portal: str  # e.g. https://maa.example.org
    tenant: str
    client_id: str
    client_secret: str
    _token: str = field(default="", repr=False)
    _expires: float = 0.0

    async def get_authorization_token(self, uri, additional_authentication_context=None) -> str:
        if time.monotonic() > self._expires - 60:
            async with httpx.AsyncClient() as http:
                response = await http.post(
                    f"{self.portal}/{self.tenant}/oauth2/v2.0/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.client_id,
                        "client_secret": self.client_secret,
                        "scope": "https://graph.microsoft.com/.default",
                    },
                )
            response.raise_for_status()
            body = response.json()
            self._token, self._expires = body["access_token"], time.monotonic() + body["expires_in"]
        return self._token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([urlparse(self.portal).netloc])


def graph_client(credentials: ClientCredentials) -> GraphServiceClient:
    """Microsoft's GraphServiceClient, with its default middleware, on the portal's /beta/."""
    http = GraphClientFactory.create_with_default_middleware(
        api_version=APIVersion.beta,
        client=httpx.AsyncClient(base_url=f"{credentials.portal}/beta"),
    )
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(credentials), client=http)
    adapter.base_url = f"{credentials.portal}/beta"
    return GraphServiceClient(request_adapter=adapter)
