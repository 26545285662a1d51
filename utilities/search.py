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
# Up to this share, for a column of long labels (`ceiling=`): a trigram is asked for when the
# rarer ones alone do not narrow enough. In the audit trail's target labels ("Request #N: Device
# wipe of BENCH-000999 (BENCH000000999)") the whole term reads the lists of trigrams in every
# label (30 to 80 ms at 2.2 million events); "999" left 6,700 events to test (26 ms), and with
# "099" (2 % of the labels) 3,200 (5 ms). Device names are short: there the whole term took 2 ms
# where "999" and "099" took 7, so the device search keeps to COMMON.
CEILING = 0.2
# Kept in the cache: trigrams seen in at least this share (the rest count as unseen, 0).
KEPT = 0.0005
RAREST = 3
# The chosen trigrams must narrow the rows to about this share (their shares multiplied), or
# the term is searched whole. Windows that overlap share letters and come together, so their
# product promises more than they narrow: "017" and "001" of "000017" left 25,000 of 2.2
# million events to test (76 ms), where the whole term's padded word trigrams left 140 (5 ms).
# Windows apart from each other ("500" and "001" of "500001") are near independent, and their
# product is kept to: 3,300 events to test (3.7 ms) where the whole term took 44 ms.
NARROW = 0.0001
NARROW_APART = 0.0015
SHARES_SECONDS = 3600


def _windows(text: str) -> dict[str, list[int]]:
    """The term's three-letter windows pg_trgm indexes as they are, with where they start:
    letters and digits only (a window with a space or a dash is split into padded words, or
    none, by pg_trgm)."""
    windows: dict[str, list[int]] = {}
    for i in range(len(text) - 2):
        if text[i : i + 3].isalnum():
            windows.setdefault(text[i : i + 3], []).append(i)
    return windows


def _trigrams(text: str) -> list[str]:
    return list(_windows(text))


def _apart(starts: list[list[int]]) -> bool:
    """No two of these windows (each by where it starts in the term) share a letter."""
    return all(
        abs(a - b) >= 3
        for i, one in enumerate(starts)
        for other in starts[i + 1 :]
        for a in one
        for b in other
    )


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


def containing(model, field: str, term: str, *, ceiling: float = COMMON) -> Q:
    """`field__icontains=term`, asked of the trigram index by the term's rarest trigrams."""
    whole = Q(**{f"{field}__icontains": term})
    windows = _windows(term)
    if connection.vendor != "postgresql" or len(windows) < 2:
        return whole
    shares = trigram_shares(model, field)
    chosen, left, narrow_enough = [], 1.0, False
    for trigram in sorted(windows, key=lambda t: shares.get(t.upper(), 0.0))[:RAREST]:
        share = shares.get(trigram.upper(), 0.0)
        # A rare trigram is cheap to ask for and narrows further; a common one only if needed.
        if share >= ceiling or (share >= COMMON and narrow_enough):
            break
        chosen.append(trigram)
        left *= share
        narrow_enough = left <= (NARROW_APART if _apart([windows[t] for t in chosen]) else NARROW)
    if not narrow_enough:  # a common word, or pieces too common: every trigram is needed
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
