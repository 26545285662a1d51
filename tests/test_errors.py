"""A database that does not answer gives a 503 that says so, never a traceback."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import path

from maa_portal.urls import urlpatterns as portal_urls


def _database_down(request):
    raise OperationalError("connection refused")


def _bug(request):
    raise ValueError("a bug")


urlpatterns = [
    path("down/", _database_down),
    path("beta/down/", _database_down),
    path("bug/", _bug),
    *portal_urls,
]
handler500 = "maa_portal.errors.server_error"


@pytest.fixture
def client_no_raise(settings):
    settings.ROOT_URLCONF = "tests.test_errors"
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_a_database_that_does_not_answer_is_a_503_page(client_no_raise):
    response = client_no_raise.get("/down/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    body = response.content.decode()
    assert "database is not answering" in body and "Traceback" not in body


def test_the_api_gets_the_503_as_a_graph_error(client_no_raise):
    response = client_no_raise.get("/beta/down/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "ServiceUnavailable"


def test_any_other_error_stays_a_500(client_no_raise):
    assert client_no_raise.get("/bug/").status_code == 500


@pytest.mark.django_db
def test_pages_answer_while_redis_does_not(client, settings):
    """The cache (sessions, resolved access) goes on without Redis while it restarts: a read is
    a miss, a write is skipped, the page answers."""
    from django.core.cache import caches

    from tests import factories as f
    from tests.worker import _free_port

    hazel = f.user("hazel")
    settings.CACHES = {
        "default": {
            "BACKEND": "utilities.cache.TolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_free_port()}/0",  # nothing listens there
        }
    }
    cache = caches["default"]
    assert cache.get("k", "missed") == "missed" and cache.add("k", 1) is False
    client.force_login(hazel)
    assert client.get("/tenant/profile/").status_code == 200
