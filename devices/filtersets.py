"""The Devices page's filters (django-filter); the API filters with OData (devices.api)."""

import django_filters
from django.db.models import Q

from rbac.models import ScopeTag
from utilities.filtersets import ModelChoiceFilter, choice_filter
from utilities.queries import people_matching
from utilities.search import containing
from utilities.widgets import QuickSelect, QuickText

from .models import Compliance, Device, ManagementState, OperatingSystem, Ownership
from .selectors import with_scope_tag


def device_search(queryset, name, value):
    """Name, serial number or primary user. Each arm can use its trigram index (devices
    migration 0004), by the term's rarest trigrams (utilities.search); the matching users are
    looked up first, so no arm needs a join."""
    users = people_matching(value)
    # Newest enrolled first, not by name: walking the name index for names that contain a word
    # reaches them only where that word sorts (a quarter of a million "iPhone"s after every
    # "BENCH-..." one read 75,000 rows for a page). In id order a common word fills a page at
    # once, and a rare one is found through its trigram index and sorted as the few it is.
    return queryset.filter(
        containing(Device, "name", value)
        | containing(Device, "serial_number", value)
        | Q(primary_user_id__in=users)
    ).order_by("-pk")


class DeviceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method=device_search, label="Search", widget=QuickText)
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
        return with_scope_tag(queryset, tag.pk)
