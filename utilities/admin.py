"""The Django admin at a million rows: no whole-table count, no unindexed sort.

Django's admin counts the filtered rows and, unless told otherwise, the whole table as well,
and sorts by any column shown. At a million devices either costs seconds. Every model admin of
the portal stands on LargeTableAdmin.
"""

import json

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR, ChangeList
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.utils.functional import cached_property

from .paginator import COUNT_CAP, capped_count
from .search import containing


def planner_rows(queryset) -> int:
    """PostgreSQL's estimate of how many rows the queryset returns (EXPLAIN, not a count)."""
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Exact up to COUNT_CAP rows; past it, the planner's estimate (PostgreSQL only). A
    million-row count read every row for a figure nobody needs to the unit."""

    @cached_property
    def count(self) -> int:
        counted = capped_count(self.object_list)
        if counted <= COUNT_CAP:
            return counted
        if connection.vendor != "postgresql":
            return self.object_list.count()
        return max(COUNT_CAP + 1, planner_rows(self.object_list))


def indexed_orders(model) -> set[str]:
    """The fields a list can be sorted by from an index alone: the primary key, a unique
    column, or the first column of an index on (column, id)."""
    pk = model._meta.pk.name
    names = {pk, "pk"} | {
        f.name for f in model._meta.concrete_fields if f.unique and not f.null and not f.is_relation
    }
    for index in model._meta.indexes:
        fields = [name.lstrip("-") for name in index.fields]
        if len(fields) == 2 and fields[1] in (pk, "pk") and index.condition is None:
            names.add(fields[0])
    return names


class _IndexedOrder(ChangeList):
    """Orders a list can read from an index.

    A search is listed newest first unless a column was chosen: walking the default order for
    rows that contain a word reaches them only where the word sorts. The admin appends "-pk"
    to a sort without a unique column; after an ascending column that order cannot be read
    from an index on (column, id), so the tie-break follows the sort.
    """

    def get_ordering(self, request, queryset):
        if request.GET.get(SEARCH_VAR) and ORDER_VAR not in request.GET:
            return ["-pk"]
        ordering = super().get_ordering(request, queryset)
        if (
            len(ordering) >= 2
            and ordering[-1] == "-pk"
            and isinstance(ordering[-2], str)
            and not ordering[-2].startswith("-")
        ):
            ordering[-1] = "pk"
        return ordering


# A search matching more related rows than this is too broad to narrow the list by them.
RELATED_MATCHES = 500


class LargeTableAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    # Filtered lists say "N results", not also "(M total)": M would be a second count.
    show_full_result_count = False

    def get_changelist(self, request, **kwargs):
        return _IndexedOrder

    def get_sortable_by(self, request):
        sortable = indexed_orders(self.model)
        return [name for name in self.get_list_display(request) if name in sortable]

    def get_ordering(self, request):
        """The model's order where an index holds it, else newest first."""
        ordering = list(self.ordering or self.model._meta.ordering)
        if ordering and ordering[0].lstrip("-") in indexed_orders(self.model):
            return ordering
        return ["-pk"]

    def get_search_results(self, request, queryset, search_term):
        """Each search field contains the whole term (case-insensitive, as the trigram indexes
        on UPPER(column) serve, asked for the term's rarest trigrams: utilities.search); a
        related model's field (`requestor__username`) is looked up in its own table first, so
        no arm needs a join and PostgreSQL can OR the indexes."""
        term = search_term.strip()
        if not term or not self.search_fields:
            return queryset, False
        matches = Q()
        for name in self.search_fields:
            relation, _, field = name.partition("__")
            if not field:
                matches |= containing(self.model, name, term)
                continue
            related = self.model._meta.get_field(relation).related_model
            ids = related._default_manager.filter(**{f"{field}__icontains": term})
            matches |= Q(
                **{f"{relation}__in": list(ids.values_list("pk", flat=True)[:RELATED_MATCHES])}
            )
        return queryset.filter(matches), False
