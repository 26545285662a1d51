"""The list tables' Jinja2 helpers give what Django's own functions give."""

from django.urls import reverse, set_script_prefix

from approvals.models import ApprovalRequest, ExecutionStatus, RequestStatus
from maa_portal.jinja2 import _display, _url


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
