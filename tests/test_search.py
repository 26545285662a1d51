"""utilities.search: a substring search asks the trigram index for the term's rarest trigrams
only, and finds exactly the rows a plain icontains finds."""

import pytest
from django.core.cache import cache

from devices.models import Device
from tests import factories as f
from utilities.search import containing


@pytest.fixture
def desktops(db):
    """200 names sharing "DESKTOP-" and the digits' common trigrams, and a few odd ones."""
    cache.delete("trigram-shares:v2:devices_device:name")
    for i in range(200):
        f.device(f"DESKTOP-{i:04d}")
    for name in ["Größe-Büro-7", "Laptop_100%", "desktop-0042-old", "KIOSK 0043"]:
        f.device(name)
    yield
    cache.delete("trigram-shares:v2:devices_device:name")


SHARES = "trigram-shares:v2:devices_device:name"


def _sql(term: str) -> str:
    return str(Device.objects.filter(containing(Device, "name", term)).query).lower()


def test_a_rare_term_asks_the_index_for_its_rare_trigrams_and_tests_the_whole_term(desktops):
    sql = _sql("desktop-0042-old")
    # "OLD" is in one of 204 names and "042" in two: together about 1 in 20,000. DES, ESK, ...,
    # TOP are in all of them and "004" in twelve: the index is not asked for those.
    indexed = 'upper("devices_device"."name"::text) like upper'
    assert f"{indexed}(%old%)" in sql and f"{indexed}(%042%)" in sql
    assert f"{indexed}(%desktop-0042-old%)" not in sql and "%des%" not in sql
    assert "%004%" not in sql
    assert 'upper(("devices_device"."name" || \'\')::text) like upper(%desktop-0042-old%)' in sql
    found = Device.objects.filter(containing(Device, "name", "DESKTOP-0042-OLD"))
    assert list(found.values_list("name", flat=True)) == ["desktop-0042-old"]


def test_pieces_that_narrow_too_little_leave_the_term_whole(desktops):
    """ "042" alone would leave one row in a hundred to test; the whole term's padded word
    trigrams narrow better, so the index is asked for all of it, as a plain icontains."""
    sql = _sql("DESKTOP-0042")
    assert "%desktop-0042%" in sql and "|| ''" not in sql


def test_a_common_word_is_searched_whole(desktops):
    assert "%desktop%" in _sql("desktop") and "|| ''" not in _sql("desktop")


def test_commoner_pieces_are_asked_for_when_the_rare_ones_narrow_too_little(desktops):
    """The audit trail's labels: of "BENCH-000999" only "999" is rarer than 1 %. Alone it leaves
    too many rows; with "099" (2 %) few enough, where the whole term reads the lists of "BEN"
    and "000", in every label. "009" (12 %) is not needed, and a word start in 30 % is past
    the ceiling."""
    shares = {"BEN": 1.0, "ENC": 1.0, "NCH": 1.0, "000": 1.0, "009": 0.12, "099": 0.02}
    cache.set(SHARES, {**shares, "999": 0.003, "CH$": 1.0, "^00": 0.3})
    sql = _sql("BENCH-000999")
    assert "like upper(%999%)" in sql and "like upper(%099%)" in sql and "%009%" not in sql
    assert "%-00%" not in sql and "like upper(%bench-000999%)" in sql and "|| ''" in sql


def test_a_word_start_the_term_shows_is_asked_for_with_the_character_before_it(desktops):
    """ "-000999" shows a word that starts "00", which pg_trgm indexes padded (" 00"): rarer in
    the labels than any window but "999", and apart from it. The term's own first word may
    start mid-word in a label, so it gives no such piece."""
    shares = {"BEN": 1.0, "ENC": 1.0, "NCH": 1.0, "000": 1.0, "009": 0.12, "099": 0.02}
    cache.set(SHARES, {**shares, "999": 0.003, "CH$": 1.0, "^00": 0.01, "^BE": 0.0})
    sql = _sql("BENCH-000999")
    assert "like upper(%999%)" in sql and "like upper(%-00%)" in sql and "%099%" not in sql
    assert "%be%" not in sql


def test_pieces_apart_are_trusted_where_overlapping_ones_are_not(desktops):
    """ "500" and "001" of "500001" share no letter, so the rows holding both are about the
    product of their shares (0.001); "017" and "001" of "000017" share "01" and come together,
    so the same product promises too much and the term is searched whole."""
    cache.set(SHARES, {"500": 0.02, "001": 0.05, "017": 0.02, "000": 1.0})
    apart = _sql("500001")
    assert "like upper(%500%)" in apart and "like upper(%001%)" in apart and "|| ''" in apart
    together = _sql("000017")
    assert "%000017%" in together and "|| ''" not in together


@pytest.mark.parametrize(
    "term",
    [
        "DESKTOP-0042",
        "desktop-0042",
        "0042",
        "sktop-01",
        "top-00",
        "GRÖSSE",
        "größe-bü",
        "ro-7",
        "p_100%",
        "_1",
        "100%",
        "K 004",
        "KIOSK 0042",
        "KIOSK 0043",
        "-0042-o",
        "0042 ",
        "desktop-0042-old",
        "nothing-like-it",
        "x",
    ],
)
def test_the_rows_are_the_rows_icontains_finds(desktops, term):
    found = set(Device.objects.filter(containing(Device, "name", term)))
    assert found == set(Device.objects.filter(name__icontains=term)), term
