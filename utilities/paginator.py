"""Pagination that never counts a whole large table to draw a page."""

from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property

COUNT_CAP = 1_000


class CappedPage(Page):
    """A page past the counted rows: it knows only whether one more row follows."""

    def __init__(self, object_list, number, paginator, *, has_more: bool):
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows (a bounded subquery); beyond that it says "more than".

    An unbounded COUNT(*) over 100,000 requests cost more than the page itself; nobody pages
    through a thousand rows, they filter. Past the cap a
    page is fetched with one row more, which tells whether a next page exists.
    """

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        # Unordered: the count need not sort what it counts.
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    def get_page(self, number):
        if not self.capped:
            return super().get_page(number)
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        return CappedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)


def paginate(request, queryset, per_page: int) -> dict:
    """A list page's "page" and "query" (its GET parameters without the page, for the links)."""
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": CappedPaginator(queryset, per_page).get_page(request.GET.get("page")),
        "query": query.urlencode(),
    }
