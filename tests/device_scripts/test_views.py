"""The Scripts and remediations pages: permissions, what approvers read, escaping, refusals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import ApprovalRequest, RequestStatus
from device_scripts.models import Script
from devices.services import device_check_in
from tests import factories as f
from tests.pages import assert_permission_matrix

from .conftest import request_edit

EVIL = '<script>alert("x")</script>\nWrite-Output "<b>bold</b>"\n'


def _form(script, **changes) -> dict:
    data = {
        "name": script.name,
        "description": script.description,
        "platform": script.platform,
        "body": script.body,
        "run_as": script.run_as,
        "run_64bit": "on",
        "justification": "Needed for the Milan office",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def pages(st):
    return {
        # url: who gets 200; a user without the permission gets 403
        reverse("device_scripts:list"): "approver",  # Read Only Operator: read
        reverse("device_scripts:detail", args=[st.script.pk]): "approver",
        reverse("device_scripts:create", args=["script"]): "sam",  # Policy and Profile Manager
        reverse("device_scripts:create", args=["remediation"]): "sam",
        reverse("device_scripts:edit", args=[st.script.pk]): "sam",
        reverse("device_scripts:delete", args=[st.script.pk]): "sam",
        reverse("device_scripts:assign", args=[st.script.pk]): "hazel",  # Help desk: assign
        reverse("devices:categories"): "approver",
        reverse("devices:category_create"): "policyadmin",
    }


def test_permission_matrix_of_the_script_pages(client, pages):
    assert_permission_matrix(client, pages)


def test_read_only_and_help_desk_cannot_edit_or_delete(client, st):
    client.force_login(st.base.hazel)
    assert client.get(reverse("device_scripts:edit", args=[st.script.pk])).status_code == 403
    assert client.get(reverse("device_scripts:delete", args=[st.script.pk])).status_code == 403
    client.force_login(st.base.approver)
    assert client.get(reverse("device_scripts:assign", args=[st.script.pk])).status_code == 403
    body = client.get(reverse("device_scripts:detail", args=[st.script.pk])).content.decode()
    assert ">Edit<" not in body and ">Delete<" not in body


def test_edit_page_files_a_request_when_scripts_are_protected(client, st, scripts_policy):
    client.force_login(st.manager)
    url = reverse("device_scripts:edit", args=[st.script.pk])
    response = client.post(url, _form(st.script, body="Write-Output 'v2'\r\nexit 0\r\n"))
    request = ApprovalRequest.objects.get(operation_type="script.edit")
    assert response.status_code == 302 and response.url == reverse(
        "approvals:request_detail", args=[request.pk]
    )
    # Line endings from the browser do not show up as changed lines.
    assert request.payload["state"]["body"] == "Write-Output 'v2'\nexit 0\n"
    assert Script.objects.get(pk=st.script.pk).version == 1


def test_a_refused_edit_keeps_what_was_typed(client, st, scripts_policy):
    request_edit(st, description="first")
    client.force_login(st.manager)
    url = reverse("device_scripts:edit", args=[st.script.pk])
    response = client.post(url, _form(st.script, body="Write-Output 'kept text'\n"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "only one open request per object" in body
    assert "kept text" in body


def test_an_oversized_script_is_refused_with_its_size(client, st):
    client.force_login(st.manager)
    url = reverse("device_scripts:edit", args=[st.script.pk])
    response = client.post(url, _form(st.script, body="#" * (201 * 1024)))
    assert response.status_code == 200
    assert "scripts are at most 200 KB" in response.content.decode()
    assert Script.objects.get(pk=st.script.pk).body.startswith("Set-TimeZone")


def test_script_text_is_shown_escaped_never_as_html(client, st, scripts_policy):
    request = request_edit(st, body=EVIL)
    client.force_login(st.base.approver)
    page = client.get(reverse("approvals:request_detail", args=[request.pk])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    detail_script = f.script("Evil", body=EVIL)
    page = client.get(reverse("device_scripts:detail", args=[detail_script.pk])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_a_device_reports_script_output_escaped_line_by_line(client, st):
    """The device page's panel (Jinja2) prints a run's output as Django's linebreaksbr did."""
    from device_scripts.models import ScriptRun

    device_check_in(device_id=st.laptops[0].pk)
    ScriptRun.objects.filter(script=st.script, device=st.laptops[0]).update(
        output='<b>bold</b> & "quoted"\nsecond line'
    )
    client.force_login(st.base.approver)
    page = client.get(reverse("devices:detail", args=[st.laptops[0].pk])).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;<br>second line" in page
    assert "<b>bold</b>" not in page


def test_approver_page_marks_added_and_removed_lines(client, st, scripts_policy):
    request = request_edit(st, body='Set-TimeZone -Id "W. Europe Standard Time"\n')
    client.force_login(st.base.approver)
    page = client.get(reverse("approvals:request_detail", args=[request.pk])).content.decode()
    assert '<span class="del">Set-TimeZone -Id &quot;UTC&quot;</span>' in page
    assert '<span class="add">Set-TimeZone -Id &quot;W. Europe Standard Time&quot;</span>' in page
    assert request.status == RequestStatus.NEEDS_APPROVAL


def test_script_page_counts_device_results_and_the_device_page_lists_them(client, st):
    f.script("Failing", body="exit 1\n")
    failing = Script.objects.get(name="Failing")
    from device_scripts.services import script_assign

    script_assign(actor=None, object_id=failing.pk, groups={"include": [st.employees.pk]})
    device_check_in(device_id=st.laptops[0].pk)
    client.force_login(st.base.approver)
    page = client.get(reverse("device_scripts:detail", args=[failing.pk])).content.decode()
    assert "Failed: 1" in page and "Pending: 1" in page and "Succeeded: 0" in page
    page = client.get(reverse("devices:detail", args=[st.laptops[0].pk])).content.decode()
    assert "Scripts and remediations" in page and "Script exited with code 1" in page


def test_script_list_query_count_does_not_grow_with_scripts(client, st):
    client.force_login(st.base.approver)
    url = reverse("device_scripts:list")
    client.get(url)  # resolves and caches the user's access
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(30):
        f.script()
    with CaptureQueriesContext(connection) as many:
        assert "Set time zone" in client.get(url).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_admin_delete_action_files_the_right_request_for_each_kind(client, st, scripts_policy):
    remediation = f.script(
        "Fix spooler", kind="remediation", remediation_body="x\n", schedule="daily"
    )
    admin = f.global_admin("rootadmin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.post(
        reverse("admin:device_scripts_script_changelist"),
        {
            "action": "delete_scripts",
            "_selected_action": [st.script.pk, remediation.pk],
            "confirm": "1",
            "justification": "Retired",
        },
    )
    assert response.status_code == 302
    filed = ApprovalRequest.objects.exclude(operation_type__startswith="policy.").values_list(
        "operation_type", "target_label"
    )
    assert set(filed) == {
        ("script.delete", "Platform script Set time zone"),
        ("remediation.delete", "Remediation Fix spooler"),
    }
    assert Script.objects.count() == 2
