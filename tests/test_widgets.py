"""QuickSelect prints what Django's Select prints, but for the whitespace between tags."""

import re

import pytest
from django import forms

from rbac.models import ScopeTag
from utilities.widgets import QuickSelect

CHOICES = [
    ("", "All <statuses>"),
    ("a&b", 'Quote " and <b>'),
    ("Group", [("x", "X"), ("y", "Y")]),
    (3, "Three"),
]


def _tags(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def _both(field_factory, data):
    class Plain(forms.Form):
        choice = field_factory(forms.Select)

    class Quick(forms.Form):
        choice = field_factory(QuickSelect)

    return str(Plain(data)["choice"]), str(Quick(data)["choice"])


@pytest.mark.parametrize("data", [{}, {"choice": "a&b"}, {"choice": "y"}, {"choice": "3"}])
def test_quick_select_matches_django_select(data):
    plain, quick = _both(
        lambda widget: forms.ChoiceField(choices=CHOICES, required=False, widget=widget), data
    )
    assert _tags(quick) == _tags(plain)
    assert quick.count(" selected") == 1  # with no choice made, the empty one
    assert "<statuses>" not in quick and "&lt;statuses&gt;" in quick


@pytest.mark.django_db
def test_quick_select_matches_django_select_for_model_choices():
    milan = ScopeTag.objects.create(name="Milan & Rome")
    ScopeTag.objects.create(name="London")
    plain, quick = _both(
        lambda widget: forms.ModelChoiceField(
            queryset=ScopeTag.objects.all(), required=True, empty_label="Any", widget=widget
        ),
        {"choice": str(milan.pk)},
    )
    assert _tags(quick) == _tags(plain)
    assert " required" in quick and "Milan &amp; Rome" in quick


@pytest.mark.django_db
def test_model_choices_are_read_in_one_plain_query():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from utilities.fields import ModelChoiceField

    ScopeTag.objects.create(name="Milan")

    class Quick(forms.Form):
        choice = ModelChoiceField(queryset=ScopeTag.objects.all(), widget=QuickSelect)

    class Plain(forms.Form):
        choice = forms.ModelChoiceField(queryset=ScopeTag.objects.all(), widget=QuickSelect)

    with CaptureQueriesContext(connection) as queries:
        quick = str(Quick()["choice"])
    assert len(queries) == 1 and not queries[0]["sql"].startswith("DECLARE")
    assert quick == str(Plain()["choice"]) and "Milan" in quick
