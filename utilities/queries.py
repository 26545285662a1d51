"""Query helpers every app may use."""

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import F, Lookup, Q

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


class Among(Lookup):
    """The rows whose `field` is one of `ids`: `filter(among("pk", ids))`.

    For a bulk action's 10,000 devices every part of the obvious `pk__in=ids` costs more than
    the query: Django checks each id (about 7 ms a query), psycopg binds each as a placeholder,
    and PostgreSQL guesses 10 rows for an `IN (SELECT unnest(...))` and sorts through nested
    loops (24 ms against 9 to count 10,000 devices by platform). Here the ids go as one text
    that PostgreSQL splits, compared with `= ANY(array)`, whose length the planner knows; the
    lookup is an expression, so Django never walks the ids. Other databases (the SQLite demo)
    get a placeholder each.
    """

    lookup_name = "among"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            text = ",".join(map(str, self.rhs))
            return f"{lhs} = ANY(string_to_array(%s, ',')::bigint[])", [*params, text]
        if not self.rhs:
            return "1 = 0", params
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*params, *self.rhs]


def among(field: str, ids) -> Among:
    return Among(F(field), ids)


def plain_rows(queryset) -> list[tuple]:
    """A values_list() queryset's rows as the driver returns them, without Django's per-row
    conversion: for a bulk request's 10,000 devices that iteration cost more than the query
    (36 ms against 19 with it). Only for columns the driver already returns as Python wants
    them (numbers, text), not JSON or time zones."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
