"""Query helpers every app may use."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

# A search matching more people than this is too broad to narrow a list by person anyway.
PEOPLE_MATCHES = 500


def people_matching(value: str) -> list[int]:
    """The ids of the people whose username or display name contains `value` (their trigram
    indexes serve it), at most PEOPLE_MATCHES: looked up first, so a search over another table
    filters on ids instead of joining the users."""
    return list(
        get_user_model()
        .objects.filter(Q(username__icontains=value) | Q(display_name__icontains=value))
        .values_list("pk", flat=True)[:PEOPLE_MATCHES]
    )


def among(ids):
    """For `field__in=`: the ids as one array parameter on PostgreSQL, not a placeholder each.

    psycopg binds a query's parameters client-side by splitting the query at each placeholder:
    for a bulk action's 10,000 devices that cost about 0.1 s per query, more than the query.
    Other databases (the SQLite demo) get the list itself.
    """
    ids = list(ids)
    if connection.vendor != "postgresql":
        return ids
    # As one text, split by PostgreSQL: psycopg quoted a list of 10,000 ints element by element
    # in Python, 7 ms a query (a bulk filing sends the ids in 14 queries).
    return RawSQL("SELECT unnest(string_to_array(%s, ',')::bigint[])", [",".join(map(str, ids))])
