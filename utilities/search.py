"""A substring search that costs what the term's rarest letters cost (pg_trgm's GIN indexes).

A `%term%` search through a trigram index reads the posting list of every trigram in the term.
Device names and serial numbers share prefixes ("DESKTOP-", a maker's serial prefix): at a
million devices, "BENCH-00999" read the lists of six trigrams that nearly every name holds,
9.5 ms of index for 7 rows, where "-00999" took 0.4 ms. So the index is asked only for the
term's rarest trigrams, each as a `%xyz%` of its own (a row that holds the term holds each of
them), and the whole term is tested on the few rows they find, with an expression the index
does not serve. How common a trigram is comes from a sample of the column, cached for an
hour: stale figures can only choose slower trigrams, never other rows.
"""

from collections import Counter

from django.core.cache import cache
from django.db import connection
from django.db.models import Q, Value
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

SAMPLE_ROWS = 10_000
# A trigram in more than this share of the sampled values is left to the whole term's test.
COMMON = 0.01
# Kept in the cache: trigrams seen in at least this share (the rest count as unseen, 0).
KEPT = 0.0005
RAREST = 3
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
    rare = sorted(windows, key=lambda t: shares.get(t.upper(), 0.0))
    chosen = [t for t in rare if shares.get(t.upper(), 0.0) < COMMON][:RAREST]
    if not chosen:  # a common word: every trigram is needed to narrow it
        return whole
    # Each window is a piece of the term, so icontains on it (UPPER on both sides, in
    # PostgreSQL) holds wherever the term does; STRPOS keeps the term's own meaning.
    held = GreaterThan(StrIndex(Upper(field), Upper(Value(term))), 0)
    return Q(*(Q(**{f"{field}__icontains": t}) for t in chosen), held)
