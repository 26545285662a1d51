"""What the list pages' filtersets (django-filter) share."""

import django_filters
from django.db.models import Q

from .fields import ModelChoiceField
from .widgets import QuickSelect, QuickText


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    """django-filter's, with the pages' choice field (its options in one plain query)."""

    field_class = ModelChoiceField


def choice_filter(choices, *, all_label: str, **kwargs) -> django_filters.ChoiceFilter:
    """A select of `choices` whose empty option, `all_label`, filters nothing."""
    return django_filters.ChoiceFilter(
        choices=choices, empty_label=all_label, widget=QuickSelect, **kwargs
    )


def search_filter(*fields: str) -> django_filters.CharFilter:
    """The list's search box: the text anywhere in any of `fields`."""

    def search(queryset, name, value):
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__icontains": value})
        return queryset.filter(match)

    return django_filters.CharFilter(method=search, label="Search", widget=QuickText)
