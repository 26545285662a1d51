"""Shared page checks."""

from rbac.models import User
from tests import factories as f


def assert_permission_matrix(client, pages: dict[str, str]) -> None:
    """pages: url -> the username that gets 200. Signed out: the login redirect; signed in
    without the permission: 403."""
    for url in pages:
        client.logout()
        assert client.get(url).status_code == 302, url
    client.force_login(f.user("outsider"))
    for url in pages:
        assert client.get(url).status_code == 403, url
    for url, username in pages.items():
        client.force_login(User.objects.get(username=username))
        assert client.get(url).status_code == 200, (url, username)
