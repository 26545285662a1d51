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
    cache.delete("trigram-shares:devices_device:name")
    for i in range(200):
        f.device(f"DESKTOP-{i:04d}")
    for name in ["Größe-Büro-7", "Laptop_100%", "desktop-0042-old", "KIOSK 0043"]:
        f.device(name)
    yield
    cache.delete("trigram-shares:devices_device:name")


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
def test_the_rows_are_the_rows_icontains_finds(desktops, term):
    found = set(Device.objects.filter(containing(Device, "name", term)))
    assert found == set(Device.objects.filter(name__icontains=term)), term
