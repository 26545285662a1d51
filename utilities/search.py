"""A substring search that costs what the term's rarest letters cost (pg_trgm's GIN indexes).

A `%term%` search through a trigram index reads the posting list of every trigram in the term.
Device names and serial numbers share prefixes ("DESKTOP-", a maker's serial prefix): at a
million devices, "BENCH-00999" read the lists of six trigrams that nearly every name holds,
9.5 ms of index for 7 rows, where "-00999" took 0.4 ms. So the index is asked only for the
term's rarest pieces (three-letter windows, and the starts and ends of the words the term
shows), each as a `%piece%` of its own (a row that holds the term holds each of them), and the
whole term is tested on the few rows they find, with an expression the index does not serve.
How common a piece is comes from a sample of the column, cached for an hour: stale figures can
only choose slower pieces, never other rows. The search that takes
the sample pays for it once an hour: at a million devices 50 to 90 ms for names or serials,
250 ms for the audit trail's longer labels.
"""

import re
from collections import Counter

from django.core.cache import cache
from django.db import connection
from django.db.models import F, Func, Q, TextField
from django.db.models.lookups import IContains

SAMPLE_ROWS = 10_000
# A piece in more than this share of the sampled values is asked for only while the rarer ones
# do not narrow enough; past CEILING, never: its posting list costs more than testing the rows
# the others leave ("BEN" of "BENCH-" is in every audit label, a list of two million events).
# "999" alone left 6,700 of 2.2 million events to test (26 ms); with "099", 1 to 2 % of the
# labels by the sample, 3,200 (5 ms), where the whole term read "BEN"'s list (30 to 80 ms).
COMMON = 0.01
CEILING = 0.2
# Kept in the cache: trigrams seen in at least this share (the rest count as unseen, 0).
KEPT = 0.0005
RAREST = 3
# The chosen pieces must narrow the rows to about this share (their shares multiplied), or
# the term is searched whole. Windows that overlap share letters and come together, so their
# product promises more than they narrow: "017" and "001" of "000017" left 25,000 of 2.2
# million events to test (76 ms), where the whole term's padded word trigrams left 140 (5 ms).
# Windows apart from each other ("500" and "001" of "500001") are near independent, and their
# product is kept to: 3,300 events to test (3.7 ms) where the whole term took 44 ms.
NARROW = 0.0001
NARROW_APART = 0.0015
SHARES_SECONDS = 3600
WORD = re.compile(r"[^\W_]+")  # a run of letters and digits: a word to pg_trgm


def _pieces(text: str, *, term: bool) -> dict[str, tuple[str, int, int]]:
    """What the trigram index may be asked for, by key (upper-cased): each three-letter window
    of letters and digits, as pg_trgm indexes it (a window with a space or a dash is split into
    words by pg_trgm); and each word's start ("^xy") and end ("xy$"), which pg_trgm indexes as the
    padded "  x", " xy" and "xy ". In labels of common words and digits those are often among
    the rarest: in a sample of the audit labels at a million, a word starting "00" (of
    "BENCH-000999") was in 0.6 %, "099" in 1.2 %, "009" in 10 %, and it is apart from "999" (0.5 %),
    so the two narrow as a product. Each key's value: the piece of `text` that asks for it (a
    word's start with the character before it, its end with the one after), and the span of
    `text` it covers. In a search term a word's start or end counts only where the term shows
    it, by a character that is not a letter or digit: the term's own ends may be mid-word."""
    pieces: dict[str, tuple[str, int, int]] = {}
    for i in range(len(text) - 2):
        window = text[i : i + 3]
        if window.isalnum():
            pieces.setdefault(window.upper(), (window, i, i + 2))
    for word in WORD.finditer(text):
        start, end = word.span()
        if end - start < 2:
            continue
        if start > 0 or not term:
            key = "^" + text[start : start + 2].upper()
            pieces.setdefault(key, (text[max(start - 1, 0) : start + 2], start - 1, start + 1))
        if end < len(text) or not term:
            key = text[end - 2 : end].upper() + "$"
            pieces.setdefault(key, (text[end - 2 : end + 1], end - 2, end))
    return pieces


def _apart(spans: list[tuple[int, int]]) -> bool:
    """No two of these pieces (each by the span of the term it covers) share a character."""
    return all(
        one[1] < other[0] or other[1] < one[0]
        for i, one in enumerate(spans)
        for other in spans[i + 1 :]
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
    counts = Counter(key for value in values for key in _pieces(value, term=False))
    return {t: n / len(values) for t, n in counts.items() if n >= KEPT * len(values)}


def piece_shares(model, field: str) -> dict[str, float]:
    """A piece's key (`_pieces`) -> the share of the column's values holding it (a sample's)."""
    key = f"trigram-shares:v2:{model._meta.db_table}:{field}"
    shares = cache.get(key)
    if shares is None:
        shares = _sampled(model, field)
        cache.set(key, shares, SHARES_SECONDS)
    return shares


def containing(model, field: str, term: str) -> Q:
    """`field__icontains=term`, asked of the trigram index by the term's rarest pieces."""
    whole = Q(**{f"{field}__icontains": term})
    pieces = _pieces(term, term=True)
    if connection.vendor != "postgresql" or len(pieces) < 2:
        return whole
    shares = piece_shares(model, field)
    chosen, left, narrow_enough = [], 1.0, False
    for key in sorted(pieces, key=lambda k: shares.get(k, 0.0))[:RAREST]:
        share = shares.get(key, 0.0)
        # A rare piece is cheap to ask for and narrows further; a common one only if needed.
        if share >= CEILING or (share >= COMMON and narrow_enough):
            break
        chosen.append(pieces[key])
        left *= share
        # One piece's share is a sample's reading, not a product: it keeps to NARROW.
        apart = len(chosen) > 1 and _apart([(first, last) for _, first, last in chosen])
        narrow_enough = left <= (NARROW_APART if apart else NARROW)
    if not narrow_enough:  # a common word, or pieces too common: the whole term is needed
        return whole
    # Each piece is a piece of the term, so icontains on it (UPPER on both sides, in
    # PostgreSQL) holds wherever the term does. The whole term is tested on a column expression
    # no index serves, so the index is not asked for it; as a LIKE, the planner still counts
    # it as narrow (STRPOS it counted as a third of the rows, and walked the primary key).
    held = IContains(Unindexed(F(field)), term)
    return Q(*(Q(**{f"{field}__icontains": piece}) for piece, _, _ in chosen), held)


class Unindexed(Func):
    """`(column || '')`: the column's value as an expression no index is built on."""

    template = "(%(expressions)s || '')"
    output_field = TextField()
