import csv
import json
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render

from utilities.paginator import paginate

from .access import audit_may_read
from .filtersets import AuditFilterSet
from .models import AuditEvent


def audit_reader_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not audit_may_read(request.user):
            raise PermissionDenied("You need the permission Audit data: Read.")
        return view(request, *args, **kwargs)

    return wrapped


def _filtered(request) -> AuditFilterSet:
    return AuditFilterSet(request.GET or None, queryset=AuditEvent.objects.all())


@audit_reader_required
def audit_index(request):
    filterset = _filtered(request)
    listing = paginate(request, filterset.qs.only(*TABLE_FIELDS), 50)
    return render(request, "audit/audit_list.html", {"form": filterset.form, **listing})


FIELDS = [
    "seq",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "from_state",
    "to_state",
    "note",
    "client_ip",
    "request_id",
    "data",
    "prev_hash",
    "hash",
]
# What a row of the audit table shows (templates/jinja2/audit/audit_table.html): the export's
# columns but the ids, the data and the hashes. A page is 50 events, and their data (JSON,
# decoded per row) and hashes are for the export and the chain's verification.
TABLE_FIELDS = [
    field
    for field in FIELDS
    if field not in {"actor_id", "target_type", "target_id", "data", "prev_hash", "hash"}
]


def _row(event: AuditEvent) -> dict:
    return {**event.content(), "prev_hash": event.prev_hash, "hash": event.hash}


class _Echo:
    def write(self, value):
        return value


@audit_reader_required
def audit_export(request, fmt):
    events = _filtered(request).qs.order_by("id").iterator(chunk_size=2000)
    if fmt == "csv":
        writer = csv.DictWriter(_Echo(), fieldnames=FIELDS)

        def rows():
            yield writer.writeheader()
            for event in events:
                row = _row(event)
                row["data"] = json.dumps(row["data"], sort_keys=True)
                yield writer.writerow(row)

        response = StreamingHttpResponse(rows(), content_type="text/csv")
    else:
        lines = (json.dumps(_row(e), sort_keys=True, default=str) + "\n" for e in events)
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
        fmt = "jsonl"
    response["Content-Disposition"] = f'attachment; filename="maa-audit.{fmt}"'
    return response
