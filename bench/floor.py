"""The floor of a list page: the bench's settings add two views to the portal's addresses.

Issue 25 asks the portal's pages for half the rate of a signed-in request that does nothing
(/session/). The first view measures what that asks: signed in as that request is, it reads the
audit page's first 50 rows with one SELECT of the columns the audit table shows and prints them
as a bare table with Jinja2. No navigation, no permission check, no filter form, no count, no
paging, no dates made readable: less than any page of the portal can do. Its rate beside the
no-op's in the same run is the ceiling of a list page on this server, not a goal. The second
view puts the same table in the portal's layout (base.html: the navigation, the signed-in
person, the sign-out form), which every page has.
"""

import jinja2
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.utils.safestring import mark_safe

from audit.views import TABLE_FIELDS
from maa_portal.urls import urlpatterns as portal_urlpatterns

TABLE = jinja2.Environment(autoescape=True).from_string(
    "<table>{% for row in rows %}<tr>"
    "{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</table>"
)
IN_LAYOUT = engines["django"].from_string(
    '{% extends "base.html" %}{% block content %}{{ table }}{% endblock %}'
)
ROWS = f"SELECT {', '.join(TABLE_FIELDS)} FROM audit_auditevent ORDER BY id DESC LIMIT 50"


def _table() -> str:
    with connection.cursor() as cursor:
        cursor.execute(ROWS)
        return TABLE.render(rows=cursor.fetchall())


@login_required
def floor(request):
    return HttpResponse("<!doctype html><title>Audit logs</title>" + _table())


@login_required
def floor_in_layout(request):
    return HttpResponse(IN_LAYOUT.render({"table": mark_safe(_table())}, request))


urlpatterns = [
    path("bench/floor/", floor),
    path("bench/floor/layout/", floor_in_layout),
    *portal_urlpatterns,
]
