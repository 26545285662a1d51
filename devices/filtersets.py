"""The Devices page's filters (django-filter); the API filters with OData (devices.api)."""

import django_filters
from django.db.models import Q

from rbac.models import ScopeTag, User
from utilities.filtersets import ModelChoiceFilter, choice_filter
from utilities.widgets import QuickSelect

from .models import Compliance, Device, ManagementState, OperatingSystem, Ownership

# A search matching more users than this is too broad to narrow devices by user anyway.
USER_MATCHES = 500


def device_search(queryset, name, value):
    """Name, serial number or primary user. Each arm can use its trigram index (devices
    migration 0004); the matching users are looked up first, so no arm needs a join."""
    users = list(
        User.objects.filter(
            Q(username__icontains=value) | Q(display_name__icontains=value)
        ).values_list("pk", flat=True)[:USER_MATCHES]
    )
    # Newest enrolled first, not by name: walking the name index for names that contain a word
    # reaches them only where that word sorts (a quarter of a million "iPhone"s after every
    # "BENCH-..." one read 75,000 rows for a page). In id order a common word fills a page at
    # once, and a rare one is found through its trigram index and sorted as the few it is.
    return queryset.filter(
        Q(name__icontains=value) | Q(serial_number__icontains=value) | Q(primary_user_id__in=users)
    ).order_by("-pk")


class DeviceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method=device_search, label="Search")
    operating_system = choice_filter(OperatingSystem.choices, all_label="All OS", label="OS")
    compliance_state = choice_filter(
        Compliance.choices, all_label="Any compliance", label="Compliance"
    )
    ownership = choice_filter(Ownership.choices, all_label="Any ownership")
    management_state = choice_filter(ManagementState.choices, all_label="Any state", label="State")
    tag = ModelChoiceFilter(
        queryset=ScopeTag.objects.all(),
        method="with_tag",
        empty_label="Any tag",
        label="Scope tag",
        widget=QuickSelect,
    )

    def with_tag(self, queryset, name, tag):
        # A subquery on the link table, not a join: no duplicates, and no DISTINCT over the list.
        links = Device.scope_tags.through.objects.filter(scopetag=tag)
        return queryset.filter(pk__in=links.values("device_id"))
