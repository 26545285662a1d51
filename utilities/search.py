"""A substring search that costs what the term's rarest letters cost (pg_trgm's GIN indexes).

A `%term%` search through a trigram index reads the posting list of every trigram in the term.
Device names and serial numbers share prefixes ("DESKTOP-", a maker's serial prefix): at a
million devices, "BENCH-00999" read the lists of six trigrams that nearly every name holds,
9.5 ms of index for 7 rows, where "-00999" took 0.4 ms. So the index is asked only for the
term's rarest trigrams, each as a `%xyz%` of its own (a row that holds the term holds each of
them), and the whole term is tested on the few rows they find, with an expression the index
does not serve. How common a trigram is comes from a sample of the column, cached for an
hour: stale figures can only choose slower trigrams, never other rows. The search that takes
the sample pays for it once an hour: at a million devices 50 to 90 ms for names or serials,
250 ms for the audit trail's longer labels.
"""

from collections import Counter

from django.core.cache import cache
from django.db import connection
from django.db.models import F, Func, Q, TextField
from django.db.models.lookups import IContains

SAMPLE_ROWS = 10_000
# A trigram in more than this share of the sampled values is left to the whole term's test.
COMMON = 0.01
# Kept in the cache: trigrams seen in at least this share (the rest count as unseen, 0).
KEPT = 0.0005
RAREST = 3
# The chosen trigrams must narrow the rows to about this share (their shares multiplied), or
# the term is searched whole: "017" and "001" in a trail of device labels left 25,000 of 2.2
# million events to test (76 ms), where the whole term's padded word trigrams left 140 (5 ms).
NARROW = 0.0001
SHARES_SECONDS = 3600


def _trigrams(text: str) -> list[str]:
    """The term's three-letter windows pg_trgm indexes as they are: letters and digits only (a
    window with a space or a dash is split into padded words, or none, by pg_trgm)."""
    windows = (text[i : i + 3] for i in range(len(text) - 2))
    return list(dict.fromkeys(w for w in windows if w.isalnum()))


def _sampled(model, field: str) -> dict[str, float]:
    table = model._meta.db_table
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        rows = cursor.fetchone()[0]
        # Never analyzed (-1) or small: read it all, up to the limit below.
        percent = 100.0 if rows <= SAMPLE_ROWS else 100.0 * SAMPLE_ROWS / rows
        cursor.execute(
            f"SELECT UPPER({column}) FROM {connection.ops.quote_name(table)} "
            f"TABLESAMPLE SYSTEM (%s) WHERE {column} <> '' LIMIT %s",
            [percent, 5 * SAMPLE_ROWS],
        )
        values = [value for (value,) in cursor.fetchall()]
    counts = Counter(t for value in values for t in _trigrams(value))
    return {t: n / len(values) for t, n in counts.items() if n >= KEPT * len(values)}


def trigram_shares(model, field: str) -> dict[str, float]:
    """Upper-cased trigram -> the share of the column's values holding it (a sample's)."""
    key = f"trigram-shares:{model._meta.db_table}:{field}"
    shares = cache.get(key)
    if shares is None:
        shares = _sampled(model, field)
        cache.set(key, shares, SHARES_SECONDS)
    return shares


def containing(model, field: str, term: str) -> Q:
    """`field__icontains=term`, asked of the trigram index by the term's rarest trigrams."""
    whole = Q(**{f"{field}__icontains": term})
    windows = _trigrams(term)
    if connection.vendor != "postgresql" or len(windows) < 2:
        return whole
    shares = trigram_shares(model, field)
    chosen, left = [], 1.0
    for trigram in sorted(windows, key=lambda t: shares.get(t.upper(), 0.0))[:RAREST]:
        share = shares.get(trigram.upper(), 0.0)
        if share >= COMMON:
            break
        chosen.append(trigram)
        left *= share
    if left > NARROW:  # a common word, or pieces too common: every trigram is needed
        return whole
    # Each window is a piece of the term, so icontains on it (UPPER on both sides, in
    # PostgreSQL) holds wherever the term does. The whole term is tested on a column expression
    # no index serves, so the index is not asked for it; as a LIKE, the planner still counts
    # it as narrow (STRPOS it counted as a third of the rows, and walked the primary key).
    held = IContains(Unindexed(F(field)), term)
    return Q(*(Q(**{f"{field}__icontains": t}) for t in chosen), held)


class Unindexed(Func):
    """`(column || '')`: the column's value as an expression no index is built on."""

    template = "(%(expressions)s || '')"
    output_field = TextField()
