import csv
import json
from datetime import date, datetime, time, timedelta
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from utilities.paginator import paginate

from .access import audit_may_read
from .models import AuditEvent


def audit_reader_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not audit_may_read(request.user):
            raise PermissionDenied("You need the permission Audit data: Read.")
        return view(request, *args, **kwargs)

    return wrapped


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, help_text="e.g. request.approve, device.wipe")
    actor = forms.CharField(required=False)
    target = forms.CharField(required=False, label="Target contains")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(request):
    form = AuditFilterForm(request.GET or None)
    qs = AuditEvent.objects.all()
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            qs = qs.filter(action__startswith=data["action"])
        if data["actor"]:
            qs = qs.filter(actor_label__icontains=data["actor"])
        if data["target"]:
            qs = qs.filter(target_label__icontains=data["target"])
        # Day bounds in the portal's time zone, not created_at__date: casting each row's time
        # to a date cannot use the index, and read every event (50 ms at 270,000).
        if data["since"]:
            qs = qs.filter(created_at__gte=_day_start(data["since"]))
        if data["until"]:
            qs = qs.filter(created_at__lt=_day_start(data["until"] + timedelta(days=1)))
    return form, qs


@audit_reader_required
def audit_index(request):
    form, qs = _filtered(request)
    return render(request, "audit/audit_list.html", {"form": form, **paginate(request, qs, 50)})


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


def _row(event: AuditEvent) -> dict:
    return {**event.content(), "prev_hash": event.prev_hash, "hash": event.hash}


class _Echo:
    def write(self, value):
        return value


@audit_reader_required
def audit_export(request, fmt):
    _, qs = _filtered(request)
    events = qs.order_by("id").iterator(chunk_size=2000)
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
