"""The sidebar's entries, registered by the apps that own the pages.

Each app adds its own entries from its AppConfig.ready(), so the base template lists what is
registered and a new workload's page needs no edit outside its folder. Who sees an entry is the
entry's own rule (`visible`), which rbac's context processor evaluates for the signed-in user.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.urls import reverse

MAIN = "main"
ADMIN = "admin"  # "Tenant administration"


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    section: str
    order: int
    # The permission code that shows the entry, or None for everyone signed in.
    permission: str | None = None
    # A rule of its own, (user) -> bool, for entries not shown by one permission.
    visible: Callable | None = None

    @cached_property
    def url(self) -> str:
        # Reversed once per process: the sidebar is on every page.
        return reverse(self.url_name)


_items: dict[str, NavItem] = {}


def nav_register(item: NavItem) -> NavItem:
    """Add an entry (keyed by its URL name, so registering it again changes nothing)."""
    _items.setdefault(item.url_name, item)
    return item


def nav_items(section: str) -> list[NavItem]:
    return sorted((i for i in _items.values() if i.section == section), key=lambda i: i.order)
