"""Pagination that never counts a whole large table to draw a page."""

import base64
import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils.functional import cached_property

COUNT_CAP = 1_000


def capped_count(queryset, cap: int = COUNT_CAP, *, name: str = "") -> int:
    """How many rows, counting at most cap + 1 (a bounded subquery). Unordered: the count need
    not sort what it counts.

    `name`: the list as its caller knows it (paginate: the person and the address). A count past
    the cap is remembered under it for MAA_CAPPED_COUNT_SECONDS. A list past the cap says only
    "more than 1,000", which a minute's changes seldom make untrue, and its pages are drawn from
    their rows either way (one row more tells whether a next one follows). Counting them was
    most of a common word's search: 1,001 matches are found among 4,000 devices, every one
    tested, 4 ms a page and again on every next page. Exact counts (within the cap) are never
    kept. Kept by name, not by the count's SQL: compiling the SQL only to look the count up was
    0.5 ms of Admin tasks at a million requests, on every page.
    """
    key = ""
    if name and settings.MAA_CAPPED_COUNT_SECONDS:
        key = "capped-count:" + hashlib.blake2b(name.encode(), digest_size=16).hexdigest()
        if cache.get(key):
            return cap + 1
    count = queryset.order_by().values("pk")[: cap + 1].count()
    if key and count > cap:
        cache.set(key, 1, settings.MAA_CAPPED_COUNT_SECONDS)
    return count


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

    def __init__(self, object_list, per_page, *, name: str = ""):
        super().__init__(object_list, per_page)
        self.name = name  # capped_count's: a count past the cap is remembered under it

    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list, self.cap, name=self.name)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    def get_page(self, number):
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        if number == 1:
            return self._first_page()
        if not self.capped:
            return super().get_page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        return CappedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)

    def _first_page(self):
        """Page 1 is read first, with one row more: when the rows fit on it, they are the count,
        so a search that matches a few rows runs its search once, not twice (at a million
        devices a rare name's trigram scan is most of the page)."""
        rows = list(self.object_list[: self.per_page + 1])
        if len(rows) <= self.per_page:
            self.__dict__["count"] = len(rows)  # the cached_property's value
            return Page(rows, 1, self)
        if self.capped:
            return CappedPage(rows[: self.per_page], 1, self, has_more=True)
        return Page(rows[: self.per_page], 1, self)


class KeysetPage:
    """A page past the cap, reached by a cursor (the boundary row's ordering values) instead of
    an OFFSET: page 2,000 costs what page 2 costs, as an index walk from the boundary."""

    def __init__(self, rows, paginator, *, next_cursor: str, previous_cursor: str):
        self.object_list = rows
        self.paginator = paginator
        self.next_cursor, self.previous_cursor = next_cursor, previous_cursor

    def __iter__(self):
        return iter(self.object_list)

    def has_next(self) -> bool:
        return bool(self.next_cursor)

    def has_previous(self) -> bool:
        return bool(self.previous_cursor)


def _ordering(queryset) -> list[tuple[str, bool]] | None:
    """[(field, descending)] ending with the primary key, or None when a cursor cannot express
    the order (a related or computed field)."""
    names = list(queryset.query.order_by or queryset.model._meta.ordering)
    fields = {f.name for f in queryset.model._meta.concrete_fields} | {"pk"}
    ordering = []
    for name in names:
        if not isinstance(name, str) or name.lstrip("-") not in fields:
            return None
        ordering.append((name.lstrip("-"), name.startswith("-")))
    if not any(field in ("pk", queryset.model._meta.pk.name) for field, _ in ordering):
        ordering.append(("pk", ordering[-1][1] if ordering else False))
    return ordering


def _encode(values: list) -> str:
    raw = json.dumps(values, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, length: int) -> list | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    return values if isinstance(values, list) and len(values) == length else None


def _cursor(ordering, row) -> str:
    return _encode([getattr(row, field) for field, _ in ordering])


def cursor_for(queryset, row) -> str:
    """The cursor of the page that starts after `row` (the bench uses it to reach deep pages)."""
    return _cursor(_ordering(queryset), row)


def _after(ordering, values) -> Q:
    """Rows after the boundary in this order: a range on the first field, then the tie-breaks."""
    (first, first_desc), first_value = ordering[0], values[0]
    condition = Q()
    for i, (field, descending) in enumerate(ordering):
        step = Q(**{f"{field}__{'lt' if descending else 'gt'}": values[i]})
        for earlier, value in zip(ordering[:i], values[:i], strict=False):
            step &= Q(**{earlier[0]: value})
        condition |= step
    return Q(**{f"{first}__{'lte' if first_desc else 'gte'}": first_value}) & condition


def _keyset_page(paginator, ordering, *, after: str, before: str) -> KeysetPage | None:
    cursor = after or before
    values = _decode(cursor, len(ordering))
    if values is None or None in values:
        return None
    forward = not before
    walk = ordering if forward else [(field, not desc) for field, desc in ordering]
    order = [f"-{field}" if desc else field for field, desc in walk]
    qs = paginator.object_list.filter(_after(walk, values)).order_by(*order)
    rows = list(qs[: paginator.per_page + 1])
    more = len(rows) > paginator.per_page
    rows = rows[: paginator.per_page]
    if not forward:
        rows.reverse()
    if not rows:
        return KeysetPage([], paginator, next_cursor="", previous_cursor="")
    first, last = _cursor(ordering, rows[0]), _cursor(ordering, rows[-1])
    return KeysetPage(
        rows,
        paginator,
        # Going forward there is a previous page (the cursor came from one); going back, a next.
        next_cursor=last if (more or not forward) else "",
        previous_cursor=first if (forward or more) else "",
    )


def _without_paging(params):
    params = params.copy()
    for name in ("page", "after", "before"):
        params.pop(name, None)
    return params


def list_name(request) -> str:
    """The list a page shows, as capped_count remembers its count: what this person sees at
    this address with these filters, whichever page of it."""
    who = getattr(request, "user", None)
    return f"{getattr(who, 'pk', '')}:{request.path}?{_without_paging(request.GET).urlencode()}"


def paginate(request, queryset, per_page: int, *, count: int | None = None) -> dict:
    """A list page's "page" and "query" (its GET parameters without the paging, for links).

    Up to the count cap, numbered pages (an OFFSET over at most 1,000 rows). Past it, a page
    links to the next and previous ones by cursor (`?after=` / `?before=`), so no page walks
    an OFFSET over the whole table; a list whose order a cursor cannot express keeps numbers.
    `count`: how many rows there are, when the caller knows it (a bulk request's pinned
    devices), so they are not counted again.
    """
    query = _without_paging(request.GET)
    paginator = CappedPaginator(queryset, per_page, name=list_name(request))
    if count is not None:
        paginator.__dict__["count"] = count  # the cached_property's value
    page = None
    after, before = request.GET.get("after", ""), request.GET.get("before", "")
    ordering = _ordering(queryset)
    if ordering and (after or before):
        page = _keyset_page(paginator, ordering, after=after, before=before)
    if page is None:
        page = paginator.get_page(request.GET.get("page"))
        if ordering and paginator.capped and page.has_next():
            # Past the cap the next page is reached by cursor, not by number.
            page.next_cursor = _cursor(ordering, page.object_list[-1])
    return {"page": page, "query": query.urlencode()}
