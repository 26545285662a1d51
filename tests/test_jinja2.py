"""The list tables' Jinja2 helpers give what Django's own functions give."""

from datetime import UTC, datetime, timedelta

from django.template import Context, Template, engines
from django.test import override_settings
from django.urls import reverse, set_script_prefix
from django.utils import timezone

from approvals.models import ApprovalRequest, ExecutionStatus, RequestStatus
from maa_portal.jinja2 import _as_django_prints, _display, part_render


def table(source: str, **context) -> str:
    """A Jinja2 template rendered as the list tables are ({% rows %})."""
    return part_render(engines["jinja2"].from_string(source), context)


def _url(name: str, *args) -> str:
    return table("{{ url(name, *args) }}", name=name, args=args)


def test_url_is_reverse_for_any_arguments_and_script_prefix():
    for pk in (1, 42, 9_187_236_450, 10**12):
        assert _url("approvals:request_detail", pk) == reverse(
            "approvals:request_detail", args=[pk]
        )
    assert _url("approvals:request_action", 7, "approve") == reverse(
        "approvals:request_action", args=[7, "approve"]
    )
    # An argument that reads like another argument's marker stays what it is.
    assert _url("approvals:request_action", 9_187_236_451, "approve") == reverse(
        "approvals:request_action", args=[9_187_236_451, "approve"]
    )
    set_script_prefix("/maa/")
    try:
        assert _url("devices:detail", 3) == "/maa" + reverse("devices:detail", args=[3])[4:]
        assert _url("devices:detail", 3) == reverse("devices:detail", args=[3])
    finally:
        set_script_prefix("/")


def test_display_is_get_field_display():
    for status in RequestStatus.values:
        for execution in ExecutionStatus.values:
            request = ApprovalRequest(status=status, execution_status=execution)
            assert _display(request, "status") == request.get_status_display()
            assert _display(request, "execution_status") == request.get_execution_status_display()
    assert _display(ApprovalRequest(status="unknown"), "status") == "unknown"


def test_dates_and_numbers_print_as_a_django_template_prints_them():
    """The rows' fast paths (strftime for the tables' formats, str for whole numbers) print what
    Django's date filter and localize print, in any time zone."""
    moments = [
        datetime(2026, 12, 6, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),  # Rome moves its clocks at 01:00
        datetime(1999, 12, 31, 23, 0, tzinfo=UTC),
        datetime(2, 1, 1, 12, 0, tzinfo=UTC) + timedelta(days=1),  # strftime pads no year < 1000
    ]
    django = Template('{{ at|date:"Y-m-d H:i" }}|{{ at|date:"Y-m-d H:i:s" }}|{{ n }}|{{ at }}')
    for zone in ("UTC", "Europe/Rome", "America/St_Johns"):
        with override_settings(TIME_ZONE=zone), timezone.override(zone):
            for at in moments:
                for n in (0, 7, 123456789):
                    expected = django.render(Context({"at": at, "n": n}))
                    ours = "|".join(
                        [
                            table('{{ at|date("Y-m-d H:i") }}|{{ at|date("Y-m-d H:i:s") }}', at=at),
                            _as_django_prints(n),
                            _as_django_prints(at),
                        ]
                    )
                    assert ours == expected, (zone, at, n)


def test_notes_truncate_as_django_truncates_them():
    """The short-ASCII fast path returns what Django's truncatechars returns, and text that is
    not ASCII, or too long, still goes through it (normalised, cut with an ellipsis)."""
    django = Template("{{ note|truncatechars:12 }}")
    notes = [
        "",
        "Lost phone",
        "exactly 12 c",
        "thirteen chars",
        "Cafe\u0301 ok",
        "\u00e9" * 13,
        "<b>&</b>",
    ]
    for note in notes:
        expected = django.render(Context({"note": note}))
        assert table("{{ note|truncatechars(12) }}", note=note) == expected, note
