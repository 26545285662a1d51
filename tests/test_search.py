"""utilities.search: a substring search asks the trigram index for the term's rarest trigrams
only, and finds exactly the rows a plain icontains finds."""

import pytest
from django.core.cache import cache

from devices.models import Device
from tests import factories as f
from utilities.search import CEILING, containing


@pytest.fixture
def desktops(db):
    """200 names sharing "DESKTOP-" and the digits' common trigrams, and a few odd ones."""
    cache.delete("trigram-shares:devices_device:name")
    for i in range(200):
        f.device(f"DESKTOP-{i:04d}")
    for name in ["Größe-Büro-7", "Laptop_100%", "desktop-0042-old", "KIOSK 0043"]:
        f.device(name)
    yield
    cache.delete("trigram-shares:devices_device:name")


SHARES = "trigram-shares:devices_device:name"


def _sql(term: str, **kwargs) -> str:
    return str(Device.objects.filter(containing(Device, "name", term, **kwargs)).query).lower()


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


def test_long_labels_ask_for_commoner_pieces_when_the_rare_ones_narrow_too_little(desktops):
    """The audit trail's labels: of "BENCH-000999" only "999" is rarer than 1 %. Alone it leaves
    too many rows; with "099" (2 %) few enough, where the whole term reads the lists of "BEN"
    and "000", in every label. Only a column that asks (`ceiling=`) gets it."""
    shares = {"BEN": 1.0, "ENC": 1.0, "NCH": 1.0, "000": 1.0, "009": 0.12, "099": 0.02}
    cache.set(SHARES, {**shares, "999": 0.003})
    assert "%bench-000999%" in _sql("BENCH-000999") and "|| ''" not in _sql("BENCH-000999")
    sql = _sql("BENCH-000999", ceiling=CEILING)
    assert "like upper(%999%)" in sql and "like upper(%099%)" in sql and "%009%" not in sql
    assert "like upper(%bench-000999%)" in sql and "|| ''" in sql


def test_pieces_apart_are_trusted_where_overlapping_ones_are_not(desktops):
    """ "500" and "001" of "500001" share no letter, so the rows holding both are about the
    product of their shares (0.001); "017" and "001" of "000017" share "01" and come together,
    so the same product promises too much and the term is searched whole."""
    cache.set(SHARES, {"500": 0.02, "001": 0.05, "017": 0.02, "000": 1.0})
    apart = _sql("500001", ceiling=CEILING)
    assert "like upper(%500%)" in apart and "like upper(%001%)" in apart and "|| ''" in apart
    together = _sql("000017", ceiling=CEILING)
    assert "%000017%" in together and "|| ''" not in together


@pytest.mark.parametrize("ceiling", [None, CEILING])
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
        "nothing-like-it",
        "x",
    ],
)
def test_the_rows_are_the_rows_icontains_finds(desktops, term, ceiling):
    kwargs = {"ceiling": ceiling} if ceiling else {}
    found = set(Device.objects.filter(containing(Device, "name", term, **kwargs)))
    assert found == set(Device.objects.filter(name__icontains=term)), term
