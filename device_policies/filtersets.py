"""The policies pages' filters (django-filter)."""

import django_filters

from utilities.filtersets import choice_filter, search_filter

from .settings import PolicyPlatform


class PolicyFilterSet(django_filters.FilterSet):
    q = search_filter("name", "description")
    platform = choice_filter(PolicyPlatform.CHOICES, all_label="All platforms")
