"""The request lists' filters (django-filter)."""

import django_filters

from utilities.widgets import QuickSelect

from .models import RequestStatus
from .operations import registry
from .selectors import undecided_by

TO_DECIDE = "to_decide"


class RequestFilterSet(django_filters.FilterSet):
    # The empty choices are in the lists below: "Needs my decision" comes before "All statuses".
    status = django_filters.ChoiceFilter(method="with_status", empty_label=None, widget=QuickSelect)
    operation = django_filters.ChoiceFilter(
        field_name="operation_type", label="Operation type", empty_label=None, widget=QuickSelect
    )

    def __init__(self, *args, to_decide: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        mine = [(TO_DECIDE, "Needs my decision")] if to_decide else []
        self.filters["status"].extra["choices"] = [
            *mine,
            ("", "All statuses"),
            *RequestStatus.choices,
        ]
        self.filters["operation"].extra["choices"] = [("", "All operations"), *registry.choices()]

    def with_status(self, queryset, name, status):
        if status == TO_DECIDE:
            return undecided_by(queryset, self.request.user)
        return queryset.filter(status=status)

    @property
    def to_decide(self) -> bool:
        return self.is_valid() and self.form.cleaned_data["status"] == TO_DECIDE
