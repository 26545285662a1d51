"""The Scripts page's filters (django-filter)."""

import django_filters

from utilities.filtersets import choice_filter, search_filter

from .models import Platform, ScriptKind


class ScriptFilterSet(django_filters.FilterSet):
    q = search_filter("name", "description")
    kind = choice_filter(ScriptKind.choices, all_label="All types", label="Type")
    platform = choice_filter(Platform.choices, all_label="All platforms")
