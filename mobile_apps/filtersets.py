"""The Apps page's filters (django-filter)."""

import django_filters

from utilities.filtersets import choice_filter, search_filter

from .models import AppType


class AppFilterSet(django_filters.FilterSet):
    q = search_filter("name", "publisher")
    app_type = choice_filter(AppType.choices, all_label="All types", label="App type")
