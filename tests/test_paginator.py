"""Past the count cap, list pages go by cursor: every row once, in order, both ways."""

import uuid

from django.test import RequestFactory

from audit.chain import audit_record
from audit.models import AuditEvent
from devices.models import Device
from tests import factories as f
from utilities import paginator as pagination
from utilities.paginator import KeysetPage, cursor_for, paginate


def _walk(qs, per_page):
    """Follow the Next links from the first page; the rows seen and the pages drawn."""
    params, seen, pages = {}, [], 0
    while True:
        page = paginate(RequestFactory().get("/", params), qs, per_page)["page"]
        seen += list(page.object_list)
        pages += 1
        if not getattr(page, "next_cursor", ""):
            return seen, pages
        params = {"after": page.next_cursor}


def test_pages_past_the_cap_go_by_cursor_and_see_every_row_once(db, monkeypatch):
    monkeypatch.setattr(pagination.CappedPaginator, "cap", 10)
    devices = [f.device(f"DESKTOP-{i % 7:02d}") for i in range(33)]  # names repeat: ties
    qs = Device.objects.all()  # ordered by name, then pk
    expected = list(qs)
    first = paginate(RequestFactory().get("/"), qs, 5)
    assert first["page"].paginator.capped and first["page"].next_cursor
    seen, pages = _walk(qs, 5)
    assert [d.pk for d in seen] == [d.pk for d in expected] and pages == 7
    assert len(devices) == 33
    # Backwards from the end: the same rows in reverse.
    tail = paginate(RequestFactory().get("/", {"after": cursor_for(qs, expected[29])}), qs, 5)
    page = tail["page"]
    assert isinstance(page, KeysetPage)
    assert [d.pk for d in page] == [d.pk for d in expected[30:]] and not page.has_next()
    back = paginate(RequestFactory().get("/", {"before": page.previous_cursor}), qs, 5)["page"]
    assert [d.pk for d in back] == [d.pk for d in expected[25:30]]
    assert back.has_next() and back.has_previous()


def test_descending_order_and_a_bad_cursor(db, monkeypatch):
    monkeypatch.setattr(pagination.CappedPaginator, "cap", 3)
    for i in range(8):
        audit_record(actor=None, action="test.event", note=str(i))
    qs = AuditEvent.objects.all()  # newest first
    seen, _ = _walk(qs, 3)
    assert [e.note for e in seen] == [str(i) for i in reversed(range(8))]
    # A cursor that does not decode falls back to the first numbered page.
    page = paginate(RequestFactory().get("/", {"after": "not-a-cursor"}), qs, 3)["page"]
    assert [e.note for e in page.object_list] == ["7", "6", "5"]


def test_a_first_page_that_holds_every_row_is_not_counted(db, django_assert_num_queries):
    """The rows of page 1 are read first with one more: when they fit, they are the count, so a
    search that matches a few rows runs once; when they do not, the capped count follows."""
    for i in range(7):
        f.device(f"LAPTOP-{i}")
    qs = Device.objects.all()
    with django_assert_num_queries(1):
        page = paginate(RequestFactory().get("/"), qs, 10)["page"]
        assert page.paginator.count == 7 and len(page.object_list) == 7
        assert not page.has_next()
    with django_assert_num_queries(2):
        page = paginate(RequestFactory().get("/", {"page": "x"}), qs, 5)["page"]
        assert page.paginator.count == 7 and len(page.object_list) == 5
        assert page.has_next() and page.end_index() == 5


def test_a_count_past_the_cap_is_remembered_and_an_exact_one_never(
    db, monkeypatch, settings, django_assert_num_queries
):
    """A list past the cap says "more than" from memory, so its next pages are not counted
    again; a count within the cap is always read afresh, so it is never wrong."""
    settings.MAA_CAPPED_COUNT_SECONDS = 60
    monkeypatch.setattr(pagination.CappedPaginator, "cap", 4)
    # Kept counts outlive the test's rows: names and addresses of its own, so no other run
    # reads alike. A count is kept by the list's address (and the person), not its SQL.
    tag = f"KEPT-{uuid.uuid4().hex[:8]}"
    for i in range(7):
        f.device(f"{tag}-{i}")
    qs = Device.objects.filter(name__startswith=tag)

    def second_page():
        return paginate(RequestFactory().get(f"/{tag}/", {"page": "2"}), qs, 3)["page"]

    with django_assert_num_queries(2):  # counted, then the page's rows
        assert second_page().paginator.capped
    with django_assert_num_queries(1):  # remembered: the rows only
        page = second_page()
        assert page.paginator.capped and page.has_next()
    # Under the cap the count is exact and read on every visit.
    few = Device.objects.filter(name__in=[f"{tag}-0", f"{tag}-1", f"{tag}-2", f"{tag}-3"])
    few_at = RequestFactory().get(f"/{tag}/", {"page": "2", "q": "few"})
    listing = paginate(few_at, few, 3)["page"]
    assert listing.paginator.count == 4 and not listing.paginator.capped
    Device.objects.filter(name=f"{tag}-3").delete()
    with django_assert_num_queries(2):
        few_at = RequestFactory().get(f"/{tag}/", {"page": "1", "q": "few"})
        listing = paginate(few_at, few, 2)["page"]
        assert listing.paginator.count == 3
    # Another person at the same address is counted for themselves.
    other = RequestFactory().get(f"/{tag}/", {"page": "2"})
    other.user = f.user(f"other-{tag}")
    with django_assert_num_queries(2):
        assert paginate(other, qs, 3)["page"].paginator.capped
    # Turned off, every page counts.
    settings.MAA_CAPPED_COUNT_SECONDS = 0
    with django_assert_num_queries(2):
        assert second_page().paginator.capped
